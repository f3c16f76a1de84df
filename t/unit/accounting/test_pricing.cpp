// Prices and costs: exact decimal parsing, integer micro-dollars, rounding up once.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

aigw::usage tokens(int64_t prompt, int64_t completion, int64_t cached = 0,
                   int64_t cache_write = 0) {
    aigw::usage u;
    u.prompt_tokens = prompt;
    u.completion_tokens = completion;
    u.cached_tokens = cached;
    u.cache_write_tokens = cache_write;
    u.present = true;
    return u;
}

aigw::model_price with_cache_write(aigw::model_price p, micro_usd cache_write) {
    p.cache_write = cache_write;
    return p;
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

void cache_writes_at_their_own_price(void**) {
    // Anthropic-like: $3 in, $15 out, $0.30 cached, $3.75 written to the cache, per million.
    aigw::model_price p = with_cache_write({3000000, 15000000, 300000, 0}, 3750000);
    // 10000 prompt tokens: 4000 cached, 3000 written, 3000 neither; 500 completion:
    // 3000 x 3 + 4000 x 0.30 + 3000 x 3.75 + 500 x 15 = 9000 + 1200 + 11250 + 7500.
    assert_int_equal(aigw::request_cost(p, tokens(10000, 500, 4000, 3000)), 28950);
    // No cache writes: the price without cache_write.
    assert_int_equal(aigw::request_cost(p, tokens(10000, 500, 4000)),
                     6000 * 3 + 4000 * 3 / 10 + 500 * 15);
    // The whole prompt written: all of it at cache_write.
    assert_int_equal(aigw::request_cost(p, tokens(10000, 0, 0, 10000)), 37500);
    // No cache_write price: written tokens cost the input price (cached ones keep theirs).
    aigw::model_price q{3000000, 15000000, 300000, 0};
    assert_int_equal(q.cache_write, -1);
    assert_int_equal(aigw::request_cost(q, tokens(10000, 500, 4000, 3000)),
                     6000 * 3 + 4000 * 3 / 10 + 500 * 15);
    // A cache_write price of 0 is a price: written tokens are free.
    aigw::model_price free_writes = with_cache_write(q, 0);
    assert_int_equal(aigw::request_cost(free_writes, tokens(10000, 0, 0, 3000)), 7000 * 3);
    // The per-request price is added once, with cache writes too.
    aigw::model_price r = with_cache_write({3000000, 15000000, -1, 1000}, 3750000);
    assert_int_equal(aigw::request_cost(r, tokens(1000, 0, 0, 1000)), 3750 + 1000);
    // The token part is rounded up once, over all four prices: 1 written token at $3.75 is
    // 3.75 micro, plus 1 input token at $3 is 6.75: 7, not 4 + 3.
    assert_int_equal(aigw::request_cost(p, tokens(2, 0, 0, 1)), 7);
    assert_int_equal(aigw::request_cost(p, tokens(1, 0, 0, 1)), 4);
}

void cache_counts_beyond_the_prompt(void**) {
    // $1 in, $0.50 cached, $2 written, no output price: costs read as token counts.
    aigw::model_price p = with_cache_write({1000000, 0, 500000, 0}, 2000000);
    auto micro = [&](int64_t prompt, int64_t cached, int64_t written) {
        return aigw::request_cost(p, tokens(prompt * 1000, 0, cached * 1000, written * 1000));
    };
    // Within the prompt: 4 at input, 3 cached, 3 written.
    assert_int_equal(micro(10, 3, 3), 4000 + 1500 + 6000);
    // Cached + written beyond the prompt: cached first (6), written gets what is left (4),
    // nothing at input, and nothing beyond the prompt is billed.
    assert_int_equal(micro(10, 6, 8), 6 * 500 + 4 * 2000);
    // Cached alone beyond the prompt: the prompt is all cached, nothing written.
    assert_int_equal(micro(10, 50, 8), 10 * 500);
    // Written alone beyond the prompt: the prompt is all written.
    assert_int_equal(micro(10, 0, 50), 10 * 2000);
    // Negative counts are 0: a negative cached count leaves the written ones their room.
    assert_int_equal(micro(10, -5, 4), 6 * 1000 + 4 * 2000);
    assert_int_equal(micro(10, 3, -4), 7 * 1000 + 3 * 500);
    assert_int_equal(micro(-10, 3, 4), 0);
    // Huge counts cap instead of overflowing, cache writes included.
    aigw::model_price big = with_cache_write(
        {aigw::max_micro_usd, aigw::max_micro_usd, aigw::max_micro_usd, 0}, aigw::max_micro_usd);
    assert_int_equal(aigw::request_cost(big, tokens(INT64_MAX, INT64_MAX, INT64_MAX / 2, INT64_MAX)),
                     aigw::max_micro_usd);
    assert_int_equal(aigw::request_cost(big, tokens(INT64_MAX, 0, 0, INT64_MAX)), aigw::max_micro_usd);
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
    // Cache writes dearer than input: the prompt is reserved at the cache_write price, since
    // the provider may write all of it.
    aigw::model_price w = with_cache_write({3000000, 15000000, 300000, 1000}, 3750000);
    reserved = aigw::reserve_cost(w, 1000, 500);
    assert_int_equal(reserved, 3750 + 7500 + 1000);
    for (int64_t cached : {0, 100, 1000}) {
        for (int64_t written : {0, 100, 900, 1000}) {
            for (int64_t out : {0, 250, 500}) {
                assert_true(aigw::request_cost(w, tokens(1000, out, cached, written)) <= reserved);
            }
        }
    }
    // Cache writes cheaper than input (or no cache_write price): the input price, as before.
    assert_int_equal(aigw::reserve_cost(with_cache_write(p, 100000), 1000, 500), 7500 + 1000);
    aigw::model_price q{2500000, 10000000, -1, 0};
    assert_int_equal(aigw::reserve_cost(q, 1000, 500), 7500);
}

aigw::price_parse_result price_of(
    std::vector<std::pair<std::string_view, std::string_view>> fields) {
    return aigw::parse_price_fields(fields);
}

void parses_price_fields(void**) {
    aigw::price_parse_result r = price_of(
        {{"input", "3"}, {"output", "15"}, {"cached_input", "0.30"}, {"cache_write", "3.75"}});
    assert_true(r.ok);
    assert_int_equal(r.price.input, 3000000);
    assert_int_equal(r.price.output, 15000000);
    assert_int_equal(r.price.cached_input, 300000);
    assert_int_equal(r.price.cache_write, 3750000);
    assert_int_equal(r.price.request, 0);
    // Not given: -1, the input price.
    r = price_of({{"input", "3"}, {"output", "15"}});
    assert_true(r.ok);
    assert_int_equal(r.price.cached_input, -1);
    assert_int_equal(r.price.cache_write, -1);
    r = price_of({{"input", "3"}, {"output", "15"}, {"cache_write", "0"}});
    assert_true(r.ok);
    assert_int_equal(r.price.cache_write, 0);
    // A bad cache_write names the field and the value.
    for (const char* bad : {"-1", "3.7500001", "abc", ""}) {
        r = price_of({{"input", "3"}, {"output", "15"}, {"cache_write", bad}});
        assert_false(r.ok);
        assert_string_equal(r.error.c_str(),
                            ("invalid cache_write \"" + std::string(bad) +
                             "\": a price in USD with at most 6 decimals, such as 2.50")
                                .c_str());
    }
    // cache_write alone is no price: input and output (or request) are still needed.
    r = price_of({{"cache_write", "3.75"}});
    assert_false(r.ok);
    assert_string_equal(r.error.c_str(), "needs input and output (or request)");
    r = price_of({{"input", "3"}, {"output", "15"}, {"cache_read", "0.3"}});
    assert_false(r.ok);
    assert_string_equal(r.error.c_str(), "unknown field \"cache_read\"");
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
        cmocka_unit_test(cache_writes_at_their_own_price),
        cmocka_unit_test(cache_counts_beyond_the_prompt),
        cmocka_unit_test(rounds_up_once),
        cmocka_unit_test(odd_counts),
        cmocka_unit_test(reservation_is_an_upper_bound),
        cmocka_unit_test(parses_price_fields),
        cmocka_unit_test(price_table_lookup),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
