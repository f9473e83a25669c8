// NetPyNE string functions: a hand-written tokenizer and precedence-climbing parser turn the
// Python text into a tree once (folding constant parts, netParams names included), which is then
// flattened into postfix code for a small stack machine. Evaluating runs that code over a fixed
// stack array: no allocation, no name lookup, nothing but arithmetic per cell pair.
//
// Semantics follow what NetPyNE 1.1.0 does with the text (netpyne/specs/utils.py
// generateStringFunction, netpyne/network/conn.py _connStrToFunc): it rewrites the random function
// names to rand.<name>, wraps the text in a lambda whose arguments are the cell variables and
// numeric netParams attributes it finds in the text, and evaluates that lambda in the module
// namespace of utils.py, where numpy's sin, cos, tan, exp, log, log10, sqrt, ceil, remainder,
// arctan2, pi and inf and Python's builtins are visible. Arithmetic is IEEE double throughout;
// where Python would raise (1/0, 0**-1, math overflow) the IEEE result is returned instead, which
// is also what numpy gives when an operand is a numpy number (as dist_3D is).
#include "core/format/expression.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace m1 {

namespace {

// ---------------------------------------------------------------------------------------------
// What the code can do

enum class opcode : std::uint8_t {
    constant,
    variable,
    negate,
    add,
    subtract,
    multiply,
    divide,
    floor_divide,
    modulo,
    power,
    less,
    less_equal,
    greater,
    greater_equal,
    equal,
    not_equal,
    exp,
    log,
    log10,
    sqrt,
    sin,
    cos,
    tan,
    ceil,
    abs,
    round,
    truncate,
    arctan2,
    min,
    max,
    identity,  // float(x): never emitted, folded away
    // Random functions: one sample per call, drawn from scope.rng.
    uniform,
    normal,
    negexp,
    lognormal,
    discunif,
    poisson,
    binomial,
    geometric,
    hypergeo,
    erlang,
    weibull,
};

constexpr bool is_random(opcode op) { return op >= opcode::uniform; }

enum class cell_variable : std::uint8_t {
    pre_x, pre_y, pre_z, pre_xnorm, pre_ynorm, pre_znorm,
    post_x, post_y, post_z, post_xnorm, post_ynorm, post_znorm,
    dist_x, dist_y, dist_z, dist_3D, dist_2D,
    dist_xnorm, dist_ynorm, dist_znorm, dist_norm3D, dist_norm2D,
};

struct variable_info {
    std::string_view name;
    cell_variable id;
    bool pre, post;
};

constexpr variable_info cell_variables[] = {
    {"pre_x", cell_variable::pre_x, true, false},
    {"pre_y", cell_variable::pre_y, true, false},
    {"pre_z", cell_variable::pre_z, true, false},
    {"pre_xnorm", cell_variable::pre_xnorm, true, false},
    {"pre_ynorm", cell_variable::pre_ynorm, true, false},
    {"pre_znorm", cell_variable::pre_znorm, true, false},
    {"post_x", cell_variable::post_x, false, true},
    {"post_y", cell_variable::post_y, false, true},
    {"post_z", cell_variable::post_z, false, true},
    {"post_xnorm", cell_variable::post_xnorm, false, true},
    {"post_ynorm", cell_variable::post_ynorm, false, true},
    {"post_znorm", cell_variable::post_znorm, false, true},
    {"dist_x", cell_variable::dist_x, true, true},
    {"dist_y", cell_variable::dist_y, true, true},
    {"dist_z", cell_variable::dist_z, true, true},
    {"dist_3D", cell_variable::dist_3D, true, true},
    {"dist_2D", cell_variable::dist_2D, true, true},
    {"dist_xnorm", cell_variable::dist_xnorm, true, true},
    {"dist_ynorm", cell_variable::dist_ynorm, true, true},
    {"dist_znorm", cell_variable::dist_znorm, true, true},
    {"dist_norm3D", cell_variable::dist_norm3D, true, true},
    {"dist_norm2D", cell_variable::dist_norm2D, true, true},
};

struct function_info {
    std::string_view name;
    opcode op;
    int min_args, max_args;
    std::string_view parameters;  // for the argument-count message
};

// The functions a string can call in NetPyNE 1.1.0: numpy's (imported by utils.py), Python's
// builtins that make sense on numbers, and hoc Random's methods (rewritten to rand.<name>).
constexpr function_info functions[] = {
    {"exp", opcode::exp, 1, 1, "x"},
    {"log", opcode::log, 1, 1, "x"},
    {"log10", opcode::log10, 1, 1, "x"},
    {"sqrt", opcode::sqrt, 1, 1, "x"},
    {"sin", opcode::sin, 1, 1, "x"},
    {"cos", opcode::cos, 1, 1, "x"},
    {"tan", opcode::tan, 1, 1, "x"},
    {"ceil", opcode::ceil, 1, 1, "x"},
    {"abs", opcode::abs, 1, 1, "x"},
    {"min", opcode::min, 2, 32, "a, b, ..."},
    {"max", opcode::max, 2, 32, "a, b, ..."},
    {"pow", opcode::power, 2, 2, "base, exponent"},
    {"round", opcode::round, 1, 1, "x"},
    {"int", opcode::truncate, 1, 1, "x"},
    {"float", opcode::identity, 1, 1, "x"},
    {"remainder", opcode::modulo, 2, 2, "x, y"},
    {"arctan2", opcode::arctan2, 2, 2, "y, x"},
    {"uniform", opcode::uniform, 2, 2, "low, high"},
    {"normal", opcode::normal, 2, 2, "mean, variance"},
    {"negexp", opcode::negexp, 1, 1, "mean"},
    {"lognormal", opcode::lognormal, 2, 2, "mean, variance"},
    {"discunif", opcode::discunif, 2, 2, "low, high"},
    {"poisson", opcode::poisson, 1, 1, "mean"},
    {"binomial", opcode::binomial, 2, 2, "n, p"},
    {"geometric", opcode::geometric, 1, 1, "mean"},
    {"hypergeo", opcode::hypergeo, 2, 2, "mean, variance"},
    {"erlang", opcode::erlang, 2, 2, "mean, variance"},
    {"weibull", opcode::weibull, 2, 2, "alpha, beta"},
};

// NetPyNE's stringFuncRandMethods plus lognormal: every occurrence of these in the text, even
// inside a longer name, becomes rand.<name>.
constexpr std::string_view random_method_names[] = {
    "binomial", "discunif", "erlang", "geometric", "hypergeo", "lognormal",
    "negexp",   "normal",   "poisson", "uniform",  "weibull",
};

constexpr std::string_view supported_list =
    "only arithmetic (+ - * / // % **), comparisons (< <= > >= == !=), the cell variables "
    "(pre_x, post_ynorm, dist_3D, ...), numeric netParams settings and the functions exp, log, "
    "log10, sqrt, sin, cos, tan, ceil, abs, min, max, pow, round, int, float, remainder, arctan2 "
    "and the random functions uniform, normal, negexp, lognormal, discunif, poisson, binomial, "
    "geometric, hypergeo, erlang, weibull are supported";

constexpr std::string_view python_keywords[] = {
    "False",  "None",   "True",    "and",      "as",       "assert", "async", "await",
    "break",  "class",  "continue", "def",     "del",      "elif",   "else",  "except",
    "finally", "for",   "from",    "global",   "if",       "import", "in",    "is",
    "lambda", "nonlocal", "not",   "or",       "pass",     "raise",  "return", "try",
    "while",  "with",   "yield",
};

// Names Python would know but NetPyNE 1.1.0's evaluation namespace does not (validateFunction
// imports them from math, the evaluation itself does not), or that are not numbers.
struct unavailable_name {
    std::string_view name, hint;
};
constexpr unavailable_name unavailable_names[] = {
    {"e", " (use exp(1))"},
    {"asin", ""},
    {"acos", ""},
    {"atan", ""},
    {"atan2", " (use arctan2(y, x))"},
    {"sinh", ""},
    {"cosh", ""},
    {"tanh", ""},
    {"floor", " (use -ceil(-x) or x // 1)"},
    {"fabs", " (use abs(x))"},
    {"log2", ""},
    {"math", ""},
    {"np", ""},
    {"numpy", ""},
};

// ---------------------------------------------------------------------------------------------
// Python's arithmetic where C++'s differs. Used both to fold constants and to evaluate, so a
// folded value is bit-identical to an evaluated one.

double python_modulo(double x, double y) {
    // floatobject.c float_rem: the result takes the divisor's sign. For y == 0 Python raises;
    // numpy's remainder gives fmod's nan, and so do we.
    double mod = std::fmod(x, y);
    if (y == 0) return mod;
    if (mod != 0) {
        if ((y < 0) != (mod < 0)) mod += y;
    } else {
        mod = std::copysign(0.0, y);
    }
    return mod;
}

double python_floor_divide(double x, double y) {
    // floatobject.c _float_div_mod; for y == 0 Python raises and numpy gives x / y.
    if (y == 0) return x / y;
    double mod = std::fmod(x, y);
    double div = (x - mod) / y;
    if (mod != 0) {
        if ((y < 0) != (mod < 0)) div -= 1.0;
    }
    if (div != 0) {
        double floordiv = std::floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
        return floordiv;
    }
    return std::copysign(0.0, x / y);
}

double python_round(double x) {
    // floatobject.c float___round___impl without ndigits: halves go to the even neighbour.
    double rounded = std::round(x);
    if (std::fabs(x - rounded) == 0.5) rounded = 2.0 * std::round(x / 2.0);
    return rounded;
}

double python_min_max(bool is_max, const double* args, int count) {
    // builtin min/max keep the first argument unless a later one compares strictly beyond it,
    // which decides what a nan does.
    double best = args[0];
    for (int i = 1; i < count; ++i)
        if (is_max ? args[i] > best : args[i] < best) best = args[i];
    return best;
}

// NetPyNE squares with Python's ** (C pow()), and glibc's pow(d, 2) differs from the correctly
// rounded d * d in about 1 case in 1000, so distances must square with pow to agree to the last
// bit. pow is slow, though, and glibc's is within 0.54 ulp of the exact value (e_pow.c): where
// the exact square lies within 0.45 ulp of d * d, every other double is more than 0.55 ulp away,
// so pow cannot return anything else (on 3e8 samples pow differed only where the residual was
// above 0.49 ulp). So the exact residual of d * d
// (Dekker's product) decides, and pow is called only near rounding midpoints and at the edges.
volatile double two = 2.0;  // read at run time: GCC would otherwise turn pow(d, 2.0) into d * d
double square(double d) {
    const double p = d * d;
    const double a = std::fabs(d);
    if (a > 1e-140 && a < 1e140) {  // no overflow or underflow in the split
        const double c = 134217729.0 * a;  // Veltkamp split, 2^27 + 1: a == hi + lo exactly
        const double hi = c - (c - a);
        const double lo = a - hi;
        const double residual = (((hi * hi - p) + hi * lo) + hi * lo) + lo * lo;  // a*a - p
        const std::uint64_t bits = std::bit_cast<std::uint64_t>(p);
        const double ulp = std::bit_cast<double>(bits & 0x7ff0000000000000ull) * 0x1p-52;
        // A power of two has a finer ulp just below it: leave those to pow.
        if ((bits & 0x000fffffffffffffull) != 0 && std::fabs(residual) < 0.45 * ulp) return p;
    }
    return std::pow(d, two);
}

double unary(opcode op, double x) {
    switch (op) {
        case opcode::negate: return -x;
        case opcode::exp: return std::exp(x);
        case opcode::log: return std::log(x);
        case opcode::log10: return std::log10(x);
        case opcode::sqrt: return std::sqrt(x);
        case opcode::sin: return std::sin(x);
        case opcode::cos: return std::cos(x);
        case opcode::tan: return std::tan(x);
        case opcode::ceil: return std::ceil(x);
        case opcode::abs: return std::fabs(x);
        case opcode::round: return python_round(x);
        case opcode::truncate: return std::trunc(x);
        case opcode::identity: return x;
        default: return std::numeric_limits<double>::quiet_NaN();
    }
}

double binary(opcode op, double a, double b) {
    switch (op) {
        case opcode::add: return a + b;
        case opcode::subtract: return a - b;
        case opcode::multiply: return a * b;
        case opcode::divide: return a / b;
        case opcode::floor_divide: return python_floor_divide(a, b);
        case opcode::modulo: return python_modulo(a, b);
        case opcode::power: return b == 2.0 ? square(a) : std::pow(a, b);
        case opcode::less: return a < b ? 1.0 : 0.0;
        case opcode::less_equal: return a <= b ? 1.0 : 0.0;
        case opcode::greater: return a > b ? 1.0 : 0.0;
        case opcode::greater_equal: return a >= b ? 1.0 : 0.0;
        case opcode::equal: return a == b ? 1.0 : 0.0;
        case opcode::not_equal: return a != b ? 1.0 : 0.0;
        case opcode::arctan2: return std::atan2(a, b);
        default: return std::numeric_limits<double>::quiet_NaN();
    }
}

// netpyne/network/conn.py _connStrToFunc, formulas as written there (dist_norm3D and dist_norm2D
// take the square root of signed y and z differences, so they are nan when pre is below post).
double cell_value(cell_variable v, const cell_position& pre, const cell_position& post) {
    switch (v) {
        case cell_variable::pre_x: return pre.x;
        case cell_variable::pre_y: return pre.y;
        case cell_variable::pre_z: return pre.z;
        case cell_variable::pre_xnorm: return pre.xnorm;
        case cell_variable::pre_ynorm: return pre.ynorm;
        case cell_variable::pre_znorm: return pre.znorm;
        case cell_variable::post_x: return post.x;
        case cell_variable::post_y: return post.y;
        case cell_variable::post_z: return post.z;
        case cell_variable::post_xnorm: return post.xnorm;
        case cell_variable::post_ynorm: return post.ynorm;
        case cell_variable::post_znorm: return post.znorm;
        case cell_variable::dist_x: return std::fabs(pre.x - post.x);
        case cell_variable::dist_y: return std::fabs(pre.y - post.y);
        case cell_variable::dist_z: return std::fabs(pre.z - post.z);
        case cell_variable::dist_3D:
            return std::sqrt(square(pre.x - post.x) + square(pre.y - post.y) +
                             square(pre.z - post.z));
        case cell_variable::dist_2D: return std::sqrt(square(pre.x - post.x) + square(pre.z - post.z));
        case cell_variable::dist_xnorm: return std::fabs(pre.xnorm - post.xnorm);
        case cell_variable::dist_ynorm: return std::fabs(pre.ynorm - post.ynorm);
        case cell_variable::dist_znorm: return std::fabs(pre.znorm - post.znorm);
        case cell_variable::dist_norm3D:
            return std::sqrt(square(pre.xnorm - post.xnorm) + std::sqrt(pre.ynorm - post.ynorm) +
                             std::sqrt(pre.znorm - post.znorm));
        case cell_variable::dist_norm2D:
            return std::sqrt(square(pre.xnorm - post.xnorm) + std::sqrt(pre.znorm - post.znorm));
    }
    return std::numeric_limits<double>::quiet_NaN();
}

// Where the caller broke its promise (a pre_* variable with no pre cell): nan, not a crash.
const cell_position missing_cell{std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::quiet_NaN()};

// Error offsets count characters, not UTF-8 bytes.
std::size_t character_offset(std::string_view text, std::size_t byte_offset) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < byte_offset && i < text.size(); ++i)
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++chars;
    return chars;
}

std::string quoted(std::string_view s) {
    std::string q(1, '\'');  // built by appending: GCC 12 warns falsely on "'" + std::string
    q.append(s);
    q += '\'';
    return q;
}

// Optimal string alignment distance, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
        }
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

// What NetPyNE's generateStringFunction does to the text before Python sees it.
std::string netpyne_rewrite(std::string_view text) {
    auto replace_all = [](std::string& s, std::string_view from, std::string_view to) {
        for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
            s.replace(at, from.size(), to);
    };
    std::string s(text);
    replace_all(s, "lognormal", "lognrm");
    for (std::string_view method : {"binomial", "discunif", "erlang", "geometric", "hypergeo",
                                    "negexp", "normal", "poisson", "uniform", "weibull"}) {
        std::string to = "rand." + std::string(method);
        replace_all(s, method, to);
    }
    replace_all(s, "lognrm", "rand.lognormal");
    return s;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

enum class token_kind { number, name, op, open, close, comma, end };

struct token {
    token_kind kind = token_kind::end;
    std::string_view text;  // operator or name spelling; the number as written
    std::size_t offset = 0; // byte offset in the source
    double value = 0;
};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class lexer {
public:
    explicit lexer(std::string_view text) : text_(text) {}

    [[noreturn]] void fail(const std::string& message, std::size_t byte_offset) const {
        throw expression_error(message, character_offset(text_, byte_offset));
    }

    int paren_depth = 0;  // line breaks are allowed inside parentheses only, as in Python

    token next() {
        skip_space();
        token t;
        t.offset = pos_;
        if (pos_ >= text_.size()) return t;
        const char c = text_[pos_];
        if (is_digit(c) || (c == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])))
            return number();
        if (is_name_start(c)) {
            std::size_t end = pos_;
            while (end < text_.size() && is_name_char(text_[end])) ++end;
            return take(t, token_kind::name, end - pos_);
        }
        return punctuation(t, c);
    }

private:
    token take(token& t, token_kind kind, std::size_t length) {
        t.kind = kind;
        t.text = text_.substr(pos_, length);
        pos_ += length;
        return t;
    }

    // Parentheses, commas and operators; a character Python would read otherwise is refused.
    token punctuation(token& t, char c) {
        const char d = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
        switch (c) {
            case '(': ++paren_depth; return take(t, token_kind::open, 1);
            case ')': --paren_depth; return take(t, token_kind::close, 1);
            case ',': return take(t, token_kind::comma, 1);
            case '+':
            case '-':
            case '%':
                if (d == '=') fail_assignment();
                return take(t, token_kind::op, 1);
            case '*':
            case '/':
                if (d == c) {
                    if (pos_ + 2 < text_.size() && text_[pos_ + 2] == '=') fail_assignment();
                    return take(t, token_kind::op, 2);
                }
                if (d == '=') fail_assignment();
                return take(t, token_kind::op, 1);
            case '<':
            case '>':
                if (d == c) fail("bitwise shift '" + std::string(2, c) + "' is not supported (Python " +
                                     "applies it only to integers)", pos_);
                return take(t, token_kind::op, d == '=' ? 2 : 1);
            case '=':
                if (d == '=') return take(t, token_kind::op, 2);
                fail("'=' (assignment or keyword argument) is not allowed; to compare use '=='", pos_);
            case '!':
                if (d == '=') return take(t, token_kind::op, 2);
                fail("unexpected '!': Python writes 'not equal' as '!=' and has no '!' operator", pos_);
            default: refuse(c);
        }
    }

    // A character no string function has, with what it would be in Python.
    [[noreturn]] void refuse(char c) const {
        switch (c) {
            case '.':
                fail("'.' is not allowed here: attribute access such as 'rand.uniform' or 'np.exp' "
                     "is not supported; call the functions by name, e.g. uniform(0, 1) or exp(x)",
                     pos_);
            case '[':
            case ']':
                fail("indexing and lists ('" + std::string(1, c) + "') are not supported: a string " +
                         "function computes one number",
                     pos_);
            case '{':
            case '}':
                fail("sets and dictionaries ('" + std::string(1, c) + "') are not supported: a " +
                         "string function computes one number",
                     pos_);
            case ':':
                fail("':' is not allowed: lambdas, slices and dictionaries are not supported", pos_);
            case ';': fail("';' is not allowed: a string function is a single expression", pos_);
            case '\'':
            case '"':
                fail("quoted text is not allowed: a string function computes a number", pos_);
            case '#': fail("comments ('#') are not supported in string functions", pos_);
            case '&':
            case '|':
            case '^':
            case '~':
                fail("bitwise operator '" + std::string(1, c) + "' is not supported (Python applies " +
                         "it only to integers; for a condition multiply comparisons, e.g. " +
                         "(a > 1) * (b < 2))",
                     pos_);
            case '@': fail("matrix multiplication '@' is not supported", pos_);
            case '\\': fail("'\\' (line continuation) is not supported: write the string on one line", pos_);
            default: refuse_unexpected(c);
        }
    }

    [[noreturn]] void refuse_unexpected(char c) const {
        if (static_cast<unsigned char>(c) >= 0x80) {
            std::size_t end = pos_ + 1;
            while (end < text_.size() && (static_cast<unsigned char>(text_[end]) & 0xC0) == 0x80)
                ++end;
            fail("unexpected character '" + std::string(text_.substr(pos_, end - pos_)) +
                     "': names and operators are plain ASCII",
                 pos_);
        }
        fail("unexpected character '" + std::string(1, c) + "'", pos_);
    }

    [[noreturn]] void fail_assignment() const {
        fail("assignment is not allowed: a string function is a single expression", pos_);
    }

    void skip_space() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == ' ' || c == '\t' || c == '\f') {
                ++pos_;
            } else if (c == '\n' || c == '\r') {
                if (paren_depth <= 0) {
                    // Python's eval accepts trailing line breaks, and no others outside brackets.
                    std::size_t rest = pos_;
                    while (rest < text_.size() && std::strchr(" \t\f\r\n", text_[rest])) ++rest;
                    if (rest < text_.size())
                        fail("a line break is allowed only inside parentheses", pos_);
                }
                ++pos_;
            } else {
                break;
            }
        }
    }

    // A number literal read so far: its characters without underscores, whether it is a float,
    // its exponent (clamped to +-100000) and whether it is malformed.
    struct literal {
        std::string digits;
        bool is_float = false, bad = false;
        long exponent = 0;
    };

    // Python 3 number literals (decimal integers and floats, '_' between digits).
    token number() {
        token t;
        t.kind = token_kind::number;
        t.offset = pos_;
        const std::size_t start = pos_;
        if (text_[pos_] == '0' && pos_ + 1 < text_.size() &&
            std::strchr("xXoObB", text_[pos_ + 1])) {
            fail("hexadecimal, octal and binary numbers are not supported: write the number in "
                 "decimal",
                 pos_);
        }
        literal l;
        digit_part(l, false);
        const std::string integer_digits = l.digits;
        if (pos_ < text_.size() && text_[pos_] == '.') {
            l.is_float = true;
            l.digits += text_[pos_++];
            digit_part(l, false);
        }
        exponent_part(l);
        check_literal(l, integer_digits, start);
        t.text = text_.substr(start, pos_ - start);
        t.value = value_of(l, t.text, start);
        return t;
    }

    // Digits with '_' between them; none: malformed when `required`.
    void digit_part(literal& l, bool required) {
        if (pos_ >= text_.size() || !is_digit(text_[pos_])) {
            if (required) l.bad = true;
            return;
        }
        while (pos_ < text_.size()) {
            if (is_digit(text_[pos_])) {
                l.digits += text_[pos_++];
            } else if (text_[pos_] == '_' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])) {
                ++pos_;
            } else {
                break;
            }
        }
    }

    // e or E, a sign and digits, if there.
    void exponent_part(literal& l) {
        if (pos_ >= text_.size() || (text_[pos_] != 'e' && text_[pos_] != 'E')) return;
        l.is_float = true;
        l.digits += 'e';
        ++pos_;
        if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) l.digits += text_[pos_++];
        const std::size_t exponent_start = l.digits.size();
        digit_part(l, true);
        for (std::size_t i = exponent_start; i < l.digits.size(); ++i)
            l.exponent = std::min(l.exponent * 10 + (l.digits[i] - '0'), 100000L);
        if (exponent_start > 0 && l.digits[exponent_start - 1] == '-') l.exponent = -l.exponent;
    }

    // What Python refuses in a literal: a complex one, letters after it, leading zeros.
    void check_literal(const literal& l, const std::string& integer_digits, std::size_t start) const {
        if (pos_ < text_.size() && (text_[pos_] == 'j' || text_[pos_] == 'J'))
            fail("complex numbers ('" + std::string(text_.substr(start, pos_ + 1 - start)) +
                     "') are not supported",
                 start);
        if (l.bad || (pos_ < text_.size() && is_name_char(text_[pos_]))) {
            std::size_t end = pos_;
            while (end < text_.size() && (is_name_char(text_[end]) || text_[end] == '.')) ++end;
            fail("invalid number '" + std::string(text_.substr(start, end - start)) + "'", start);
        }
        if (!l.is_float && integer_digits.size() > 1 && integer_digits[0] == '0' &&
            integer_digits.find_first_not_of('0') != std::string::npos) {
            fail("leading zeros are not permitted in a whole number ('" +
                     std::string(text_.substr(start, pos_ - start)) + "' is a Python syntax error)",
                 start);
        }
    }

    double value_of(const literal& l, std::string_view text, std::size_t start) const {
        double value = 0;
        const auto [end, ec] = std::from_chars(l.digits.data(), l.digits.data() + l.digits.size(), value);
        if (ec == std::errc::result_out_of_range) return out_of_range_value(l);
        if (ec != std::errc() || end != l.digits.data() + l.digits.size())
            fail("invalid number '" + std::string(text) + "'", start);
        return value;
    }

    // Python turns an overflowing literal into inf and an underflowing one into 0.0.
    static double out_of_range_value(const literal& l) {
        const std::string mantissa = l.digits.substr(0, l.digits.find('e'));
        std::size_t point = mantissa.find('.');
        if (point == std::string::npos) point = mantissa.size();
        const std::size_t first = mantissa.find_first_not_of("0.");
        long magnitude = 0;  // decimal exponent of the leading significant digit
        if (first != std::string::npos)
            magnitude = first < point ? long(point - first) - 1 : -long(first - point);
        return magnitude + l.exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Parser: precedence climbing over Python's expression grammar, building a tree in a vector.

struct node {
    opcode op = opcode::constant;
    std::uint8_t arg = 0;       // cell variable, or argument count of a function
    std::uint32_t offset = 0;   // character offset, for errors raised while evaluating
    double value = 0;           // constant
    std::uint32_t first = 0;    // children are children[first .. first + count)
    std::uint32_t count = 0;
};

// Binding powers (Python's precedence): comparisons < + - < * / // % < unary - + < **.
constexpr int bp_comparison = 1, bp_additive = 2, bp_multiplicative = 3, bp_unary = 4, bp_power = 5;
constexpr int max_nesting = 100;  // Python's own parser stops near 200 nested parentheses

struct binary_operator {
    std::string_view spelling;
    opcode op;
    int bp;
};
constexpr binary_operator binary_operators[] = {
    {"<", opcode::less, bp_comparison},        {"<=", opcode::less_equal, bp_comparison},
    {">", opcode::greater, bp_comparison},     {">=", opcode::greater_equal, bp_comparison},
    {"==", opcode::equal, bp_comparison},      {"!=", opcode::not_equal, bp_comparison},
    {"+", opcode::add, bp_additive},           {"-", opcode::subtract, bp_additive},
    {"*", opcode::multiply, bp_multiplicative}, {"/", opcode::divide, bp_multiplicative},
    {"//", opcode::floor_divide, bp_multiplicative}, {"%", opcode::modulo, bp_multiplicative},
    {"**", opcode::power, bp_power},
};

struct instruction {
    opcode op;
    std::uint8_t arg;       // cell variable, or argument count of min/max
    std::uint32_t offset;   // character offset of the call, for errors while evaluating
    double value;           // constant
};

struct compiled {
    std::string text;
    std::vector<instruction> code;
    bool constant = true;  // no cell variable, no netParams name, no random function
    bool random = false, pre = false, post = false;
};

constexpr std::size_t max_stack = 64;

class parser {
public:
    parser(std::string_view text, const expression_globals& globals, compiled& out)
        : text_(text), lex_(text), globals_(globals), out_(out) {
        advance();
    }

    std::uint32_t parse() {
        if (current_.kind == token_kind::end)
            fail("the string function is empty: expected a number or an expression",
                 current_.offset);
        const std::uint32_t root = parse_expression(0);
        if (current_.kind == token_kind::close) fail("unmatched ')'", current_.offset);
        if (current_.kind == token_kind::comma)
            fail("',' outside a function call is not allowed (Python would make a tuple, not a "
                 "number)",
                 current_.offset);
        if (current_.kind != token_kind::end) {
            refuse_keyword(current_);
            fail("expected an operator or the end of the string but found " + describe(current_),
                 current_.offset);
        }
        return root;
    }

    std::vector<node> nodes;
    std::vector<std::uint32_t> children;

private:
    [[noreturn]] void fail(const std::string& message, std::size_t byte_offset) const {
        lex_.fail(message, byte_offset);
    }

    void advance() { current_ = lex_.next(); }

    static std::string describe(const token& t) {
        switch (t.kind) {
            case token_kind::end: return "the end of the string";
            case token_kind::number: return "the number '" + std::string(t.text) + "'";
            default: return quoted(t.text);
        }
    }

    const binary_operator* binary_at_current() const {
        if (current_.kind != token_kind::op) return nullptr;
        for (const auto& b : binary_operators)
            if (b.spelling == current_.text) return &b;
        return nullptr;
    }

    std::uint32_t add(node n) {
        nodes.push_back(n);
        return static_cast<std::uint32_t>(nodes.size() - 1);
    }

    std::uint32_t constant(double value, std::size_t offset) {
        node n;
        n.value = value;
        n.offset = static_cast<std::uint32_t>(character_offset(text_, offset));
        return add(n);
    }

    bool is_constant(std::uint32_t i) const { return nodes[i].op == opcode::constant; }

    // An operation on `args`; folded into a constant when every argument is one.
    std::uint32_t operation(opcode op, std::initializer_list<std::uint32_t> args, std::size_t offset) {
        return operation(op, std::vector<std::uint32_t>(args), offset);
    }
    std::uint32_t operation(opcode op, const std::vector<std::uint32_t>& args, std::size_t offset) {
        if (op == opcode::identity) return args[0];
        bool all_constant = !is_random(op);
        for (auto a : args) all_constant = all_constant && is_constant(a);
        if (all_constant) {
            double v;
            if (op == opcode::min || op == opcode::max) {
                std::vector<double> values;
                for (auto a : args) values.push_back(nodes[a].value);
                v = python_min_max(op == opcode::max, values.data(), int(values.size()));
            } else if (args.size() == 1) {
                v = unary(op, nodes[args[0]].value);
            } else {
                v = binary(op, nodes[args[0]].value, nodes[args[1]].value);
            }
            return constant(v, offset);
        }
        node n;
        n.op = op;
        n.arg = static_cast<std::uint8_t>(args.size());
        n.offset = static_cast<std::uint32_t>(character_offset(text_, offset));
        n.first = static_cast<std::uint32_t>(children.size());
        n.count = static_cast<std::uint32_t>(args.size());
        children.insert(children.end(), args.begin(), args.end());
        return add(n);
    }

    std::uint32_t parse_expression(int min_bp) {
        if (++depth_ > max_nesting)
            fail("the string function is nested too deeply", current_.offset);
        std::uint32_t lhs = prefix();
        bool after_comparison = false;
        for (;;) {
            const binary_operator* b = binary_at_current();
            if (!b || b->bp < min_bp) break;
            if (b->bp == bp_comparison && after_comparison)
                fail("chained comparisons such as 'a < b < c' are not supported: write "
                     "(a < b) * (b < c)",
                     current_.offset);
            const token op_token = current_;
            advance();
            // ** is right-associative and its right operand may carry a unary sign (2**-1);
            // the others are left-associative.
            const std::uint32_t rhs =
                b->op == opcode::power ? parse_expression(bp_unary) : parse_expression(b->bp + 1);
            lhs = operation(b->op, {lhs, rhs}, op_token.offset);
            after_comparison = b->bp == bp_comparison;
        }
        --depth_;
        return lhs;
    }

    std::uint32_t prefix() {
        const token t = current_;
        switch (t.kind) {
            case token_kind::number:
                advance();
                return constant(t.value, t.offset);
            case token_kind::op:
                if (t.text == "-" || t.text == "+") {
                    advance();
                    const std::uint32_t operand = parse_expression(bp_unary);
                    return t.text == "-" ? operation(opcode::negate, {operand}, t.offset) : operand;
                }
                break;
            case token_kind::open: {
                advance();
                if (current_.kind == token_kind::close)
                    fail("'()' is empty: expected an expression inside the parentheses", t.offset);
                const std::uint32_t inner = parse_expression(0);
                if (current_.kind == token_kind::comma)
                    fail("',' outside a function call is not allowed (Python would make a tuple, "
                         "not a number)",
                         current_.offset);
                expect_close(t);
                return inner;
            }
            case token_kind::name: return name();
            default: break;
        }
        fail("expected a number, a name or '(' but found " + describe(t), t.offset);
    }

    // A Python keyword where an operator was expected ('1 if a else 2', 'a and b').
    void refuse_keyword(const token& t) const {
        if (t.kind == token_kind::name && contains(python_keywords, t.text))
            fail(quoted(t.text) + " is not allowed: " + std::string(supported_list), t.offset);
    }

    void expect_close(const token& open) {
        refuse_keyword(current_);
        if (current_.kind != token_kind::close) fail_unclosed("')'", open);
        advance();
    }

    // "expected <what> to close the '(' at character N but found <the current token>".
    [[noreturn]] void fail_unclosed(const char* what, const token& open) const {
        fail("expected " + std::string(what) + " to close the '(' at character " +
                 std::to_string(character_offset(text_, open.offset) + 1) + " but found " +
                 describe(current_),
             current_.offset);
    }

    static bool contains(std::span<const std::string_view> list, std::string_view name) {
        for (auto s : list)
            if (s == name) return true;
        return false;
    }

    std::uint32_t name() {
        const token t = current_;
        const std::string_view name = t.text;
        refuse_keyword(t);
        advance();
        const bool called = current_.kind == token_kind::open;
        const function_info* fn = nullptr;
        for (const auto& f : functions)
            if (f.name == name) fn = &f;
        if (!(fn && is_random(fn->op))) {
            refuse_rewritten(name, t.offset);
            if (auto g = globals_.find(name); g != globals_.end()) return global(*g, called, t.offset);
            for (const auto& v : cell_variables)
                if (v.name == name) return variable(v, called, t.offset);
        }
        if (fn) {
            if (!called)
                fail(quoted(name) + " is a function: call it with its arguments, e.g. " +
                         std::string(name) + "(" + std::string(fn->parameters) + ")",
                     t.offset);
            return call(*fn, t);
        }
        if (name == "pi") return constant(3.141592653589793, t.offset);  // numpy.pi
        if (name == "inf") return constant(std::numeric_limits<double>::infinity(), t.offset);
        refuse_name(name, called, t.offset);
    }

    // NetPyNE rewrites random method names wherever they occur in the text: in any other name
    // they break it.
    void refuse_rewritten(std::string_view name, std::size_t offset) const {
        for (std::string_view method : random_method_names) {
            if (name.find(method) == std::string_view::npos) continue;
            fail("NetPyNE rewrites '" + std::string(method) + "' to 'rand." + std::string(method) +
                     "' even inside the name " + quoted(name) +
                     ", so that name cannot be used in a string function",
                 offset);
        }
    }

    // A numeric netParams attribute: its value, a constant of this string but not of the model.
    std::uint32_t global(const expression_globals::value_type& g, bool called, std::size_t offset) {
        const std::string_view name = g.first;
        if (called)
            fail(quoted(name) + " is a number in netParams, not a function (NetPyNE " +
                     "passes the netParams value under that name)",
                 offset);
        check_norm_shadowing(name, offset);
        out_.constant = false;
        return constant(g.second, offset);
    }

    std::uint32_t variable(const variable_info& v, bool called, std::size_t offset) {
        if (called) fail(quoted(v.name) + " is a number, not a function", offset);
        check_norm_shadowing(v.name, offset);
        node n;
        n.op = opcode::variable;
        n.arg = static_cast<std::uint8_t>(v.id);
        n.offset = static_cast<std::uint32_t>(character_offset(text_, offset));
        out_.constant = false;
        out_.pre = out_.pre || v.pre;
        out_.post = out_.post || v.post;
        return add(n);
    }

    // A name that is nothing here, with what it is in NetPyNE or what was perhaps meant.
    [[noreturn]] void refuse_name(std::string_view name, bool called, std::size_t offset) const {
        if (name == "rand")
            fail("'rand' cannot be used directly: call the random functions by name, e.g. "
                 "uniform(0, 1) or normal(mean, variance)",
                 offset);
        if (name == "dist_3D_border")
            fail("'dist_3D_border' is not supported (it needs NetPyNE's border correction)", offset);
        for (const auto& u : unavailable_names)
            if (u.name == name)
                fail(quoted(name) + " is not available in NetPyNE 1.1.0's string functions" +
                         std::string(u.hint),
                     offset);
        std::string message = (called ? "unknown function " : "unknown name ") + quoted(name);
        if (const std::string hint = suggestion(name, called); !hint.empty())
            message += " (did you mean " + quoted(hint) + "?)";
        else if (called)
            message += ": " + std::string(supported_list);
        else
            message += ": it is neither a cell variable (pre_x, post_ynorm, dist_3D, ...) nor a "
                       "numeric netParams setting";
        fail(message, offset);
    }

    // NetPyNE passes a name to its lambda only if name + "norm" is not also in the text; the
    // name is then undefined and Python fails with NameError (e.g. 'pre_x' next to 'pre_xnorm').
    void check_norm_shadowing(std::string_view name, std::size_t offset) {
        if (rewritten_.empty()) rewritten_ = netpyne_rewrite(text_);
        const std::string with_norm = std::string(name) + "norm";
        if (rewritten_.find(with_norm) != std::string::npos)
            fail("NetPyNE 1.1.0 cannot evaluate " + quoted(name) + " in a string that also contains " +
                     quoted(with_norm) + " (it leaves " + quoted(name) +
                     " undefined and fails with NameError)",
                 offset);
    }

    std::string suggestion(std::string_view name, bool called) const {
        std::string best;
        std::size_t best_distance = std::max<std::size_t>(1, name.size() / 3) + 1;
        auto consider = [&](std::string_view candidate) {
            const std::size_t d = edit_distance(name, candidate);
            if (d < best_distance) {
                best_distance = d;
                best = std::string(candidate);
            }
        };
        if (called) {
            for (const auto& f : functions) consider(f.name);
        } else {
            for (const auto& v : cell_variables) consider(v.name);
            for (const auto& [g, value] : globals_) consider(g);
            consider("pi");
            consider("inf");
        }
        return best;
    }

    std::uint32_t call(const function_info& fn, const token& name_token) {
        const token open = current_;
        advance();
        std::vector<std::uint32_t> args;
        while (current_.kind != token_kind::close) {
            args.push_back(parse_expression(0));
            if (current_.kind == token_kind::comma) {
                advance();
                continue;
            }
            if (current_.kind == token_kind::end) expect_close(open);
            refuse_keyword(current_);
            if (current_.kind != token_kind::close) fail_unclosed("',' or ')'", open);
        }
        advance();
        const int given = static_cast<int>(args.size());
        if (given < fn.min_args || given > fn.max_args) {
            std::string expected;
            if (fn.min_args == fn.max_args)
                expected = std::to_string(fn.min_args) + (fn.min_args == 1 ? " argument" : " arguments");
            else if (given < fn.min_args)
                expected = "at least " + std::to_string(fn.min_args) + " arguments";
            else
                expected = "at most " + std::to_string(fn.max_args) + " arguments";
            fail(std::string(fn.name) + "() takes " + expected + " (" + std::string(fn.parameters) +
                     ") but " + std::to_string(given) + (given == 1 ? " was" : " were") + " given",
                 name_token.offset);
        }
        if (is_random(fn.op)) {
            out_.random = true;
            out_.constant = false;
        }
        return operation(fn.op, args, name_token.offset);
    }

    std::string_view text_;
    lexer lex_;
    const expression_globals& globals_;
    compiled& out_;
    token current_;
    int depth_ = 0;
    std::string rewritten_;
};

// Post-order flattening; returns the stack depth reached.
std::size_t emit(const parser& p, std::uint32_t index, std::vector<instruction>& code,
                 std::size_t depth) {
    const node& n = p.nodes[index];
    std::size_t deepest = depth + 1;
    for (std::uint32_t i = 0; i < n.count; ++i)
        deepest = std::max(deepest, emit(p, p.children[n.first + i], code, depth + i));
    code.push_back({n.op, n.arg, n.offset, n.value});
    return deepest;
}

// Python's repr() of a float, near enough for showing a constant.
std::string python_repr(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[64];
    const double magnitude = std::fabs(value);
    const bool fixed = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e16);
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value,
                                   fixed ? std::chars_format::fixed : std::chars_format::scientific);
    std::string s(buffer, end);
    if (fixed && s.find('.') == std::string::npos) s += ".0";
    return s;
}

[[noreturn]] void fail_at_run(const std::string& message, std::uint32_t offset) {
    throw expression_error(message, offset);
}

// hoc's chkarg(): NEURON stops with "Arg out of range in user function".
void check_range(double value, double low, double high, const char* what, std::uint32_t offset) {
    if (value > high || value < low)
        fail_at_run(std::string(what) + " is out of range (NEURON: 'Arg out of range in user "
                                        "function')",
                    offset);
}

// The random functions that NEURON refuses or never returns from for some arguments.
[[gnu::always_inline]] inline double poisson_draw(random_stream& rng, double mean, std::uint32_t offset) {
    if (std::exp(-1.0 * mean) == 0.0)
        fail_at_run("poisson(mean) with a mean above 745 never returns in NEURON (exp(-mean) is 0)", offset);
    return rng.poisson(mean);
}

[[gnu::always_inline]] inline double geometric_draw(random_stream& rng, double mean, std::uint32_t offset) {
    check_range(mean, 0, 1, "geometric(mean): mean", offset);
    // Draws until one is at least `mean`; no draw reaches 1 (asDouble < 1).
    constexpr double largest_draw = (4294967295.0 + 1.0) / 4294967297.0;
    if (mean > largest_draw)
        fail_at_run("geometric(1) never returns in NEURON (it draws until a number is at least the mean)",
                    offset);
    return rng.geometric(mean);
}

[[gnu::always_inline]] inline double binomial_draw(random_stream& rng, double n, double p, std::uint32_t offset) {
    check_range(n, 0, 1e99, "binomial(n, p): n", offset);
    check_range(p, 0, 1, "binomial(n, p): p", offset);
    return rng.binomial(n, p);
}

// NEURON's Uniform puts the smaller bound first (gnu/Uniform.h), so uniform(1.2, 0.8) draws in
// [0.8, 1.2).
[[gnu::always_inline]] inline double uniform_draw(random_stream& rng, double a, double b) {
    return a < b ? rng.uniform(a, b) : rng.uniform(b, a);
}

// One instruction on the stack whose top value is stack[top - 1]; returns the new top. Inlined
// into evaluate's loop: one switch per instruction, as if written there.
[[gnu::always_inline]] inline std::size_t execute(const instruction& in, double* stack, std::size_t top,
                                                  const cell_position& pre, const cell_position& post,
                                                  random_stream* rng) {
    switch (in.op) {
        case opcode::constant: stack[top++] = in.value; break;
        case opcode::variable: stack[top++] = cell_value(static_cast<cell_variable>(in.arg), pre, post); break;
        case opcode::negate: case opcode::exp: case opcode::log: case opcode::log10:
        case opcode::sqrt: case opcode::sin: case opcode::cos: case opcode::tan:
        case opcode::ceil: case opcode::abs: case opcode::round: case opcode::truncate:
        case opcode::identity: stack[top - 1] = unary(in.op, stack[top - 1]); break;
        case opcode::add: case opcode::subtract: case opcode::multiply: case opcode::divide:
        case opcode::floor_divide: case opcode::modulo: case opcode::power: case opcode::less:
        case opcode::less_equal: case opcode::greater: case opcode::greater_equal:
        case opcode::equal: case opcode::not_equal: case opcode::arctan2:
            --top;
            stack[top - 1] = binary(in.op, stack[top - 1], stack[top]);
            break;
        case opcode::min:
        case opcode::max:
            top -= in.arg;
            stack[top] = python_min_max(in.op == opcode::max, stack + top, in.arg);
            ++top;
            break;
        case opcode::negexp: stack[top - 1] = rng->negexp(stack[top - 1]); break;
        case opcode::poisson: stack[top - 1] = poisson_draw(*rng, stack[top - 1], in.offset); break;
        case opcode::geometric: stack[top - 1] = geometric_draw(*rng, stack[top - 1], in.offset); break;
        case opcode::uniform: --top, stack[top - 1] = uniform_draw(*rng, stack[top - 1], stack[top]); break;
        case opcode::normal: --top, stack[top - 1] = rng->normal(stack[top - 1], stack[top]); break;
        case opcode::lognormal: --top, stack[top - 1] = rng->lognormal(stack[top - 1], stack[top]); break;
        case opcode::discunif: --top, stack[top - 1] = rng->discunif(stack[top - 1], stack[top]); break;
        case opcode::binomial:
            --top, stack[top - 1] = binomial_draw(*rng, stack[top - 1], stack[top], in.offset);
            break;
        case opcode::hypergeo: --top, stack[top - 1] = rng->hypergeo(stack[top - 1], stack[top]); break;
        case opcode::erlang: --top, stack[top - 1] = rng->erlang(stack[top - 1], stack[top]); break;
        case opcode::weibull: --top, stack[top - 1] = rng->weibull(stack[top - 1], stack[top]); break;
    }
    return top;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct expression::program : compiled {};

expression::expression(std::unique_ptr<program> p) : program_(std::move(p)) {}
expression::expression(const expression& other)
    : program_(std::make_unique<program>(*other.program_)) {}
expression& expression::operator=(const expression& other) {
    if (this != &other) program_ = std::make_unique<program>(*other.program_);
    return *this;
}
expression::expression(expression&&) noexcept = default;
expression& expression::operator=(expression&&) noexcept = default;
expression::~expression() = default;

expression expression::compile(std::string_view text, const expression_globals& globals) {
    auto p = std::make_unique<program>();
    p->text = std::string(text);
    parser parse(text, globals, *p);
    const std::uint32_t root = parse.parse();
    if (emit(parse, root, p->code, 0) > max_stack)
        throw expression_error("the string function is too long or nested too deeply", 0);
    return expression(std::move(p));
}

expression expression::constant(double value) {
    auto p = std::make_unique<program>();
    p->text = python_repr(value);
    p->code.push_back({opcode::constant, 0, 0, value});
    return expression(std::move(p));
}

bool expression::is_constant() const noexcept { return program_->constant; }
bool expression::uses_random() const noexcept { return program_->random; }
bool expression::uses_pre() const noexcept { return program_->pre; }
bool expression::uses_post() const noexcept { return program_->post; }
const std::string& expression::text() const noexcept { return program_->text; }

double expression::evaluate(const expression_scope& scope) const {
    const program& p = *program_;
    const instruction* in = p.code.data();
    const instruction* const end = in + p.code.size();
    if (end - in == 1 && in->op == opcode::constant) return in->value;

    assert((!p.pre || scope.pre) && "string function names a presynaptic cell but has none");
    assert((!p.post || scope.post) && "string function names a postsynaptic cell but has none");
    assert((!p.random || scope.rng) && "string function draws random numbers but has no stream");
    const cell_position& pre = scope.pre ? *scope.pre : missing_cell;
    const cell_position& post = scope.post ? *scope.post : missing_cell;
    random_stream* const rng = scope.rng;

    double stack[max_stack];
    std::size_t top = 0;  // stack[top - 1] is the top value
    for (; in != end; ++in) top = execute(*in, stack, top, pre, post, rng);
    return stack[0];
}

}  // namespace m1
