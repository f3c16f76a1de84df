// Model rename in Gemini answers: the top-level modelVersion of a body and of one streamed
// chunk; every other byte as it came.
#include <string>
#include <string_view>

#include "aigw/dialects/gemini/response.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::gemini::rename_event_model;
using aigw::gemini::rename_response_model;

namespace {

void whole_body(void**) {
    const std::string body =
        R"({"candidates":[{"content":{"parts":[{"text":"the \"modelVersion\":\"x\""}],"role":"model"},"finishReason":"STOP","index":0}],)"
        R"("usageMetadata":{"promptTokenCount":3,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash","responseId":"abc"})";
    assert_sv_equal(rename_response_model(body, "flash"),
                    R"({"candidates":[{"content":{"parts":[{"text":"the \"modelVersion\":\"x\""}],"role":"model"},"finishReason":"STOP","index":0}],)"
                    R"("usageMetadata":{"promptTokenCount":3,"totalTokenCount":5},"modelVersion":"flash","responseId":"abc"})");
    // White space around the token stays; the new name is escaped.
    assert_sv_equal(rename_response_model("{ \"modelVersion\" : \"a\" \n}", "q\"t"),
                    "{ \"modelVersion\" : \"q\\\"t\" \n}");
    // A blocked prompt names its model too.
    assert_sv_equal(rename_response_model(R"({"promptFeedback":{"blockReason":"SAFETY"},"modelVersion":"gemini-2.5-pro"})", "pro"),
                    R"({"promptFeedback":{"blockReason":"SAFETY"},"modelVersion":"pro"})");
    // Unchanged: no modelVersion, a nested one only, not a string, a duplicate, already the
    // name, broken JSON, trailing bytes, "model" (another dialect's member), an error, not an object.
    for (std::string_view same :
         {R"({"candidates":[]})", R"({"candidates":[{"modelVersion":"a"}]})", R"({"modelVersion":null})",
          R"({"modelVersion":5})", R"({"modelVersion":"a","modelVersion":"b"})", R"({"modelVersion":"flash"})",
          R"({"modelVersion":"a")", R"({"modelVersion":"a"} {})", R"({"model":"a"})",
          R"({"error":{"code":404,"message":"modelVersion","status":"NOT_FOUND"}})", R"(["modelVersion"])", ""}) {
        assert_sv_equal(rename_response_model(same, "flash"), same);
    }
    // Nesting past the walker's bound is refused, not recursed into.
    std::string deep = R"({"modelVersion":"a","x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
    assert_sv_equal(rename_response_model(deep, "flash"), deep);
    // A model name that is not UTF-8 is no rename, not an exception.
    assert_sv_equal(rename_response_model(R"({"modelVersion":"a"})", "\xff"), R"({"modelVersion":"a"})");
}

void stream_events(void**) {
    // Gemini's frames: data and CRLF line ends.
    assert_sv_equal(
        rename_event_model("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},\"index\":0}],"
                           "\"usageMetadata\":{\"promptTokenCount\":4,\"totalTokenCount\":4},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r\"}\r\n\r\n",
                           "flash"),
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},\"index\":0}],"
        "\"usageMetadata\":{\"promptTokenCount\":4,\"totalTokenCount\":4},\"modelVersion\":\"flash\",\"responseId\":\"r\"}\r\n\r\n");
    // LF line ends, no space after data:, a comment line kept as it is.
    assert_sv_equal(rename_event_model(": hi\ndata:{\"modelVersion\" :\"a\"}\n\n", "b"),
                    ": hi\ndata:{\"modelVersion\" :\"b\"}\n\n");
    // Left as they came: an error chunk, a chunk naming it already, data that is not JSON, no data.
    for (std::string_view same :
         {"data: {\"error\":{\"code\":500,\"message\":\"x\",\"status\":\"INTERNAL\"}}\r\n\r\n",
          "data: {\"modelVersion\":\"b\"}\r\n\r\n", "data: [DONE]\n\n", ": keep-alive\n\n",
          "data: {\"modelVersion\":\"a\"\r\n\r\n"}) {
        assert_sv_equal(rename_event_model(same, "b"), same);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_body),
        cmocka_unit_test(stream_events),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
