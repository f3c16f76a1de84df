// Anthropic's error shape: every canonical error status to its error type, and an upstream's
// Anthropic error back to the canonical error.
#include <string>
#include <string_view>

#include "aigw/dialects/anthropic/error.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::api_error;

namespace {

api_error with_status(int status, std::string message = "m") {
    api_error e;
    e.status = status;
    e.type = "whatever";
    e.message = std::move(message);
    return e;
}

void types_by_status(void**) {
    struct {
        int status;
        const char* type;
    } cases[] = {
        {400, "invalid_request_error"}, {401, "authentication_error"}, {402, "billing_error"},
        {403, "permission_error"},      {404, "not_found_error"},      {405, "invalid_request_error"},
        {408, "invalid_request_error"}, {413, "request_too_large"},    {422, "invalid_request_error"},
        {429, "rate_limit_error"},      {500, "api_error"},            {502, "api_error"},
        {503, "api_error"},             {504, "api_error"},            {529, "overloaded_error"},
    };
    for (const auto& c : cases) {
        assert_sv_equal(aigw::anthropic::error_type(with_status(c.status)), c.type);
    }
    // The gateway's own errors, whatever their OpenAI words.
    assert_sv_equal(aigw::anthropic::error_type(aigw::insufficient_quota_error("key")), "billing_error");
    assert_sv_equal(aigw::anthropic::error_type(aigw::rate_limit_error("tokens", 10, 1500, "key")), "rate_limit_error");
    assert_sv_equal(aigw::anthropic::error_type(aigw::model_not_found_error("m")), "not_found_error");
    assert_sv_equal(aigw::anthropic::error_type(aigw::missing_api_key_error()), "authentication_error");
    assert_sv_equal(aigw::anthropic::error_type(aigw::ip_not_allowed_error()), "permission_error");
    assert_sv_equal(aigw::anthropic::error_type(aigw::upstream_timeout_error()), "api_error");
}

void body_and_event(void**) {
    api_error e = aigw::model_not_found_error("claude-x");
    assert_sv_equal(aigw::anthropic::error_json(e),
                    R"({"type":"error","error":{"type":"not_found_error","message":"The model `claude-x` does not exist or you do not have access to it."}})");
    assert_sv_equal(aigw::anthropic::error_event(with_status(529, "Overloaded")),
                    "event: error\n"
                    R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
                    "\n\n");
    // Bytes that are not UTF-8 in a message still give valid JSON.
    assert_sv_equal(aigw::anthropic::error_json(with_status(400, "bad \xff")),
                    "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad \xef\xbf\xbd\"}}");
}

std::string anthropic_body(std::string_view type, std::string_view message) {
    return std::string(R"({"type":"error","error":{"type":")") + std::string(type) +
           R"(","message":")" + std::string(message) + R"("},"request_id":"req_011"})";
}

void upstream_errors(void**) {
    struct {
        int http;
        const char* type;
        int status;
        const char* canonical;
    } cases[] = {
        {400, "invalid_request_error", 400, "invalid_request_error"},
        {401, "authentication_error", 401, "authentication_error"},
        {402, "billing_error", 402, "insufficient_quota"},
        {403, "permission_error", 403, "permission_error"},
        {404, "not_found_error", 404, "invalid_request_error"},
        {413, "request_too_large", 413, "invalid_request_error"},
        {429, "rate_limit_error", 429, "rate_limit_error"},
        {500, "api_error", 500, "api_error"},
        {504, "timeout_error", 504, "api_error"},
        {529, "overloaded_error", 529, "api_error"},
        // In a stream that began 200, the type gives the status.
        {200, "overloaded_error", 529, "api_error"},
        {0, "rate_limit_error", 429, "rate_limit_error"},
        {200, "api_error", 500, "api_error"},
        // The HTTP status wins when there is one.
        {503, "overloaded_error", 503, "api_error"},
    };
    for (const auto& c : cases) {
        api_error e = aigw::anthropic::read_error(c.http, anthropic_body(c.type, "Something."));
        assert_int_equal(e.status, c.status);
        assert_sv_equal(e.type, c.canonical);
        assert_sv_equal(e.code, c.type);  // Anthropic's own word kept
        assert_sv_equal(e.message, "Something.");
        // And back: the client of an Anthropic endpoint sees the type the upstream said, but
        // that 502, 503 and 504 are all api_error.
        bool gateway_status = c.status == 503 || c.status == 504;
        assert_sv_equal(aigw::anthropic::error_type(e),
                        gateway_status ? std::string_view("api_error") : std::string_view(c.type));
    }
    // A type added later follows the status.
    api_error e = aigw::anthropic::read_error(409, anthropic_body("conflict_error", "busy"));
    assert_int_equal(e.status, 409);
    assert_sv_equal(e.type, "invalid_request_error");
    assert_true(e.code.empty());
    assert_sv_equal(e.message, "busy");
    e = aigw::anthropic::read_error(0, anthropic_body("new_error", "x"));
    assert_int_equal(e.status, 500);
    assert_sv_equal(e.type, "api_error");
}

void not_anthropic_errors(void**) {
    for (std::string_view body :
         {"", "<html>502 Bad Gateway</html>", R"({"error":{"message":"m","type":1}})",
          R"({"error":"overloaded"})", R"({"error":{"type":"api_error"}})", "[]"}) {
        api_error e = aigw::anthropic::read_error(502, body);
        api_error expected = aigw::upstream_bad_response_error(502);
        assert_int_equal(e.status, expected.status);
        assert_sv_equal(e.code, expected.code);
        assert_sv_equal(e.message, expected.message);
    }
    api_error e = aigw::anthropic::read_error(404, "not found");
    assert_int_equal(e.status, 404);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(types_by_status),
        cmocka_unit_test(body_and_event),
        cmocka_unit_test(upstream_errors),
        cmocka_unit_test(not_anthropic_errors),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
