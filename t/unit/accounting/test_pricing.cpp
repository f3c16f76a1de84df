// Prices and costs: exact decimal parsing, integer micro-dollars, rounding up once.
#include <string>

#include "aigw/accounting/pricing.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

using aigw::micro_usd;

namespace {

void parses_decimal_dollars(void**) {
    assert_int_equal(*aigw::parse_usd("2.50"), 2500000);
    assert_int_equal(*aigw::parse_usd("2.5"), 2500000);
    assert_int_equal(*aigw::parse_usd("10"), 10000000);
    assert_int_equal(*aigw::parse_usd("0"), 0);
    assert_int_equal(*aigw::parse_usd("0.000001"), 1);
    assert_int_equal(*aigw::parse_usd(".5"), 500000);
    assert_int_equal(*aigw::parse_usd("5."), 5000000);
    assert_int_equal(*aigw::parse_usd("0.075"), 75000);
    assert_int_equal(*aigw::parse_usd("1000000000000"), aigw::max_micro_usd);
}

void refuses_what_it_cannot_hold_exactly(void**) {
    for (const char* bad : {"", ".", "-1", "+1", "1e3", "0.0000001", "1.2.3", "1,5", " 1",
                            "1 ", "abc", "1000000000000.000001", "99999999999999999999999"}) {
        if (aigw::parse_usd(bad).has_value()) {
            print_error("accepted [%s]\n", bad);
        }
        assert_false(aigw::parse_usd(bad).has_value());
    }
}

void formats_shortest_exact(void**) {
    assert_string_equal(aigw::format_usd(2500000).c_str(), "2.5");
    assert_string_equal(aigw::format_usd(1).c_str(), "0.000001");
    assert_string_equal(aigw::format_usd(0).c_str(), "0");
    assert_string_equal(aigw::format_usd(10000000).c_str(), "10");
    assert_string_equal(aigw::format_usd(-1500000).c_str(), "-1.5");
    for (micro_usd m : {micro_usd{0}, micro_usd{1}, micro_usd{999999}, micro_usd{1000001},
                        micro_usd{123456789}, aigw::max_micro_usd}) {
        assert_int_equal(*aigw::parse_usd(aigw::format_usd(m)), m);
    }
}

aigw::usage tokens(int64_t prompt, int64_t completion, int64_t cached = 0) {
    aigw::usage u;
    u.prompt_tokens = prompt;
    u.completion_tokens = completion;
    u.cached_tokens = cached;
    u.present = true;
    return u;
}

void costs_in_micro_dollars(void**) {
    // gpt-4o-like: $2.50 in, $10 out, $1.25 cached, per million.
    aigw::model_price p{2500000, 10000000, 1250000, 0};
    // 1000 prompt + 500 completion: 0.0025 + 0.005 = $0.0075.
    assert_int_equal(aigw::request_cost(p, tokens(1000, 500)), 7500);
    // 400 of the prompt cached: 600 x 2.5 + 400 x 1.25 = 2000 micro; + 5000.
    assert_int_equal(aigw::request_cost(p, tokens(1000, 500, 400)), 7000);
    // No cached price: cached tokens cost the input price.
    aigw::model_price q{2500000, 10000000, -1, 0};
    assert_int_equal(aigw::request_cost(q, tokens(1000, 500, 400)), 7500);
    // A per-request price is added whatever the tokens.
    aigw::model_price r{0, 0, -1, 40000};
    assert_int_equal(aigw::request_cost(r, tokens(0, 0)), 40000);
    assert_int_equal(aigw::request_cost(r, tokens(123, 456)), 40000);
}

void rounds_up_once(void**) {
    aigw::model_price p{150000, 600000, -1, 0};  // $0.15 / $0.60 per million
    // 1 prompt token: 0.15 micro -> 1. 1 + 1 tokens: 0.75 micro -> 1 (one rounding, not two).
    assert_int_equal(aigw::request_cost(p, tokens(1, 0)), 1);
    assert_int_equal(aigw::request_cost(p, tokens(1, 1)), 1);
    // 10 prompt + 10 completion: 1.5 + 6 = 7.5 -> 8.
    assert_int_equal(aigw::request_cost(p, tokens(10, 10)), 8);
    assert_int_equal(aigw::request_cost(p, tokens(0, 0)), 0);
}

void odd_counts(void**) {
    aigw::model_price p{1000000, 1000000, 500000, 0};
    assert_int_equal(aigw::request_cost(p, tokens(-5, -5)), 0);
    // More cached than prompt: the prompt is all cached.
    assert_int_equal(aigw::request_cost(p, tokens(10, 0, 50)), 5);
    // Huge counts cap instead of overflowing.
    aigw::model_price big{aigw::max_micro_usd, aigw::max_micro_usd, -1, aigw::max_micro_usd};
    assert_int_equal(aigw::request_cost(big, tokens(INT64_MAX, INT64_MAX)), aigw::max_micro_usd);
}

void reservation_is_an_upper_bound(void**) {
    aigw::model_price p{2500000, 10000000, 1250000, 1000};
    micro_usd reserved = aigw::reserve_cost(p, 1000, 500);
    assert_int_equal(reserved, 7500 + 1000);
    for (int64_t cached : {0, 100, 1000}) {
        for (int64_t out : {0, 1, 250, 500}) {
            assert_true(aigw::request_cost(p, tokens(1000, out, cached)) <= reserved);
        }
    }
}

void price_table_lookup(void**) {
    aigw::price_table t;
    assert_true(t.empty());
    assert_true(t.add("gpt-4o", {2500000, 10000000, 1250000, 0}).empty());
    assert_true(t.add("gpt-4o*", {1, 2, -1, 0}).empty());
    assert_true(t.add("gpt-*", {3, 4, -1, 0}).empty());
    assert_true(t.add("*", {5, 6, -1, 0}).empty());
    assert_false(t.empty());
    assert_int_equal(t.find("gpt-4o")->input, 2500000);
    assert_int_equal(t.find("gpt-4o-mini")->input, 1);   // the longer prefix
    assert_int_equal(t.find("gpt-3.5-turbo")->input, 3);
    assert_int_equal(t.find("claude")->input, 5);
    assert_false(t.add("gpt-4o", {}).empty());            // duplicate
    assert_false(t.add("gpt-*", {}).empty());
    assert_false(t.add("a*b", {}).empty());
    assert_false(t.add("", {}).empty());
    aigw::price_table none;
    assert_null(none.find("gpt-4o"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_decimal_dollars),
        cmocka_unit_test(refuses_what_it_cannot_hold_exactly),
        cmocka_unit_test(formats_shortest_exact),
        cmocka_unit_test(costs_in_micro_dollars),
        cmocka_unit_test(rounds_up_once),
        cmocka_unit_test(odd_counts),
        cmocka_unit_test(reservation_is_an_upper_bound),
        cmocka_unit_test(price_table_lookup),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
