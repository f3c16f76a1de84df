// parse_request: what the gateway reads from a request body, and what it refuses.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "aigw/dialects/openai_chat/request.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::json_padding;
using aigw::parse_request;
using aigw::request_fields;
using status = aigw::request_parse_status;

namespace {

// Padding fillers chosen to complete or extend whatever the input ends with, so a parser that
// looked past `len` would change its answer: digits, quotes and closers, NULs, invalid UTF-8.
const char* const garbage_fills[] = {"0123456789", "\"}]}]\"", "\0",
                                     "\xff\xfe\x80", " \t\n\r", "e5,\"a\":1}"};
const std::size_t garbage_lens[] = {10, 6, 1, 3, 4, 9};

// A heap buffer of exactly len + json_padding bytes, so ASan reports any read past the padding.
std::unique_ptr<char[]> padded_copy(std::string_view body, std::size_t fill) {
    std::unique_ptr<char[]> buf(new char[body.size() + json_padding]);
    if (!body.empty()) {
        std::memcpy(buf.get(), body.data(), body.size());
    }
    for (std::size_t i = 0; i < json_padding; ++i) {
        buf[body.size() + i] = garbage_fills[fill][i % garbage_lens[fill]];
    }
    return buf;
}

request_fields parse_once(std::string_view body, bool model_required, std::size_t fill) {
    auto buf = padded_copy(body, fill);
    request_fields f = parse_request(buf.get(), body.size(), body.size() + json_padding,
                                     model_required);
    return f;
}

void assert_same_fields(const request_fields& a, const request_fields& b) {
    assert_int_equal(static_cast<int>(a.status), static_cast<int>(b.status));
    assert_true(a.model == b.model);
    assert_int_equal(a.has_model, b.has_model);
    assert_int_equal(a.stream, b.stream);
    assert_int_equal(a.model_token_begin, b.model_token_begin);
    assert_int_equal(a.model_token_end, b.model_token_end);
    assert_true(a.wrong_type == b.wrong_type);
}

// Parses `body` once per padding filler and checks that the padding never changes the answer.
request_fields parse(std::string_view body, bool model_required = true) {
    request_fields first = parse_once(body, model_required, 0);
    for (std::size_t fill = 1; fill < sizeof(garbage_lens) / sizeof(garbage_lens[0]); ++fill) {
        assert_same_fields(first, parse_once(body, model_required, fill));
    }
    return first;
}

void assert_status(const request_fields& f, status expected) {
    if (f.status != expected) {
        print_error("status %d, expected %d (detail: %s)\n", static_cast<int>(f.status),
                    static_cast<int>(expected), f.error_detail.c_str());
    }
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(expected));
}

// The model's token range must cover exactly `token` (quotes included) at its place in `body`.
void assert_model_token(std::string_view body, const request_fields& f, std::string_view token) {
    assert_true(f.model_token_begin < f.model_token_end);
    assert_true(f.model_token_end <= body.size());
    assert_sv_equal(body.substr(f.model_token_begin, f.model_token_end - f.model_token_begin),
                    token);
    assert_true(body.find(token) != std::string_view::npos);
}

void assert_ok_model(std::string_view body, std::string_view model, std::string_view token,
                     bool stream = false) {
    request_fields f = parse(body);
    assert_status(f, status::ok);
    assert_true(f.has_model);
    assert_sv_equal(f.model, model);
    assert_int_equal(f.stream, stream);
    assert_model_token(body, f, token);
    assert_true(f.wrong_type.empty());
}

void assert_invalid(std::string_view body, bool model_required = true) {
    request_fields f = parse(body, model_required);
    if (f.status != status::invalid_json) {
        print_error("accepted as status %d: [%.*s]\n", static_cast<int>(f.status),
                    static_cast<int>(body.size()), body.data());
    }
    assert_status(f, status::invalid_json);
    assert_false(f.error_detail.empty());
    assert_false(f.has_model);
}

std::string nested(std::size_t depth, std::string_view open, std::string_view close,
                   std::string_view inner) {
    std::string s;
    for (std::size_t i = 0; i < depth; ++i) s += open;
    s += inner;
    for (std::size_t i = 0; i < depth; ++i) s += close;
    return s;
}

// ---- valid bodies ----

void model_first(void**) {
    const std::string_view body =
        R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0.7})";
    assert_ok_model(body, "gpt-4o", R"("gpt-4o")");
    request_fields f = parse(body);
    assert_int_equal(f.model_token_begin, 9);
    assert_int_equal(f.model_token_end, 17);
}

void output_limits_for_reserving(void**) {
    request_fields f = parse(R"({"model":"m","max_tokens":100,"n":3})");
    assert_int_equal(f.max_tokens, 100);
    assert_int_equal(f.choices, 3);
    f = parse(R"({"model":"m","max_completion_tokens":50,"max_tokens":20})");
    assert_int_equal(f.max_tokens, 50);  // the largest
    f = parse(R"({"model":"m","max_output_tokens":7})");
    assert_int_equal(f.max_tokens, 7);
    f = parse(R"({"model":"m"})");
    assert_int_equal(f.max_tokens, -1);
    assert_int_equal(f.choices, 1);
    // Other types are the upstream's to refuse; the request still parses.
    f = parse(R"({"model":"m","max_tokens":"100","n":1.5})");
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(aigw::request_parse_status::ok));
    assert_int_equal(f.max_tokens, -1);
    assert_int_equal(f.choices, 1);
}

void model_last(void**) {
    const std::string_view body =
        R"({"messages":[{"role":"user","content":"model"}],"max_tokens":5,"model":"gpt-4o-mini"})";
    assert_ok_model(body, "gpt-4o-mini", R"("gpt-4o-mini")");
    request_fields f = parse(body);
    assert_int_equal(f.model_token_end, body.size() - 1);
}

void model_middle(void**) {
    const std::string_view body =
        R"({"messages":[],"model":"claude-3-5-sonnet","stream":true,"n":1})";
    assert_ok_model(body, "claude-3-5-sonnet", R"("claude-3-5-sonnet")", true);
}

void model_empty_string(void**) {
    const std::string_view body = R"({"model":""})";
    assert_ok_model(body, "", R"("")");
}

void whitespace_everywhere(void**) {
    const std::string_view body =
        " \t\r\n{ \n\t\"model\" \r\n:\t \"gpt-4o\" \n\t\r , \"stream\"\n:\ttrue\r\n,"
        "\"messages\" : [ { \"role\" : \"user\" , \"content\" : \"x\" } ] \n} \t\r\n";
    request_fields f = parse(body);
    assert_status(f, status::ok);
    assert_sv_equal(f.model, "gpt-4o");
    assert_true(f.stream);
    // Quotes included, surrounding white space excluded.
    assert_model_token(body, f, "\"gpt-4o\"");
    assert_int_equal(f.model_token_begin, body.find("\"gpt-4o\""));
    assert_int_equal(body[f.model_token_end - 1], '"');
    assert_int_equal(body[f.model_token_end], ' ');
}

void whitespace_before_closing_brace(void**) {
    const std::string_view body = "{\"model\":\"m\"\r\n\t }";
    request_fields f = parse(body);
    assert_status(f, status::ok);
    assert_model_token(body, f, "\"m\"");
    assert_int_equal(f.model_token_begin, 9);
    assert_int_equal(f.model_token_end, 12);
}

void model_raw_unicode(void**) {
    const std::string_view body = "{\"model\":\"mod\xc3\xa8le-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80\","
                                  "\"stream\":false}";
    assert_ok_model(body, "mod\xc3\xa8le-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80",
                    "\"mod\xc3\xa8le-\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80\"");
}

void model_escapes(void**) {
    // \u escapes (BMP and a surrogate pair) and the short escapes are unescaped in `model`,
    // while the token keeps the bytes as the client sent them.
    const std::string_view body =
        R"({"messages":[],"model":"mod\u00e8le\u65e5\ud83d\ude00\"q\"\\b\/s\t\n"})";
    const std::string_view token = R"("mod\u00e8le\u65e5\ud83d\ude00\"q\"\\b\/s\t\n")";
    assert_ok_model(body, "mod\xc3\xa8le\xe6\x97\xa5\xf0\x9f\x98\x80\"q\"\\b/s\t\n", token);
    request_fields f = parse(body);
    assert_int_equal(f.model_token_begin, body.find(token));
    assert_int_equal(f.model_token_end, body.size() - 1);
}

void model_escaped_nul(void**) {
    // An escaped NUL is valid JSON; the value keeps it (callers must not treat model as a C string).
    const std::string_view body = R"({"model":"a\u0000b"})";
    request_fields f = parse(body);
    assert_status(f, status::ok);
    assert_int_equal(f.model.size(), 3);
    assert_int_equal(f.model[0], 'a');
    assert_int_equal(f.model[1], '\0');
    assert_int_equal(f.model[2], 'b');
    assert_model_token(body, f, R"("a\u0000b")");
}

void escaped_model_key(void**) {
    // The key is compared unescaped, as the upstream's parser would.
    const std::string_view body = R"({"mod\u0065l":"gpt-4o"})";
    assert_ok_model(body, "gpt-4o", R"("gpt-4o")");
}

void assert_duplicate(std::string_view body, std::string_view member) {
    request_fields f = parse(body);
    assert_status(f, status::duplicate_member);
    assert_sv_equal(f.duplicate, member);
}

void duplicate_members_refused(void**) {
    // Parsers differ on which duplicate wins: a gateway that checked one model while the
    // provider served the other would bypass the key's allow-list and the price.
    assert_duplicate(R"({"model":"gpt-4o","model":"gpt-4o-mini","messages":[]})", "model");
    assert_duplicate(R"({"model":"first","messages":[],"model":"second"})", "model");
    assert_duplicate(R"({"model":1,"model":"b"})", "model");
    assert_duplicate(R"({"model":"a","model":null})", "model");
    // Keys compare unescaped, as the provider's parser reads them.
    assert_duplicate(R"({"model":"gpt-4o","mod\u0065l":"gpt-4o-mini"})", "model");
    assert_duplicate(R"({"model":"m","stream":false,"stream":true})", "stream");
    assert_duplicate(R"({"model":"m","stream_options":null,"stream_options":{}})",
                     "stream_options");
    assert_duplicate(R"({"model":"m","max_tokens":1,"max_tokens":100000})", "max_tokens");
    assert_duplicate(R"({"model":"m","max_completion_tokens":1,"max_completion_tokens":9})",
                     "max_completion_tokens");
    assert_duplicate(R"({"model":"m","max_output_tokens":1,"max_output_tokens":9})",
                     "max_output_tokens");
    assert_duplicate(R"({"model":"m","n":1,"n":128})", "n");
    // include_usage is spliced into stream_options: twice there is refused too.
    assert_duplicate(
        R"({"model":"m","stream":true,"stream_options":{"include_usage":false,"include_usage":true}})",
        "stream_options.include_usage");
    assert_duplicate(
        R"({"model":"m","stream_options":{"include_usage":true,"x":1,"include_\u0075sage":true}})",
        "stream_options.include_usage");

    // Members the gateway neither reads nor rewrites are the provider's business; and the
    // same name in a nested object is another member.
    request_fields f = parse(R"({"model":"m","temperature":1,"temperature":0,"messages":[]})");
    assert_status(f, status::ok);
    f = parse(R"({"model":"m","messages":[{"model":"x","n":1},{"model":"y","n":2}],)"
              R"("metadata":{"stream":true},"stream_options":{"include_usage":true,"x":{"include_usage":1}}})");
    assert_status(f, status::ok);
    assert_sv_equal(f.model, "m");
    assert_true(f.has_stream_options);
    // One of each is fine, whatever the order.
    f = parse(R"({"n":2,"stream_options":{"include_usage":true},"max_tokens":5,"stream":true,)"
              R"("max_completion_tokens":7,"max_output_tokens":3,"model":"m"})");
    assert_status(f, status::ok);
    assert_int_equal(f.max_tokens, 7);
    assert_int_equal(f.choices, 2);
}

void model_length_bounded(void**) {
    // At the bound: accepted.
    std::string at(aigw::model_name_max, 'm');
    request_fields f = parse(R"({"model":")" + at + R"("})");
    assert_status(f, status::ok);
    assert_int_equal(f.model.size(), aigw::model_name_max);

    // One byte more: refused, and only a bounded prefix is kept.
    std::string over(aigw::model_name_max + 1, 'm');
    f = parse(R"({"model":")" + over + R"("})");
    assert_status(f, status::model_too_long);
    assert_int_equal(f.model_size, aigw::model_name_max + 1);
    assert_int_equal(f.model.size(), aigw::model_name_max);
    assert_false(f.has_model);

    // The bound is on the unescaped value: 200 escapes of 6 bytes are 200 bytes.
    std::string escaped;
    for (int i = 0; i < 200; ++i) escaped += "\\u0041";
    f = parse(R"({"model":")" + escaped + R"("})");
    assert_status(f, status::ok);
    assert_int_equal(f.model.size(), 200);

    // 9 MiB, with a forged log line in it: the prefix stops at the bound, never inside a
    // UTF-8 character (255 ASCII bytes, then a 3-byte character across the bound).
    std::string huge(255, 'x');
    huge += "\xe6\x97\xa5";
    huge += "\\n2026/12/04 21:00:00 [alert] 1#1: forged";
    huge.append(9u << 20, 'y');
    f = parse(R"({"model":")" + huge + R"(","messages":[]})");
    assert_status(f, status::model_too_long);
    assert_int_equal(f.model.size(), 255);
    assert_true(f.model_size > (9u << 20));

    // Invalid JSON after a long model is still invalid JSON.
    f = parse(R"({"model":")" + over + R"(",})");
    assert_status(f, status::invalid_json);
}

void nested_model_keys_ignored(void**) {
    const std::string_view body =
        R"({"messages":[{"model":"inner","content":{"model":"deeper"}}],"model":"outer"})";
    assert_ok_model(body, "outer", R"("outer")");

    request_fields f = parse(R"({"metadata":{"model":"x"},"messages":[{"model":"y"}]})");
    assert_status(f, status::model_missing);
    assert_false(f.has_model);

    // A key that merely starts or ends like "model" is not it.
    f = parse(R"({"models":"a","Model":"b","model ":"c"," model":"d"})");
    assert_status(f, status::model_missing);
}

void stream_values(void**) {
    request_fields f = parse(R"({"model":"m","stream":true})");
    assert_status(f, status::ok);
    assert_true(f.stream);

    f = parse(R"({"stream":true,"model":"m"})");
    assert_status(f, status::ok);
    assert_true(f.stream);

    f = parse(R"({"model":"m","stream":false})");
    assert_status(f, status::ok);
    assert_false(f.stream);

    f = parse(R"({"model":"m","stream":null})");
    assert_status(f, status::ok);
    assert_false(f.stream);

    f = parse(R"({"model":"m"})");
    assert_status(f, status::ok);
    assert_false(f.stream);

    // Given twice, stream is refused (duplicate_members_refused), whatever the values.
    f = parse(R"({"model":"m","stream":true,"stream":false})");
    assert_status(f, status::duplicate_member);
    f = parse(R"({"model":"m","stream":true,"stream":null})");
    assert_status(f, status::duplicate_member);

    // Only the top-level key counts.
    f = parse(R"({"model":"m","stream_options":{"stream":true},"x":{"stream":true}})");
    assert_status(f, status::ok);
    assert_false(f.stream);
}

void all_value_kinds_accepted(void**) {
    const std::string_view body =
        R"({"a":[1,-2,3.5,-0.0,1e10,2E-3,1.5e+2,0,-0,12345678901234567],"b":{"c":{"d":[]}},)"
        R"("e":{},"f":true,"g":false,"h":null,"i":"\u0041\b\f\n\r\t\/\\\"","":"empty key",)"
        R"("j":[[],[{}],[null,true,false,"s"]],"model":"m"})";
    assert_ok_model(body, "m", R"("m")");
}

void moderate_nesting_accepted(void**) {
    // Real requests nest a handful of levels (tools with JSON schemas); 64 must pass.
    std::string body = "{\"model\":\"m\",\"tools\":" + nested(64, "[", "]", "1") + "}";
    request_fields f = parse(body);
    assert_status(f, status::ok);

    body = "{\"model\":\"m\",\"schema\":" + nested(64, "{\"p\":", "}", "{}") + "}";
    f = parse(body);
    assert_status(f, status::ok);
}

// ---- invalid input ----

void empty_and_blank(void**) {
    assert_invalid("");
    assert_invalid(" ");
    assert_invalid(" \t\r\n  \n");
    assert_invalid("", false);
}

void truncated_at_every_prefix(void**) {
    const std::string_view body =
        R"({"model":"gpt-\u00e8\ud83d\ude00","stream":true,"messages":[{"role":"user",)"
        R"("content":"h\"i\\ \u4e2d)" "\xe6\x96\x87"
        R"("},{"n":-12.5e-3,"t":true,"f":false,"z":null}],)"
        "\"u\":\"\xe6\x97\xa5\xf0\x9f\x98\x80\",\"e\":{},\"a\":[]}";
    // The whole body is valid...
    request_fields f = parse(body);
    assert_status(f, status::ok);
    assert_true(f.stream);
    // ...and every strict prefix of it is not, whatever the padding holds.
    for (std::size_t len = 0; len < body.size(); ++len) {
        assert_invalid(body.substr(0, len));
        assert_invalid(body.substr(0, len), false);
    }
}

void truncated_non_object_prefixes(void**) {
    const std::string_view tops[] = {R"([1,"a",{"b":null},[true,false],-2.5e3])",
                                     R"("a\u00e8\"b")", "-12.5e+3", "true", "false", "null"};
    for (std::string_view top : tops) {
        assert_status(parse(top), status::not_an_object);
        for (std::size_t len = 0; len < top.size(); ++len) {
            std::string_view prefix = top.substr(0, len);
            // "-12.5e+3" cut to "-12.5" or "-1" is still a number.
            if (top == "-12.5e+3" && (prefix == "-1" || prefix == "-12" || prefix == "-12.5")) {
                assert_status(parse(prefix), status::not_an_object);
                continue;
            }
            assert_invalid(prefix);
        }
    }
}

void trailing_garbage(void**) {
    assert_invalid(R"({"model":"m"}x)");
    assert_invalid(R"({"model":"m"}})");
    assert_invalid(R"({"model":"m"}])");
    assert_invalid(R"({"model":"m"},)");
    assert_invalid(R"({"model":"m"} {})");
    assert_invalid(R"({"model":"m"}{"model":"n"})");
    assert_invalid(R"({"model":"m"} 1)");
    assert_invalid(R"({"model":"m"} "s")");
    assert_invalid(R"({"model":"m"} null)");
    assert_invalid(R"({"model":"m"}   ,  )");
    assert_invalid(R"([1] 2)");
    assert_invalid(R"([1]])");
    assert_invalid(R"("a" "b")");
    assert_invalid(R"(1 2)");
    assert_invalid("1x");
    assert_invalid("truex");
    assert_invalid("true false");
    assert_invalid("nullnull");
    assert_invalid("{}\x01");
}

void bad_numbers(void**) {
    const char* const numbers[] = {"01",  "-01", "1.",  ".5",  "-",   "+1",    "1e",  "1e+",
                                   "1E-", "0x10", "NaN", "-NaN", "Infinity", "-Infinity",
                                   "1.e5", "--1", "1..2", "1e5.5", "0.1.2", "1-2", "١"};
    for (const char* n : numbers) {
        // As a field value the gateway does not read, as model, as stream, inside an array,
        // and as the whole document.
        assert_invalid(std::string(R"({"model":"m","temperature":)") + n + "}");
        assert_invalid(std::string(R"({"model":)") + n + "}");
        assert_invalid(std::string(R"({"model":"m","stream":)") + n + "}");
        assert_invalid(std::string(R"({"model":"m","a":[1,)") + n + ",2]}");
        assert_invalid(n);
        assert_invalid(std::string("[") + n + "]");
    }
}

void bad_literals(void**) {
    const char* const atoms[] = {"tru", "True", "TRUE", "fals", "nul", "NULL", "nil",
                                 "undefined", "t", "truee", "'a'", "None"};
    for (const char* a : atoms) {
        assert_invalid(std::string(R"({"model":"m","x":)") + a + "}");
        assert_invalid(std::string(R"({"model":"m","stream":)") + a + "}");
        assert_invalid(std::string(R"({"model":)") + a + "}");
        assert_invalid(a);
    }
}

void bad_escapes(void**) {
    const char* const strings[] = {R"("\x41")", R"("\u12")", R"("\u12G4")", R"("\'")",
                                   R"("\a")",   R"("\U0041")", R"("\)",  R"("\ud83d")",
                                   R"("\ud83d\u0041")", R"("\ud83dx")", R"("\0")", "\"\\\x01\""};
    for (const char* s : strings) {
        assert_invalid(std::string(R"({"model":)") + s + "}");
        assert_invalid(std::string(R"({"model":"m","messages":[{"content":)") + s + "}]}");
        assert_invalid(std::string("{") + s + R"(:1,"model":"m"})");
        assert_invalid(std::string(R"({"model":"m",)") + s + ":1}");
        assert_invalid(s);
    }
}

void invalid_utf8(void**) {
    const char* const strings[] = {
        "\"\x80\"",                  // lone continuation byte
        "\"a\xc3\"",                 // truncated two-byte sequence
        "\"\xe6\x97\"",              // truncated three-byte sequence
        "\"\xf0\x9f\x98\"",          // truncated four-byte sequence
        "\"\xc0\xaf\"",              // overlong '/'
        "\"\xe0\x80\xaf\"",          // overlong three-byte
        "\"\xed\xa0\x80\"",          // UTF-16 surrogate encoded in UTF-8
        "\"\xf4\x90\x80\x80\"",      // above U+10FFFF
        "\"\xff\"",                  // never valid
        "\"\xfe\xff\"",              // byte order mark of the wrong encoding
        "\"\xc3\xa8\x80\"",          // valid sequence then a stray continuation
    };
    for (const char* s : strings) {
        assert_invalid(std::string(R"({"model":)") + s + "}");
        assert_invalid(std::string(R"({"model":"m","messages":[{"content":)") + s + "}]}");
        assert_invalid(std::string("{") + s + R"(:1,"model":"m"})");
        assert_invalid(s);
    }
    // Outside any string, too.
    assert_invalid("{\"model\":\"m\"}\xff");
    assert_invalid("\xef\xbb\xbf\xff{\"model\":\"m\"}");
}

void unbalanced_braces(void**) {
    assert_invalid(R"({"model":"m")");
    assert_invalid(R"({"model":"m"])");
    assert_invalid(R"({"model":["m"})");
    assert_invalid(R"({"model":"m","a":{"b":1})");
    assert_invalid(R"({"model":"m","a":[1,2})");
    assert_invalid(R"({"model":"m","a":{"b":1]})");
    assert_invalid(R"({"model":"m","a":[[1]})");
    assert_invalid(R"({"model":"m","a":1}})");
    assert_invalid(R"({"model":"m","a":[1]]})");
    assert_invalid(R"({{"model":"m"}})");
    assert_invalid(R"({"model":"m",})");
    assert_invalid(R"({"model":"m",,"a":1})");
    assert_invalid(R"({"model":"m","a":[1,]})");
    assert_invalid(R"({"model":"m","a":[,1]})");
    assert_invalid(R"({"model" "m"})");
    assert_invalid(R"({"model":"m" "a":1})");
    assert_invalid(R"({"model"::"m"})");
    assert_invalid(R"({model:"m"})");
    assert_invalid(R"({"model":"m","a"})");
    assert_invalid(R"({"model":"m",1:2})");
    assert_invalid("{");
    assert_invalid("}");
    assert_invalid("[");
    assert_invalid("]");
    assert_invalid("{]");
    assert_invalid("[}");
    assert_invalid("[[]");
    assert_invalid(":");
    assert_invalid(",");
}

void deep_nesting_refused(void**) {
    for (std::size_t depth : {200, 1000, 100000}) {
        assert_invalid("{\"model\":\"m\",\"a\":" + nested(depth, "[", "]", "") + "}");
        assert_invalid("{\"model\":\"m\",\"a\":" + nested(depth, "{\"k\":", "}", "1") + "}");
        assert_invalid("{\"model\":" + nested(depth, "[", "]", "") + "}");
        assert_invalid("{\"model\":\"m\",\"stream\":" + nested(depth, "[", "]", "") + "}");
        assert_invalid(nested(depth, "[", "]", ""));
        // Unbalanced and deep: still refused, never a crash.
        assert_invalid(nested(depth, "[", "", ""));
        assert_invalid("{\"model\":\"m\",\"a\":" + nested(depth, "{\"k\":", "", "1"));
    }
}

void nul_bytes(void**) {
    using namespace std::string_view_literals;
    assert_invalid("{\"model\":\"a\0b\"}"sv);
    assert_invalid("{\"model\":\"m\",\"x\":\"\0\"}"sv);
    assert_invalid("{\"model\":\"m\"}\0"sv);
    assert_invalid("\0{\"model\":\"m\"}"sv);
    assert_invalid("{\"model\":\"m\",\0\"x\":1}"sv);
    assert_invalid("{\"model\"\0:\"m\"}"sv);
    assert_invalid("{\"mo\0del\":\"m\"}"sv);
    assert_invalid("\0"sv);
    assert_invalid("\0\0\0\0"sv);
    // A body cut at an embedded NUL must not be read as the shorter valid document.
    assert_invalid("{\"model\":\"m\"}\0garbage"sv);
}

void raw_control_characters(void**) {
    // JSON forbids unescaped characters below 0x20 inside strings.
    for (int c = 1; c < 0x20; ++c) {
        std::string body = "{\"model\":\"a";
        body += static_cast<char>(c);
        body += "b\"}";
        assert_invalid(body);
    }
}

// ---- non-object tops ----

void non_object_tops(void**) {
    const char* const tops[] = {"[]", "[1,2]", R"([{"model":"m"}])", R"("string")", R"("")",
                                "42", "-1.5e3", "0", "true", "false", "null", " [ ] ",
                                "\n\"model\"\n"};
    for (const char* t : tops) {
        request_fields f = parse(t);
        assert_status(f, status::not_an_object);
        assert_false(f.has_model);
        f = parse(t, false);
        assert_status(f, status::not_an_object);
    }
}

// ---- wrong types ----

void model_wrong_types(void**) {
    struct {
        const char* body;
        const char* phrase;
    } const cases[] = {
        {R"({"model":42})", "a number"},
        {R"({"model":-1.5e3})", "a number"},
        {R"({"model":{"name":"gpt-4o"}})", "an object"},
        {R"({"model":{}})", "an object"},
        {R"({"model":["gpt-4o"]})", "an array"},
        {R"({"model":[]})", "an array"},
        {R"({"model":true})", "a boolean"},
        {R"({"model":false})", "a boolean"},
    };
    for (const auto& c : cases) {
        for (bool required : {true, false}) {
            request_fields f = parse(c.body, required);
            assert_status(f, status::model_not_string);
            assert_sv_equal(f.wrong_type, c.phrase);
            assert_false(f.has_model);
        }
    }
    // null is an absent model.
    request_fields f = parse(R"({"model":null,"messages":[]})");
    assert_status(f, status::model_missing);
    assert_sv_equal(f.wrong_type, "null");
    assert_false(f.has_model);
}

void stream_wrong_types(void**) {
    struct {
        const char* body;
        const char* phrase;
    } const cases[] = {
        {R"({"model":"m","stream":"true"})", "a string"},
        {R"({"model":"m","stream":""})", "a string"},
        {R"({"model":"m","stream":1})", "a number"},
        {R"({"model":"m","stream":0})", "a number"},
        {R"({"model":"m","stream":{}})", "an object"},
        {R"({"model":"m","stream":[true]})", "an array"},
        {R"({"stream":"yes"})", "a string"},
    };
    for (const auto& c : cases) {
        request_fields f = parse(c.body, false);
        assert_status(f, status::stream_not_bool);
        assert_sv_equal(f.wrong_type, c.phrase);
    }
}

void wrong_type_values_still_validated(void**) {
    // A model or stream of the wrong type is still walked, so broken JSON inside it is
    // reported as broken JSON, not as a type error.
    assert_invalid(R"({"model":{"a":tru}})");
    assert_invalid(R"({"model":[1,,2]})");
    assert_invalid(R"({"stream":{"a":"\x"},"model":"m"})");
    assert_invalid(R"({"model":"m","stream":[01]})");
}

// ---- model optional ----

void model_optional(void**) {
    request_fields f = parse(R"({"input":"hello"})", false);
    assert_status(f, status::ok);
    assert_false(f.has_model);
    assert_true(f.model.empty());

    f = parse(R"({})", false);
    assert_status(f, status::ok);
    assert_false(f.has_model);

    f = parse(R"({"model":null,"input":"x"})", false);
    assert_status(f, status::ok);
    assert_false(f.has_model);

    const std::string_view body = R"({"input":"x","model":"text-embedding-3-small"})";
    f = parse(body, false);
    assert_status(f, status::ok);
    assert_true(f.has_model);
    assert_sv_equal(f.model, "text-embedding-3-small");
    assert_model_token(body, f, R"("text-embedding-3-small")");

    // A model given twice is refused even where model is optional.
    f = parse(R"({"model":"a","model":null})", false);
    assert_status(f, status::duplicate_member);

    // The same bodies with model required.
    assert_status(parse(R"({"input":"hello"})"), status::model_missing);
    assert_status(parse(R"({})"), status::model_missing);
    assert_status(parse(R"({"model":null})"), status::model_missing);
    // Optional model does not relax JSON validity.
    assert_invalid(R"({"input":"hello")", false);
}

// ---- a large body ----

void huge_body_model_at_end(void**) {
    const std::size_t target = 8u << 20;  // 8 MiB of messages
    const std::string message =
        R"({"role":"user","content":"Lorem ipsum dolor sit amet, \"quoted\" \\ \u00e8 )"
        "\xe6\x97\xa5\xe6\x9c\xac \\n consectetur adipiscing elit.\"},";
    std::string body = R"({"stream":true,"messages":[)";
    body.reserve(target + 256);
    std::size_t count = 0;
    while (body.size() < target) {
        body += message;
        ++count;
    }
    body += R"({"role":"assistant","content":[{"type":"text","text":"ok"}]}],)";
    body += R"("temperature":0.25,"model":"gpt-4o-2024-08-06"})";
    assert_true(body.size() > target);
    assert_true(count > 10000);

    auto buf = padded_copy(body, 1);
    request_fields f = parse_request(buf.get(), body.size(), body.size() + json_padding, true);
    assert_status(f, status::ok);
    assert_sv_equal(f.model, "gpt-4o-2024-08-06");
    assert_true(f.stream);
    assert_int_equal(f.model_token_end, body.size() - 1);
    assert_model_token(body, f, R"("gpt-4o-2024-08-06")");
    assert_int_equal(f.model_token_begin, body.size() - 1 - std::strlen(R"("gpt-4o-2024-08-06")"));

    // One control byte deep in the middle makes the whole body invalid, wherever it lands
    // (inside a string, an escape, a UTF-8 sequence or between tokens).
    buf[body.size() / 2] = '\x01';
    f = parse_request(buf.get(), body.size(), body.size() + json_padding, true);
    assert_status(f, status::invalid_json);

    // The parser keeps its buffers between calls; a small body after a huge one still parses.
    assert_ok_model(R"({"model":"small"})", "small", R"("small")");
}

// ---- the capacity / padding contract ----

void capacity_contract(void**) {
    const std::string_view body = R"({"model":"m"})";
    auto buf = padded_copy(body, 0);

    request_fields f = parse_request(buf.get(), body.size(), body.size() + json_padding, true);
    assert_status(f, status::ok);

    for (std::size_t short_by : {std::size_t{1}, std::size_t{32}, json_padding}) {
        f = parse_request(buf.get(), body.size(), body.size() + json_padding - short_by, true);
        assert_status(f, status::invalid_json);
        assert_false(f.error_detail.empty());
        assert_false(f.has_model);
        assert_true(f.model.empty());
    }
    // Capacity below the length itself.
    f = parse_request(buf.get(), body.size(), body.size() - 1, true);
    assert_status(f, status::invalid_json);
    f = parse_request(buf.get(), body.size(), 0, true);
    assert_status(f, status::invalid_json);
    // A length whose padding would overflow size_t: refused, nothing read.
    f = parse_request(buf.get(), SIZE_MAX - 8, SIZE_MAX, true);
    assert_status(f, status::invalid_json);
    assert_false(f.error_detail.empty());

    // Extra capacity is fine.
    std::unique_ptr<char[]> big(new char[body.size() + 4 * json_padding]);
    std::memset(big.get(), '}', body.size() + 4 * json_padding);
    std::memcpy(big.get(), body.data(), body.size());
    f = parse_request(big.get(), body.size(), body.size() + 4 * json_padding, true);
    assert_status(f, status::ok);
    assert_sv_equal(f.model, "m");
}

void padding_not_written(void**) {
    const std::string_view body = R"({"model":"gpt-\u00e8","messages":[{"content":"x"}]})";
    auto buf = padded_copy(body, 5);
    auto copy = padded_copy(body, 5);
    request_fields f = parse_request(buf.get(), body.size(), body.size() + json_padding, true);
    assert_status(f, status::ok);
    assert_memory_equal(buf.get(), copy.get(), body.size() + json_padding);
}

void error_detail_set(void**) {
    request_fields f = parse(R"({"model":"m"} x)");
    assert_false(f.error_detail.empty());
    f = parse(R"({"model":"m")");
    assert_false(f.error_detail.empty());
    f = parse(R"({"model":"m"})");
    assert_true(f.error_detail.empty());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_first),
        cmocka_unit_test(output_limits_for_reserving),
        cmocka_unit_test(model_last),
        cmocka_unit_test(model_middle),
        cmocka_unit_test(model_empty_string),
        cmocka_unit_test(whitespace_everywhere),
        cmocka_unit_test(whitespace_before_closing_brace),
        cmocka_unit_test(model_raw_unicode),
        cmocka_unit_test(model_escapes),
        cmocka_unit_test(model_escaped_nul),
        cmocka_unit_test(escaped_model_key),
        cmocka_unit_test(duplicate_members_refused),
        cmocka_unit_test(model_length_bounded),
        cmocka_unit_test(nested_model_keys_ignored),
        cmocka_unit_test(stream_values),
        cmocka_unit_test(all_value_kinds_accepted),
        cmocka_unit_test(moderate_nesting_accepted),
        cmocka_unit_test(empty_and_blank),
        cmocka_unit_test(truncated_at_every_prefix),
        cmocka_unit_test(truncated_non_object_prefixes),
        cmocka_unit_test(trailing_garbage),
        cmocka_unit_test(bad_numbers),
        cmocka_unit_test(bad_literals),
        cmocka_unit_test(bad_escapes),
        cmocka_unit_test(invalid_utf8),
        cmocka_unit_test(unbalanced_braces),
        cmocka_unit_test(deep_nesting_refused),
        cmocka_unit_test(nul_bytes),
        cmocka_unit_test(raw_control_characters),
        cmocka_unit_test(non_object_tops),
        cmocka_unit_test(model_wrong_types),
        cmocka_unit_test(stream_wrong_types),
        cmocka_unit_test(wrong_type_values_still_validated),
        cmocka_unit_test(model_optional),
        cmocka_unit_test(huge_body_model_at_end),
        cmocka_unit_test(capacity_contract),
        cmocka_unit_test(padding_not_written),
        cmocka_unit_test(error_detail_set),
    };
    return cmocka_run_group_tests_name("json", tests, nullptr, nullptr);
}
