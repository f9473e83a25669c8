// NetPyNE string functions: Python's precedence and arithmetic, the cell variables of
// netpyne/network/conn.py, random functions drawing as hoc's Random does, and clear refusals.
#include "core/format/expression.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>

// Counts heap allocations so a test can check that evaluating allocates nothing.
namespace {
std::atomic<long> allocations{0};
}
void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // these are the matching pair
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using m1::cell_position;
using m1::expression;
using m1::expression_error;
using m1::expression_globals;
using m1::expression_scope;
using m1::random_stream;

const expression_globals m1_globals = {
    {"defaultDelay", 2.0}, {"propVelocity", 500.0}, {"probLambda", 100.0}, {"ItoIweight", 0.5}};

double eval(const std::string& text, const expression_scope& scope = {}) {
    return expression::compile(text, m1_globals).evaluate(scope);
}

struct python_case {
    const char* text;
    double value;
};

// Expected values came from CPython 3.11 evaluating the same strings (math's exp, log, ...,
// which call the same C library as numpy's scalar functions do on this platform; atan2 for
// numpy's arctan2, % for numpy's remainder).
const python_case python_cases[] = {
    {"2+3*4", 14.0},
    {"(2+3)*4", 20.0},
    {"2**3**2", 512.0},
    {"-2**2", -4.0},
    {"2**-1", 0.5},
    {"-2**-2", -0.25},
    {"2**-2*3", 0.75},
    {"2**-2**2", 0.0625},
    {"-3 ** 2 * 2", -18.0},
    {"2 * 3 ** 2", 18.0},
    {"7//2", 3.0},
    {"-7//2", -4.0},
    {"7%3", 1.0},
    {"-7%3", 2.0},
    {"7%-3", -2.0},
    {"-7.5%2", 0.5},
    {"7.5//-2", -4.0},
    {"-0.0%5", 0.0},
    {"1/3", 0.3333333333333333},
    {"10-4-3", 3.0},
    {"100/10/5", 2.0},
    {"2*3%4", 2.0},
    {"7 % 2.5 * 3", 6.0},
    {"2+3<6", 1.0},
    {"2+3<5", 0.0},
    {"1<=1", 1.0},
    {"3>=4", 0.0},
    {"2==2.0", 1.0},
    {"2!=2", 0.0},
    {"1 + (2 > 1)", 2.0},
    {"-(3)", -3.0},
    {"+-+3", -3.0},
    {"2*-3", -6.0},
    {"2--3", 5.0},
    {".5+5.", 5.5},
    {"1e-3*2E+4", 20.0},
    {"1_000.5", 1000.5},
    {"0.1+0.2", 0.30000000000000004},
    {"10 - 2 - 3 * 4 ** 2 / 8 // 3 % 5", 6.0},
    {"abs(-3.5)", 3.5},
    {"max(1,5,3)", 5.0},
    {"min(4,-2)", -2.0},
    {"pow(2,10)", 1024.0},
    {"pow(2,-0.5)", 0.7071067811865476},
    {"round(2.5)", 2.0},
    {"round(3.5)", 4.0},
    {"round(-2.5)", -2.0},
    {"round(2.675)", 3.0},
    {"int(-3.7)", -3.0},
    {"float(3)", 3.0},
    {"sqrt(2)", 1.4142135623730951},
    {"exp(1)", 2.718281828459045},
    {"exp(-0.37)", 0.6907343306373547},
    {"log(10)", 2.302585092994046},
    {"log10(1000)", 3.0},
    {"log10(2)", 0.3010299956639812},
    {"sin(1)", 0.8414709848078965},
    {"cos(1)", 0.5403023058681398},
    {"tan(1)", 1.5574077246549023},
    {"ceil(-1.5)", -1.0},
    {"remainder(-7, 3)", 2.0},
    {"arctan2(1, -1)", 2.356194490192345},
    {"pi*2", 6.283185307179586},
    {"1e-400", 0.0},
    {"3**40", 1.2157665459056929e+19},
    {"0.7**0.3", 0.8985234417906397},
    {" ( 1 +\n 2 ) \n", 3.0},
    {"exp(1,)", 2.718281828459045},
};

TEST(expression, precedence_and_arithmetic_match_python) {
    for (const auto& c : python_cases) {
        const expression e = expression::compile(c.text, {});
        EXPECT_EQ(e.evaluate({}), c.value) << c.text;
        EXPECT_TRUE(e.is_constant()) << c.text;
        EXPECT_FALSE(e.uses_random() || e.uses_pre() || e.uses_post()) << c.text;
    }
}

TEST(expression, ieee_results_where_python_raises) {
    // Python raises ZeroDivisionError / OverflowError or makes a complex number; numpy (and we)
    // give the IEEE value.
    EXPECT_EQ(eval("1e400"), std::numeric_limits<double>::infinity());
    EXPECT_EQ(eval("1/0"), std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(eval("0/0")));
    EXPECT_TRUE(std::isnan(eval("5 % 0")));
    EXPECT_TRUE(std::isnan(eval("log(-1)")));
    EXPECT_EQ(eval("log(0)"), -std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(eval("(-8) ** (1/3)")));
    EXPECT_TRUE(std::isnan(eval("max(0/0, 1)")));  // builtin max keeps the first unless beaten
    EXPECT_EQ(eval("max(1, 0/0)"), 1.0);
}

const cell_position pre{120.5, 333.25, 42.0, 0.3, 0.4, 0.55};
const cell_position post{80.0, 910.75, 99.5, 0.1, 0.7, 0.2};

TEST(expression, cell_variables_follow_netpyne_conn_py) {
    const expression_scope scope{&pre, &post, nullptr};
    // Values from CPython 3.11 with conn.py's formulas (numpy.sqrt of a negative is nan).
    EXPECT_EQ(eval("pre_x", scope), 120.5);
    EXPECT_EQ(eval("pre_ynorm", scope), 0.4);
    EXPECT_EQ(eval("post_z", scope), 99.5);
    EXPECT_EQ(eval("post_xnorm", scope), 0.1);
    EXPECT_EQ(eval("dist_x", scope), 40.5);
    EXPECT_EQ(eval("dist_y", scope), 577.5);
    EXPECT_EQ(eval("dist_z", scope), 57.5);
    EXPECT_EQ(eval("dist_3D", scope), 581.7669206821578);
    EXPECT_EQ(eval("dist_2D", scope), 70.33135858207206);
    EXPECT_EQ(eval("dist_xnorm", scope), 0.19999999999999998);
    EXPECT_EQ(eval("dist_ynorm", scope), 0.29999999999999993);
    EXPECT_EQ(eval("dist_znorm", scope), 0.35000000000000003);
    EXPECT_TRUE(std::isnan(eval("dist_norm3D", scope)));  // sqrt(0.4 - 0.7): NetPyNE's bug
    EXPECT_EQ(eval("dist_norm2D", scope), 0.7947376789293192);
    const expression_scope swapped{&post, &pre, nullptr};
    EXPECT_TRUE(std::isnan(eval("dist_norm2D", swapped)));
    const cell_position above{120.5, 333.25, 42.0, 0.3, 0.9, 0.6};
    const expression_scope both_positive{&above, &post, nullptr};
    EXPECT_EQ(eval("dist_norm3D", both_positive), 1.0581441903321276);
    EXPECT_EQ(eval("dist_norm2D", both_positive), 0.8200338602970465);
}

TEST(expression, distances_square_with_pow_as_python_does) {
    // Here pow(d, 2) and d * d differ in the last bit; CPython 3.11 gives 856.4757022390621
    // (with multiplication it would be 856.475702239062).
    const cell_position a{53.42588, 215.788479, 232.278895, 0, 0, 0};
    const cell_position b{605.547272, 817.423785, 490.634378, 0, 0, 0};
    EXPECT_EQ(eval("dist_3D", {&a, &b, nullptr}), 856.4757022390621);
}

TEST(expression, distances_agree_with_pow_on_many_pairs) {
    // The fast square must give exactly what C pow(d, 2) gives, as Python's ** does.
    volatile double two = 2.0;  // keeps the compiler from rewriting pow(d, 2.0) as d * d
    const auto reference = [&](const cell_position& a, const cell_position& b) {
        return std::sqrt(std::pow(a.x - b.x, two) + std::pow(a.y - b.y, two) +
                         std::pow(a.z - b.z, two));
    };
    const expression dist = expression::compile("dist_3D", {});
    const expression power = expression::compile("dist_x**2", {});
    random_stream r(1, 2, 3);
    for (int i = 0; i < 1'000'000; ++i) {
        const cell_position a{r.uniform(0, 1000), r.uniform(0, 2000), r.uniform(0, 1000), 0, 0, 0};
        const cell_position b{r.uniform(0, 1000), r.uniform(0, 2000), r.uniform(0, 1000), 0, 0, 0};
        const expression_scope scope{&a, &b, nullptr};
        ASSERT_EQ(dist.evaluate(scope), reference(a, b)) << "pair " << i;
        ASSERT_EQ(power.evaluate(scope), std::pow(std::fabs(a.x - b.x), two)) << "pair " << i;
    }
}

TEST(expression, m1_model_strings) {
    const expression_scope scope{&pre, &post, nullptr};
    // CPython 3.11 on the same numbers.
    EXPECT_EQ(eval("defaultDelay+dist_3D/propVelocity", scope), 3.1635338413643153);
    EXPECT_EQ(eval("1.0 * exp(-dist_3D/probLambda)", scope), 0.0029745300857762324);
    EXPECT_EQ(eval("ItoIweight", scope), 0.5);
    EXPECT_EQ(eval("0.1*post_ynorm + 0.5", scope), 0.57);
    EXPECT_EQ(eval("dist_2D**2 - dist_x**2", scope), 3306.250000000001);
    EXPECT_EQ(eval("(dist_3D < 600) * 0.2", scope), 0.2);

    const expression delay = expression::compile("defaultDelay+dist_3D/propVelocity", m1_globals);
    EXPECT_TRUE(delay.uses_pre());
    EXPECT_TRUE(delay.uses_post());
    EXPECT_FALSE(delay.uses_random());
    EXPECT_FALSE(delay.is_constant());
    EXPECT_EQ(delay.text(), "defaultDelay+dist_3D/propVelocity");
}

TEST(expression, flags) {
    const auto compile = [](const char* text) { return expression::compile(text, m1_globals); };
    EXPECT_TRUE(compile("pre_x").uses_pre());
    EXPECT_FALSE(compile("pre_x").uses_post());
    EXPECT_TRUE(compile("post_ynorm").uses_post());
    EXPECT_FALSE(compile("post_ynorm").uses_pre());
    EXPECT_TRUE(compile("dist_norm2D").uses_pre());
    EXPECT_TRUE(compile("dist_norm2D").uses_post());
    EXPECT_TRUE(compile("2+normal(5,3)").uses_random());
    EXPECT_FALSE(compile("2+normal(5,3)").is_constant());
    EXPECT_FALSE(compile("2+normal(5,3)").uses_pre());
    EXPECT_TRUE(compile("1+2*3").is_constant());
    EXPECT_FALSE(compile("ItoIweight").is_constant());  // names a netParams setting
    EXPECT_TRUE(expression::constant(3).is_constant());
    EXPECT_EQ(expression::constant(3).text(), "3.0");
    EXPECT_EQ(expression::constant(0.025).text(), "0.025");
    EXPECT_EQ(expression::constant(3).evaluate({}), 3.0);
}

TEST(expression, globals_are_numbers_from_netparams) {
    const expression_globals globals = {{"scale", 2.0}, {"weightE", 0.25}, {"dist_3D", 7.0}};
    EXPECT_EQ(expression::compile("weightE * scale", globals).evaluate({}), 0.5);
    // NetPyNE puts netParams attributes over its cell variables, so a setting named like one wins.
    EXPECT_EQ(expression::compile("dist_3D", globals).evaluate({}), 7.0);
    EXPECT_FALSE(expression::compile("dist_3D", globals).uses_pre());
    try {
        expression::compile("weightEx", globals);
        FAIL();
    } catch (const expression_error& e) {
        EXPECT_STREQ(e.what(), "unknown name 'weightEx' (did you mean 'weightE'?)");
    }
}

TEST(expression, copies_and_moves_keep_the_program) {
    expression a = expression::compile("defaultDelay+dist_3D/propVelocity", m1_globals);
    const expression b = a;
    expression c = std::move(a);
    expression d = expression::constant(1);
    d = b;
    const expression_scope scope{&pre, &post, nullptr};
    EXPECT_EQ(b.evaluate(scope), 3.1635338413643153);
    EXPECT_EQ(c.evaluate(scope), 3.1635338413643153);
    EXPECT_EQ(d.evaluate(scope), 3.1635338413643153);
    EXPECT_EQ(d.text(), b.text());
}

// --- random functions: each call is one sample, drawn exactly as the random_stream method.

random_stream stim_stream() { return random_stream(m1::hash_str("stim_NetStim"), 12345, 1); }

TEST(expression_random, normal_draws_as_the_stream_does) {
    const expression e = expression::compile("2+normal(5,3)", {});
    random_stream mine = stim_stream(), reference = stim_stream();
    for (int i = 0; i < 50; ++i) {
        const double value = e.evaluate({nullptr, nullptr, &mine});
        EXPECT_EQ(value, 2 + reference.normal(5, 3)) << "sample " << i;
        EXPECT_EQ(mine.position(), reference.position());
    }
}

TEST(expression_random, uniform_and_negexp) {
    random_stream mine = stim_stream(), reference = stim_stream();
    const expression u = expression::compile("0.5*uniform(0.8,1.2)", {});
    const expression n = expression::compile("negexp(2)*3", {});
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(u.evaluate({nullptr, nullptr, &mine}), 0.5 * reference.uniform(0.8, 1.2));
        EXPECT_EQ(n.evaluate({nullptr, nullptr, &mine}), reference.negexp(2) * 3);
    }
    // NEURON's Uniform puts the smaller bound first.
    EXPECT_EQ(expression::compile("uniform(1.2, 0.8)", {}).evaluate({nullptr, nullptr, &mine}),
              reference.uniform(0.8, 1.2));
}

TEST(expression_random, calls_draw_left_to_right_and_are_never_folded) {
    random_stream mine = stim_stream(), reference = stim_stream();
    const double first = reference.normal(0, 1);
    const double second = reference.normal(0, 1);
    EXPECT_EQ(expression::compile("normal(0,1) - normal(0,1)", {}).evaluate({nullptr, nullptr, &mine}),
              first - second);
    // A draw multiplied by zero still consumes its number, as in Python.
    const std::uint64_t before = mine.position();
    EXPECT_EQ(expression::compile("uniform(1, 2) * 0", {}).evaluate({nullptr, nullptr, &mine}), 0.0);
    EXPECT_EQ(mine.position(), before + 1);
}

TEST(expression_random, other_hoc_distributions) {
    struct random_case {
        const char* text;
        double (*direct)(random_stream&);
    };
    const random_case cases[] = {
        {"lognormal(2, 0.5)", [](random_stream& r) { return r.lognormal(2, 0.5); }},
        {"discunif(3, 9)", [](random_stream& r) { return r.discunif(3, 9); }},
        {"poisson(4.5)", [](random_stream& r) { return r.poisson(4.5); }},
        {"binomial(20, 0.3)", [](random_stream& r) { return r.binomial(20, 0.3); }},
        {"geometric(0.6)", [](random_stream& r) { return r.geometric(0.6); }},
        {"hypergeo(2, 9)", [](random_stream& r) { return r.hypergeo(2, 9); }},
        {"erlang(3, 2)", [](random_stream& r) { return r.erlang(3, 2); }},
        {"weibull(1.5, 2)", [](random_stream& r) { return r.weibull(1.5, 2); }},
    };
    for (const auto& c : cases) {
        const expression e = expression::compile(c.text, {});
        EXPECT_TRUE(e.uses_random()) << c.text;
        random_stream mine = stim_stream(), reference = stim_stream();
        for (int i = 0; i < 20; ++i) {
            const double value = e.evaluate({nullptr, nullptr, &mine});
            EXPECT_EQ(value, c.direct(reference)) << c.text << " sample " << i;
            EXPECT_EQ(mine.position(), reference.position()) << c.text;
        }
    }
}

TEST(expression_random, hoc_distributions_have_their_shapes) {
    random_stream r = stim_stream();
    double sum_poisson = 0, sum_binomial = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        const double d = r.discunif(9, 3);  // bounds in either order
        EXPECT_TRUE(d >= 3 && d <= 9 && d == std::floor(d));
        const double g = r.geometric(0.5);
        EXPECT_TRUE(g >= 1 && g == std::floor(g));
        sum_poisson += r.poisson(4.5);
        sum_binomial += r.binomial(20, 0.3);
    }
    EXPECT_NEAR(sum_poisson / n, 4.5, 0.1);
    EXPECT_NEAR(sum_binomial / n, 6.0, 0.1);
}

TEST(expression_random, neuron_argument_checks_raise_while_evaluating) {
    random_stream r = stim_stream();
    const expression_scope scope{nullptr, nullptr, &r};
    const auto offset_of_failure = [&](const char* text) -> long {
        try {
            expression::compile(text, {}).evaluate(scope);
        } catch (const expression_error& e) {
            return long(e.offset());
        }
        return -1;
    };
    EXPECT_EQ(offset_of_failure("1 + binomial(-1, 0.5)"), 4);
    EXPECT_EQ(offset_of_failure("binomial(10, 1.5)"), 0);
    EXPECT_EQ(offset_of_failure("geometric(1)"), 0);  // would never return in NEURON
    EXPECT_EQ(offset_of_failure("2*poisson(1000)"), 2);  // would never return in NEURON
}

// --- refusals: each with a message and the character where the problem is.

struct error_case {
    const char* text;
    std::size_t offset;
    const char* message_part;
};

const error_case error_cases[] = {
    {"dist3D", 0, "unknown name 'dist3D' (did you mean 'dist_3D'?)"},
    {"1 + probLamda", 4, "unknown name 'probLamda' (did you mean 'probLambda'?)"},
    {"exp(1", 5, "expected ')'"},
    {"(1+2", 4, "expected ')'"},
    {"exp(1 2)", 6, "expected ',' or ')'"},
    {"import os", 0, "'import' is not allowed: only arithmetic"},
    {"lambda x: x", 0, "'lambda' is not allowed"},
    {"1 if pre_x else 2", 2, "'if' is not allowed"},
    {"pre_x and post_x", 6, "'and' is not allowed"},
    {"not 1", 0, "'not' is not allowed"},
    {"True", 0, "'True' is not allowed"},
    {"normal(5)", 0, "normal() takes 2 arguments (mean, variance) but 1 was given"},
    {"2+normal(5,3,1)", 2, "normal() takes 2 arguments"},
    {"exp()", 0, "exp() takes 1 argument (x) but 0 were given"},
    {"min(1)", 0, "min() takes at least 2 arguments"},
    {"rand.uniform(0,1)", 4, "attribute access"},
    {"np.exp(1)", 2, "attribute access"},
    {"pre_x[0]", 5, "indexing"},
    {"'abc'", 0, "quoted text is not allowed"},
    {"weibul(1,2)", 0, "unknown function 'weibul' (did you mean 'weibull'?)"},
    {"len(3)", 0, "unknown function 'len': only arithmetic"},
    {"floor(2.5)", 0, "'floor' is not available in NetPyNE 1.1.0's string functions"},
    {"2*e", 2, "'e' is not available in NetPyNE 1.1.0's string functions (use exp(1))"},
    {"1 < 2 < 3", 6, "chained comparisons"},
    {"", 0, "empty"},
    {"   ", 3, "empty"},
    {"1 2", 2, "expected an operator or the end of the string but found the number '2'"},
    {"1)", 1, "unmatched ')'"},
    {"1 +", 3, "expected a number, a name or '(' but found the end of the string"},
    {"2 * * 3", 4, "expected a number, a name or '(' but found '*'"},
    {"pre_x = 1", 6, "'=' (assignment or keyword argument) is not allowed"},
    {"normal(mean=1, variance=2)", 11, "'='"},
    {"normalWeight * 2", 0, "NetPyNE rewrites 'normal' to 'rand.normal' even inside the name"},
    {"pre_x + pre_xnorm", 0, "NetPyNE 1.1.0 cannot evaluate 'pre_x'"},
    {"exp", 0, "'exp' is a function: call it with its arguments, e.g. exp(x)"},
    {"uniform * 2", 0, "'uniform' is a function"},
    {"dist_3D(1)", 0, "'dist_3D' is a number, not a function"},
    {"ItoIweight(2)", 0, "'ItoIweight' is a number in netParams"},
    {"1 + 01", 4, "leading zeros"},
    {"0x10", 0, "hexadecimal"},
    {"2j", 0, "complex numbers"},
    {"1e", 0, "invalid number '1e'"},
    {"1__0", 0, "invalid number"},
    {"2x", 0, "invalid number '2x'"},
    {"2 & 3", 2, "bitwise operator '&'"},
    {"2 << 3", 2, "bitwise shift"},
    {"1 +\n 2", 3, "line break"},
    {"(1, 2)", 2, "tuple"},
    {"1, 2", 1, "tuple"},
    {"()", 0, "'()' is empty"},
    {"rand", 0, "'rand' cannot be used directly"},
    {"dist_3D_border", 0, "'dist_3D_border' is not supported"},
    {"x # comment", 2, "comments"},
    {"2 µm", 2, "unexpected character 'µ'"},
    {"[1, 2]", 0, "indexing and lists"},
    {"{1: 2}", 0, "sets and dictionaries"},
    {"1; 2", 1, "';' is not allowed"},
    {"a := 1", 2, "':' is not allowed"},
    {"pre_x += 1", 6, "assignment"},
    {"2 @ 3", 2, "'@'"},
    {"f(*args)", 0, "unknown function 'f'"},
    {"exp(*x)", 4, "expected a number, a name or '('"},
};

TEST(expression_errors, refusals_say_what_and_where) {
    for (const auto& c : error_cases) {
        try {
            expression::compile(c.text, m1_globals);
            ADD_FAILURE() << "'" << c.text << "' compiled";
        } catch (const expression_error& e) {
            EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos)
                << "'" << c.text << "': " << e.what();
            EXPECT_EQ(e.offset(), c.offset) << "'" << c.text << "': " << e.what();
        }
    }
}

TEST(expression_errors, nesting_is_bounded) {
    std::string deep(500, '(');
    deep += "1";
    deep += std::string(500, ')');
    EXPECT_THROW(expression::compile(deep, {}), expression_error);
    std::string long_sum = "dist_x";
    for (int i = 0; i < 80; ++i) long_sum = "dist_x + (" + long_sum + ")";
    EXPECT_THROW(expression::compile(long_sum, {}), expression_error);
    std::string flat_sum = "dist_x";
    for (int i = 0; i < 1000; ++i) flat_sum += " + dist_x";
    const cell_position p{1, 0, 0, 0, 0, 0}, q{0, 0, 0, 0, 0, 0};
    EXPECT_EQ(expression::compile(flat_sum, {}).evaluate({&p, &q, nullptr}), 1001.0);
}

#ifdef NDEBUG
TEST(expression, missing_cell_gives_nan_instead_of_crashing) {
    // The caller promises a pre cell where uses_pre(); debug builds assert, release gives nan.
    const expression e = expression::compile("pre_x + 1", {});
    EXPECT_TRUE(std::isnan(e.evaluate({})));
}
#endif

TEST(expression, evaluating_does_not_allocate) {
    const expression delay = expression::compile("defaultDelay+dist_3D/propVelocity", m1_globals);
    const expression stim = expression::compile("2+normal(5,3)*max(dist_x, 1, post_y)", m1_globals);
    random_stream r = stim_stream();
    const expression_scope scope{&pre, &post, &r};
    double sum = 0;
    const long before = allocations.load();
    for (int i = 0; i < 1'000'000; ++i) sum += delay.evaluate(scope) + stim.evaluate(scope);
    EXPECT_EQ(allocations.load(), before);
    EXPECT_TRUE(std::isfinite(sum));
}

}  // namespace
