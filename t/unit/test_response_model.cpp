// Responses naming the public model: JSON bodies, SSE chunk payloads and whole events.
#include <string>
#include <string_view>

#include "aigw/response_model.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

using aigw::rename_chunk_model;
using aigw::rename_event_model;
using aigw::rename_response_model;

namespace {

void assert_sv_equal(std::string_view got, std::string_view expected) {
    if (got != expected) {
        print_error("got      [%.*s] (%zu bytes)\nexpected [%.*s] (%zu bytes)\n",
                    static_cast<int>(got.size()), got.data(), got.size(),
                    static_cast<int>(expected.size()), expected.data(), expected.size());
    }
    assert_true(got == expected);
}

void unchanged(std::string_view json) {
    assert_sv_equal(rename_response_model(json, "public"), json);
    assert_sv_equal(rename_chunk_model(json, "public"), json);
}

// ---- whole bodies ----

void chat_completion_body(void**) {
    const std::string_view body =
        "{\n  \"id\": \"chatcmpl-1\",\n  \"object\": \"chat.completion\",\n  \"created\": 1,\n"
        "  \"model\": \"gpt-4o-2024-08-06\",\n  \"choices\": [{\"index\": 0, \"message\": "
        "{\"role\": \"assistant\", \"content\": \"the model is \\\"x\\\"\"}}],\n"
        "  \"usage\": {\"prompt_tokens\": 5, \"completion_tokens\": 7, \"total_tokens\": 12}\n}\n";
    std::string expected(body);
    expected.replace(expected.find("\"gpt-4o-2024-08-06\""), 19, "\"gpt-4o\"");
    assert_sv_equal(rename_response_model(body, "gpt-4o"), expected);
}

void model_last_and_first(void**) {
    assert_sv_equal(rename_response_model(R"({"object":"list","data":[],"model":"up"})", "pub"),
                    R"({"object":"list","data":[],"model":"pub"})");
    assert_sv_equal(rename_response_model(R"({"model":"up","data":[{"model":"up"}]})", "pub"),
                    R"({"model":"pub","data":[{"model":"up"}]})");
}

void names_escaped_and_unicode(void**) {
    assert_sv_equal(rename_response_model(R"({"model":"up"})", "we\"ird\\"),
                    R"({"model":"we\"ird\\"})");
    assert_sv_equal(rename_response_model(R"({"model":"up"})", "mod\xc3\xa8le"),
                    "{\"model\":\"mod\xc3\xa8le\"}");
    // An upstream that escapes its own name: the whole token is replaced.
    assert_sv_equal(rename_response_model(R"({"model":"\u0075p"})", "pub"), R"({"model":"pub"})");
}

void already_public_is_untouched(void**) {
    // Same name, even written with escapes: the bytes stay as the upstream sent them.
    unchanged(R"({"model":"public","x":1})");
    unchanged(R"({"model":"p\u0075blic"})");
}

void no_top_level_model(void**) {
    unchanged(R"({"id":"x","choices":[]})");
    unchanged(R"({"response":{"model":"up"},"type":"response.created"})");  // nested only
    unchanged(R"({"model":null})");
    unchanged(R"({"model":42})");
    unchanged(R"({"model":{"id":"up"}})");
    unchanged(R"([{"model":"up"}])");
    unchanged("");
    unchanged("not json");
    unchanged(R"({"model":"up")");     // truncated
    unchanged(R"({"model":"up"} x)");  // trailing garbage
    unchanged("<html><body>502 Bad Gateway</body></html>");
}

void big_body(void**) {
    std::string content;
    while (content.size() < (1u << 20)) content += "lorem \\\"model\\\":\\\"up\\\" ipsum ";
    const std::string body = R"({"choices":[{"message":{"content":")" + content +
                             R"("}}],"model":"up"})";
    const std::string expected = R"({"choices":[{"message":{"content":")" + content +
                                 R"("}}],"model":"gpt-4o"})";
    assert_sv_equal(rename_response_model(body, "gpt-4o"), expected);
}

// ---- SSE ----

void chunk_payloads(void**) {
    assert_sv_equal(
        rename_chunk_model(R"({"id":"c","object":"chat.completion.chunk","created":1,)"
                           R"("model":"deepseek-chat-v3","choices":[{"index":0,"delta":)"
                           R"({"content":"hi"},"finish_reason":null}]})",
                           "deepseek-chat"),
        R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"deepseek-chat",)"
        R"("choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]})");
    assert_sv_equal(rename_chunk_model("[DONE]", "pub"), "[DONE]");
    assert_sv_equal(rename_chunk_model("", "pub"), "");
    assert_sv_equal(rename_chunk_model("  ", "pub"), "  ");
    assert_sv_equal(rename_chunk_model(" {\"model\":\"up\"} ", "pub"), " {\"model\":\"pub\"} ");
}

void whole_events(void**) {
    assert_sv_equal(rename_event_model("data: {\"model\":\"up\",\"x\":1}\n\n", "pub"),
                    "data: {\"model\":\"pub\",\"x\":1}\n\n");
    // No space after the colon, CRLF and CR line ends, other fields kept.
    assert_sv_equal(
        rename_event_model("id: 7\r\nevent: chunk\r\ndata:{\"model\":\"up\"}\r\n\r\n", "pub"),
        "id: 7\r\nevent: chunk\r\ndata:{\"model\":\"pub\"}\r\n\r\n");
    assert_sv_equal(rename_event_model("data: {\"model\":\"up\"}\r\r", "pub"),
                    "data: {\"model\":\"pub\"}\r\r");
    // Only one space is syntax; a second belongs to the payload.
    assert_sv_equal(rename_event_model("data:  {\"model\":\"up\"}\n\n", "pub"),
                    "data:  {\"model\":\"pub\"}\n\n");
    assert_sv_equal(rename_event_model("data: [DONE]\n\n", "pub"), "data: [DONE]\n\n");
    assert_sv_equal(rename_event_model(": keep-alive\n\n", "pub"), ": keep-alive\n\n");
    // A line that only looks like data.
    assert_sv_equal(rename_event_model("x-data: {\"model\":\"up\"}\n\n", "pub"),
                    "x-data: {\"model\":\"up\"}\n\n");
    // Several events in one piece, and one with no final newline.
    assert_sv_equal(rename_event_model("data: {\"model\":\"up\"}\n\ndata: {\"model\":\"up\","
                                       "\"usage\":{\"total_tokens\":3}}\n\ndata: [DONE]",
                                       "pub"),
                    "data: {\"model\":\"pub\"}\n\ndata: {\"model\":\"pub\","
                    "\"usage\":{\"total_tokens\":3}}\n\ndata: [DONE]");
    // An object split over two data lines is left alone.
    assert_sv_equal(rename_event_model("data: {\"model\":\n data: \"up\"}\n\n", "pub"),
                    "data: {\"model\":\n data: \"up\"}\n\n");
    assert_sv_equal(rename_event_model("", "pub"), "");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_completion_body),
        cmocka_unit_test(model_last_and_first),
        cmocka_unit_test(names_escaped_and_unicode),
        cmocka_unit_test(already_public_is_untouched),
        cmocka_unit_test(no_top_level_model),
        cmocka_unit_test(big_body),
        cmocka_unit_test(chunk_payloads),
        cmocka_unit_test(whole_events),
    };
    return cmocka_run_group_tests_name("response_model", tests, nullptr, nullptr);
}
