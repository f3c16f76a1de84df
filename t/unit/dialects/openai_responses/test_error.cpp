// The Responses API's errors: the stream's error event, as OpenAI sends it and the SDKs raise
// it, and OpenAI's body and reading of upstream errors through the dialect.
#include <string>
#include <string_view>

#include "aigw/dialects/openai_chat/error.hpp"
#include "aigw/dialects/openai_responses/dialect.hpp"
#include "aigw/dialects/openai_responses/error.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

namespace {

void error_event(void**) {
    aigw::api_error e = aigw::invalid_value_error("tool_choice", "any", "'none', 'auto', and 'required'");
    assert_sv_equal(aigw::responses::error_event(e, 12),
                    "event: error\n"
                    R"(data: {"type":"error","code":"invalid_value","message":"Invalid value: 'any'. Supported values are: 'none', 'auto', and 'required'.","param":"tool_choice","sequence_number":12,)"
                    R"("error":{"message":"Invalid value: 'any'. Supported values are: 'none', 'auto', and 'required'.","type":"invalid_request_error","param":"tool_choice","code":"invalid_value"}})" "\n\n");
    // Without code or param: null; without a sequence number: 0. A message is any client text.
    aigw::api_error bare;
    bare.status = 502;
    bare.type = "api_error";
    bare.message = "bad \"bytes\" \xff";
    assert_sv_equal(aigw::responses::error_event(bare),
                    "event: error\ndata: {\"type\":\"error\",\"code\":null,\"message\":\"bad \\\"bytes\\\" \xef\xbf\xbd\","
                    "\"param\":null,\"sequence_number\":0,\"error\":{\"message\":\"bad \\\"bytes\\\" \xef\xbf\xbd\","
                    "\"type\":\"api_error\",\"param\":null,\"code\":null}}\n\n");
}

void through_the_dialect(void**) {
    const aigw::dialect& d = aigw::responses_dialect();
    aigw::api_error e = aigw::upstream_timeout_error();
    assert_sv_equal(d.error_body(e), aigw::error_json(e));
    assert_sv_equal(d.error_event(e), aigw::responses::error_event(e));
    // OpenAI's error answers read as Chat Completions' are.
    aigw::api_error read = d.read_error(
        429, R"({"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}})");
    assert_int_equal(read.status, 429);
    assert_sv_equal(read.type, "requests");
    assert_sv_equal(read.code, "rate_limit_exceeded");
    assert_sv_equal(read.message, "Rate limit reached");
    assert_sv_equal(d.read_error(502, "<html>").code, aigw::upstream_bad_response_error(502).code);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_event),
        cmocka_unit_test(through_the_dialect),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
