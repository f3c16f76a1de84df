// Gemini streams to and from pivot events: a real stream decoded (thoughts, text, whole
// function calls, cumulative usage), a blocked prompt and an error mid-stream, the encoder's
// bytes for a fixed case, and the encoder's output decoded back to the same events.
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/gemini/translate.hpp"
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
namespace gemini = aigw::gemini;
using kind = api::event_kind;

namespace {

// A stream as Gemini sends it (?alt=sse): CRLF frames, no event: lines, no [DONE]; a thought,
// partial text, two calls whole in the last chunk with finishReason and the final counts.
const std::string_view gemini_stream =
    R"(data: {"candidates": [{"content": {"parts": [{"text": "**Weighing** the ask","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 12,"totalTokenCount": 30,"thoughtsTokenCount": 18},"modelVersion": "gemini-2.5-flash","responseId": "abcXYZ"})" "\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Let me check \xc3\xa9t\xc3\xa9 \"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 12,\"totalTokenCount\": 30,\"thoughtsTokenCount\": 18},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"abcXYZ\"}\r\n\r\n"
    R"(data: {"candidates": [{"content": {"parts": [{"text": "for \"you\"."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 12,"totalTokenCount": 30,"thoughtsTokenCount": 18},"modelVersion": "gemini-2.5-flash","responseId": "abcXYZ"})" "\r\n\r\n"
    R"(data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather","args": {"city": "Paris","days": 2}},"thoughtSignature": "c2ln"},{"functionCall": {"id": "fc_2","name": "get_time","args": {}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 12,"candidatesTokenCount": 25,"totalTokenCount": 55,"thoughtsTokenCount": 18,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 12}]},"modelVersion": "gemini-2.5-flash","responseId": "abcXYZ"})" "\r\n\r\n";

// The id of a call Gemini gave none: made up, so matched by its shape.
constexpr std::string_view made_up_id = "call_?";

api::event ev(kind k, std::string text = {}, std::size_t index = 0) {
    api::event e;
    e.kind = k;
    e.text = std::move(text);
    e.index = index;
    return e;
}

aigw::usage counts(std::int64_t prompt, std::int64_t completion, std::int64_t cached,
                   std::int64_t reasoning) {
    aigw::usage u;
    u.prompt_tokens = prompt;
    u.completion_tokens = completion;
    u.total_tokens = prompt + completion;
    u.cached_tokens = cached;
    u.reasoning_tokens = reasoning;
    u.present = true;
    return u;
}

api::event usage_event(const aigw::usage& u) {
    api::event e = ev(kind::usage);
    e.tokens = u;
    return e;
}

api::event finish_event(api::finish_reason f) {
    api::event e = ev(kind::finish);
    e.finish = f;
    return e;
}

api::event call_start(std::size_t index, std::string id, std::string name) {
    api::event e = ev(kind::tool_call_start, {}, index);
    e.id = std::move(id);
    e.name = std::move(name);
    return e;
}

api::event start_event(std::string id, std::string model) {
    api::event e = ev(kind::start);
    e.id = std::move(id);
    e.model = std::move(model);
    return e;
}

std::vector<api::event> expected_events() {
    aigw::usage so_far = counts(12, 18, 0, 18);
    return {
        start_event("abcXYZ", "gemini-2.5-flash"),
        ev(kind::reasoning_delta, "**Weighing** the ask"),
        usage_event(so_far),
        ev(kind::text_delta, "Let me check \xc3\xa9t\xc3\xa9 "),
        usage_event(so_far),
        ev(kind::text_delta, "for \"you\"."),
        usage_event(so_far),
        call_start(0, std::string(made_up_id), "get_weather"),
        ev(kind::tool_call_delta, R"({"city":"Paris","days":2})", 0),
        call_start(1, "fc_2", "get_time"),
        ev(kind::tool_call_delta, "{}", 1),
        finish_event(api::finish_reason::tool_calls),  // STOP after calls
        usage_event(counts(12, 43, 0, 18)),
    };
}

void assert_same_events(const std::vector<api::event>& got, const std::vector<api::event>& expected) {
    assert_int_equal(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const api::event& a = got[i];
        const api::event& b = expected[i];
        if (a.kind != b.kind) print_error("event %zu: kind %d, expected %d\n", i, static_cast<int>(a.kind), static_cast<int>(b.kind));
        assert_int_equal(static_cast<int>(a.kind), static_cast<int>(b.kind));
        assert_int_equal(a.index, b.index);
        if (b.id == made_up_id) {
            assert_sv_equal(a.id.substr(0, 5), "call_");
            assert_int_equal(a.id.size(), 37);
        } else {
            assert_sv_equal(a.id, b.id);
        }
        assert_sv_equal(a.name, b.name);
        assert_sv_equal(a.model, b.model);
        assert_sv_equal(a.text, b.text);
        assert_int_equal(static_cast<int>(a.finish), static_cast<int>(b.finish));
        assert_int_equal(a.tokens.present, b.tokens.present);
        assert_int_equal(a.tokens.prompt_tokens, b.tokens.prompt_tokens);
        assert_int_equal(a.tokens.completion_tokens, b.tokens.completion_tokens);
        assert_int_equal(a.tokens.total_tokens, b.tokens.total_tokens);
        assert_int_equal(a.tokens.cached_tokens, b.tokens.cached_tokens);
        assert_int_equal(a.tokens.reasoning_tokens, b.tokens.reasoning_tokens);
        assert_int_equal(a.error.status, b.error.status);
        assert_sv_equal(a.error.type, b.error.type);
        assert_sv_equal(a.error.code, b.error.code);
        assert_sv_equal(a.error.message, b.error.message);
    }
}

std::vector<api::event> decode_stream(std::string_view bytes, std::size_t step) {
    auto decoder = gemini::make_stream_decoder();
    return decode_sse(*decoder, bytes, step);
}

std::string encode_all(const std::vector<api::event>& events, const api::request& req = {}) {
    auto encoder = gemini::make_stream_encoder(req);
    std::string out;
    for (const api::event& e : events) encoder->encode(e, out);
    return out;
}

void real_stream_decoded(void**) {
    for (std::size_t step : {gemini_stream.size(), std::size_t{1}, std::size_t{7}, std::size_t{300}}) {
        assert_same_events(decode_stream(gemini_stream, step), expected_events());
    }
}

void blocked_and_failed(void**) {
    // A blocked prompt: no start (it began no answer), the prompt's count, then the content
    // filter's error.
    std::vector<api::event> events = decode_stream(
        "data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"},\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8},"
        "\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"blk\"}\r\n\r\n",
        5);
    api::event blocked = ev(kind::error);
    blocked.error = aigw::content_filter_error("PROHIBITED_CONTENT");
    assert_same_events(events, {usage_event(counts(8, 0, 0, 0)), blocked});
    assert_int_equal(events[1].error.status, 400);
    assert_sv_equal(events[1].error.code, "content_filter");

    // An error after text: the status is the error's code.
    events = decode_stream(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi\"}],\"role\": \"model\"},\"index\": 0}],\"modelVersion\": \"m\",\"responseId\": \"r\"}\r\n\r\n"
        "data: {\"error\": {\"code\": 503,\"message\": \"The model is overloaded. Please try again later.\",\"status\": \"UNAVAILABLE\"}}\r\n\r\n",
        9);
    api::event failed = ev(kind::error);
    failed.error.status = 503;
    failed.error.type = "api_error";
    failed.error.code = "unavailable";
    failed.error.message = "The model is overloaded. Please try again later.";
    assert_same_events(events, {start_event("r", "m"), ev(kind::text_delta, "Hi"), failed});
}

void decoder_malformed_and_odd(void**) {
    auto decoder = gemini::make_stream_decoder();
    std::vector<api::event> out;
    for (std::string_view bad : {"", "not json", "[1]", "\"x\"", R"({"candidates":[)", R"({} {})"}) {
        assert_false(decoder->decode("", bad, out));
    }
    assert_true(out.empty());
    // Nesting past the bound is refused, not recursed into.
    std::string deep = R"({"x":)" + std::string(3000, '[') + std::string(3000, ']') + "}";
    assert_false(decoder->decode("", deep, out));
    assert_true(out.empty());
    // Wrong types, other part kinds, empty text: nothing but the start; a second finishReason
    // (and a second start) is not said again.
    assert_true(decoder->decode("", R"({"candidates":[{"content":{"parts":[5,{"text":""},{"text":3},{"inlineData":{}},{"functionCall":"f"}]},"finishReason":"MAX_TOKENS"}],"usageMetadata":{"totalTokenCount":"x"}})", out));
    assert_true(decoder->decode("", R"({"candidates":[{"content":{"parts":[{"text":"a","thought":"no"}]},"finishReason":"STOP"}],"responseId":"z"})", out));
    assert_true(decoder->decode("", R"({"candidates":"none"})", out));
    assert_same_events(out, {start_event("", ""), finish_event(api::finish_reason::length), ev(kind::text_delta, "a")});
}

void encoder_bytes(void**) {
    // Events as an OpenAI chat stream gives them: the call's arguments in pieces, the finish,
    // then the usage, then the end.
    aigw::usage u = counts(100, 30, 60, 20);
    std::vector<api::event> events = {
        start_event("chatcmpl-1", "gpt-4o"),
        ev(kind::reasoning_delta, "think"),
        ev(kind::text_delta, "Hel"),
        ev(kind::text_delta, ""),
        ev(kind::refusal_delta, "lo \"x\""),
        call_start(0, "call_1", "get_weather"),
        ev(kind::tool_call_delta, "{\"city\":", 0),
        ev(kind::tool_call_delta, "x", 7),  // a call that never started: nowhere to go
        ev(kind::tool_call_delta, " \"Paris\"}", 0),
        call_start(1, "", "noop"),
        finish_event(api::finish_reason::tool_calls),
        usage_event(u),
        ev(kind::done),
        ev(kind::text_delta, "after the end"),
    };
    std::string bytes = encode_all(events);
    assert_sv_equal(
        bytes,
        R"(data: {"candidates":[{"content":{"parts":[{"text":"think","thought":true}],"role":"model"},"index":0}],"modelVersion":"gpt-4o","responseId":"chatcmpl-1"})" "\r\n\r\n"
        R"(data: {"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}],"modelVersion":"gpt-4o","responseId":"chatcmpl-1"})" "\r\n\r\n"
        R"(data: {"candidates":[{"content":{"parts":[{"text":"lo \"x\""}],"role":"model"},"index":0}],"modelVersion":"gpt-4o","responseId":"chatcmpl-1"})" "\r\n\r\n"
        R"(data: {"candidates":[{"content":{"parts":[{"functionCall":{"id":"call_1","name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"noop","args":{}}}],"role":"model"},"finishReason":"STOP","index":0}],)"
        R"("usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":10,"totalTokenCount":130,"cachedContentTokenCount":60,"thoughtsTokenCount":20},"modelVersion":"gpt-4o","responseId":"chatcmpl-1"})" "\r\n\r\n");

    // Decoded back: the same answer.
    std::vector<api::event> back = decode_stream(bytes, 4);
    assert_same_events(back, {
        start_event("chatcmpl-1", "gpt-4o"),
        ev(kind::reasoning_delta, "think"),
        ev(kind::text_delta, "Hel"),
        ev(kind::text_delta, "lo \"x\""),
        call_start(0, "call_1", "get_weather"),
        ev(kind::tool_call_delta, R"({"city":"Paris"})", 0),
        call_start(1, std::string(made_up_id), "noop"),
        ev(kind::tool_call_delta, "{}", 1),
        finish_event(api::finish_reason::tool_calls),
        usage_event(u),
    });
}

void encoder_plain_end_and_errors(void**) {
    // No start event: the request's model and a made-up id; a plain end is Gemini's last chunk,
    // an empty text with STOP (length: MAX_TOKENS), no usage when none came.
    api::request req;
    req.model = "gemini-2.5-pro";
    std::string bytes = encode_all({ev(kind::text_delta, "a"), finish_event(api::finish_reason::length), ev(kind::done)}, req);
    std::size_t at = bytes.find(R"("responseId":")");
    assert_true(at != std::string::npos);
    std::string id = bytes.substr(at + 14, 32);
    assert_true(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    assert_sv_equal(
        bytes,
        R"(data: {"candidates":[{"content":{"parts":[{"text":"a"}],"role":"model"},"index":0}],"modelVersion":"gemini-2.5-pro","responseId":")" + id + "\"}\r\n\r\n" +
        R"(data: {"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"modelVersion":"gemini-2.5-pro","responseId":")" + id + "\"}\r\n\r\n");

    // An error ends the stream: Google's error chunk, then nothing, not even the end.
    aigw::api_error e = aigw::upstream_interrupted_error();
    api::event failed = ev(kind::error);
    failed.error = e;
    bytes = encode_all({start_event("r", "m"), ev(kind::text_delta, "Hi"), failed, ev(kind::text_delta, "x"), ev(kind::done)});
    assert_sv_equal(
        bytes,
        R"(data: {"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"index":0}],"modelVersion":"m","responseId":"r"})" "\r\n\r\n"
        R"(data: {"error":{"code":502,"message":"The upstream connection was interrupted before the response was complete.","status":"INTERNAL"}})" "\r\n\r\n");
    // And it decodes back to the error.
    std::vector<api::event> back = decode_stream(bytes, 11);
    assert_int_equal(back.size(), 3);
    assert_int_equal(static_cast<int>(back[2].kind), static_cast<int>(kind::error));
    assert_int_equal(back[2].error.status, 502);
    assert_sv_equal(back[2].error.message, e.message);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_stream_decoded),
        cmocka_unit_test(blocked_and_failed),
        cmocka_unit_test(decoder_malformed_and_odd),
        cmocka_unit_test(encoder_bytes),
        cmocka_unit_test(encoder_plain_end_and_errors),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
