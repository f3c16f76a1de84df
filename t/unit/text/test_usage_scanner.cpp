// The incremental usage scanner: the same usage as the whole-body reader whatever the split,
// only the top-level "usage" (not one in a choice or in a string), the last one when repeated,
// nothing from a malformed or cut body, and memory bounded on bodies of any size.
#include <chrono>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <csetjmp>
#include <string>
#include <vector>

#include "aigw/dialects/openai_chat/usage.hpp"
#include "aigw/text/usage_scanner.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::usage;
using aigw::usage_scanner;

namespace {

const aigw::usage_parser& openai() { return aigw::openai_usage_parser(); }

bool same(const usage& a, const usage& b) {
    return a.present == b.present && a.estimated == b.estimated && a.prompt_tokens == b.prompt_tokens &&
           a.completion_tokens == b.completion_tokens && a.total_tokens == b.total_tokens &&
           a.cached_tokens == b.cached_tokens && a.reasoning_tokens == b.reasoning_tokens;
}

usage scan(const std::string& body, std::size_t piece = 0) {
    usage_scanner s;
    if (piece == 0) {
        s.feed(body);
    } else {
        for (std::size_t i = 0; i < body.size(); i += piece) s.feed(std::string_view(body).substr(i, piece));
    }
    return s.finish(openai());
}

void assert_usage(const usage& u, std::int64_t prompt, std::int64_t completion, std::int64_t total) {
    assert_true(u.present);
    assert_int_equal(u.prompt_tokens, prompt);
    assert_int_equal(u.completion_tokens, completion);
    assert_int_equal(u.total_tokens, total);
}

// A chat completion with the traps: "usage" inside a choice, in string values (with escaped quotes and
// backslashes before a closing quote), a key that only starts like usage, logprobs; usage last.
const std::string sample =
    " {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\","
    "\"usage_note\":{\"usage\":{\"prompt_tokens\":666}},"
    "\"choices\":[{\"index\":0,\"usage\":{\"prompt_tokens\":777,\"completion_tokens\":777},"
    "\"message\":{\"role\":\"assistant\",\"content\":\"say \\\"usage\\\": {\\\"prompt_tokens\\\": 5} "
    "and a backslash \\\\\",\"refusal\":null},"
    "\"logprobs\":{\"content\":[{\"token\":\"}\",\"logprob\":-0.5,\"bytes\":[125],\"top_logprobs\":"
    "[{\"token\":\"]\",\"logprob\":-1.25e-3,\"bytes\":[93]},{\"token\":\"\\\\\",\"logprob\":-2,"
    "\"bytes\":[92]}]}]},\"finish_reason\":\"stop\"}],"
    "\"note\":\"\\\"usage\\\":{\\\"prompt_tokens\\\":888}\",\"n\":-1.5E+2,\"ok\":true,\"x\":null,"
    "\"usage\" : {\"prompt_tokens\":12,\"completion_tokens\":20000,\"total_tokens\":20012,"
    "\"prompt_tokens_details\":{\"cached_tokens\":4},\"completion_tokens_details\":"
    "{\"reasoning_tokens\":3}} ,\"system_fingerprint\":\"fp_1\"}\n";

void sample_agrees_with_the_whole_body_reader(void**) {
    usage whole = openai().from_response(sample);
    assert_usage(whole, 12, 20000, 20012);
    assert_int_equal(whole.cached_tokens, 4);
    assert_int_equal(whole.reasoning_tokens, 3);
    assert_true(same(scan(sample), whole));
    assert_true(same(scan(sample, 1), whole));
}

// Every split of the sample in two, and in three around each point.
void every_split_point(void**) {
    usage whole = openai().from_response(sample);
    for (std::size_t i = 0; i <= sample.size(); ++i) {
        usage_scanner s;
        s.feed(std::string_view(sample).substr(0, i));
        s.feed(std::string_view(sample).substr(i));
        if (!same(s.finish(openai()), whole)) {
            print_error("split at %zu\n", i);
            fail();
        }
        for (std::size_t j = i; j <= sample.size() && j < i + 8; ++j) {
            usage_scanner t;
            t.feed(std::string_view(sample).substr(0, i));
            t.feed(std::string_view(sample).substr(i, j - i));
            t.feed(std::string_view(sample).substr(j));
            if (!same(t.finish(openai()), whole)) {
                print_error("split at %zu and %zu\n", i, j);
                fail();
            }
        }
    }
}

// Every proper prefix is a cut body: no usage, as the whole-body reader says.
void a_cut_body_has_no_usage(void**) {
    std::string body = sample.substr(0, sample.find_last_not_of(" \n") + 1);
    for (std::size_t i = 0; i < body.size(); ++i) {
        std::string prefix = body.substr(0, i);
        assert_false(openai().from_response(prefix).present);
        if (scan(prefix).present) {
            print_error("prefix of %zu bytes\n", i);
            fail();
        }
    }
    assert_true(scan(body).present);
}

void usage_first(void**) {
    std::string body = "{\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":20000},\"choices\":[{\"message\":"
                       "{\"content\":\"x\"}}],\"model\":\"m\"}";
    assert_usage(scan(body), 7, 20000, 20007);
    assert_true(same(scan(body, 3), openai().from_response(body)));
}

// Duplicate top-level keys: the last one wins, as in the whole-body reader (and in the
// client's own JSON parser), a null included.
void the_last_usage_wins(void**) {
    const std::vector<std::string> bodies = {
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}",
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},\"x\":1,\"usage\":null}",
        "{\"usage\":null,\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}",
        "{\"usage\":{\"prompt_tokens\":1},\"usage\":\"a string\"}",
        "{\"usage\":{\"prompt_tokens\":1},\"usage\":[1,2]}",
        "{\"usage\":{\"prompt_tokens\":1},\"usage\":12}",
    };
    for (const std::string& b : bodies) {
        usage whole = openai().from_response(b);
        for (std::size_t piece : {0, 1, 2, 5}) {
            if (!same(scan(b, piece), whole)) {
                print_error("%s (pieces of %zu)\n", b.c_str(), piece);
                fail();
            }
        }
    }
    assert_usage(scan(bodies[0]), 3, 4, 7);
    assert_false(scan(bodies[1]).present);
    assert_usage(scan(bodies[2]), 5, 6, 11);
}

// Keys compare unescaped; keys that only look like usage are other members.
void keys(void**) {
    assert_usage(scan("{\"us\\u0061ge\":{\"prompt_tokens\":2,\"completion_tokens\":3}}"), 2, 3, 5);
    assert_usage(scan("{\"\\u0075\\u0073\\u0061\\u0067\\u0065\":{\"prompt_tokens\":2,\"completion_tokens\":3}}"),
                 2, 3, 5);
    assert_usage(scan("{\"\\u0075\\u0073\\u0061\\u0067\\u0065\":{\"prompt_tokens\":2,\"completion_tokens\":3}}", 1),
                 2, 3, 5);
    for (const char* b : {"{\"usage \":{\"prompt_tokens\":2}}", "{\"Usage\":{\"prompt_tokens\":2}}",
                          "{\"usages\":{\"prompt_tokens\":2}}", "{\"\\\"usage\":{\"prompt_tokens\":2}}",
                          "{\"u\\\\sage\":{\"prompt_tokens\":2}}",
                          "{\"a_key_much_longer_than_any_escaped_usage_could_be\":{\"prompt_tokens\":2}}"}) {
        assert_false(openai().from_response(b).present);
        assert_false(scan(b).present);
    }
    // An escape JSON has not: the whole-body reader refuses the body.
    assert_false(scan("{\"us\\qage\":1,\"usage\":{\"prompt_tokens\":2}}").present);
}

// Only the top level counts; structure errors void the usage.
void not_the_top_level_or_not_json(void**) {
    for (const char* b : {
             "{\"choices\":[{\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}}]}",
             "{\"data\":{\"usage\":{\"prompt_tokens\":2}}}",
             "{\"s\":\"\\\",\\\"usage\\\":{\\\"prompt_tokens\\\":2}}\"}",
             "[{\"usage\":{\"prompt_tokens\":2}}]",
             "\"usage\"",
             "",
             "   ",
             "{\"usage\":{\"prompt_tokens\":2}} x",
             "{\"usage\":{\"prompt_tokens\":2}}{}",
             "{\"a\":[}],\"usage\":{\"prompt_tokens\":2}}",
             "{\"a\":{]},\"usage\":{\"prompt_tokens\":2}}",
             "{\"usage\":{\"prompt_tokens\":2},}",
             "{\"usage\"{\"prompt_tokens\":2}}",
             "{\"usage\":{\"prompt_tokens\":2}\"a\":1}",
             "{\"usage\":,\"b\":1}",
             "{,\"usage\":{\"prompt_tokens\":2}}",
             "{\"usage\":{\"prompt_tokens\":2}",
             "{\"usage\":{\"prompt_tokens\":2}}}",
             "{\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}, \"s\":\"unterminated}",
         }) {
        assert_false(openai().from_response(b).present);
        for (std::size_t piece : {0, 1, 3}) {
            if (scan(b, piece).present) {
                print_error("%s (pieces of %zu)\n", b, piece);
                fail();
            }
        }
    }
    // Trailing white space is fine; an empty object has no usage.
    assert_usage(scan("\r\n\t {\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}} \r\n\t"), 2, 3, 5);
    assert_false(scan("{}").present);
    assert_false(scan("{ }").present);
}

// A usage value too large to be one is not kept (nor read); a later usage still counts.
void the_usage_value_is_bounded(void**) {
    std::string big = "{\"usage\":{\"prompt_tokens\":2,\"pad\":\"" + std::string(100, 'x') + "\"}}";
    usage_scanner small(64);
    small.feed(big);
    assert_true(small.found());
    assert_true(small.value().empty());
    assert_false(small.finish(openai()).present);
    usage_scanner small2(64);
    small2.feed(big.substr(0, big.size() - 1) + ",\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}}");
    assert_usage(small2.finish(openai()), 2, 3, 5);
    usage_scanner fits(200);
    fits.feed(big);
    assert_usage(fits.finish(openai()), 2, 0, 2);
}

void nesting_depth(void**) {
    std::string ok = "{\"a\":" + std::string(1000, '[') + std::string(1000, ']') +
                     ",\"usage\":{\"prompt_tokens\":2}}";
    assert_usage(scan(ok), 2, 0, 2);
    std::string deep = "{\"a\":" + std::string(1100, '[') + std::string(1100, ']') +
                       ",\"usage\":{\"prompt_tokens\":2}}";
    assert_false(scan(deep).present);
}

// A body of 100 MB of logprobs, usage at the end, fed in 16 KiB pieces as NGINX would: the
// exact usage, the memory held is the usage value, and the time is linear and small.
std::string big_body(std::size_t at_least, bool usage_first) {
    const std::string u = "\"usage\":{\"prompt_tokens\":1234,\"completion_tokens\":20000,\"total_tokens\":21234}";
    std::string body = "{\"id\":\"chatcmpl-big\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",";
    if (usage_first) body += u + ",";
    body += "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},"
            "\"logprobs\":{\"content\":[";
    const std::string entry =
        "{\"token\":\" the\",\"logprob\":-0.0001,\"bytes\":[32,116,104,101],\"top_logprobs\":["
        "{\"token\":\" the\",\"logprob\":-0.0001,\"bytes\":[32,116,104,101]},"
        "{\"token\":\"\\\"usage\\\"\",\"logprob\":-9.5,\"bytes\":[34,117,115,97,103,101,34]},"
        "{\"token\":\"\\\\\",\"logprob\":-12.25,\"bytes\":[92]}]}";
    body.reserve(at_least + 512);
    bool first = true;
    while (body.size() < at_least) {
        if (!first) body += ',';
        body += entry;
        first = false;
    }
    body += "]},\"finish_reason\":\"stop\"}]";
    if (!usage_first) body += "," + u;
    body += "}";
    return body;
}

void a_hundred_megabytes(void**) {
    for (bool first : {false, true}) {
        std::string body = big_body(100u << 20, first);
        usage_scanner s;
        auto t0 = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < body.size(); i += 16384) {
            s.feed(std::string_view(body).substr(i, 16384));
            assert_true(s.value().size() < 256);
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "# usage_scanner: %zu bytes in %.3f s (%.0f MB/s, sanitizers on), usage %s\n",
                     body.size(), secs, body.size() / secs / 1e6, first ? "first" : "last");
        assert_true(s.complete());
        assert_usage(s.finish(openai()), 1234, 20000, 21234);
    }
    // The 1 MB form agrees with the whole-body reader.
    std::string small = big_body(1u << 20, false);
    assert_true(same(scan(small, 4096), openai().from_response(small)));
    assert_usage(scan(small, 4096), 1234, 20000, 21234);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_agrees_with_the_whole_body_reader),
        cmocka_unit_test(every_split_point),
        cmocka_unit_test(a_cut_body_has_no_usage),
        cmocka_unit_test(usage_first),
        cmocka_unit_test(the_last_usage_wins),
        cmocka_unit_test(keys),
        cmocka_unit_test(not_the_top_level_or_not_json),
        cmocka_unit_test(the_usage_value_is_bounded),
        cmocka_unit_test(nesting_depth),
        cmocka_unit_test(a_hundred_megabytes),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
