// anthropic::read_request: what the gateway reads from a Messages body for passthrough, and
// what it refuses.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "aigw/dialects/anthropic/request.hpp"

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
using aigw::request_fields;
using status = aigw::request_parse_status;

namespace {

// A heap buffer of exactly len + json_padding bytes, its padding bytes `fill`, so ASan
// reports any read past the padding and a parser that looked past `len` changes its answer.
request_fields parse_with(std::string_view body, bool model_required, char fill) {
    std::unique_ptr<char[]> buf(new char[body.size() + json_padding]);
    if (!body.empty()) std::memcpy(buf.get(), body.data(), body.size());
    std::memset(buf.get() + body.size(), fill, json_padding);
    return aigw::anthropic::read_request(buf.get(), body.size(), body.size() + json_padding,
                                         model_required);
}

request_fields parse(std::string_view body, bool model_required = true) {
    request_fields f = parse_with(body, model_required, ' ');
    for (char fill : {'0', '"', '}', '\0'}) {
        request_fields g = parse_with(body, model_required, fill);
        assert_int_equal(static_cast<int>(f.status), static_cast<int>(g.status));
        assert_int_equal(f.model_token_begin, g.model_token_begin);
        assert_int_equal(f.max_tokens, g.max_tokens);
    }
    return f;
}

void assert_status(const request_fields& f, status expected) {
    if (f.status != expected) {
        print_error("status %d, expected %d (detail: %s)\n", static_cast<int>(f.status),
                    static_cast<int>(expected), f.error_detail.c_str());
    }
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(expected));
}

std::string_view token(std::string_view body, const request_fields& f) {
    assert_true(f.model_token_begin < f.model_token_end && f.model_token_end <= body.size());
    return body.substr(f.model_token_begin, f.model_token_end - f.model_token_begin);
}

void messages_body(void**) {
    const std::string_view body =
        R"({"model":"claude-sonnet-4-5","max_tokens":1024,"system":"Be brief.",)"
        R"("messages":[{"role":"user","content":[{"type":"text","text":"model"}]}],"stream":true})";
    request_fields f = parse(body);
    assert_status(f, status::ok);
    assert_true(f.has_model);
    assert_sv_equal(f.model, "claude-sonnet-4-5");
    assert_sv_equal(token(body, f), "\"claude-sonnet-4-5\"");
    assert_int_equal(f.model_token_begin, 9);
    assert_true(f.stream);
    assert_int_equal(f.max_tokens, 1024);
    assert_int_equal(f.choices, 1);
    assert_false(f.has_stream_options);
}

void model_token_with_white_space_and_escapes(void**) {
    const std::string_view body = "{ \"max_tokens\" : 5 ,\n \"model\" :\t\"cl\\u0061ude\" \r\n}";
    request_fields f = parse(body);
    assert_status(f, status::ok);
    assert_sv_equal(f.model, "claude");
    assert_sv_equal(token(body, f), "\"cl\\u0061ude\"");  // as the client wrote it
}

void limits_and_stream(void**) {
    request_fields f = parse(R"({"model":"m","messages":[]})");
    assert_status(f, status::ok);
    assert_int_equal(f.max_tokens, -1);
    assert_false(f.stream);
    f = parse(R"({"model":"m","stream":null,"max_tokens":"8"})");  // the upstream's to refuse
    assert_status(f, status::ok);
    assert_false(f.stream);
    assert_int_equal(f.max_tokens, -1);
    f = parse(R"({"model":"m","stream":false,"max_tokens":0})");
    assert_int_equal(f.max_tokens, 0);
    // OpenAI's names mean nothing here.
    f = parse(R"({"model":"m","n":3,"max_completion_tokens":99,"stream_options":{}})");
    assert_status(f, status::ok);
    assert_int_equal(f.choices, 1);
    assert_int_equal(f.max_tokens, -1);
    assert_false(f.has_stream_options);
}

void duplicates_refused(void**) {
    struct {
        const char* body;
        const char* member;
    } cases[] = {
        {R"({"model":"a","model":"b"})", "model"},
        {R"({"model":"a","m\u006fdel":"b"})", "model"},  // keys compared unescaped
        {R"({"model":"a","stream":true,"stream":false})", "stream"},
        {R"({"model":"a","max_tokens":1,"max_tokens":100000})", "max_tokens"},
        {R"({"model":"a","max_tokens":"x","max_tokens":1})", "max_tokens"},
    };
    for (const auto& c : cases) {
        request_fields f = parse(c.body);
        assert_status(f, status::duplicate_member);
        assert_sv_equal(f.duplicate, c.member);
    }
    // Nested members of the same name are not the request's.
    request_fields f = parse(R"({"model":"a","metadata":{"model":"b","stream":1},"tools":[{"max_tokens":2}]})");
    assert_status(f, status::ok);
    assert_sv_equal(f.model, "a");
}

void wrong_types(void**) {
    request_fields f = parse(R"({"model":7})");
    assert_status(f, status::model_not_string);
    assert_sv_equal(f.wrong_type, "a number");
    f = parse(R"({"model":["m"]})");
    assert_status(f, status::model_not_string);
    assert_sv_equal(f.wrong_type, "an array");
    f = parse(R"({"model":"m","stream":"true"})");
    assert_status(f, status::stream_not_bool);
    assert_sv_equal(f.wrong_type, "a string");
    f = parse(R"({"model":"m","stream":{}})");
    assert_status(f, status::stream_not_bool);
    assert_sv_equal(f.wrong_type, "an object");
    f = parse(R"({"max_tokens":3})");
    assert_status(f, status::model_missing);
    f = parse(R"({"model":null})");
    assert_status(f, status::model_missing);
    f = parse(R"({"model":null})", false);
    assert_status(f, status::ok);
    assert_false(f.has_model);
    f = parse(R"({})", false);
    assert_status(f, status::ok);
}

void model_too_long(void**) {
    std::string model(aigw::model_name_max, 'x');
    request_fields f = parse(R"({"model":")" + model + "\"}");
    assert_status(f, status::ok);
    model += "\xc3\xa9";  // cut inside no character: the prefix stays valid UTF-8
    f = parse(R"({"model":")" + model + "\"}");
    assert_status(f, status::model_too_long);
    assert_int_equal(f.model_size, aigw::model_name_max + 2);
    assert_int_equal(f.model.size(), aigw::model_name_max);
}

void malformed(void**) {
    for (std::string_view body :
         {"", "{", "{\"model\":\"m\"", "{\"model\":\"m\",}", "{\"model\":\"m\"} x",
          "{\"model\":\"m\",\"messages\":[1,]}", "{\"model\":\"m\",\"x\":tru}",
          "{\"model\":\"\xff\"}", "{\"model\":\"m\",\"max_tokens\":1e}"}) {
        request_fields f = parse(body);
        assert_status(f, status::invalid_json);
        assert_false(f.error_detail.empty());
    }
    for (std::string_view body : {"[]", "\"model\"", "42", "null", "true"}) {
        assert_status(parse(body), status::not_an_object);
    }
    assert_status(parse("[1,"), status::invalid_json);
}

void deep_nesting_bounded(void**) {
    std::string deep = R"({"model":"m","metadata":)";
    for (int i = 0; i < 5000; ++i) deep += '[';
    for (int i = 0; i < 5000; ++i) deep += ']';
    deep += '}';
    assert_status(parse(deep), status::invalid_json);
    std::string fine = R"({"model":"m","metadata":)";
    for (int i = 0; i < 100; ++i) fine += '[';
    for (int i = 0; i < 100; ++i) fine += ']';
    fine += '}';
    assert_status(parse(fine), status::ok);
}

void padding_too_small(void**) {
    const std::string body = R"({"model":"m"})";
    std::string buf = body + std::string(json_padding, ' ');
    request_fields f = aigw::anthropic::read_request(buf.data(), body.size(), body.size() + 1, true);
    assert_status(f, status::invalid_json);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(messages_body),
        cmocka_unit_test(model_token_with_white_space_and_escapes),
        cmocka_unit_test(limits_and_stream),
        cmocka_unit_test(duplicates_refused),
        cmocka_unit_test(wrong_types),
        cmocka_unit_test(model_too_long),
        cmocka_unit_test(malformed),
        cmocka_unit_test(deep_nesting_bounded),
        cmocka_unit_test(padding_too_small),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
