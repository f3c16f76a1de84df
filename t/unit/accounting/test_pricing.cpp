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
    // cache_write alone is no price: input and output (or request...) are still needed.
    r = price_of({{"cache_write", "3.75"}});
    assert_false(r.ok);
    assert_string_equal(r.error.c_str(),
                        "needs input and output, or request, or image, or video_second");
    r = price_of({{"input", "3"}});
    assert_false(r.ok);
    assert_string_equal(r.error.c_str(),
                        "needs input and output, or request, or image, or video_second");
    r = price_of({{"input", "3"}, {"output", "15"}, {"cache_read", "0.3"}});
    assert_false(r.ok);
    assert_string_equal(r.error.c_str(), "unknown field \"cache_read\"");
}

void parses_media_price_fields(void**) {
    // dall-e-3: every image field, each in its own slot; the token prices stay unset.
    aigw::price_parse_result r = price_of({{"image", "0.04"},
                                           {"image_hd", "0.08"},
                                           {"image_large", "0.08"},
                                           {"image_hd_large", "0.12"}});
    assert_true(r.ok);
    assert_int_equal(r.price.image, 40000);
    assert_int_equal(r.price.image_hd, 80000);
    assert_int_equal(r.price.image_large, 80000);
    assert_int_equal(r.price.image_hd_large, 120000);
    assert_int_equal(r.price.video_second, -1);
    assert_int_equal(r.price.video_second_large, -1);
    assert_int_equal(r.price.input, 0);
    assert_int_equal(r.price.output, 0);
    assert_int_equal(r.price.request, 0);
    // image alone is a price; the others stay unset.
    r = price_of({{"image", "0.02"}});
    assert_true(r.ok);
    assert_int_equal(r.price.image, 20000);
    assert_int_equal(r.price.image_hd, -1);
    assert_int_equal(r.price.image_large, -1);
    assert_int_equal(r.price.image_hd_large, -1);
    // A free image is a price.
    r = price_of({{"image", "0"}});
    assert_true(r.ok);
    assert_int_equal(r.price.image, 0);
    // Each refinement with its base.
    r = price_of({{"image", "0.04"}, {"image_hd", "0.08"}});
    assert_true(r.ok);
    assert_int_equal(r.price.image_hd, 80000);
    r = price_of({{"image_large", "0.08"}, {"image", "0.04"}});
    assert_true(r.ok);
    assert_int_equal(r.price.image_large, 80000);
    r = price_of({{"image", "0.04"}, {"image_hd_large", "0.12"}});
    assert_true(r.ok);
    assert_int_equal(r.price.image_hd_large, 120000);
    // sora-2, sora-2-pro.
    r = price_of({{"video_second", "0.10"}});
    assert_true(r.ok);
    assert_int_equal(r.price.video_second, 100000);
    assert_int_equal(r.price.video_second_large, -1);
    assert_int_equal(r.price.image, -1);
    r = price_of({{"video_second", "0.30"}, {"video_second_large", "0.50"}});
    assert_true(r.ok);
    assert_int_equal(r.price.video_second, 300000);
    assert_int_equal(r.price.video_second_large, 500000);
    // gpt-image-1: tokens and images together.
    r = price_of({{"input", "5"},
                  {"output", "40"},
                  {"cached_input", "1.25"},
                  {"image", "0.042"},
                  {"image_hd", "0.167"}});
    assert_true(r.ok);
    assert_int_equal(r.price.input, 5000000);
    assert_int_equal(r.price.output, 40000000);
    assert_int_equal(r.price.cached_input, 1250000);
    assert_int_equal(r.price.image, 42000);
    assert_int_equal(r.price.image_hd, 167000);
    // A refinement without its base leaves sizes or qualities unpriced: refused, naming it,
    // with token prices too.
    for (const char* field : {"image_hd", "image_large", "image_hd_large"}) {
        r = price_of({{field, "0.08"}});
        assert_false(r.ok);
        assert_string_equal(
            r.error.c_str(),
            (std::string(field) +
             " needs image too, the price of the sizes and qualities it does not cover")
                .c_str());
        r = price_of({{"input", "5"}, {"output", "40"}, {field, "0.08"}});
        assert_false(r.ok);
        r = price_of({{"video_second", "0.1"}, {field, "0.08"}});
        assert_false(r.ok);
    }
    r = price_of({{"video_second_large", "0.50"}});
    assert_false(r.ok);
    assert_string_equal(
        r.error.c_str(),
        "video_second_large needs video_second too, the price of the sizes it does not cover");
    r = price_of({{"image", "0.04"}, {"video_second_large", "0.50"}});
    assert_false(r.ok);
    // A bad value names the field and the value.
    for (const char* field : {"image", "image_hd", "image_large", "image_hd_large",
                              "video_second", "video_second_large"}) {
        for (const char* bad : {"-1", "0.0400001", "abc", "", "4e-2", "0,04"}) {
            r = price_of({{"image", "0.04"}, {"video_second", "0.1"}, {field, bad}});
            assert_false(r.ok);
            assert_string_equal(r.error.c_str(),
                                ("invalid " + std::string(field) + " \"" + std::string(bad) +
                                 "\": a price in USD with at most 6 decimals, such as 2.50")
                                    .c_str());
        }
    }
    // Names are exact: near misses are unknown fields.
    for (const char* unknown : {"image_xl", "images", "Image", "image_large_hd", "video",
                                "video_seconds", "second"}) {
        r = price_of({{"image", "0.04"}, {unknown, "0.08"}});
        assert_false(r.ok);
        assert_string_equal(r.error.c_str(),
                            ("unknown field \"" + std::string(unknown) + "\"").c_str());
    }
}

// Distinct prices, so each answer says which field it came from.
constexpr micro_usd img = 10, img_hd = 20, img_large = 30, img_hd_large = 40;

aigw::model_price images(bool hd, bool large, bool hd_large) {
    aigw::model_price p;
    p.image = img;
    p.image_hd = hd ? img_hd : -1;
    p.image_large = large ? img_large : -1;
    p.image_hd_large = hd_large ? img_hd_large : -1;
    return p;
}

void image_price_by_size_and_quality(void**) {
    aigw::model_price p = images(true, true, true);
    for (const char* q : {"hd", "high"}) {
        assert_int_equal(aigw::image_price(p, "1024x1024", q), img_hd);
        assert_int_equal(aigw::image_price(p, "512x512", q), img_hd);
        for (const char* size : {"1024x1792", "1792x1024", "1536x1024", "1024x1536", "1025x1",
                                 "1x1025", "2048x2048"}) {
            assert_int_equal(aigw::image_price(p, size, q), img_hd_large);
        }
    }
    for (const char* q : {"standard", "low", "medium"}) {
        for (const char* size :
             {"1024x1024", "256x256", "512x512", "1x1", "1024x1", "0001024x1024"}) {
            assert_int_equal(aigw::image_price(p, size, q), img);
        }
        for (const char* size : {"1024x1792", "1792x1024", "1536x1024", "1024x1536", "1025x1024"}) {
            assert_int_equal(aigw::image_price(p, size, q), img_large);
        }
    }
}

void image_price_falls_back(void**) {
    // Every set of refinements: which field prices each known kind of image. hd and large:
    // image_hd_large, else image_hd, else image_large, else image.
    struct row {
        bool hd, large, hd_large;
        micro_usd standard_small, hd_small, standard_large, hd_big;
    };
    const row rows[] = {
        {false, false, false, img, img, img, img},
        {true, false, false, img, img_hd, img, img_hd},
        {false, true, false, img, img, img_large, img_large},
        {false, false, true, img, img, img, img_hd_large},
        {true, true, false, img, img_hd, img_large, img_hd},  // image_hd before image_large
        {true, false, true, img, img_hd, img, img_hd_large},
        {false, true, true, img, img, img_large, img_hd_large},
        {true, true, true, img, img_hd, img_large, img_hd_large},
    };
    for (const row& w : rows) {
        aigw::model_price p = images(w.hd, w.large, w.hd_large);
        assert_int_equal(aigw::image_price(p, "1024x1024", "standard"), w.standard_small);
        assert_int_equal(aigw::image_price(p, "1024x1024", "hd"), w.hd_small);
        assert_int_equal(aigw::image_price(p, "1792x1024", "standard"), w.standard_large);
        assert_int_equal(aigw::image_price(p, "1792x1024", "hd"), w.hd_big);
    }
}

void image_price_when_unknown_is_the_dearest(void**) {
    const char* unknown_sizes[] = {"", "auto", "big", "1024", "1024x", "x1024", "1024x1024x",
                                   "0x1024", "1024x0", "1024X1024", " 1024x1024", "1024x1024 ",
                                   "-1x5", "1024*1024", "10000000000x1", "1x10000000000",
                                   "1024xx1024"};
    const char* unknown_qualities[] = {"", "auto", "HD", "High", "ultra", "standard "};
    aigw::model_price p = images(true, true, true);
    for (const char* size : unknown_sizes) {
        assert_int_equal(aigw::image_price(p, size, "standard"), img_large);
        assert_int_equal(aigw::image_price(p, size, "hd"), img_hd_large);
        for (const char* q : unknown_qualities) {
            assert_int_equal(aigw::image_price(p, size, q), img_hd_large);
        }
    }
    for (const char* q : unknown_qualities) {
        assert_int_equal(aigw::image_price(p, "1024x1024", q), img_hd);
        assert_int_equal(aigw::image_price(p, "1024x1792", q), img_hd_large);
    }
    // The dearest is not always the hd and large one: without image_hd_large, a large
    // standard image (image_large) costs more than a large hd one (image_hd).
    aigw::model_price q = images(true, true, false);
    assert_int_equal(aigw::image_price(q, "auto", "auto"), img_large);
    assert_int_equal(aigw::image_price(q, "1024x1536", "auto"), img_large);
    assert_int_equal(aigw::image_price(q, "auto", "high"), img_hd);
    assert_int_equal(aigw::image_price(q, "auto", "low"), img_large);
    assert_int_equal(aigw::image_price(q, "1024x1024", ""), img_hd);
    // Only image: the same whatever is unknown.
    aigw::model_price one = images(false, false, false);
    assert_int_equal(aigw::image_price(one, "", ""), img);
    // A dearer base than its refinements (a price is what it says): unknown takes the base.
    aigw::model_price odd = images(true, true, true);
    odd.image = 100;
    assert_int_equal(aigw::image_price(odd, "", ""), 100);
    assert_int_equal(aigw::image_price(odd, "1024x1024", ""), 100);
    assert_int_equal(aigw::image_price(odd, "1024x1792", "hd"), img_hd_large);
}

void no_image_price(void**) {
    aigw::model_price tokens_only{2500000, 10000000, -1, 0};
    assert_false(aigw::has_image_price(tokens_only));
    assert_false(aigw::has_video_price(tokens_only));
    assert_int_equal(aigw::image_price(tokens_only, "1024x1024", "standard"), -1);
    assert_int_equal(aigw::images_cost(tokens_only, 2, "1024x1024", "standard"), -1);
    assert_int_equal(aigw::video_second_price(tokens_only, "720x1280"), -1);
    assert_int_equal(aigw::video_cost(tokens_only, 4, "720x1280"), -1);
    // A refinement alone (not from parse_price_fields, which refuses it) is no price.
    aigw::model_price refinement = images(true, true, true);
    refinement.image = -1;
    assert_false(aigw::has_image_price(refinement));
    for (const char* q : {"hd", "standard", ""}) {
        assert_int_equal(aigw::image_price(refinement, "1024x1792", q), -1);
        assert_int_equal(aigw::images_cost(refinement, 1, "1024x1792", q), -1);
    }
    aigw::model_price video_refinement;
    video_refinement.video_second_large = 500000;
    assert_false(aigw::has_video_price(video_refinement));
    assert_int_equal(aigw::video_second_price(video_refinement, "1792x1024"), -1);
    assert_int_equal(aigw::video_cost(video_refinement, 4, ""), -1);
    // Prices written as braces before the media fields existed have none.
    aigw::model_price old = with_cache_write({3000000, 15000000, 300000, 1000}, 3750000);
    assert_int_equal(old.image, -1);
    assert_int_equal(old.image_hd, -1);
    assert_int_equal(old.image_large, -1);
    assert_int_equal(old.image_hd_large, -1);
    assert_int_equal(old.video_second, -1);
    assert_int_equal(old.video_second_large, -1);
    assert_true(aigw::has_image_price(images(false, false, false)));
}

void images_cost_counts_and_caps(void**) {
    // dall-e-3.
    aigw::model_price p = price_of({{"image", "0.04"},
                                    {"image_hd", "0.08"},
                                    {"image_large", "0.08"},
                                    {"image_hd_large", "0.12"}})
                              .price;
    assert_int_equal(aigw::images_cost(p, 1, "1024x1024", "standard"), 40000);
    assert_int_equal(aigw::images_cost(p, 3, "1024x1024", "standard"), 120000);
    assert_int_equal(aigw::images_cost(p, 2, "1024x1792", "hd"), 240000);
    assert_int_equal(aigw::images_cost(p, 2, "1792x1024", "standard"), 160000);
    assert_int_equal(aigw::images_cost(p, 4, "1024x1024", "hd"), 320000);
    assert_int_equal(aigw::images_cost(p, 10, "auto", "auto"), 1200000);
    // n < 1 counts as one image.
    for (int64_t n : {int64_t{0}, int64_t{-1}, INT64_MIN}) {
        assert_int_equal(aigw::images_cost(p, n, "1024x1024", "standard"), 40000);
    }
    // Capped, never wrapped.
    assert_int_equal(aigw::images_cost(p, INT64_MAX, "1024x1024", "standard"),
                     aigw::max_micro_usd);
    aigw::model_price dear;
    dear.image = aigw::max_micro_usd;
    assert_int_equal(aigw::images_cost(dear, 1, "", ""), aigw::max_micro_usd);
    assert_int_equal(aigw::images_cost(dear, 2, "", ""), aigw::max_micro_usd);
    assert_int_equal(aigw::images_cost(dear, INT64_MAX, "", ""), aigw::max_micro_usd);
    // Just below the cap, and at it.
    aigw::model_price cent;
    cent.image = 10000;
    assert_int_equal(aigw::images_cost(cent, aigw::max_micro_usd / 10000 - 1, "", ""),
                     aigw::max_micro_usd - 10000);
    assert_int_equal(aigw::images_cost(cent, aigw::max_micro_usd / 10000, "", ""),
                     aigw::max_micro_usd);
    assert_int_equal(aigw::images_cost(cent, aigw::max_micro_usd / 10000 + 1, "", ""),
                     aigw::max_micro_usd);
    // A free image costs nothing, however many.
    aigw::model_price free_images;
    free_images.image = 0;
    assert_true(aigw::has_image_price(free_images));
    assert_int_equal(aigw::images_cost(free_images, INT64_MAX, "", ""), 0);
}

void video_by_size(void**) {
    // sora-2: one price for every size.
    aigw::model_price sora = price_of({{"video_second", "0.10"}}).price;
    assert_true(aigw::has_video_price(sora));
    assert_false(aigw::has_image_price(sora));
    for (const char* size :
         {"720x1280", "1280x720", "1024x1792", "1792x1024", "", "auto", "junk"}) {
        assert_int_equal(aigw::video_second_price(sora, size), 100000);
    }
    // sora-2-pro: large is a side over 1280 px.
    aigw::model_price pro =
        price_of({{"video_second", "0.30"}, {"video_second_large", "0.50"}}).price;
    for (const char* size : {"720x1280", "1280x720", "1280x1280", "480x480", "1024x1024"}) {
        assert_int_equal(aigw::video_second_price(pro, size), 300000);
    }
    for (const char* size : {"1024x1792", "1792x1024", "1281x720", "720x1281"}) {
        assert_int_equal(aigw::video_second_price(pro, size), 500000);
    }
    // Unknown: the dearest.
    for (const char* size : {"", "auto", "1792", "1792X1024", "x", "0x0", "1280x720p"}) {
        assert_int_equal(aigw::video_second_price(pro, size), 500000);
    }
    // A cheaper large price is what it says, and the dearest when the size is unknown is the
    // base.
    aigw::model_price odd = pro;
    odd.video_second_large = 200000;
    assert_int_equal(aigw::video_second_price(odd, "1792x1024"), 200000);
    assert_int_equal(aigw::video_second_price(odd, ""), 300000);
}

void video_cost_counts_and_caps(void**) {
    aigw::model_price pro =
        price_of({{"video_second", "0.30"}, {"video_second_large", "0.50"}}).price;
    assert_int_equal(aigw::video_cost(pro, 4, "720x1280"), 1200000);
    assert_int_equal(aigw::video_cost(pro, 8, "1792x1024"), 4000000);
    assert_int_equal(aigw::video_cost(pro, 12, ""), 6000000);
    // seconds < 1 count as one second.
    for (int64_t s : {int64_t{0}, int64_t{-4}, INT64_MIN}) {
        assert_int_equal(aigw::video_cost(pro, s, "720x1280"), 300000);
        assert_int_equal(aigw::video_cost(pro, s, "1024x1792"), 500000);
    }
    // Capped, never wrapped.
    assert_int_equal(aigw::video_cost(pro, INT64_MAX, "1024x1792"), aigw::max_micro_usd);
    aigw::model_price dear;
    dear.video_second = aigw::max_micro_usd;
    assert_int_equal(aigw::video_cost(dear, 1, ""), aigw::max_micro_usd);
    assert_int_equal(aigw::video_cost(dear, 2, ""), aigw::max_micro_usd);
    assert_int_equal(aigw::video_cost(dear, INT64_MAX, "720x1280"), aigw::max_micro_usd);
}

void token_costs_ignore_media_prices(void**) {
    // gpt-image-1: the token prices bill what the upstream reports; the image prices are
    // another way to bill, never added to the tokens'.
    aigw::model_price p = price_of({{"input", "5"},
                                    {"output", "40"},
                                    {"image", "0.042"},
                                    {"image_hd", "0.167"},
                                    {"video_second", "0.1"}})
                              .price;
    aigw::model_price tokens_only{5000000, 40000000, -1, 0};
    assert_int_equal(aigw::request_cost(p, tokens(1000, 4000)),
                     aigw::request_cost(tokens_only, tokens(1000, 4000)));
    assert_int_equal(aigw::request_cost(p, tokens(1000, 4000)), 5000 + 160000);
    assert_int_equal(aigw::reserve_cost(p, 1000, 4000),
                     aigw::reserve_cost(tokens_only, 1000, 4000));
    // An image-only price has no token part.
    aigw::model_price dalle = price_of({{"image", "0.04"}}).price;
    assert_int_equal(aigw::request_cost(dalle, tokens(1000, 4000)), 0);
    assert_int_equal(aigw::reserve_cost(dalle, 1000, 4000), 0);
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
        cmocka_unit_test(parses_media_price_fields),
        cmocka_unit_test(image_price_by_size_and_quality),
        cmocka_unit_test(image_price_falls_back),
        cmocka_unit_test(image_price_when_unknown_is_the_dearest),
        cmocka_unit_test(no_image_price),
        cmocka_unit_test(images_cost_counts_and_caps),
        cmocka_unit_test(video_by_size),
        cmocka_unit_test(video_cost_counts_and_caps),
        cmocka_unit_test(token_costs_ignore_media_prices),
        cmocka_unit_test(price_table_lookup),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
