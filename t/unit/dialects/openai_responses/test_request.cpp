// responses::read_request: what the gateway reads from a Responses body for passthrough (the
// model and its token, stream, max_output_tokens) and what it refuses. The reading itself is
// OpenAI's parse_request, tested at length with Chat Completions; here, a Responses body.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "aigw/dialects/openai_responses/request.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::request_fields;
using status = aigw::request_parse_status;

namespace {

// Exactly len + json_padding bytes on the heap, the padding '"': ASan sees any read past it,
// and a parser that took the padding for input would answer otherwise.
request_fields read(std::string_view body, bool model_required = true) {
    std::unique_ptr<char[]> buf(new char[body.size() + aigw::json_padding]);
    if (!body.empty()) std::memcpy(buf.get(), body.data(), body.size());
    std::memset(buf.get() + body.size(), '"', aigw::json_padding);
    return aigw::responses::read_request(buf.get(), body.size(), body.size() + aigw::json_padding,
                                         model_required);
}

void expect_status(const request_fields& f, status expected) {
    if (f.status != expected) {
        print_error("status %d, expected %d (%s)\n", static_cast<int>(f.status),
                    static_cast<int>(expected), f.error_detail.c_str());
    }
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(expected));
}

// What Codex sends, in short.
void codex_body(void**) {
    const std::string_view body =
        R"({"model":"gpt-5-codex","instructions":"You are Codex.",)"
        R"("input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"model"}]}],)"
        R"("tools":[{"type":"function","name":"shell","parameters":{"model":1}}],"tool_choice":"auto",)"
        R"("parallel_tool_calls":false,"reasoning":{"effort":"medium"},"store":false,"stream":true,)"
        R"("include":["reasoning.encrypted_content"],"prompt_cache_key":"k","max_output_tokens":2048})";
    request_fields f = read(body);
    expect_status(f, status::ok);
    assert_true(f.has_model);
    assert_sv_equal(f.model, "gpt-5-codex");
    assert_sv_equal(body.substr(f.model_token_begin, f.model_token_end - f.model_token_begin),
                    "\"gpt-5-codex\"");
    assert_int_equal(f.model_token_begin, 9);
    assert_true(f.stream);
    assert_int_equal(f.max_tokens, 2048);
    assert_int_equal(f.choices, 1);
    assert_false(f.has_stream_options);
}

void no_choices_and_no_stream_options(void**) {
    // Neither means anything to the Responses API (the upstream refuses n): the reservation
    // is for one answer, and no include_usage is ever spliced in.
    request_fields f = read(R"({"model":"m","input":"hi","n":4,"stream":true,)"
                            R"("stream_options":{"include_obfuscation":false}})");
    expect_status(f, status::ok);
    assert_int_equal(f.choices, 1);
    assert_false(f.has_stream_options);
    assert_int_equal(f.stream_options_begin, 0);
    assert_int_equal(f.max_tokens, -1);
    f = read(R"({"model":"m","input":"hi","stream":null,"max_output_tokens":"8"})");
    expect_status(f, status::ok);
    assert_false(f.stream);
    assert_int_equal(f.max_tokens, -1);  // another type is the upstream's to refuse
}

void refused(void**) {
    request_fields f = read(R"({"model":"a","input":"x","max_output_tokens":1,"max_output_tokens":9})");
    expect_status(f, status::duplicate_member);
    assert_sv_equal(f.duplicate, "max_output_tokens");
    f = read(R"({"model":"a","m\u006fdel":"b","input":"x"})");
    expect_status(f, status::duplicate_member);
    assert_sv_equal(f.duplicate, "model");
    f = read(R"({"input":"x"})");
    expect_status(f, status::model_missing);
    expect_status(read(R"({"input":"x"})", false), status::ok);
    f = read(R"({"model":"m","stream":"yes"})");
    expect_status(f, status::stream_not_bool);
    assert_sv_equal(f.wrong_type, "a string");
    f = read(R"({"model":")" + std::string(aigw::model_name_max + 1, 'x') + "\"}");
    expect_status(f, status::model_too_long);
    assert_int_equal(f.model_size, aigw::model_name_max + 1);
    expect_status(read(R"({"model":"m","input":[1,]})"), status::invalid_json);
    expect_status(read("[]"), status::not_an_object);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codex_body),
        cmocka_unit_test(no_choices_and_no_stream_options),
        cmocka_unit_test(refused),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
