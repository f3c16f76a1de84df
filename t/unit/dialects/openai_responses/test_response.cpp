// Renaming the model in a Responses answer: the top-level model of a response object, and
// the response object's model in the lifecycle events of a stream; every other byte kept.
#include <string>
#include <string_view>

#include "aigw/dialects/openai_responses/response.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

namespace responses = aigw::responses;

namespace {

void response_body(void**) {
    assert_sv_equal(responses::rename_response_model(
                        R"({"id":"resp_1","object":"response","model": "gpt-5-2025-08-07" ,"output":[{"model":"x"}]})", "gpt-5"),
                    R"({"id":"resp_1","object":"response","model": "gpt-5" ,"output":[{"model":"x"}]})");
    // No top-level model, broken JSON, already named: as it came.
    for (std::string_view same : {R"({"response":{"model":"up"}})", R"({"model":"up",)", R"({"model":"gpt-5"})"}) {
        assert_sv_equal(responses::rename_response_model(same, "gpt-5"), same);
    }
}

void stream_events(void**) {
    for (std::string_view type : {"response.created", "response.in_progress", "response.completed",
                                  "response.incomplete", "response.failed", "response.queued"}) {
        std::string event = "event: " + std::string(type) + "\r\ndata: {\"type\":\"" + std::string(type) +
                            R"(","sequence_number":1,"response":{"id":"resp_1","model":"up-1","output":[{"model":"keep"}]}})" "\r\n\r\n";
        std::string expected = event;
        expected.replace(expected.find("up-1"), 4, "pub");
        assert_sv_equal(responses::rename_event_model(event, "pub"), expected);
    }
    // Events that name no model, and a model nested deeper, stay as they came.
    for (std::string_view same : {
             "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"\\\"response\\\": model\"}\n\n",
             "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"item\":{\"model\":\"up\"}}\n\n",
             "data: {\"type\":\"response.done\",\"response\":{\"model\":\"up\"}}\n\n",
             "data: {\"type\":\"response.completed\",\"response\":{\"model\":7}}\n\n",
             "data: {\"type\":\"response.completed\",\"response\":{\"model\":\"up\"}\n\n",
             "data: {\"type\":\"response.completed\",\"response\":{\"model\":\"pub\"}}\n\n",
         }) {
        assert_sv_equal(responses::rename_event_model(same, "pub"), same);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(response_body),
        cmocka_unit_test(stream_events),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
