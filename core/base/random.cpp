#include "core/base/random.hpp"

#include <Random123/philox.h>
#include <openssl/evp.h>

#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace m1 {

namespace {

using philox = r123::Philox4x32_R<10>;

philox::ctr_type counter(std::uint64_t block, std::uint32_t id1, std::uint32_t id2,
                         std::uint32_t id3) noexcept {
    // NEURON (nrnran123.cpp) keeps the draw index in the first counter word and the three ids in
    // the others, in the order (seq, id3, id1, id2).
    return {{static_cast<std::uint32_t>(block), id3, id1, id2}};
}

std::uint32_t md5_prefix(const void* data, std::size_t size) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data, size, digest, &length, EVP_md5(), nullptr) != 1 || length < 4)
        throw std::runtime_error("MD5 digest failed (OpenSSL)");
    return (std::uint32_t(digest[0]) << 24) | (std::uint32_t(digest[1]) << 16) |
           (std::uint32_t(digest[2]) << 8) | std::uint32_t(digest[3]);
}

}  // namespace

random_stream::random_stream(std::uint32_t id1, std::uint32_t id2, std::uint32_t id3,
                             std::uint32_t global_index) noexcept
    : id1_(id1), id2_(id2), id3_(id3), key_(global_index) {}

void random_stream::refill() noexcept {
    philox generator;
    const auto out = generator(counter(block_, id1_, id2_, id3_), philox::key_type{{key_, 0}});
    for (int i = 0; i < 4; ++i) words_[i] = out.v[i];
}

std::uint32_t random_stream::next_word() noexcept {
    const std::uint64_t block = position_ >> 2;
    if (block != block_) {
        block_ = block;
        refill();
    }
    return words_[position_++ & 3];
}

void random_stream::seek(std::uint64_t draw) noexcept { position_ = draw; }

double random_stream::uniform(double low, double high) noexcept {
    const double delta = high - low;
    return low + delta * uniform01();
}

// gnu/Normal.cpp: Marsaglia's polar method, the first of the two variates (NetPyNE builds a new
// distribution for every call, so the second is never used).
double random_stream::polar_variate() noexcept {
    double v1, v2, w;
    do {
        v1 = 2.0 * uniform01() - 1.0;
        v2 = 2.0 * uniform01() - 1.0;
        w = v1 * v1 + v2 * v2;
    } while (w > 1.0);
    return v1 * std::sqrt(-2.0 * std::log(w) / w);
}

double random_stream::normal(double mean, double variance) noexcept {
    const double x = polar_variate();
    return mean + x * std::sqrt(variance);
}

double random_stream::negexp(double mean) noexcept { return -mean * std::log(uniform01()); }

namespace {

// C++ leaves double -> integer conversion out of range undefined; NEURON's long(x) and int(x)
// compile to cvttsd2si on x86-64, which gives the most negative value for NaN and out of range.
template <class Integer>
Integer x86_truncate(double x) noexcept {
    constexpr double low = double(std::numeric_limits<Integer>::min());
    constexpr double high = -low;  // 2^31 or 2^63: the first value that does not fit
    if (!(x > low - 1.0 && x < high)) return std::numeric_limits<Integer>::min();
    return Integer(x);
}

}  // namespace

double random_stream::lognormal(double mean, double variance) noexcept {
    // LogNormal's constructor replaces Normal's mean and standard deviation (LogNorm.h setState).
    const double m2 = mean * mean;
    const double normal_mean = std::log(m2 / std::sqrt(variance + m2));
    const double normal_stddev = std::sqrt(std::log((variance + m2) / m2));
    const double x = polar_variate();
    return std::pow(2.71828182845904523536, x * normal_stddev + normal_mean);  // M_E, as NEURON
}

double random_stream::discunif(double low, double high) noexcept {
    const long a = x86_truncate<long>(low), b = x86_truncate<long>(high);  // hoc: long(arg)
    const long lo = a < b ? a : b, hi = a < b ? b : a;
    const double delta = double((hi - lo) + 1);
    return double(lo + x86_truncate<long>(std::floor(delta * uniform01())));
}

double random_stream::poisson(double mean) noexcept {
    const double bound = std::exp(-1.0 * mean);
    int count = 0;
    for (double product = 1.0; product >= bound; product *= uniform01()) ++count;
    return count - 1;
}

double random_stream::binomial(double n, double p) noexcept {
    const int trials = x86_truncate<int>(n);
    int s = 0;
    for (int i = 0; i < trials; ++i)
        if (uniform01() < p) ++s;
    return double(s);
}

double random_stream::geometric(double mean) noexcept {
    int samples;
    for (samples = 1; uniform01() < mean; ++samples) {
    }
    return double(samples);
}

double random_stream::hypergeo(double mean, double variance) noexcept {
    const double z = variance / (mean * mean);
    const double p = 0.5 * (1.0 - std::sqrt((z - 1.0) / (z + 1.0)));
    const double d = (uniform01() > p) ? (1.0 - p) : p;
    return -mean * std::log(uniform01()) / (2.0 * d);
}

double random_stream::erlang(double mean, double variance) noexcept {
    int k = x86_truncate<int>((mean * mean) / variance + 0.5);
    k = (k > 0) ? k : 1;
    const double a = k / mean;
    double product = 1.0;
    for (int i = 0; i < k; ++i) product *= uniform01();
    return -std::log(product) / a;
}

double random_stream::weibull(double alpha, double beta) noexcept {
    const double inverse_alpha = 1.0 / alpha;
    return std::pow(beta * (-std::log(1 - uniform01())), inverse_alpha);
}

double uniform01_at(std::uint32_t id1, std::uint32_t id2, std::uint32_t id3,
                    std::uint64_t draw) noexcept {
    philox generator;
    const auto out = generator(counter(draw >> 2, id1, id2, id3), philox::key_type{{0, 0}});
    return (double(out.v[draw & 3]) + 1.0) * (1.0 / 4294967297.0);
}

void uniform01_block(std::uint32_t id1, std::uint32_t id2, std::uint32_t id3, std::uint64_t block,
                     double out[4]) noexcept {
    philox generator;
    const auto words = generator(counter(block, id1, id2, id3), philox::key_type{{0, 0}});
    for (int i = 0; i < 4; ++i) out[i] = (double(words.v[i]) + 1.0) * (1.0 / 4294967297.0);
}

std::uint32_t hash_str(std::string_view text) { return md5_prefix(text.data(), text.size()); }

std::uint32_t hash_list(std::span<const std::uint64_t> values) {
    // array('L') on Linux x86-64 is the machine's 64-bit little-endian unsigned long.
    static_assert(std::endian::native == std::endian::little);
    return md5_prefix(values.data(), values.size_bytes());
}

}  // namespace m1
