// The validating walk's string check: every escape simdjson's unescaping refuses is refused,
// every one it takes is taken, wherever in a string (or a key) it falls, without the text
// written out; and a key read without unescaping is the text unescaping gives.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "core/text/json_walk.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

namespace {

namespace od = simdjson::ondemand;
using aigw::json_walk::check_escapes;

// What simdjson says of the string whose JSON bytes between the quotes are `raw`: unescaped
// by get_string, and walked by json_walk::consume (in an object, as a request's member is).
struct verdicts {
    bool parsed;       // the document is one object of one string member
    bool unescapes;    // get_string took it
    bool walk_passes;  // consume took it
};

// Whether json_walk::consume takes the value of the document's member `name`, parsed afresh.
bool walk_passes(const simdjson::padded_string& padded, const char* name) {
    od::parser parser;
    od::document doc;
    od::value value;
    if (parser.iterate(padded).get(doc) || doc[name].get(value)) return false;
    return aigw::json_walk::consume(value, 1) == simdjson::SUCCESS;
}

verdicts judge(std::string_view raw) {
    std::string json = "{\"k\":\"" + std::string(raw) + "\"}";
    simdjson::padded_string padded(json);
    verdicts v{false, false, false};
    {
        od::parser parser;
        od::document doc;
        std::string_view s;
        if (parser.iterate(padded).get(doc)) return v;
        od::value value;
        od::json_type t;
        if (doc["k"].get(value) || value.type().get(t) || t != od::json_type::string) return v;
        v.parsed = true;
        v.unescapes = value.get_string().get(s) == simdjson::SUCCESS;
    }
    v.walk_passes = walk_passes(padded, "k");
    return v;
}

// The same bytes as a key, {"o":{"<raw>":1}}: unescaped by unescaped_key, read by key_of (the
// same text when valid), and walked by consume.
struct key_verdicts {
    bool parsed;
    bool unescapes;
    bool key_of_passes;
    bool same_text;  // key_of's text is unescaped_key's
    bool walk_passes;
};

// Calls f(field) with the first field of the document's "o" object, parsed afresh.
template <class F>
void first_field_of_o(const simdjson::padded_string& padded, F&& f) {
    od::parser parser;
    od::document doc;
    od::object o;
    if (parser.iterate(padded).get(doc) || doc["o"].get_object().get(o)) return;
    for (auto field : o) {
        f(field);
        break;
    }
}

key_verdicts judge_key(std::string_view raw) {
    std::string json = "{\"o\":{\"" + std::string(raw) + "\":1}}";
    simdjson::padded_string padded(json);
    key_verdicts v{false, false, false, false, false};
    std::string unescaped;
    first_field_of_o(padded, [&](auto& field) {
        std::string_view k;
        v.parsed = field.error() == simdjson::SUCCESS;
        v.unescapes = v.parsed && field.unescaped_key().get(k) == simdjson::SUCCESS;
        if (v.unescapes) unescaped = std::string(k);
    });
    first_field_of_o(padded, [&](auto& field) {
        std::string_view k;
        v.key_of_passes = aigw::json_walk::key_of(field, k) == simdjson::SUCCESS;
        v.same_text = v.key_of_passes && k == unescaped;
    });
    v.walk_passes = walk_passes(padded, "o");
    return v;
}

void expect_key(std::string_view raw, bool valid) {
    key_verdicts v = judge_key(raw);
    if (!v.parsed || v.unescapes != valid || v.key_of_passes != valid || v.walk_passes != valid ||
        (valid && !v.same_text)) {
        print_error("raw key [%.*s]: parsed %d, unescaped_key %d, key_of %d (same text %d), "
                    "walk %d, want %d\n",
                    static_cast<int>(raw.size()), raw.data(), v.parsed, v.unescapes,
                    v.key_of_passes, v.same_text, v.walk_passes, valid);
        fail();
    }
}

void expect(std::string_view raw, bool valid) {
    expect_key(raw, valid);
    verdicts v = judge(raw);
    if (!v.parsed || v.unescapes != valid || v.walk_passes != valid ||
        (check_escapes(raw) == simdjson::SUCCESS) != valid) {
        print_error("raw string [%.*s]: parsed %d, get_string %d, walk %d, check %d, want %d\n",
                    static_cast<int>(raw.size()), raw.data(), v.parsed, v.unescapes, v.walk_passes,
                    check_escapes(raw) == simdjson::SUCCESS, valid);
        fail();
    }
}

// Each escape, alone and at every offset across the 64- and 16-byte steps of the scan.
void each_escape_where_it_falls(void**) {
    struct {
        const char* raw;
        bool valid;
    } cases[] = {
        {"", true},
        {"plain text", true},
        {R"(\")", true}, {R"(\\)", true}, {R"(\/)", true}, {R"(\b)", true}, {R"(\f)", true},
        {R"(\n)", true}, {R"(\r)", true}, {R"(\t)", true},
        {R"(\u0041)", true}, {R"(\u00e9)", true}, {R"(\u00E9)", true}, {R"(\u0000)", true},
        {R"(\uffff)", true}, {R"(\ud83d\ude00)", true}, {R"(\uD83D\uDE00)", true},
        {R"(\udbff\udfff)", true}, {R"(\\u12)", true}, {R"(\\\\)", true}, {R"(\\\")", true},
        {R"(\x)", false}, {R"(\a)", false}, {R"(\U0041)", false}, {R"(\')", false},
        {R"(\ )", false}, {R"(\u)", false}, {R"(\u12)", false}, {R"(\u12g4)", false},
        {R"(\u00G9)", false}, {R"(\u 041)", false},
        {R"(\udc00)", false},           // a low surrogate alone
        {R"(\ud800)", false},           // a high one alone
        {R"(\ud800x)", false},
        {R"(\ud800\u0041)", false},     // not followed by a low one
        {R"(\ud800\ud800)", false},
        {R"(\ud800\\udc00)", false},    // the low one escaped away
        {R"(\ud800\udc0)", false},
        {R"(\\\x)", false},
    };
    for (const auto& c : cases) {
        for (std::size_t before = 0; before <= 70; ++before) {
            for (std::size_t after : {0, 1, 15, 64}) {
                std::string raw = std::string(before, 'a') + c.raw + std::string(after, 'z');  // not hex
                expect(raw, c.valid);
            }
        }
    }
}

// Many escapes in one string, the way code is sent (one or more a line), and one bad escape
// placed anywhere in it.
void dense_escapes(void**) {
    std::string code;
    for (int i = 0; i < 40; ++i) code += R"(\tif (c->s == \"x\\\\y\") return 1;\n)";
    expect(code, true);
    for (std::size_t at = 0; at <= code.size(); at += 7) {
        std::string bad = code;
        // At a backslash's own place the escape is broken; elsewhere a new bad one is put in,
        // unless it would land inside an escape.
        bad.insert(at, R"(\q)");
        verdicts v = judge(bad);
        if (!v.parsed) continue;
        expect(bad, v.unescapes);
    }
}

// Random strings of escapes, good and bad: the check says what simdjson says.
void random_strings_agree_with_simdjson(void**) {
    std::mt19937 rng(20261206);
    const char* pieces[] = {"a", "b", " ", "é", "\\n", "\\\"", "\\\\", "\\/", "\\u", "\\x", "0",
                            "d8", "dc", "D8", "DC", "00", "ff", "g", "\\ud83d", "\\ude00",
                            "\\ud800", "\\udc00", "\\u0041"};
    constexpr std::size_t n = sizeof pieces / sizeof pieces[0];
    int judged = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string raw;
        std::size_t len = rng() % 48;
        for (std::size_t i = 0; i < len; ++i) raw += pieces[rng() % n];
        verdicts v = judge(raw);
        if (!v.parsed) continue;  // an odd run of backslashes before the closing quote
        ++judged;
        expect(raw, v.unescapes);
    }
    assert_true(judged > 15000);
}

// A key without escapes is the document's own bytes, not a copy.
void plain_key_is_not_copied(void**) {
    simdjson::padded_string padded(std::string(R"({"role":1,"r\u006fle":2})"));
    od::parser parser;
    od::document doc;
    od::object o;
    assert_int_equal(parser.iterate(padded).get(doc), simdjson::SUCCESS);
    assert_int_equal(doc.get_object().get(o), simdjson::SUCCESS);
    int n = 0;
    for (auto field : o) {
        std::string_view k;
        assert_int_equal(aigw::json_walk::key_of(field, k), simdjson::SUCCESS);
        assert_true(k == "role");
        bool inside = k.data() >= padded.data() && k.data() < padded.data() + padded.size();
        assert_int_equal(inside, n == 0);  // the escaped one is unescaped into the parser
        ++n;
    }
    assert_int_equal(n, 2);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_escape_where_it_falls),
        cmocka_unit_test(dense_escapes),
        cmocka_unit_test(random_strings_agree_with_simdjson),
        cmocka_unit_test(plain_key_is_not_copied),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
