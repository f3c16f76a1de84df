// Responses naming the public model: JSON bodies, SSE chunk payloads and whole events.
#include <optional>
#include <string>
#include <string_view>

#include "aigw/dialects/openai_chat/response.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::rename_chunk_model;
using aigw::rename_event_model;
using aigw::rename_response_model;
using aigw::strip_event_null_usage;
using aigw::strip_null_usage;

namespace {

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

// ---- "usage": null stripped ----

void stripped(std::string_view json, std::string_view expected) {
    std::optional<std::string> got = strip_null_usage(json);
    if (!got) print_error("nothing stripped from [%.*s]\n", static_cast<int>(json.size()), json.data());
    assert_true(got.has_value());
    assert_sv_equal(*got, expected);
}

void kept(std::string_view json) {
    std::optional<std::string> got = strip_null_usage(json);
    if (got) {
        print_error("[%.*s] became [%s]\n", static_cast<int>(json.size()), json.data(),
                    got->c_str());
    }
    assert_false(got.has_value());
}

void strip_positions(void**) {
    stripped(R"({"a":1,"usage":null})", R"({"a":1})");
    stripped(R"({"usage":null,"a":1})", R"({"a":1})");
    stripped(R"({"usage":null})", R"({})");
    stripped(R"({"a":1,"usage":null,"b":2})", R"({"a":1,"b":2})");
    stripped(R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",)"
             R"("choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],)"
             R"("usage":null})",
             R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",)"
             R"("choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})");
    // Values of every type around it stay byte for byte.
    stripped(R"({"a":[1,{"b":null}],"usage":null,"c":{"d":[]},"e":-1.5e3,"f":true})",
             R"({"a":[1,{"b":null}],"c":{"d":[]},"e":-1.5e3,"f":true})");
}

void strip_whitespace(void**) {
    stripped(R"({"a": 1, "usage": null})", R"({"a": 1})");
    stripped(R"({ "usage" : null , "a" : 1 })", R"({ "a" : 1 })");
    stripped(R"({"a":1 , "usage":null , "b":2})", R"({"a":1 , "b":2})");
    stripped(R"({ "usage": null })", R"({})");
    stripped("{\n  \"a\": 1,\n  \"usage\": null\n}", "{\n  \"a\": 1\n}");
    stripped("{\n  \"usage\": null,\n  \"a\": 1\n}", "{\n  \"a\": 1\n}");
    stripped("{\n  \"a\": 1,\n  \"usage\": null,\n  \"b\": 2\n}", "{\n  \"a\": 1,\n  \"b\": 2\n}");
    stripped("{\r\n\t\"usage\"\t:\tnull\r\n}", "{}");
    // White space around the object itself is kept.
    stripped(" \n{\"a\":1,\"usage\":null}\n ", " \n{\"a\":1}\n ");
    stripped(" {\"usage\":null} ", " {} ");
}

void strip_duplicates(void**) {
    // Every null one goes, the others stay.
    stripped(R"({"usage":null,"usage":null})", R"({})");
    stripped(R"({"usage":null,"usage":null,"a":1})", R"({"a":1})");
    stripped(R"({"a":1,"usage":null,"usage":null})", R"({"a":1})");
    stripped(R"({"a":1, "usage":null, "usage":null, "b":2})", R"({"a":1, "b":2})");
    stripped(R"({"usage":null,"a":1,"usage":null})", R"({"a":1})");
    stripped(R"({"usage":null,"usage":{"total_tokens":3}})", R"({"usage":{"total_tokens":3}})");
    stripped(R"({"usage":{"total_tokens":3},"usage":null})", R"({"usage":{"total_tokens":3}})");
    stripped(R"({"usage":null,"a":1,"usage":null,"b":2,"usage":null})", R"({"a":1,"b":2})");
}

void strip_leaves_the_rest(void**) {
    // Not at the top level.
    kept(R"({"choices":[{"usage":null}]})");
    kept(R"({"a":{"usage":null}})");
    stripped(R"({"a":{"usage":null},"usage":null})", R"({"a":{"usage":null}})");
    // Not null.
    kept(R"({"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})");
    kept(R"({"usage":{}})");
    kept(R"({"usage":0})");
    kept(R"({"usage":"null"})");
    kept(R"({"usage":false})");
    kept(R"({"usage":[null]})");
    // The text inside strings, or as a value rather than a key.
    kept(R"({"content":"\"usage\":null"})");
    kept(R"({"content":"\"usage\": null","x":null})");
    kept(R"({"x\"usage":null})");
    kept(R"({"a":"usage","b":null})");
    kept(R"({"usages":null})");
    kept(R"({"Usage":null})");
    // Written with an escape: not the key providers send, left alone.
    kept(R"({"us\u0061ge":null})");
    // No usage at all.
    kept(R"({"id":"c1","choices":[]})");
    kept(R"({})");
}

void strip_refuses_invalid(void**) {
    kept("");
    kept("   ");
    kept("[DONE]");
    kept("null");
    kept(R"([{"usage":null}])");
    kept(R"("usage":null)");
    kept(R"({"usage":null)");                // truncated
    kept(R"({"usage":null,})");              // trailing comma
    kept(R"({"usage":null}})");              // trailing garbage
    kept(R"({"usage":null} {"usage":null})");
    kept(R"({"usage":nul})");
    kept(R"({"usage":nullx})");
    kept(R"({"usage":null,"a":tru})");       // broken elsewhere
    kept(R"({"usage":null,"a":"\x"})");      // bad escape
    kept(R"({"usage":null,"a":[1,]})");
    kept(R"({"usage":null,"a":01})");
    kept("{\"usage\":null,\"a\":\"\xff\"}");  // not UTF-8
    kept("{\"usage\":null,\"a\":\"\x01\"}");  // raw control character
    kept(R"({"usage":null,"a":1,"a\u":2})");  // bad escape in a key
    kept("<html>\"usage\":null</html>");
    // Deeper than the validating walk goes.
    std::string deep = R"({"usage":null,"a":)";
    deep += std::string(200, '[') + std::string(200, ']') + "}";
    kept(deep);
    // A NUL byte inside the given length.
    kept(std::string_view("{\"usage\":null,\0}", 16));
}

void strip_preserves_bytes(void**) {
    // Escapes and UTF-8 stay exactly as written, not re-encoded.
    stripped("{\"content\":\"h\\u00e9llo \\\"w\\\" \\n \xc3\xa9\xe4\xbd\xa0\xf0\x9f\x91\x8b "
             "\\ud83d\\udc4b\",\"usage\":null}",
             "{\"content\":\"h\\u00e9llo \\\"w\\\" \\n \xc3\xa9\xe4\xbd\xa0\xf0\x9f\x91\x8b "
             "\\ud83d\\udc4b\"}");
    stripped(R"({"usage":null,"k\u00e9y":"\/\b\f\r\t"})", R"({"k\u00e9y":"\/\b\f\r\t"})");
    // A long chunk: the parse's padded copy grows and is reused.
    std::string content(100000, 'x');
    stripped(R"({"c":")" + content + R"(","usage":null})", R"({"c":")" + content + R"("})");
    stripped(R"({"usage":null,"a":1})", R"({"a":1})");
}

void event_kept(std::string_view event) {
    std::optional<std::string> got = strip_event_null_usage(event);
    if (got) print_error("event became [%s]\n", got->c_str());
    assert_false(got.has_value());
}

void event_stripped(std::string_view event, std::string_view expected) {
    std::optional<std::string> got = strip_event_null_usage(event);
    assert_true(got.has_value());
    assert_sv_equal(*got, expected);
}

void strip_events(void**) {
    event_stripped("data: {\"a\":1,\"usage\":null}\n\n", "data: {\"a\":1}\n\n");
    event_stripped("data:{\"usage\":null,\"a\":1}\n\n", "data:{\"a\":1}\n\n");
    // CRLF and CR line ends, other fields and comments kept.
    event_stripped("id: 7\r\nevent: chunk\r\n: note\r\ndata: {\"a\":1,\"usage\":null}\r\n\r\n",
                   "id: 7\r\nevent: chunk\r\n: note\r\ndata: {\"a\":1}\r\n\r\n");
    event_stripped("data: {\"a\":1,\"usage\":null}\r\r", "data: {\"a\":1}\r\r");
    // Only one space is syntax; the second is the payload's and is kept.
    event_stripped("data:  {\"usage\":null,\"a\":1} \n\n", "data:  {\"a\":1} \n\n");
    // Several data lines: each one on its own; lines that are not objects stay.
    event_stripped("data: {\"a\":1,\"usage\":null}\ndata: [1]\ndata: {\"usage\":null,\"b\":2}\n\n",
                   "data: {\"a\":1}\ndata: [1]\ndata: {\"b\":2}\n\n");
    // Several events in one piece, the last without an end.
    event_stripped("data: {\"a\":1,\"usage\":null}\n\ndata: {\"choices\":[],\"usage\":"
                   "{\"total_tokens\":3}}\n\ndata: {\"usage\":null}",
                   "data: {\"a\":1}\n\ndata: {\"choices\":[],\"usage\":"
                   "{\"total_tokens\":3}}\n\ndata: {}");
    // Unicode in the event is copied byte for byte.
    event_stripped("event: \xc3\xa9\ndata: {\"c\":\"\xf0\x9f\x91\x8b\\u00e9\",\"usage\":null}\n\n",
                   "event: \xc3\xa9\ndata: {\"c\":\"\xf0\x9f\x91\x8b\\u00e9\"}\n\n");

    event_kept("data: [DONE]\n\n");
    event_kept(": keep-alive\n\n");
    event_kept("data: {\"a\":1}\n\n");
    event_kept("data: {\"usage\":{\"total_tokens\":3},\"choices\":[]}\n\n");
    event_kept("x-data: {\"usage\":null}\n\n");           // only looks like data
    event_kept("event: {\"usage\":null}\n\n");
    event_kept("data: {\"usage\":\ndata: null}\n\n");    // an object split over two lines
    event_kept("data: {\"usage\":null\n\n");             // broken
    event_kept("");
    event_kept("\n\n");
    event_kept("data:");
    event_kept("data: ");
}

void strip_trailing_null_usage_without_parse(void**) {
    const std::string data =
        R"({"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null})";
    const std::string event = "data: " + data + "\n\n";
    auto out = aigw::strip_event_trailing_null_usage(event, data);
    assert_true(out.has_value());
    assert_string_equal(out->c_str(),
                        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n");
    // It agrees with the full parse wherever it applies.
    assert_true(*out == *aigw::strip_event_null_usage(event));
    // CRLF line ends and trailing blanks in the data.
    const std::string crlf = "data: " + data + "  \r\n\r\n";
    assert_true(*aigw::strip_event_trailing_null_usage(crlf, data + "  ") ==
                *aigw::strip_event_null_usage(crlf));
    // Not the last member, nested, the first member, or several data lines: left to the parse.
    for (const char* d : {R"({"usage":null,"id":"c1"})", R"({"a":{"b":1,"usage":null}})",
                          R"({"usage":null})", R"({"usage":{"prompt_tokens":1}})"}) {
        std::string ev = std::string("data: ") + d + "\n\n";
        assert_false(aigw::strip_event_trailing_null_usage(ev, d).has_value());
    }
    assert_false(aigw::strip_event_trailing_null_usage("data: {\"a\":1,\n"
                                                       "data: \"usage\":null}\n\n",
                                                       "{\"a\":1,\n\"usage\":null}")
                     .has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strip_trailing_null_usage_without_parse),
        cmocka_unit_test(chat_completion_body),
        cmocka_unit_test(model_last_and_first),
        cmocka_unit_test(names_escaped_and_unicode),
        cmocka_unit_test(already_public_is_untouched),
        cmocka_unit_test(no_top_level_model),
        cmocka_unit_test(big_body),
        cmocka_unit_test(chunk_payloads),
        cmocka_unit_test(whole_events),
        cmocka_unit_test(strip_positions),
        cmocka_unit_test(strip_whitespace),
        cmocka_unit_test(strip_duplicates),
        cmocka_unit_test(strip_leaves_the_rest),
        cmocka_unit_test(strip_refuses_invalid),
        cmocka_unit_test(strip_preserves_bytes),
        cmocka_unit_test(strip_events),
    };
    return cmocka_run_group_tests_name("response_model", tests, nullptr, nullptr);
}
