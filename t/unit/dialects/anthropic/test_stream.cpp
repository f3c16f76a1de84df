// Messages streams to and from pivot events: a real stream decoded, the encoder's bytes for a
// fixed case, and the encoder's output decoded back to the same events.
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/anthropic/translate.hpp"
#include "aigw/text/sse_framer.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"
#include "stream_decode.hpp"

namespace api = aigw::api;
namespace anthropic = aigw::anthropic;
using kind = api::event_kind;

namespace {

// A stream as Anthropic sends it: thinking with its signature, text, a ping, a tool call whose
// input comes in pieces, usage in message_start and cumulative in message_delta.
const std::string_view claude_stream =
    "event: message_start\n"
    R"(data: {"type":"message_start","message":{"id":"msg_01DfGoUw","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":778,"cache_creation_input_tokens":12,"cache_read_input_tokens":3000,"output_tokens":5,"service_tier":"standard"}}})" "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}})" "\n\n"
    "event: ping\n"
    R"(data: {"type": "ping"})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants"}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":" the weather."}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"ErUBCkYIARgCIkA="}})" "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":0})" "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me check \u00e9t\u00e9 "}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"for \"you\"."}})" "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":1})" "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1x1","name":"get_weather","input":{}}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"ncisco\"}"}})" "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":2})" "\n\n"
    "event: content_block_start\n"
    R"(data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}})" "\n\n"
    "event: content_block_delta\n"
    R"(data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{}"}})" "\n\n"
    "event: content_block_stop\n"
    R"(data: {"type":"content_block_stop","index":3})" "\n\n"
    "event: message_delta\n"
    R"(data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}})" "\n\n"
    "event: message_stop\n"
    R"(data: {"type":"message_stop"})" "\n\n";

api::event ev(kind k, std::string text = {}, std::size_t index = 0) {
    api::event e;
    e.kind = k;
    e.text = std::move(text);
    e.index = index;
    return e;
}

aigw::usage counts(std::int64_t prompt, std::int64_t completion, std::int64_t cached,
                   std::int64_t written) {
    aigw::usage u;
    u.prompt_tokens = prompt;
    u.completion_tokens = completion;
    u.total_tokens = prompt + completion;
    u.cached_tokens = cached;
    u.cache_write_tokens = written;
    u.present = true;
    return u;
}

std::vector<api::event> expected_events() {
    std::vector<api::event> out;
    api::event start = ev(kind::start);
    start.id = "msg_01DfGoUw";
    start.model = "claude-sonnet-4-5-20250929";
    out.push_back(start);
    api::event usage = ev(kind::usage);
    usage.tokens = counts(3790, 5, 3000, 12);
    out.push_back(usage);
    out.push_back(ev(kind::reasoning_delta, "The user wants"));
    out.push_back(ev(kind::reasoning_delta, " the weather."));
    out.push_back(ev(kind::text_delta, "Let me check \xc3\xa9t\xc3\xa9 "));
    out.push_back(ev(kind::text_delta, "for \"you\"."));
    api::event call = ev(kind::tool_call_start);
    call.id = "toolu_01T1x1";
    call.name = "get_weather";
    out.push_back(call);
    out.push_back(ev(kind::tool_call_delta, "{\"location\": \"San Fra", 0));
    out.push_back(ev(kind::tool_call_delta, "ncisco\"}", 0));
    call.id = "toolu_02";
    call.name = "get_time";
    call.index = 1;
    out.push_back(call);
    out.push_back(ev(kind::tool_call_delta, "{}", 1));
    api::event finish = ev(kind::finish);
    finish.finish = api::finish_reason::tool_calls;
    out.push_back(finish);
    usage.tokens = counts(3790, 89, 3000, 12);  // input from message_start, output the last
    out.push_back(usage);
    out.push_back(ev(kind::done));
    return out;
}

void assert_same_events(const std::vector<api::event>& got, const std::vector<api::event>& expected) {
    assert_int_equal(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const api::event& a = got[i];
        const api::event& b = expected[i];
        if (a.kind != b.kind) print_error("event %zu: kind %d, expected %d\n", i, static_cast<int>(a.kind), static_cast<int>(b.kind));
        assert_int_equal(static_cast<int>(a.kind), static_cast<int>(b.kind));
        assert_int_equal(a.index, b.index);
        assert_sv_equal(a.id, b.id);
        assert_sv_equal(a.name, b.name);
        assert_sv_equal(a.model, b.model);
        assert_sv_equal(a.text, b.text);
        assert_int_equal(static_cast<int>(a.finish), static_cast<int>(b.finish));
        assert_int_equal(a.tokens.present, b.tokens.present);
        assert_int_equal(a.tokens.prompt_tokens, b.tokens.prompt_tokens);
        assert_int_equal(a.tokens.completion_tokens, b.tokens.completion_tokens);
        assert_int_equal(a.tokens.total_tokens, b.tokens.total_tokens);
        assert_int_equal(a.tokens.cached_tokens, b.tokens.cached_tokens);
        assert_int_equal(a.tokens.cache_write_tokens, b.tokens.cache_write_tokens);
        assert_int_equal(a.error.status, b.error.status);
        assert_sv_equal(a.error.type, b.error.type);
        assert_sv_equal(a.error.message, b.error.message);
    }
}

std::vector<api::event> decode_stream(std::string_view bytes, std::size_t step) {
    auto decoder = anthropic::make_stream_decoder();
    return decode_sse(*decoder, bytes, step);
}

std::string encode_all(const std::vector<api::event>& events, const api::request& req = {}) {
    auto encoder = anthropic::make_stream_encoder(req);
    std::string out;
    for (const api::event& e : events) encoder->encode(e, out);
    return out;
}

void real_stream_decoded(void**) {
    for (std::size_t step : {claude_stream.size(), std::size_t{1}, std::size_t{7}, std::size_t{300}}) {
        assert_same_events(decode_stream(claude_stream, step), expected_events());
    }
}

void encoded_and_decoded_back(void**) {
    std::vector<api::event> events = expected_events();
    std::string bytes = encode_all(events);
    for (std::size_t step : {bytes.size(), std::size_t{3}}) {
        assert_same_events(decode_stream(bytes, step), events);
    }
    // Each block gets its own index, in order, and every block that starts stops.
    assert_sv_equal(
        bytes,
        "event: message_start\n"
        R"(data: {"type":"message_start","message":{"id":"msg_01DfGoUw","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":778,"cache_creation_input_tokens":12,"cache_read_input_tokens":3000,"output_tokens":5}}})" "\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}})" "\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants"}})" "\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":" the weather."}})" "\n\n"
        "event: content_block_stop\n"
        R"(data: {"type":"content_block_stop","index":0})" "\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})" "\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Let me check \xc3\xa9t\xc3\xa9 \"}}\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"for \"you\"."}})" "\n\n"
        "event: content_block_stop\n"
        R"(data: {"type":"content_block_stop","index":1})" "\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1x1","name":"get_weather","input":{}}})" "\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"San Fra"}})" "\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"ncisco\"}"}})" "\n\n"
        "event: content_block_stop\n"
        R"(data: {"type":"content_block_stop","index":2})" "\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}})" "\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{}"}})" "\n\n"
        "event: content_block_stop\n"
        R"(data: {"type":"content_block_stop","index":3})" "\n\n"
        "event: message_delta\n"
        R"(data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":778,"cache_creation_input_tokens":12,"cache_read_input_tokens":3000,"output_tokens":89}})" "\n\n"
        "event: message_stop\n"
        R"(data: {"type":"message_stop"})" "\n\n");
}

// Events as an OpenAI channel's decoder gives them: usage only at the end, after finish; an
// empty first delta; a tool call's pieces after another call started.
void encoder_for_openai_events(void**) {
    api::request req;
    req.model = "gpt-4o";
    std::vector<api::event> events;
    api::event start = ev(kind::start);
    start.id = "chatcmpl-1";
    events.push_back(start);
    events.push_back(ev(kind::text_delta, ""));
    events.push_back(ev(kind::text_delta, "Hi"));
    api::event call = ev(kind::tool_call_start, "", 0);
    call.id = "call_a";
    call.name = "f";
    events.push_back(call);
    call.index = 1;
    call.id = "call_b";
    call.name = "g";
    events.push_back(call);
    events.push_back(ev(kind::tool_call_delta, "{}", 1));
    events.push_back(ev(kind::tool_call_delta, "{\"x\":1}", 0));  // the first call's block
    events.push_back(ev(kind::tool_call_delta, "ignored", 7));   // a call that never started
    api::event finish = ev(kind::finish);
    finish.finish = api::finish_reason::tool_calls;
    events.push_back(finish);
    api::event usage = ev(kind::usage);
    usage.tokens = counts(50, 7, 20, 0);
    events.push_back(usage);
    events.push_back(ev(kind::done));
    events.push_back(ev(kind::text_delta, "after done"));
    assert_sv_equal(
        encode_all(events, req),
        "event: message_start\n"
        R"(data: {"type":"message_start","message":{"id":"msg_chatcmpl-1","type":"message","role":"assistant","model":"gpt-4o","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}})" "\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})" "\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})" "\n\n"
        "event: content_block_stop\n"
        R"(data: {"type":"content_block_stop","index":0})" "\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_a","name":"f","input":{}}})" "\n\n"
        "event: content_block_stop\n"
        R"(data: {"type":"content_block_stop","index":1})" "\n\n"
        "event: content_block_start\n"
        R"(data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_b","name":"g","input":{}}})" "\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}})" "\n\n"
        "event: content_block_delta\n"
        R"(data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"x\":1}"}})" "\n\n"
        "event: content_block_stop\n"
        R"(data: {"type":"content_block_stop","index":2})" "\n\n"
        "event: message_delta\n"
        R"(data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":20,"output_tokens":7}})" "\n\n"
        "event: message_stop\n"
        R"(data: {"type":"message_stop"})" "\n\n");

    // Nothing but done: a whole, empty message; the model is the request's, the id a new one.
    std::string empty = encode_all({ev(kind::done)}, req);
    assert_true(empty.rfind("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_", 0) == 0);
    assert_true(empty.find(R"("model":"gpt-4o")") != std::string::npos);
    assert_true(empty.find("event: content_block") == std::string::npos);
    assert_true(empty.find(R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":0}})") !=
                std::string::npos);
}

void errors_both_ways(void**) {
    auto decoder = anthropic::make_stream_decoder();
    std::vector<api::event> events;
    assert_true(decoder->decode("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", events));
    assert_int_equal(events.size(), 1);
    assert_int_equal(static_cast<int>(events[0].kind), static_cast<int>(kind::error));
    assert_int_equal(events[0].error.status, 529);
    assert_sv_equal(events[0].error.type, "api_error");
    assert_sv_equal(events[0].error.code, "overloaded_error");
    assert_sv_equal(events[0].error.message, "Overloaded");

    // Mid-stream: the open block is left as it is, the error ends the stream.
    std::vector<api::event> in = {ev(kind::start), ev(kind::text_delta, "partial"), events[0],
                                  ev(kind::text_delta, "more"), ev(kind::done)};
    std::string out = encode_all(in);
    std::string tail = "event: content_block_delta\n"
                       R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"partial"}})" "\n\n"
                       "event: error\n"
                       R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})" "\n\n";
    assert_true(out.size() > tail.size());
    assert_sv_equal(std::string_view(out).substr(out.size() - tail.size()), tail);
    // Before anything was sent: the error alone, as Anthropic sends it.
    assert_sv_equal(encode_all({ev(kind::start), events[0]}),
                    "event: error\n"
                    R"(data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})" "\n\n");
}

void decoder_malformed_and_unknown(void**) {
    auto decoder = anthropic::make_stream_decoder();
    std::vector<api::event> events;
    for (std::string_view bad : {
             "", "{", "[]", "null", "{\"type\":1}", "{}",
             R"({"type":"message_start"})",
             R"({"type":"message_start","message":[]})",
             R"({"type":"content_block_start","content_block":{"type":"text"}})",
             R"({"type":"content_block_start","index":-1,"content_block":{"type":"text"}})",
             R"({"type":"content_block_start","index":0})",
             R"({"type":"content_block_delta","index":0})",
             R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta"}})",
             R"({"type":"content_block_delta","index":9,"delta":{"type":"input_json_delta","partial_json":"{"}})",
             R"({"type":"error","error":{"type":"api_error"}})",
             R"({"type":"message_stop"} trailing)",
         }) {
        if (decoder->decode("", bad, events)) {
            print_error("decoded: %.*s\n", static_cast<int>(bad.size()), bad.data());
            fail();
        }
    }
    assert_int_equal(events.size(), 0);
    // Events Anthropic may add, pings and signatures: understood, nothing to say.
    for (std::string_view quiet : {
             R"({"type":"ping"})", R"({"type":"content_block_stop","index":0})",
             R"({"type":"message_paused","x":1})",
             R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"s"}})",
             R"({"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}})",
             R"({"type":"content_block_start","index":4,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}})",
             R"({"type":"content_block_delta","index":4,"delta":{"type":"input_json_delta","partial_json":"{\"query\":\"x\"}"}})",
             R"({"type":"content_block_start","index":5,"content_block":{"type":"redacted_thinking","data":"abc"}})",
         }) {
        assert_true(decoder->decode("", quiet, events));
    }
    assert_int_equal(events.size(), 0);
    // The data's type decides; without one, the event: line does.
    assert_true(decoder->decode("message_stop", "{}", events));
    assert_int_equal(events.size(), 1);
    assert_int_equal(static_cast<int>(events[0].kind), static_cast<int>(kind::done));
    assert_false(decoder->decode("message", "{}", events));
    // A block started with its text or input already in it (some compatible servers).
    events.clear();
    assert_true(decoder->decode("", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi"}})", events));
    assert_true(decoder->decode("", R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"f","input":{"a": [1, 2]}}})", events));
    assert_int_equal(events.size(), 3);
    assert_sv_equal(events[0].text, "Hi");
    assert_sv_equal(events[2].text, R"({"a":[1,2]})");
    // Deep nesting is refused, not recursed into.
    std::string deep = R"({"type":"message_start","message":{"x":)";
    for (int i = 0; i < 10000; ++i) deep += '[';
    for (int i = 0; i < 10000; ++i) deep += ']';
    deep += "}}";
    assert_false(decoder->decode("", deep, events));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_stream_decoded),
        cmocka_unit_test(encoded_and_decoded_back),
        cmocka_unit_test(encoder_for_openai_events),
        cmocka_unit_test(errors_both_ways),
        cmocka_unit_test(decoder_malformed_and_unknown),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
