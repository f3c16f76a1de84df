// gemini::read_request: what the gateway reads from a generateContent body for passthrough
// (no model, no stream: the path has them), and what it refuses.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "aigw/dialects/gemini/request.hpp"

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
request_fields parse_with(std::string_view body, char fill) {
    std::unique_ptr<char[]> buf(new char[body.size() + json_padding]);
    if (!body.empty()) std::memcpy(buf.get(), body.data(), body.size());
    std::memset(buf.get() + body.size(), fill, json_padding);
    return aigw::gemini::read_request(buf.get(), body.size(), body.size() + json_padding);
}

request_fields parse(std::string_view body) {
    request_fields f = parse_with(body, ' ');
    for (char fill : {'0', '"', '}', '\0'}) {
        request_fields g = parse_with(body, fill);
        assert_int_equal(static_cast<int>(f.status), static_cast<int>(g.status));
        assert_int_equal(f.max_tokens, g.max_tokens);
        assert_int_equal(f.choices, g.choices);
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

void generate_content_body(void**) {
    const std::string_view body =
        R"({"contents":[{"role":"user","parts":[{"text":"model"}]}],)"
        R"("systemInstruction":{"parts":[{"text":"Be brief."}]},)"
        R"("generationConfig":{"temperature":0.2,"maxOutputTokens":1024,"candidateCount":1,)"
        R"("thinkingConfig":{"thinkingBudget":512}},"model":"ignored","stream":true})";
    request_fields f = parse(body);
    assert_status(f, status::ok);
    // The path names the model and the method the stream: the body's are not read.
    assert_false(f.has_model);
    assert_true(f.model.empty());
    assert_false(f.stream);
    assert_int_equal(f.max_tokens, 1024);
    assert_int_equal(f.choices, 1);
    assert_false(f.has_stream_options);
}

void snake_case_spellings(void**) {
    request_fields f = parse(
        R"({"contents":[],"generation_config":{"max_output_tokens":77,"candidate_count":3}})");
    assert_status(f, status::ok);
    assert_int_equal(f.max_tokens, 77);
    assert_int_equal(f.choices, 3);
}

void limits_absent_or_of_another_type(void**) {
    request_fields f = parse(R"({"contents":[{"parts":[{"text":"hi"}]}]})");
    assert_status(f, status::ok);
    assert_int_equal(f.max_tokens, -1);
    assert_int_equal(f.choices, 1);
    // The upstream refuses these; the reservation just has no limit to go by.
    f = parse(R"({"generationConfig":{"maxOutputTokens":"9","candidateCount":2.5}})");
    assert_status(f, status::ok);
    assert_int_equal(f.max_tokens, -1);
    assert_int_equal(f.choices, 1);
    f = parse(R"({"generationConfig":null})");
    assert_status(f, status::ok);
    f = parse(R"({"generationConfig":[{"maxOutputTokens":5}]})");
    assert_status(f, status::ok);
    assert_int_equal(f.max_tokens, -1);
    // Only the top-level generationConfig counts.
    f = parse(R"({"x":{"generationConfig":{"maxOutputTokens":5}},"maxOutputTokens":6})");
    assert_status(f, status::ok);
    assert_int_equal(f.max_tokens, -1);
}

void duplicates_refused(void**) {
    request_fields f = parse(R"({"generationConfig":{},"generationConfig":{}})");
    assert_status(f, status::duplicate_member);
    assert_sv_equal(f.duplicate, "generationConfig");
    f = parse(R"({"generationConfig":{},"generation_config":{"maxOutputTokens":5}})");
    assert_status(f, status::duplicate_member);
    assert_sv_equal(f.duplicate, "generationConfig");
    f = parse(R"({"generationConfig":{"maxOutputTokens":5,"max_output_tokens":500000}})");
    assert_status(f, status::duplicate_member);
    assert_sv_equal(f.duplicate, "generationConfig.maxOutputTokens");
    f = parse(R"({"generationConfig":{"candidateCount":1,"candidateCount":8}})");
    assert_status(f, status::duplicate_member);
    assert_sv_equal(f.duplicate, "generationConfig.candidateCount");
    // Members the gateway does not read may repeat: the upstream decides.
    f = parse(R"({"contents":[],"contents":[],"generationConfig":{"topK":1,"topK":2}})");
    assert_status(f, status::ok);
}

void not_an_object(void**) {
    for (std::string_view body : {"[]", "[1,2]", "\"x\"", "12", "null", "true"}) {
        assert_status(parse(body), status::not_an_object);
    }
}

void malformed(void**) {
    for (std::string_view body :
         {"", "{", "[1,", R"({"contents":[})", R"({"contents":[]} x)", R"({"a":1,})",
          R"({"generationConfig":{"maxOutputTokens":12abc}})", R"({"a":"\x"})", "{}{}",
          R"({"generationConfig":{"stopSequences":["a",]}})", R"({"a":tru})"}) {
        request_fields f = parse(body);
        if (f.status != status::invalid_json) print_error("accepted: %.*s\n", static_cast<int>(body.size()), body.data());
        assert_status(f, status::invalid_json);
        assert_false(f.error_detail.empty());
    }
    // Trailing garbage is named.
    request_fields f = parse(R"({"contents":[]} {})");
    assert_sv_equal(f.error_detail, "unexpected content after the JSON object");
}

void invalid_utf8_refused(void**) {
    assert_status(parse("{\"contents\":\"\xff\"}"), status::invalid_json);
    assert_status(parse("{\"generationConfig\":{\"a\":\"\xc3\"}}"), status::invalid_json);
}

void deep_nesting(void**) {
    // A top-level member's value may nest 128 levels, as in every dialect's read; deeper is
    // refused rather than walked.
    auto nested = [](std::string_view key, int arrays) {
        std::string body = "{\"" + std::string(key) + "\":";
        body += std::string(arrays, '[') + std::string(arrays, ']') + "}";
        return body;
    };
    assert_status(parse(nested("a", 128)), status::ok);
    assert_status(parse(nested("a", 129)), status::invalid_json);
    assert_status(parse(nested("contents", 5000)), status::invalid_json);
    std::string in_config = "{\"generationConfig\":{\"x\":" + std::string(127, '[') +
                            std::string(127, ']') + "}}";
    assert_status(parse(in_config), status::ok);
    in_config = "{\"generationConfig\":{\"x\":" + std::string(128, '[') +
                std::string(128, ']') + "}}";
    assert_status(parse(in_config), status::invalid_json);
}

void huge_string(void**) {
    std::string body = R"({"contents":[{"parts":[{"text":")" + std::string(1 << 20, 'x') +
                       R"("}]}],"generationConfig":{"maxOutputTokens":9}})";
    request_fields f = parse(body);
    assert_status(f, status::ok);
    assert_int_equal(f.max_tokens, 9);
}

void unpadded_buffer_refused(void**) {
    const std::string body = "{}";
    request_fields f = aigw::gemini::read_request(body.data(), body.size(), body.size());
    assert_status(f, status::invalid_json);
    assert_sv_equal(f.error_detail, "internal: input buffer not padded");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generate_content_body),
        cmocka_unit_test(snake_case_spellings),
        cmocka_unit_test(limits_absent_or_of_another_type),
        cmocka_unit_test(duplicates_refused),
        cmocka_unit_test(not_an_object),
        cmocka_unit_test(malformed),
        cmocka_unit_test(invalid_utf8_refused),
        cmocka_unit_test(deep_nesting),
        cmocka_unit_test(huge_string),
        cmocka_unit_test(unpadded_buffer_refused),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
