#pragma once
// NetPyNE's string functions ("defaultDelay+dist_3D/propVelocity", "2+normal(5,3)") compiled
// once into a small program and evaluated per cell pair. NetPyNE evaluates them as Python; we
// support the arithmetic subset documented in docs/model-format.md and refuse everything else.
#include "core/base/error.hpp"
#include "core/base/random.hpp"
#include "core/engine/cell_description.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace m1 {

// What one evaluation sees. `pre` and `post` are null where the string has no cell pair (a stim
// target's delay sees only `post`); `rng` is the stream NetPyNE's random functions draw from.
struct expression_scope {
    const cell_position* pre = nullptr;
    const cell_position* post = nullptr;
    random_stream* rng = nullptr;
};

// Named numbers a string may use: numeric netParams attributes (defaultDelay, probLambda, ...).
using expression_globals = std::map<std::string, double, std::less<>>;

class expression {
public:
    // Throws expression_error (with the character offset) when `text` does not parse, uses
    // Python beyond the supported subset, or names an unknown variable or function.
    static expression compile(std::string_view text, const expression_globals& globals);
    // A constant (a JSON number in the model file).
    static expression constant(double value);

    double evaluate(const expression_scope& scope) const;

    bool is_constant() const noexcept;       // no variables, no netParams names, no random functions
    bool uses_random() const noexcept;       // calls uniform(), normal(), ...
    bool uses_pre() const noexcept;          // names pre_* or dist_*
    bool uses_post() const noexcept;         // names post_* or dist_*
    const std::string& text() const noexcept;

    expression(const expression&);
    expression& operator=(const expression&);
    expression(expression&&) noexcept;
    expression& operator=(expression&&) noexcept;
    ~expression();

private:
    struct program;
    explicit expression(std::unique_ptr<program> p);
    std::unique_ptr<program> program_;
};

}  // namespace m1
