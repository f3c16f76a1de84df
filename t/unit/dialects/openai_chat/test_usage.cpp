// Usage read from OpenAI responses and streamed chunks; chunk facts for the stream path.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>

#include "aigw/dialects/openai_chat/usage.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::chunk_info;
using aigw::usage;

namespace {

const aigw::usage_parser& openai() { return aigw::openai_usage_parser(); }

void assert_usage(const usage& u, std::int64_t prompt, std::int64_t completion, std::int64_t total,
                  std::int64_t cached, std::int64_t reasoning) {
    assert_true(u.present);
    assert_false(u.estimated);
    assert_int_equal(u.prompt_tokens, prompt);
    assert_int_equal(u.completion_tokens, completion);
    assert_int_equal(u.total_tokens, total);
    assert_int_equal(u.cached_tokens, cached);
    assert_int_equal(u.reasoning_tokens, reasoning);
}

void assert_no_usage(const usage& u) {
    assert_false(u.present);
    assert_false(u.estimated);
    assert_int_equal(u.prompt_tokens, 0);
    assert_int_equal(u.completion_tokens, 0);
    assert_int_equal(u.total_tokens, 0);
    assert_int_equal(u.cached_tokens, 0);
    assert_int_equal(u.reasoning_tokens, 0);
}

void chat_completion_response(void**) {
    const std::string body = R"({
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
  "object": "chat.completion",
  "created": 1741570283,
  "model": "gpt-4o-2024-08-06",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": "The image shows a wooden boardwalk.",
        "refusal": null,
        "annotations": []
      },
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 1117,
    "completion_tokens": 46,
    "total_tokens": 1163,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {
      "reasoning_tokens": 0,
      "audio_tokens": 0,
      "accepted_prediction_tokens": 0,
      "rejected_prediction_tokens": 0
    }
  },
  "service_tier": "default",
  "system_fingerprint": "fp_fc9f1d7035"
})";
    assert_usage(openai().from_response(body), 1117, 46, 1163, 1024, 0);
    std::string text;
    openai().read_response(body, &text);
    assert_string_equal(text.c_str(), "The image shows a wooden boardwalk.");
}

void reasoning_model_response(void**) {
    // o-series: usage before choices, reasoning tokens counted inside completion tokens.
    const std::string body =
        R"({"usage":{"completion_tokens_details":{"reasoning_tokens":1024},"prompt_tokens_details":)"
        R"({"cached_tokens":512},"prompt_tokens":1300,"completion_tokens":1500,"total_tokens":2800},)"
        R"("id":"chatcmpl-x","object":"chat.completion","model":"o3-mini","choices":[{"index":0,)"
        R"("message":{"role":"assistant","content":"42"},"finish_reason":"stop"}]})";
    assert_usage(openai().from_response(body), 1300, 1500, 2800, 512, 1024);
}

void tool_call_response_text(void**) {
    const std::string body =
        R"({"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",)"
        R"("content":null,"tool_calls":[{"id":"call_abc","type":"function","function":)"
        R"({"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}]})";
    std::string text;
    usage u = openai().read_response(body, &text);
    assert_no_usage(u);  // no usage object at all: the caller estimates
    assert_string_equal(text.c_str(), "get_weather{\"location\":\"Paris\"}");
}

void completion_response(void**) {
    const std::string body =
        R"({"id":"cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7","object":"text_completion","created":1589478378,)"
        R"("model":"gpt-3.5-turbo-instruct","system_fingerprint":"fp_44709d6fcb","choices":[{"text":)"
        R"("\n\nThis is indeed a test","index":0,"logprobs":null,"finish_reason":"length"}],)"
        R"("usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}})";
    std::string text;
    assert_usage(openai().read_response(body, &text), 5, 7, 12, 0, 0);
    assert_string_equal(text.c_str(), "\n\nThis is indeed a test");
}

void embeddings_response(void**) {
    const std::string body =
        R"({"object":"list","data":[{"object":"embedding","embedding":[0.0023064255,-0.009327292,)"
        R"(-0.0028842222],"index":0}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,)"
        R"("total_tokens":8}})";
    assert_usage(openai().from_response(body), 8, 0, 8, 0, 0);
}

void total_filled_in_when_missing(void**) {
    assert_usage(openai().from_response(R"({"usage":{"prompt_tokens":3,"completion_tokens":4}})"),
                 3, 4, 7, 0, 0);
    // Counts printed as floats by some compatible servers.
    assert_usage(openai().from_response(R"({"usage":{"prompt_tokens":3.0,"completion_tokens":4e0}})"),
                 3, 4, 7, 0, 0);
}

void stream_chunks(void**) {
    const std::string role =
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini",)"
        R"("system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant",)"
        R"("content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null})";
    chunk_info r = openai().read_chunk(role, nullptr);
    assert_true(r.json_object);
    assert_false(r.content_bearing);
    assert_false(r.usage_only);
    assert_no_usage(r.tokens);

    const std::string content =
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":)"
        R"({"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null})";
    assert_true(openai().is_content_bearing(content));
    assert_string_equal(openai().streamed_text(content).c_str(), "Hello");

    const std::string finish =
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},)"
        R"("logprobs":null,"finish_reason":"stop"}],"usage":null})";
    assert_false(openai().is_content_bearing(finish));
    assert_false(openai().is_usage_only_chunk(finish));
    assert_no_usage(openai().from_chunk(finish));

    const std::string last =
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini",)"
        R"("system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":9,)"
        R"("completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":6,)"
        R"("audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,)"
        R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}})";
    chunk_info u = openai().read_chunk(last, nullptr);
    assert_true(u.usage_only);
    assert_false(u.content_bearing);
    assert_usage(u.tokens, 9, 12, 21, 6, 2);
    assert_true(openai().is_usage_only_chunk(last));
    assert_string_equal(openai().streamed_text(last).c_str(), "");
}

void usage_only_detection(void**) {
    // Usage on a chunk that still has choices (some compatible servers): read, never dropped.
    const std::string with_choice =
        R"({"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop"}],)"
        R"("usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})";
    chunk_info r = openai().read_chunk(with_choice, nullptr);
    assert_false(r.usage_only);
    assert_true(r.content_bearing);
    assert_usage(r.tokens, 1, 2, 3, 0, 0);

    assert_false(openai().is_usage_only_chunk(R"({"choices":[],"usage":null})"));
    assert_false(openai().is_usage_only_chunk(R"({"choices":[]})"));
    assert_false(openai().is_usage_only_chunk(R"({"usage":{"prompt_tokens":1}})"));  // no choices
    assert_false(openai().is_usage_only_chunk(R"({"choices":{},"usage":{"prompt_tokens":1}})"));
    assert_false(openai().is_usage_only_chunk(R"({"choices":[],"usage":{"prompt_tokens":"1"}})"));
    assert_true(openai().is_usage_only_chunk(R"({"usage":{"prompt_tokens":1},"choices":[]})"));
    assert_true(openai().is_usage_only_chunk(" {\"choices\" : [ ] , \"usage\" : {\"total_tokens\":0}}\n"));
}

void content_bearing_detection(void**) {
    const auto& p = openai();
    assert_false(p.is_content_bearing(R"({"choices":[{"delta":{"role":"assistant"}}]})"));
    assert_false(p.is_content_bearing(R"({"choices":[{"delta":{"content":null}}]})"));
    assert_false(p.is_content_bearing(R"({"choices":[{"delta":{"content":""}}]})"));
    assert_false(p.is_content_bearing(R"({"choices":[{"delta":{"tool_calls":[]}}]})"));
    assert_false(p.is_content_bearing(R"({"choices":[{"delta":{"content":7}}]})"));
    assert_true(p.is_content_bearing(R"({"choices":[{"delta":{"content":" "}}]})"));
    // The first tool-call piece carries an id and a name, no arguments yet: output all the same.
    assert_true(p.is_content_bearing(
        R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,)"
        R"("id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather",)"
        R"("arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}]})"));
    assert_true(p.is_content_bearing(R"({"choices":[{"delta":{"reasoning_content":"Let me think"}}]})"));
    assert_true(p.is_content_bearing(R"({"choices":[{"delta":{"content":null,"reasoning":"Hmm"}}]})"));
    assert_true(p.is_content_bearing(R"({"choices":[{"delta":{"refusal":"I can't"}}]})"));
    assert_true(p.is_content_bearing(R"({"choices":[{"delta":{"function_call":{"name":"f"}}}]})"));
    assert_true(p.is_content_bearing(R"({"choices":[{"delta":{"content":[{"type":"text","text":"x"}]}}]})"));
    // /v1/completions streams put the text in choices[].text.
    assert_true(p.is_content_bearing(R"({"object":"text_completion","choices":[{"text":"Hi","index":0}]})"));
    assert_false(p.is_content_bearing(R"({"object":"text_completion","choices":[{"text":"","index":0}]})"));
    // A later choice may carry the output (n > 1).
    assert_true(p.is_content_bearing(R"({"choices":[{"delta":{}},{"delta":{"content":"b"}}]})"));
}

void streamed_text_pieces(void**) {
    const auto& p = openai();
    assert_string_equal(p.streamed_text(
        R"({"choices":[{"delta":{"reasoning_content":"think ","content":"say"}}]})").c_str(), "think say");
    assert_string_equal(p.streamed_text(
        R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"lo"}},)"
        R"({"index":1,"function":{"arguments":"cation\"}"}}]}}]})").c_str(), "{\"location\"}");
    // Escapes are decoded: the estimate counts characters, not JSON.
    assert_string_equal(p.streamed_text(R"({"choices":[{"delta":{"content":"\u00e9\n\"q\""}}]})").c_str(),
                        "\xc3\xa9\n\"q\"");
    assert_string_equal(p.streamed_text(R"({"choices":[{"delta":{"content":"a"}},{"delta":{"content":"b"}}]})").c_str(),
                        "ab");
    // Text of a chunk that turns out malformed is not counted.
    assert_string_equal(p.streamed_text(R"({"choices":[{"delta":{"content":"a"}}]} x)").c_str(), "");
}

void wrong_types_and_nulls(void**) {
    const auto& p = openai();
    assert_no_usage(p.from_response(R"({"usage":null})"));
    assert_no_usage(p.from_response(R"({"usage":[]})"));
    assert_no_usage(p.from_response(R"({"usage":"12"})"));
    assert_no_usage(p.from_response(R"({"usage":{}})"));
    assert_no_usage(p.from_response(R"({"usage":{"prompt_tokens":"12","completion_tokens":null}})"));
    assert_no_usage(p.from_response(R"({"usage":{"prompt_tokens":-1}})"));
    assert_no_usage(p.from_response(R"({"usage":{"prompt_tokens":1.5}})"));
    assert_no_usage(p.from_response(R"({"usage":{"prompt_tokens":1e30}})"));
    assert_no_usage(p.from_response(R"({"usage":{"prompt_tokens":18446744073709551615}})"));
    assert_no_usage(p.from_response(R"({"usage":{"prompt_tokens_details":{"cached_tokens":5}}})"));
    // A wrong-typed field is skipped, the rest is read.
    assert_usage(p.from_response(R"({"usage":{"prompt_tokens":"x","completion_tokens":5,)"
                                 R"("prompt_tokens_details":null,"completion_tokens_details":7}})"),
                 0, 5, 5, 0, 0);
    assert_usage(p.from_response(R"({"usage":{"prompt_tokens":2,"prompt_tokens_details":)"
                                 R"({"cached_tokens":"3"},"total_tokens":9}})"),
                 2, 0, 9, 0, 0);
    // Duplicate keys: the last one wins.
    assert_usage(p.from_response(R"({"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":4}})"),
                 4, 0, 4, 0, 0);
    assert_no_usage(p.from_response(R"({"usage":{"prompt_tokens":1},"usage":null})"));
    // Saturates rather than overflows.
    usage big = p.from_response(R"({"usage":{"prompt_tokens":9223372036854775807,"completion_tokens":1}})");
    assert_true(big.present);
    assert_int_equal(big.total_tokens, INT64_MAX);
    // Choices of the wrong shape are no output.
    assert_false(p.is_content_bearing(R"({"choices":"x"})"));
    assert_false(p.is_content_bearing(R"({"choices":[1,null,"a",[]]})"));
    assert_false(p.is_content_bearing(R"({"choices":[{"delta":null}]})"));
    assert_false(p.is_content_bearing(R"({"choices":[{"delta":{"tool_calls":{"a":1}}}]})"));
}

void malformed_input(void**) {
    const auto& p = openai();
    const char* bad[] = {
        "",
        "[DONE]",
        "null",
        "42",
        "[]",
        "\"usage\"",
        "{",
        R"({"usage":{"prompt_tokens":5)",
        R"({"choices":[],"usage":{"prompt_tokens":5}})" "garbage",
        R"({"choices":[],"usage":{"prompt_tokens":5}}{})",
        R"({"choices":[],"usage":{"prompt_tokens":5,}})",
        R"({"choices":[],"usage":{"prompt_tokens":05}})",
        R"({"choices":[{"delta":{"content":"a)",
        R"({"choices":[{"delta":{"content":"\x"}}]})",
        "{\"choices\":[{\"delta\":{\"content\":\"\xff\"}}]}",
        R"({'choices':[]})",
    };
    for (const char* b : bad) {
        chunk_info r = p.read_chunk(b, nullptr);
        assert_false(r.json_object);
        assert_false(r.usage_only);
        assert_false(r.content_bearing);
        assert_no_usage(r.tokens);
        assert_no_usage(p.from_response(b));
        std::string text = "kept";
        p.read_response(b, &text);
        assert_string_equal(text.c_str(), "kept");
    }
    // Deep nesting in a field we skip is still parsed safely.
    std::string deep = "{\"x\":" + std::string(5000, '[') + std::string(5000, ']') +
                       ",\"usage\":{\"prompt_tokens\":1}}";
    usage u = p.from_response(deep);
    (void)u;  // simdjson may refuse the depth; it must not crash or throw
    // Bytes after the string's end in the caller's buffer are never read.
    std::string buf = R"({"usage":{"prompt_tokens":3}})";
    buf += "{{{{";
    assert_usage(p.from_response(std::string_view(buf).substr(0, buf.size() - 4)), 3, 0, 3, 0, 0);
}

void estimate_record(void**) {
    usage e = aigw::estimated_usage(10, 5);
    assert_true(e.estimated);
    assert_false(e.present);
    assert_int_equal(e.prompt_tokens, 10);
    assert_int_equal(e.completion_tokens, 5);
    assert_int_equal(e.total_tokens, 15);
    usage neg = aigw::estimated_usage(-1, 2);
    assert_int_equal(neg.prompt_tokens, 0);
    assert_int_equal(neg.total_tokens, 2);
}


// The stream path's test before reading a chunk: false only when no usage can be in it.
void may_report_usage(void**) {
    using aigw::chunk_may_report_usage;
    // OpenAI's chunks with include_usage: "usage":null until the last.
    assert_false(chunk_may_report_usage(
        R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null})"));
    assert_false(chunk_may_report_usage(R"({"choices":[],"usage" :  null})"));
    assert_false(chunk_may_report_usage(R"({"choices":[{"delta":{"content":"no usage at all"}}]})"));
    // The word in text, or a string "usage" that is no member.
    assert_false(chunk_may_report_usage(R"({"choices":[{"delta":{"content":"the \"usage\": 5"}}]})"));
    assert_false(chunk_may_report_usage(R"({"a":["usage"],"b":"usage"})"));
    // Usage present, however written.
    assert_true(chunk_may_report_usage(
        R"({"choices":[],"usage":{"prompt_tokens":19,"completion_tokens":64,"total_tokens":83}})"));
    assert_true(chunk_may_report_usage("{\"usage\"\n:\t{\"total_tokens\":1}}"));
    assert_true(chunk_may_report_usage(R"({"usage":0})"));
    assert_true(chunk_may_report_usage(R"({"usage":"nul"})"));
    // A key could spell "usage" with \u escapes: read it.
    assert_true(chunk_may_report_usage(R"({"\u0075sage":{"total_tokens":1}})"));
    assert_true(chunk_may_report_usage(R"({"choices":[{"delta":{"content":"caf\u00e9"}}]})"));
    // An escaped backslash before a u is no \u escape.
    assert_false(chunk_may_report_usage(R"({"choices":[{"delta":{"content":"C:\\users"}}]})"));
    // Not an object: the parse decides.
    assert_true(chunk_may_report_usage("[DONE]"));
    assert_true(chunk_may_report_usage(""));
    assert_true(chunk_may_report_usage("  [1]"));
    // Whatever the test says, a chunk it lets pass really has no usage.
    for (const char* c : {R"({"choices":[],"usage":null})",
                          R"({"choices":[{"delta":{"content":"x"}}],"usage":null})"}) {
        assert_false(chunk_may_report_usage(c));
        assert_false(openai().read_chunk(c, nullptr).tokens.present);
    }
}

// A JSON answer's model found by the usage read, for the rename without a second parse.
void model_token_of_response(void**) {
    const std::string body =
        R"({"id":"x","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[],)"
        R"("usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})";
    aigw::usage_parser::model_token at;
    usage u = openai().read_response_model(body, nullptr, &at);
    assert_usage(u, 1, 2, 3, 0, 0);
    assert_true(at.found());
    assert_true(body.substr(at.begin, at.end - at.begin) == "\"gpt-4o-2024-08-06\"");
    // None, twice, not a string, escaped, or a body that does not read: not found.
    for (const char* b : {R"({"id":"x","usage":null})", R"({"model":"a","model":"b"})",
                          R"({"model":7})", R"({"model":"g\u0070t"})", R"({"model":"a")",
                          R"(["model"])"}) {
        openai().read_response_model(b, nullptr, &at);
        assert_false(at.found());
    }
    // White space after the token is not part of it.
    const std::string spaced = R"({ "model" : "m1" , "usage":null})";
    openai().read_response_model(spaced, nullptr, &at);
    assert_true(at.found());
    assert_true(spaced.substr(at.begin, at.end - at.begin) == "\"m1\"");
}

// A chunk's model token, from the read that takes its usage and text, as for a whole answer.
void model_token_of_chunk(void**) {
    const std::string chunk =
        R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06",)"
        R"("choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null})";
    aigw::usage_parser::model_token at;
    std::string text;
    aigw::chunk_info info = openai().read_chunk_model(chunk, &text, &at);
    assert_true(info.json_object);
    assert_true(info.content_bearing);
    assert_true(text == "Hi");
    assert_true(at.found());
    assert_true(chunk.substr(at.begin, at.end - at.begin) == "\"gpt-4o-2024-08-06\"");
    assert_true(openai().reads_model_token());
    for (const char* b : {R"({"model":"a","model":"b","choices":[]})", R"({"model":null})",
                          R"({"model":"g\u0070t"})", R"({"model":"a")", "[DONE]"}) {
        openai().read_chunk_model(b, nullptr, &at);
        assert_false(at.found());
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_completion_response),
        cmocka_unit_test(reasoning_model_response),
        cmocka_unit_test(tool_call_response_text),
        cmocka_unit_test(completion_response),
        cmocka_unit_test(embeddings_response),
        cmocka_unit_test(total_filled_in_when_missing),
        cmocka_unit_test(stream_chunks),
        cmocka_unit_test(usage_only_detection),
        cmocka_unit_test(content_bearing_detection),
        cmocka_unit_test(streamed_text_pieces),
        cmocka_unit_test(wrong_types_and_nulls),
        cmocka_unit_test(malformed_input),
        cmocka_unit_test(estimate_record),
        cmocka_unit_test(may_report_usage),
        cmocka_unit_test(model_token_of_response),
        cmocka_unit_test(model_token_of_chunk),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
