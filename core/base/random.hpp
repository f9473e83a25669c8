#pragma once
// Counter-based random streams with NEURON's Random123 semantics (SEMANTICS.md §0).
//
// A stream is named by three 32-bit ids; draw n is word n%4 of Philox4x32-10 applied to the
// counter (n/4, id3, id1, id2) under the key (global_index, 0). Nothing is shared between streams,
// so any stream can be drawn from any thread in any order and still give the same numbers.
#include <cstdint>
#include <span>
#include <string_view>

namespace m1 {

class random_stream {
public:
    random_stream(std::uint32_t id1, std::uint32_t id2, std::uint32_t id3,
                  std::uint32_t global_index = 0) noexcept;

    // The raw 32-bit word of draw number `position()`, then advance.
    std::uint32_t next_word() noexcept;
    // NEURON's nrnran123_dbl: (x + 1) * (1 / (2^32 + 1)), strictly inside (0, 1).
    double uniform01() noexcept { return (double(next_word()) + 1.0) * (1.0 / 4294967297.0); }

    // NEURON's distributions, each consuming draws exactly as NEURON's gnu/ classes do.
    double uniform(double low, double high) noexcept;      // low + (high - low) * u
    double normal(double mean, double variance) noexcept;  // Marsaglia polar, 2nd argument variance
    double negexp(double mean) noexcept;                   // -mean * ln(u)

    // The rest of hoc's Random distributions (ivocrand.cpp builds a fresh gnu/ distribution per
    // call, so nothing carries over between calls), each consuming draws exactly as NEURON does.
    // Arguments are taken as hoc takes them (doubles, truncated where hoc truncates); hoc's range
    // checks are the caller's (see each line).
    double lognormal(double mean, double variance) noexcept;  // gnu/LogNorm.cpp: pow(e, normal)
    double discunif(double low, double high) noexcept;         // integer in [low, high]
    double poisson(double mean) noexcept;                      // never returns if exp(-mean) == 0
    double binomial(double n, double p) noexcept;              // hoc: 0 <= n <= 1e99, 0 <= p <= 1
    double geometric(double mean) noexcept;                    // hoc: 0 <= mean <= 1; hangs at 1
    double hypergeo(double mean, double variance) noexcept;   // gnu/HypGeom.cpp, two draws
    double erlang(double mean, double variance) noexcept;     // k = round(mean²/variance) draws
    double weibull(double alpha, double beta) noexcept;       // pow(beta * -ln(1-u), 1/alpha)

    std::uint64_t position() const noexcept { return position_; }
    void seek(std::uint64_t draw) noexcept;
    void discard(std::uint64_t draws) noexcept { seek(position_ + draws); }

private:
    void refill() noexcept;
    double polar_variate() noexcept;
    std::uint32_t id1_, id2_, id3_, key_;
    std::uint64_t position_ = 0;
    std::uint64_t block_ = ~std::uint64_t{0};  // counter whose four words are in words_
    std::uint32_t words_[4] = {0, 0, 0, 0};
};

// Draw number `draw` of stream (id1, id2, id3) without building a stream: used where a rule draws
// one number per (pre, post) pair at a computed position.
double uniform01_at(std::uint32_t id1, std::uint32_t id2, std::uint32_t id3,
                    std::uint64_t draw) noexcept;
// Draws 4*block .. 4*block+3 of the stream at once (one Philox evaluation).
void uniform01_block(std::uint32_t id1, std::uint32_t id2, std::uint32_t id3, std::uint64_t block,
                     double out[4]) noexcept;

// NetPyNE's stream ids (netpyne/sim/utils.py): the first 8 hex digits of an MD5 digest as an
// integer, over the UTF-8 text (hashStr) or over each integer as a 64-bit little-endian word
// (hashList, i.e. array('L', list) on Linux x86-64).
std::uint32_t hash_str(std::string_view text);
std::uint32_t hash_list(std::span<const std::uint64_t> values);

}  // namespace m1
