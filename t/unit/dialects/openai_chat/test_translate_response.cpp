// A whole chat.completion to and from the pivot: OpenAI's bodies read, the exact bytes written
// for a client, round trips, and what is not a response.
#include <string>
#include <string_view>

#include "aigw/dialects/openai_chat/translate.hpp"
#include "pivot_diff.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::openai_chat_response_from_pivot;
using aigw::openai_chat_response_to_pivot;
namespace api = aigw::api;

namespace {

api::response to_pivot(std::string_view body) {
    api::response resp;
    assert_true(openai_chat_response_to_pivot(body, resp));
    return resp;
}

void assert_same(const api::response& got, const api::response& expected) {
    std::string d = pivot_diff::diff(got, expected);
    if (!d.empty()) print_error("responses differ at %s\n", d.c_str());
    assert_true(d.empty());
}

aigw::usage counts(std::int64_t prompt, std::int64_t completion, std::int64_t cached = 0,
                   std::int64_t reasoning = 0) {
    aigw::usage u;
    u.prompt_tokens = prompt;
    u.completion_tokens = completion;
    u.total_tokens = prompt + completion;
    u.cached_tokens = cached;
    u.reasoning_tokens = reasoning;
    u.present = true;
    return u;
}

// ---- reading ----

void openai_text_answer(void**) {
    // As OpenAI sends it, pretty-printed, with the members translation does not carry.
    api::response r = to_pivot(R"({
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
    "completion_tokens_details": {"reasoning_tokens": 12, "audio_tokens": 0,
      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default",
  "system_fingerprint": "fp_fc9f1d7035"
})");
    api::response expected;
    expected.id = "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG";
    expected.model = "gpt-4o-2024-08-06";
    expected.created = 1741570283;
    expected.text = "The image shows a wooden boardwalk.";
    expected.finish = api::finish_reason::stop;
    expected.tokens = counts(1117, 46, 1024, 12);
    assert_same(r, expected);
}

void openai_tool_calls(void**) {
    api::response r = to_pivot(R"({"id":"chatcmpl-1","object":"chat.completion","created":1,
      "model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,
      "tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather",
      "arguments":"{\"location\":\"Paris\"}"}},{"id":"call_b","type":"function",
      "function":{"name":"get_time","arguments":"{}"}}],"refusal":null},"logprobs":null,
      "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":17,
      "total_tokens":99}})");
    api::response expected;
    expected.id = "chatcmpl-1";
    expected.model = "gpt-4o";
    expected.created = 1;
    expected.tool_calls.push_back({"call_a", "get_weather", R"({"location":"Paris"})"});
    expected.tool_calls.push_back({"call_b", "get_time", "{}"});
    expected.finish = api::finish_reason::tool_calls;
    expected.tokens = counts(82, 17);
    assert_same(r, expected);
}

void refusal_and_reasoning(void**) {
    api::response r = to_pivot(R"({"choices":[{"index":0,"message":{"role":"assistant",
      "content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]})");
    assert_sv_equal(r.refusal, "I can't help with that.");
    assert_sv_equal(r.text, "");
    assert_false(r.tokens.present);

    // DeepSeek's reasoning_content; OpenRouter's reasoning.
    r = to_pivot(R"({"id":"x","model":"deepseek-reasoner","choices":[{"index":0,"message":
      {"role":"assistant","content":"9.11 < 9.8","reasoning_content":"Compare decimals."},
      "finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":20,
      "total_tokens":30,"prompt_tokens_details":{"cached_tokens":0},
      "completion_tokens_details":{"reasoning_tokens":15},"prompt_cache_hit_tokens":0}})");
    assert_sv_equal(r.reasoning, "Compare decimals.");
    assert_sv_equal(r.text, "9.11 < 9.8");
    assert_int_equal(r.tokens.reasoning_tokens, 15);
    r = to_pivot(R"({"choices":[{"message":{"content":"a","reasoning":"b"}}]})");
    assert_sv_equal(r.reasoning, "b");
    // Both: the first name, not the same text twice.
    r = to_pivot(R"({"choices":[{"message":{"reasoning_content":"a","reasoning":"a"}}]})");
    assert_sv_equal(r.reasoning, "a");
}

void finish_reasons(void**) {
    struct {
        const char* wire;
        api::finish_reason finish;
    } const cases[] = {
        {R"("stop")", api::finish_reason::stop},
        {R"("length")", api::finish_reason::length},
        {R"("tool_calls")", api::finish_reason::tool_calls},
        {R"("function_call")", api::finish_reason::tool_calls},
        {R"("content_filter")", api::finish_reason::content_filter},
        {R"("eos")", api::finish_reason::stop},  // a compatible server's own word
        {"null", api::finish_reason::none},
    };
    for (const auto& c : cases) {
        std::string body = R"({"choices":[{"index":0,"message":{"content":"x"},"finish_reason":)";
        body += c.wire;
        body += "}]}";
        assert_int_equal(static_cast<int>(to_pivot(body).finish), static_cast<int>(c.finish));
    }
}

void compatible_servers(void**) {
    // Content as parts, arguments as an object, a legacy function_call, the choice with index 0
    // wherever it is, usage without a total.
    api::response r = to_pivot(R"({"choices":[
      {"index":1,"message":{"content":"second"}},
      {"index":0,"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],
        "tool_calls":[{"id":"c","function":{"name":"f","arguments":{"x": [1, 2]}}}]},
       "finish_reason":"tool_calls"}],
      "usage":{"prompt_tokens":3,"completion_tokens":4}})");
    assert_sv_equal(r.text, "ab");
    assert_int_equal(r.tool_calls.size(), 1);
    assert_sv_equal(r.tool_calls[0].arguments, R"({"x":[1,2]})");
    assert_int_equal(r.tokens.total_tokens, 7);
    r = to_pivot(R"({"choices":[{"message":{"content":null,
      "function_call":{"name":"f","arguments":"{}"}},"finish_reason":"function_call"}]})");
    assert_int_equal(r.tool_calls.size(), 1);
    assert_sv_equal(r.tool_calls[0].name, "f");
    assert_sv_equal(r.tool_calls[0].id, "");
    assert_true(r.finish == api::finish_reason::tool_calls);
    // No choice at all (a filtered answer): an empty answer, not a failure.
    r = to_pivot(R"({"id":"x","choices":[]})");
    assert_sv_equal(r.id, "x");
    assert_true(r.finish == api::finish_reason::none);
}

void not_a_response(void**) {
    const char* const bodies[] = {
        "", "{", "[]", "null", R"({"id":"x"})", R"({"choices":{}})",
        R"({"error":{"message":"bad","type":"invalid_request_error"}})",
        R"({"choices":[]} trailing)",
    };
    for (const char* body : bodies) {
        api::response r;
        r.id = "untouched";
        assert_false(openai_chat_response_to_pivot(body, r));
        assert_sv_equal(r.id, "untouched");
    }
    std::string deep = R"({"choices":[],"x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
    api::response r;
    assert_false(openai_chat_response_to_pivot(deep, r));
}

// ---- writing ----

void exact_bytes_text(void**) {
    api::response r;
    r.id = "chatcmpl-abc";
    r.model = "gpt-4o-mini";
    r.created = 1700000000;
    r.text = "Hello \"there\"";
    r.finish = api::finish_reason::stop;
    r.tokens = counts(9, 3, 2, 1);
    assert_sv_equal(openai_chat_response_from_pivot(r),
                    R"({"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,)"
                    R"("model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant",)"
                    R"("content":"Hello \"there\"","refusal":null},"logprobs":null,)"
                    R"("finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,)"
                    R"("total_tokens":12,"prompt_tokens_details":{"cached_tokens":2},)"
                    R"("completion_tokens_details":{"reasoning_tokens":1}}})");
}

void exact_bytes_tool_calls(void**) {
    api::response r;
    r.id = "chatcmpl-t";
    r.model = "m";
    r.created = 5;
    r.reasoning = "Need the weather.";
    r.tool_calls.push_back({"call_1", "weather", R"({"city":"Oslo"})"});
    r.finish = api::finish_reason::tool_calls;
    assert_sv_equal(openai_chat_response_from_pivot(r),
                    R"({"id":"chatcmpl-t","object":"chat.completion","created":5,"model":"m",)"
                    R"("choices":[{"index":0,"message":{"role":"assistant","content":null,)"
                    R"("reasoning_content":"Need the weather.","refusal":null,)"
                    R"("tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather",)"
                    R"("arguments":"{\"city\":\"Oslo\"}"}}]},"logprobs":null,)"
                    R"("finish_reason":"tool_calls"}]})");
}

void exact_bytes_refusal(void**) {
    api::response r;
    r.id = "chatcmpl-r";
    r.model = "m";
    r.created = 5;
    r.refusal = "No.";
    r.finish = api::finish_reason::content_filter;
    assert_sv_equal(openai_chat_response_from_pivot(r),
                    R"({"id":"chatcmpl-r","object":"chat.completion","created":5,"model":"m",)"
                    R"("choices":[{"index":0,"message":{"role":"assistant","content":null,)"
                    R"("refusal":"No."},"logprobs":null,"finish_reason":"content_filter"}]})");
}

void made_up_id_time_and_reason(void**) {
    // Another dialect gave no id, no time, no reason: OpenAI's shapes, made here.
    api::response r;
    r.text = "x";
    r.tool_calls.push_back({"", "f", "{}"});
    std::string body = openai_chat_response_from_pivot(r);
    api::response back = to_pivot(body);
    assert_true(back.id.rfind("chatcmpl-", 0) == 0);
    assert_int_equal(back.id.size(), 9 + 32);
    assert_true(back.created > 1700000000);
    assert_true(back.tool_calls[0].id.rfind("call_", 0) == 0);
    assert_true(back.finish == api::finish_reason::tool_calls);  // it called a tool
    // Two answers never share an id.
    assert_true(to_pivot(openai_chat_response_from_pivot(r)).id != back.id);
    r.tool_calls.clear();
    assert_true(to_pivot(openai_chat_response_from_pivot(r)).finish == api::finish_reason::stop);
    // Empty text and nothing else: "" not null.
    r.text.clear();
    assert_true(openai_chat_response_from_pivot(r).find(R"("content":"",)") != std::string::npos);
}

void estimated_usage_written(void**) {
    api::response r;
    r.id = "i";
    r.created = 1;
    r.tokens = aigw::estimated_usage(10, 5);
    std::string body = openai_chat_response_from_pivot(r);
    assert_true(body.find(R"("usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,)") !=
                std::string::npos);
}

void round_trip(void**) {
    api::response r;
    r.id = "chatcmpl-9";
    r.model = "gpt-4o";
    r.created = 1741570283;
    r.text = "caf\xc3\xa9 \xf0\x9f\x98\x80\n\ttab";
    r.reasoning = "think";
    r.refusal = "partly";
    r.tool_calls.push_back({"call_1", "a", R"({"k":[1,{"n":null}]})"});
    r.tool_calls.push_back({"call_2", "b", ""});
    r.finish = api::finish_reason::length;
    r.tokens = counts(100, 50, 40, 20);
    assert_same(to_pivot(openai_chat_response_from_pivot(r)), r);
    for (auto f : {api::finish_reason::stop, api::finish_reason::tool_calls,
                   api::finish_reason::content_filter}) {
        r.finish = f;
        assert_same(to_pivot(openai_chat_response_from_pivot(r)), r);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openai_text_answer),
        cmocka_unit_test(openai_tool_calls),
        cmocka_unit_test(refusal_and_reasoning),
        cmocka_unit_test(finish_reasons),
        cmocka_unit_test(compatible_servers),
        cmocka_unit_test(not_a_response),
        cmocka_unit_test(exact_bytes_text),
        cmocka_unit_test(exact_bytes_tool_calls),
        cmocka_unit_test(exact_bytes_refusal),
        cmocka_unit_test(made_up_id_time_and_reason),
        cmocka_unit_test(estimated_usage_written),
        cmocka_unit_test(round_trip),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
