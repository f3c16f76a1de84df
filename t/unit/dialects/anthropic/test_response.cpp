// Model rename in Anthropic answers: a Message's top-level model, message_start's
// message.model; every other byte as it came.
#include <string>
#include <string_view>

#include "aigw/dialects/anthropic/response.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::anthropic::rename_event_model;
using aigw::anthropic::rename_response_model;

namespace {

void message_body(void**) {
    const std::string body =
        R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",)"
        R"("content":[{"type":"text","text":"the \"model\":\"x\""}],"usage":{"input_tokens":1,"output_tokens":2}})";
    assert_sv_equal(rename_response_model(body, "sonnet"),
                    R"({"id":"msg_1","type":"message","role":"assistant","model":"sonnet",)"
                    R"("content":[{"type":"text","text":"the \"model\":\"x\""}],"usage":{"input_tokens":1,"output_tokens":2}})");
    // White space around the token stays; the new name is escaped.
    assert_sv_equal(rename_response_model("{ \"model\" : \"a\" \n}", "q\"t"),
                    "{ \"model\" : \"q\\\"t\" \n}");
    // Unchanged: no model, not a string, a duplicate, already the name, broken JSON, an error.
    for (std::string_view same :
         {R"({"type":"message","content":[]})", R"({"model":null})", R"({"model":5})",
          R"({"model":"a","model":"b"})", R"({"model":"sonnet"})", R"({"model":"a")",
          R"({"type":"error","error":{"type":"api_error","message":"model"}})", "[]", ""}) {
        assert_sv_equal(rename_response_model(same, "sonnet"), same);
    }
}

void message_start_event(void**) {
    const std::string event =
        "event: message_start\n"
        R"(data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",)"
        R"("model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"usage":{"input_tokens":9,"output_tokens":1}}})"
        "\n\n";
    assert_sv_equal(rename_event_model(event, "sonnet"),
                    "event: message_start\n"
                    R"(data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",)"
                    R"("model":"sonnet","content":[],"stop_reason":null,"usage":{"input_tokens":9,"output_tokens":1}}})"
                    "\n\n");
    // CRLF line ends and no space after data: are kept as they are.
    assert_sv_equal(
        rename_event_model("event: message_start\r\ndata:{\"message\":{\"model\" :\"a\"},\"type\":\"message_start\"}\r\n\r\n", "b"),
        "event: message_start\r\ndata:{\"message\":{\"model\" :\"b\"},\"type\":\"message_start\"}\r\n\r\n");
}

void other_events_unchanged(void**) {
    for (std::string_view same : {
             "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"message_start model\"}}\n\n",
             "event: ping\ndata: {\"type\": \"ping\"}\n\n",
             "event: message_delta\ndata: {\"type\":\"message_delta\",\"model\":\"a\",\"delta\":{}}\n\n",
             // A top-level model in message_start is not the message's.
             "event: message_start\ndata: {\"type\":\"message_start\",\"model\":\"a\",\"message\":{}}\n\n",
             "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"a\",\"model\":\"b\"}}\n\n",
             "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"a\"}},\n\n",
             "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":null}}\n\n",
             "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"b\"}}\n\n",
             ": keep-alive\n\n",
             ""}) {
        assert_sv_equal(rename_event_model(same, "b"), same);
    }
    std::string deep = "data: {\"type\":\"message_start\",\"message\":{\"model\":\"a\",\"x\":";
    for (int i = 0; i < 5000; ++i) deep += '[';
    for (int i = 0; i < 5000; ++i) deep += ']';
    deep += "}}\n\n";
    assert_sv_equal(rename_event_model(deep, "b"), deep);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(message_body),
        cmocka_unit_test(message_start_event),
        cmocka_unit_test(other_events_unchanged),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
