// chat.completion.chunk streams to and from pivot events: OpenAI's own streams decoded, the
// exact bytes encoded for a client, the encoder's output decoded back to the same events, and
// an OpenAI stream passed through decoder and encoder coming out as OpenAI writes it.
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/openai_chat/error.hpp"
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

namespace api = aigw::api;
using api::event;
using api::event_kind;

namespace {

// ---- building events ----

event start(std::string id, std::string model, std::int64_t created) {
    event e;
    e.kind = event_kind::start;
    e.id = std::move(id);
    e.model = std::move(model);
    e.created = created;
    return e;
}

event text(event_kind kind, std::string t) {
    event e;
    e.kind = kind;
    e.text = std::move(t);
    return e;
}

event content(std::string t) { return text(event_kind::text_delta, std::move(t)); }

event call_start(std::size_t index, std::string id, std::string name) {
    event e;
    e.kind = event_kind::tool_call_start;
    e.index = index;
    e.id = std::move(id);
    e.name = std::move(name);
    return e;
}

event call_delta(std::size_t index, std::string args) {
    event e;
    e.kind = event_kind::tool_call_delta;
    e.index = index;
    e.text = std::move(args);
    return e;
}

event finish(api::finish_reason f) {
    event e;
    e.kind = event_kind::finish;
    e.finish = f;
    return e;
}

event usage(std::int64_t prompt, std::int64_t completion, std::int64_t cached = 0,
            std::int64_t reasoning = 0) {
    event e;
    e.kind = event_kind::usage;
    e.tokens.prompt_tokens = prompt;
    e.tokens.completion_tokens = completion;
    e.tokens.total_tokens = prompt + completion;
    e.tokens.cached_tokens = cached;
    e.tokens.reasoning_tokens = reasoning;
    e.tokens.present = true;
    return e;
}

event done() {
    event e;
    e.kind = event_kind::done;
    return e;
}

void assert_events(const std::vector<event>& got, const std::vector<event>& expected) {
    std::string d = pivot_diff::diff(got, expected);
    if (!d.empty()) print_error("events differ at %s\n", d.c_str());
    assert_true(d.empty());
}

// ---- SSE ----

struct sse_event {
    std::string type;
    std::string data;
};

// Whole events ("event: x\ndata: y\n\n") as the glue's framer would hand them over.
std::vector<sse_event> split_sse(std::string_view sse) {
    std::vector<sse_event> out;
    while (!sse.empty()) {
        std::size_t end = sse.find("\n\n");
        assert_true(end != std::string_view::npos);  // every event ends with a blank line
        std::string_view block = sse.substr(0, end);
        sse.remove_prefix(end + 2);
        sse_event e;
        while (!block.empty()) {
            std::size_t nl = block.find('\n');
            std::string_view line = block.substr(0, nl);
            block.remove_prefix(nl == std::string_view::npos ? block.size() : nl + 1);
            if (line.rfind("event: ", 0) == 0) e.type = std::string(line.substr(7));
            if (line.rfind("data: ", 0) == 0) e.data = std::string(line.substr(6));
        }
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<event> decode_all(std::string_view sse) {
    auto decoder = aigw::openai_chat_stream_decoder();
    std::vector<event> events;
    for (const sse_event& e : split_sse(sse)) {
        bool ok = decoder->decode(e.type, e.data, events);
        if (!ok) print_error("refused: %s\n", e.data.c_str());
        assert_true(ok);
    }
    return events;
}

std::string encode_all(const std::vector<event>& events, bool include_usage,
                       std::string model = "gpt-4o") {
    api::request req;
    req.model = std::move(model);
    req.stream = true;
    req.include_usage = include_usage;
    auto encoder = aigw::openai_chat_stream_encoder(req);
    std::string out;
    for (const event& e : events) encoder->encode(e, out);
    return out;
}

// An OpenAI stream as api.openai.com sends it with include_usage (gpt-4o-mini, 2025).
const std::string_view openai_text_stream =
    R"(data: {"id":"chatcmpl-BNq1","object":"chat.completion.chunk","created":1744000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_b376dfbbd5","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-BNq1","object":"chat.completion.chunk","created":1744000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_b376dfbbd5","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-BNq1","object":"chat.completion.chunk","created":1744000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_b376dfbbd5","choices":[{"index":0,"delta":{"content":" \"w\u00f6rld\"\n"},"logprobs":null,"finish_reason":null}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-BNq1","object":"chat.completion.chunk","created":1744000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_b376dfbbd5","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null})"
    "\n\n"
    R"(data: {"id":"chatcmpl-BNq1","object":"chat.completion.chunk","created":1744000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_b376dfbbd5","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":4,"total_tokens":23,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}})"
    "\n\n"
    "data: [DONE]\n\n";

// Two parallel tool calls, arguments split across chunks; the first call rides on the role chunk.
const std::string_view openai_tool_stream =
    R"(data: {"id":"chatcmpl-T","object":"chat.completion.chunk","created":1744000001,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_W1","type":"function","function":{"name":"get_weather","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-T","object":"chat.completion.chunk","created":1744000001,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"lo"}}]},"logprobs":null,"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-T","object":"chat.completion.chunk","created":1744000001,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"cation\": \"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-T","object":"chat.completion.chunk","created":1744000001,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_T2","type":"function","function":{"name":"get_time","arguments":""}}]},"logprobs":null,"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-T","object":"chat.completion.chunk","created":1744000001,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]},"logprobs":null,"finish_reason":null}]})"
    "\n\n"
    R"(data: {"id":"chatcmpl-T","object":"chat.completion.chunk","created":1744000001,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]})"
    "\n\n"
    "data: [DONE]\n\n";

// ---- decoding ----

void decodes_openai_text_stream(void**) {
    assert_events(decode_all(openai_text_stream),
                  {start("chatcmpl-BNq1", "gpt-4o-mini-2024-07-18", 1744000000), content("Hello"),
                   content(" \"w\xc3\xb6rld\"\n"), finish(api::finish_reason::stop), usage(19, 4),
                   done()});
}

void decodes_openai_tool_stream(void**) {
    assert_events(decode_all(openai_tool_stream),
                  {start("chatcmpl-T", "gpt-4o-2024-08-06", 1744000001),
                   call_start(0, "call_W1", "get_weather"), call_delta(0, "{\"lo"),
                   call_delta(0, "cation\": \"Paris\"}"), call_start(1, "call_T2", "get_time"),
                   call_delta(1, "{}"), finish(api::finish_reason::tool_calls), done()});
}

void decodes_reasoning_and_refusal(void**) {
    // DeepSeek's reasoning_content, then content; OpenRouter's reasoning; a refusal.
    std::string sse =
        R"(data: {"id":"d","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":""},"logprobs":null,"finish_reason":null}]})"
        "\n\n"
        R"(data: {"id":"d","choices":[{"index":0,"delta":{"content":null,"reasoning_content":"Hmm."}}]})"
        "\n\n"
        R"(data: {"id":"d","choices":[{"index":0,"delta":{"reasoning":"More."}}]})"
        "\n\n"
        R"(data: {"id":"d","choices":[{"index":0,"delta":{"reasoning_content":"Once","reasoning":"Once"}}]})"
        "\n\n"
        R"(data: {"id":"d","choices":[{"index":0,"delta":{"content":"42"}}]})"
        "\n\n"
        R"(data: {"id":"d","choices":[{"index":0,"delta":{"refusal":"No."}}]})"
        "\n\n"
        R"(data: {"id":"d","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14,"completion_tokens_details":{"reasoning_tokens":6}}})"
        "\n\n";
    assert_events(decode_all(sse),
                  {start("d", "deepseek-reasoner", 1), text(event_kind::reasoning_delta, "Hmm."),
                   text(event_kind::reasoning_delta, "More."),
                   text(event_kind::reasoning_delta, "Once"), content("42"),
                   text(event_kind::refusal_delta, "No."), finish(api::finish_reason::length),
                   usage(5, 9, 0, 6)});
}

void decodes_errors(void**) {
    auto decoder = aigw::openai_chat_stream_decoder();
    std::vector<event> events;
    assert_true(decoder->decode("", R"({"error":{"message":"The server had an error.",)"
                                    R"("type":"server_error","param":null,"code":null}})",
                                events));
    assert_true(decoder->decode("error", R"({"message":"Overloaded","type":"overloaded_error"})",
                                events));
    assert_true(decoder->decode("", R"({"error":"plain words"})", events));
    assert_true(decoder->decode("", R"({"error":{"message":"slow down","type":"weird_type",)"
                                    R"("param":"p","code":"rate_limit_exceeded"}})",
                                events));
    assert_true(decoder->decode("", R"({"error":{"code":"odd_code"}})", events));
    assert_int_equal(events.size(), 5);
    for (const event& e : events) assert_true(e.kind == event_kind::error);
    assert_int_equal(events[0].error.status, 500);
    assert_sv_equal(events[0].error.type, "server_error");
    assert_sv_equal(events[0].error.code, "");
    assert_sv_equal(events[0].error.message, "The server had an error.");
    assert_int_equal(events[1].error.status, 503);
    assert_sv_equal(events[1].error.type, "overloaded_error");
    assert_sv_equal(events[2].error.message, "plain words");
    assert_sv_equal(events[2].error.type, "api_error");
    // Words outside the known ones are said generally; known ones kept.
    assert_sv_equal(events[3].error.type, "api_error");
    assert_sv_equal(events[3].error.code, "rate_limit_exceeded");
    assert_sv_equal(events[3].error.param, "p");
    assert_sv_equal(events[4].error.code, "");
    assert_false(events[4].error.message.empty());
    // The client reads them as OpenAI error events.
    std::string sse = encode_all(events, false);
    assert_true(sse.rfind("event: error\ndata: {\"error\":{\"message\":\"The server had an error.\","
                          "\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
                          0) == 0);
}

void refuses_what_is_not_a_chunk(void**) {
    auto decoder = aigw::openai_chat_stream_decoder();
    std::vector<event> events;
    const char* const bad[] = {
        "", "not json", "{", "[1]", "\"x\"", R"({"foo":1})", R"({"choices":{}})",
        R"({"choices":[]} x)", "[DONE] ",  // trimmed: this one is [DONE]
    };
    for (std::size_t i = 0; i + 1 < std::size(bad); ++i) {
        assert_false(decoder->decode("", bad[i], events));
    }
    assert_true(events.empty());
    assert_true(decoder->decode("", bad[std::size(bad) - 1], events));
    assert_events(events, {done()});
    std::string deep = R"({"choices":[],"x":)" + std::string(100000, '[') +
                       std::string(100000, ']') + "}";
    events.clear();
    assert_false(decoder->decode("", deep, events));
    assert_true(events.empty());
}

void starts_after_azure_filter_chunk(void**) {
    std::string sse =
        R"(data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]})"
        "\n\n"
        R"(data: {"choices":[{"content_filter_results":{},"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],"created":7,"id":"chatcmpl-az","model":"gpt-4o-2024-05-13","object":"chat.completion.chunk","system_fingerprint":"fp_az"})"
        "\n\n"
        R"(data: {"choices":[{"delta":{"content":"Hi"},"finish_reason":null,"index":0}],"created":7,"id":"chatcmpl-az","model":"gpt-4o-2024-05-13","object":"chat.completion.chunk"})"
        "\n\n";
    assert_events(decode_all(sse), {start("chatcmpl-az", "gpt-4o-2024-05-13", 7), content("Hi")});
}

void tool_calls_of_compatible_servers(void**) {
    // Every call at index 0, told apart by id (some Gemini and vLLM versions); whole calls
    // without an index; arguments as an object; a legacy function_call; a repeated finish.
    std::string sse =
        R"(data: {"id":"g","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]}}]})"
        "\n\n"
        R"(data: {"id":"g","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}}]})"
        "\n\n"
        R"(data: {"id":"g","choices":[{"index":0,"delta":{"tool_calls":[{"id":"c","function":{"name":"h","arguments":{"y": [true]}}},{"id":"d","function":{"name":"i"}}]}}]})"
        "\n\n"
        R"(data: {"id":"g","choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"{}"}}]}}]})"
        "\n\n"
        R"(data: {"id":"g","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"
        "\n\n"
        R"(data: {"id":"g","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"
        "\n\n";
    assert_events(decode_all(sse),
                  {start("g", "", 0), call_start(0, "a", "f"), call_delta(0, "{\"x\":1}"),
                   call_start(1, "b", "g"), call_delta(1, "{}"), call_start(2, "c", "h"),
                   call_delta(2, R"({"y":[true]})"), call_start(3, "d", "i"), call_delta(3, "{}"),
                   finish(api::finish_reason::tool_calls)});

    std::string legacy =
        R"(data: {"id":"l","choices":[{"index":0,"delta":{"role":"assistant","function_call":{"name":"f","arguments":""}}}]})"
        "\n\n"
        R"(data: {"id":"l","choices":[{"index":0,"delta":{"function_call":{"arguments":"{\"a\""}}}]})"
        "\n\n"
        R"(data: {"id":"l","choices":[{"index":0,"delta":{"function_call":{"arguments":":1}"}}}]})"
        "\n\n"
        R"(data: {"id":"l","choices":[{"index":0,"delta":{},"finish_reason":"function_call"}]})"
        "\n\n";
    assert_events(decode_all(legacy),
                  {start("l", "", 0), call_start(0, "", "f"), call_delta(0, "{\"a\""),
                   call_delta(0, ":1}"), finish(api::finish_reason::tool_calls)});
}

void only_the_first_choice(void**) {
    std::string sse =
        R"(data: {"id":"n","choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]})"
        "\n\n"
        R"(data: {"id":"n","choices":[{"index":1,"delta":{"content":"B2"},"finish_reason":"stop"}]})"
        "\n\n";
    assert_events(decode_all(sse), {start("n", "", 0), content("A")});
}

// ---- encoding ----

void encodes_exact_bytes(void**) {
    std::vector<event> events = {start("chatcmpl-1", "gpt-4o", 1700000000), content("Hi"),
                                 content(" \"you\""), finish(api::finish_reason::stop),
                                 usage(10, 2, 4, 0), done()};
    const std::string head =
        R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o",)";
    assert_sv_equal(
        encode_all(events, true),
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null})" "\n\n" +
        head + R"("choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null})" "\n\n" +
        head + R"("choices":[{"index":0,"delta":{"content":" \"you\""},"logprobs":null,"finish_reason":null}],"usage":null})" "\n\n" +
        head + R"("choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null})" "\n\n" +
        head + R"("choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":0}}})" "\n\n"
        "data: [DONE]\n\n");
    // Without include_usage: no usage member, no usage chunk.
    assert_sv_equal(
        encode_all(events, false),
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]})" "\n\n" +
        head + R"("choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]})" "\n\n" +
        head + R"("choices":[{"index":0,"delta":{"content":" \"you\""},"logprobs":null,"finish_reason":null}]})" "\n\n" +
        head + R"("choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]})" "\n\n"
        "data: [DONE]\n\n");
}

void encodes_tool_calls_reasoning_refusal(void**) {
    std::vector<event> events = {start("c", "m", 3),
                                 text(event_kind::reasoning_delta, "Think."),
                                 text(event_kind::refusal_delta, "Partly no."),
                                 call_start(0, "call_1", "f"),
                                 call_delta(0, "{\"a\":"),
                                 call_delta(0, "1}"),
                                 finish(api::finish_reason::tool_calls),
                                 done()};
    const std::string head =
        R"(data: {"id":"c","object":"chat.completion.chunk","created":3,"model":"m","choices":[{"index":0,"delta":)";
    const std::string tail = R"(,"logprobs":null,"finish_reason":null}]})" "\n\n";
    assert_sv_equal(
        encode_all(events, false),
        head + R"({"role":"assistant","content":"","refusal":null})" + tail +
        head + R"({"reasoning_content":"Think."})" + tail +
        head + R"({"refusal":"Partly no."})" + tail +
        head + R"({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]})" + tail +
        head + R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]})" + tail +
        head + R"({"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]})" + tail +
        head + R"({},"logprobs":null,"finish_reason":"tool_calls"}]})" "\n\n"
        "data: [DONE]\n\n");
}

void encoder_output_decodes_to_the_same_events(void**) {
    std::vector<event> events = {start("chatcmpl-r", "claude-x", 1744000002),
                                 text(event_kind::reasoning_delta, "Let me see."),
                                 content("Checking "),
                                 content("caf\xc3\xa9 \xf0\x9f\x98\x80\n"),
                                 call_start(0, "toolu_1", "search"),
                                 call_delta(0, "{\"q\":"),
                                 call_delta(0, "\"x\"}"),
                                 call_start(1, "toolu_2", "open"),
                                 call_delta(1, "{}"),
                                 text(event_kind::refusal_delta, "r"),
                                 finish(api::finish_reason::tool_calls),
                                 usage(1200, 80, 1000, 30),
                                 done()};
    assert_events(decode_all(encode_all(events, true)), events);
    for (auto f : {api::finish_reason::stop, api::finish_reason::length,
                   api::finish_reason::content_filter}) {
        std::vector<event> short_events = {start("i", "m", 9), content("x"), finish(f), done()};
        assert_events(decode_all(encode_all(short_events, false)), short_events);
    }
}

void encoder_keeps_openai_order(void**) {
    // Events another dialect may send in its own order, or not at all.
    std::vector<event> events = {content("a"),                     // before any start
                                 start("late", "other", 1),        // too late: not a second one
                                 usage(1, 1),                      // before the finish: held
                                 call_start(0, "", "f"),           // no id: one is made
                                 content(""),                      // nothing to say
                                 finish(api::finish_reason::none), // no reason: it called tools
                                 finish(api::finish_reason::stop), // once only
                                 usage(5, 6),                      // the last one counts
                                 done(),
                                 content("after"),                 // after [DONE]: nothing
                                 done()};
    std::string sse = encode_all(events, true, "requested-model");
    std::vector<event> back = decode_all(sse);
    assert_int_equal(back.size(), 6);
    assert_true(back[0].kind == event_kind::start);
    assert_true(back[0].id.rfind("chatcmpl-", 0) == 0);
    assert_sv_equal(back[0].model, "requested-model");
    assert_true(back[0].created > 1700000000);
    assert_events({back[1]}, {content("a")});
    assert_true(back[2].kind == event_kind::tool_call_start);
    assert_true(back[2].id.rfind("call_", 0) == 0);
    assert_events({back[3], back[4], back[5]},
                  {finish(api::finish_reason::tool_calls), usage(5, 6), done()});
}

void encoder_without_usage_reported(void**) {
    // include_usage asked, the upstream reported none: no usage chunk is made up here (the glue
    // sends an estimate as a usage event if it wants one).
    std::string sse = encode_all({start("i", "m", 1), content("x"), done()}, true);
    assert_true(sse.find(R"("choices":[])") == std::string::npos);
    assert_true(sse.size() > 14 && sse.compare(sse.size() - 14, 14, "data: [DONE]\n\n") == 0);
}

void encoder_writes_errors(void**) {
    event e;
    e.kind = event_kind::error;
    e.error = aigw::upstream_interrupted_error();
    assert_sv_equal(encode_all({e}, true), aigw::error_sse_event(e.error));
}

// ---- decoder -> encoder: an OpenAI stream passed through the pivot ----

void openai_text_stream_comes_out_as_openai_writes_it(void**) {
    // The same chunks, less what the pivot does not carry (service_tier, system_fingerprint,
    // the usage details beyond cached and reasoning tokens), escapes written the usual way.
    const std::string head =
        R"(data: {"id":"chatcmpl-BNq1","object":"chat.completion.chunk","created":1744000000,"model":"gpt-4o-mini-2024-07-18",)";
    assert_sv_equal(
        encode_all(decode_all(openai_text_stream), true),
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null})" "\n\n" +
        head + R"("choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null})" "\n\n" +
        head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" \\\"w\xc3\xb6rld\\\"\\n\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n" +
        head + R"("choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null})" "\n\n" +
        head + R"("choices":[],"usage":{"prompt_tokens":19,"completion_tokens":4,"total_tokens":23,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}})" "\n\n"
        "data: [DONE]\n\n");
}

void openai_tool_stream_passes_through_equivalent(void**) {
    // The first call comes in a chunk of its own after the role chunk; a client sees the same
    // calls, ids, names and arguments.
    std::vector<event> in = decode_all(openai_tool_stream);
    assert_events(decode_all(encode_all(in, false)), in);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_openai_text_stream),
        cmocka_unit_test(decodes_openai_tool_stream),
        cmocka_unit_test(decodes_reasoning_and_refusal),
        cmocka_unit_test(decodes_errors),
        cmocka_unit_test(refuses_what_is_not_a_chunk),
        cmocka_unit_test(starts_after_azure_filter_chunk),
        cmocka_unit_test(tool_calls_of_compatible_servers),
        cmocka_unit_test(only_the_first_choice),
        cmocka_unit_test(encodes_exact_bytes),
        cmocka_unit_test(encodes_tool_calls_reasoning_refusal),
        cmocka_unit_test(encoder_output_decodes_to_the_same_events),
        cmocka_unit_test(encoder_keeps_openai_order),
        cmocka_unit_test(encoder_without_usage_reported),
        cmocka_unit_test(encoder_writes_errors),
        cmocka_unit_test(openai_text_stream_comes_out_as_openai_writes_it),
        cmocka_unit_test(openai_tool_stream_passes_through_equivalent),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
