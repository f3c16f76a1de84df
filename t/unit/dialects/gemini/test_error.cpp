// Google's error shape: the canonical error written as Google writes it (a body, a stream
// chunk), and an upstream's Google error read back as the canonical one.
#include <string>
#include <string_view>

#include "aigw/dialects/gemini/error.hpp"

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
namespace gemini = aigw::gemini;

namespace {

api_error with_status(int status, std::string message = "m") {
    api_error e;
    e.status = status;
    e.type = "whatever";
    e.message = std::move(message);
    return e;
}

void status_names(void**) {
    struct {
        int status;
        const char* name;
    } cases[] = {
        {400, "INVALID_ARGUMENT"},   {401, "UNAUTHENTICATED"},     {402, "FAILED_PRECONDITION"},
        {403, "PERMISSION_DENIED"},  {404, "NOT_FOUND"},           {405, "FAILED_PRECONDITION"},
        {409, "ABORTED"},            {413, "INVALID_ARGUMENT"},    {426, "FAILED_PRECONDITION"},
        {429, "RESOURCE_EXHAUSTED"}, {499, "CANCELLED"},           {500, "INTERNAL"},
        {501, "UNIMPLEMENTED"},      {502, "INTERNAL"},            {503, "UNAVAILABLE"},
        {504, "DEADLINE_EXCEEDED"},  {529, "UNAVAILABLE"},
    };
    for (const auto& c : cases) {
        assert_sv_equal(gemini::status_name(c.status), c.name);
    }
}

void body_and_event(void**) {
    api_error e = aigw::model_not_found_error("gemini-x");
    assert_sv_equal(gemini::error_json(e),
                    R"({"error":{"code":404,"message":"The model `gemini-x` does not exist or you do not have access to it.","status":"NOT_FOUND"}})");
    assert_sv_equal(gemini::error_event(with_status(429, "Slow down")),
                    "data: {\"error\":{\"code\":429,\"message\":\"Slow down\",\"status\":\"RESOURCE_EXHAUSTED\"}}\r\n\r\n");
    // Bytes that are not UTF-8 in a message still give valid JSON.
    assert_sv_equal(gemini::error_json(with_status(400, "bad \xff")),
                    "{\"error\":{\"code\":400,\"message\":\"bad \xef\xbf\xbd\",\"status\":\"INVALID_ARGUMENT\"}}");
}

void read_google_errors(void**) {
    struct {
        int status;
        const char* body;
        int want_status;
        const char* type;
        const char* code;  // nullptr: JSON null
        const char* message;
    } cases[] = {
        {429, R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})",
         429, "rate_limit_error", "rate_limit_exceeded", "Resource has been exhausted (e.g. check quota)."},
        {400, R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}})",
         400, "invalid_request_error", "invalid_argument", "API key not valid. Please pass a valid API key."},
        {403, R"({"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}})", 403, "permission_error", "permission_denied", "denied"},
        {404, R"({"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}})", 404, "not_found_error", "not_found", "models/x is not found"},
        {401, R"({"error":{"code":401,"message":"no","status":"UNAUTHENTICATED"}})", 401, "authentication_error", "unauthenticated", "no"},
        {500, R"({"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}})", 500, "api_error", "internal", "An internal error has occurred."},
        {503, R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})", 503, "api_error", "unavailable", "The model is overloaded."},
        {504, R"({"error":{"code":504,"message":"late","status":"DEADLINE_EXCEEDED"}})", 504, "api_error", "deadline_exceeded", "late"},
        // Inside a stream that began 200: the error's code gives the status.
        {0, R"({"error":{"code":500,"message":"boom","status":"INTERNAL"}})", 500, "api_error", "internal", "boom"},
        {200, R"({"error":{"code":429,"message":"q","status":"RESOURCE_EXHAUSTED"}})", 429, "rate_limit_error", "rate_limit_exceeded", "q"},
        // No code: the status word gives it; neither: 500.
        {0, R"({"error":{"message":"q","status":"NOT_FOUND"}})", 404, "not_found_error", "not_found", "q"},
        {0, R"({"error":{"message":"q"}})", 500, "api_error", nullptr, "q"},
        // A status word Google may add later: no code of ours; the HTTP status decides the type.
        {409, R"({"error":{"code":409,"message":"later","status":"SOMETHING_NEW"}})", 409, "invalid_request_error", nullptr, "later"},
    };
    for (const auto& c : cases) {
        api_error e = gemini::read_error(c.status, c.body);
        assert_int_equal(e.status, c.want_status);
        assert_sv_equal(e.type, c.type);
        assert_sv_equal(e.code, c.code == nullptr ? "" : c.code);
        assert_sv_equal(e.message, c.message);
    }
}

void not_google_errors(void**) {
    for (std::string_view body :
         {"<html>Bad Gateway</html>", "", "[]", R"({"error":"quota"})", R"({"error":{"code":429}})",
          R"({"error":{"message":5}})", R"({"type":"error","error":{"type":"api_error"}})"}) {
        api_error e = gemini::read_error(502, body);
        assert_int_equal(e.status, 502);
        assert_sv_equal(e.code, "upstream_error");
    }
    // A 4xx that is not Google's shape keeps its status.
    assert_int_equal(gemini::read_error(429, "Too Many Requests").status, 429);
}

void round_trip(void**) {
    // The gateway's own error, through Google's shape and back: the status and the words survive.
    api_error e = aigw::rate_limit_error("requests", 10, 1500, "key");
    api_error back = gemini::read_error(e.status, gemini::error_json(e));
    assert_int_equal(back.status, 429);
    assert_sv_equal(back.type, "rate_limit_error");
    assert_sv_equal(back.code, "rate_limit_exceeded");
    assert_sv_equal(back.message, e.message);
}

// Google's 429 says how long to wait in a RetryInfo detail, not in a header.
void retry_delay(void**) {
    const std::string quota =
        R"({"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED",)"
        R"("details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},)"
        R"({"@type":"type.googleapis.com/google.rpc.Help","links":[]},)"
        R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"21s"}]}})";
    assert_int_equal(gemini::retry_delay_ms(quota), 21000);
    auto with_delay = [](std::string_view d) {
        return R"({"error":{"code":429,"message":"m","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":")" +
               std::string(d) + R"("}]}})";
    };
    assert_int_equal(gemini::retry_delay_ms(with_delay("0.5s")), 500);
    assert_int_equal(gemini::retry_delay_ms(with_delay("1.000000001s")), 1001);  // rounded up
    assert_int_equal(gemini::retry_delay_ms(with_delay("0s")), 0);
    for (std::string_view bad : {"21", "s", "-1s", "1.s", "1.5.5s", "abc", "1.0000000001s",
                                 "99999999999999999999s"}) {
        assert_int_equal(gemini::retry_delay_ms(with_delay(bad)), 0);
    }
    assert_int_equal(gemini::retry_delay_ms(R"({"error":{"code":429,"message":"m"}})"), 0);
    assert_int_equal(gemini::retry_delay_ms("<html>"), 0);
    assert_int_equal(gemini::retry_delay_ms(""), 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_names),
        cmocka_unit_test(body_and_event),
        cmocka_unit_test(read_google_errors),
        cmocka_unit_test(not_google_errors),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(retry_delay),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
