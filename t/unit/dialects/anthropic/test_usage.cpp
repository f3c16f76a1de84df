// Anthropic usage: the four counts normalised to the canonical usage, from a whole Message and
// from a stream's message_start and message_delta events combined.
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/anthropic/usage.hpp"
#include "aigw/text/usage_scanner.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::usage;
using aigw::anthropic::usage_counts;

namespace {

const aigw::usage_parser& reader() { return aigw::anthropic::usage_reader(); }

void assert_usage(const usage& u, std::int64_t prompt, std::int64_t completion,
                  std::int64_t cached, std::int64_t cache_write) {
    assert_true(u.present);
    assert_false(u.estimated);
    assert_int_equal(u.prompt_tokens, prompt);
    assert_int_equal(u.completion_tokens, completion);
    assert_int_equal(u.total_tokens, prompt + completion);
    assert_int_equal(u.cached_tokens, cached);
    assert_int_equal(u.cache_write_tokens, cache_write);
    assert_int_equal(u.reasoning_tokens, 0);
}

void normalisation(void**) {
    usage_counts c;
    assert_false(c.any());
    assert_false(c.canonical().present);
    c.input_tokens = 10;
    c.cache_creation_input_tokens = 200;
    c.cache_read_input_tokens = 3000;
    c.output_tokens = 7;
    assert_usage(c.canonical(), 3210, 7, 3000, 200);

    usage_counts back = usage_counts::from_canonical(c.canonical());
    assert_int_equal(*back.input_tokens, 10);
    assert_int_equal(*back.cache_creation_input_tokens, 200);
    assert_int_equal(*back.cache_read_input_tokens, 3000);
    assert_int_equal(*back.output_tokens, 7);

    // OpenAI's counts (no cache writes): the uncached part is what is left.
    usage u;
    u.prompt_tokens = 100;
    u.cached_tokens = 60;
    u.completion_tokens = 5;
    back = usage_counts::from_canonical(u);
    assert_int_equal(*back.input_tokens, 40);
    assert_int_equal(*back.cache_creation_input_tokens, 0);
    assert_int_equal(*back.cache_read_input_tokens, 60);
    // Inconsistent counts never go negative.
    u.cached_tokens = 150;
    assert_int_equal(*usage_counts::from_canonical(u).input_tokens, 0);

    // Huge counts saturate instead of overflowing.
    c.input_tokens = INT64_MAX;
    assert_int_equal(c.canonical().prompt_tokens, INT64_MAX);
    assert_int_equal(c.canonical().total_tokens, INT64_MAX);
}

void merge_rule(void**) {
    usage_counts start;
    start.input_tokens = 472;
    start.cache_read_input_tokens = 100;
    start.output_tokens = 1;
    usage_counts delta;
    delta.output_tokens = 89;
    start.merge(delta);
    assert_usage(start.canonical(), 572, 89, 100, 0);
    usage_counts again;  // a later event repeating the input counts, one of them grown
    again.input_tokens = 500;
    again.cache_read_input_tokens = 100;
    again.output_tokens = 120;
    start.merge(again);
    assert_usage(start.canonical(), 600, 120, 100, 0);
    usage_counts zero;  // a server repeating an input count as 0 does not undo it
    zero.input_tokens = 0;
    zero.output_tokens = 120;
    start.merge(zero);
    assert_usage(start.canonical(), 600, 120, 100, 0);
}

void message_response(void**) {
    const std::string_view body =
        R"({"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",)"
        R"("content":[{"type":"thinking","thinking":"Let me see.","signature":"EqQB"},)"
        R"({"type":"text","text":"Hello there."},)"
        R"({"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],)"
        R"("stop_reason":"tool_use","stop_sequence":null,)"
        R"("usage":{"input_tokens":12,"cache_creation_input_tokens":1500,)"
        R"("cache_read_input_tokens":20000,"output_tokens":64,"service_tier":"standard"}})";
    std::string text;
    usage u = reader().read_response(body, &text);
    assert_usage(u, 21512, 64, 20000, 1500);
    assert_sv_equal(text, R"(Let me see.Hello there.get_weather{"city":"Paris"})");

    // Without cache fields (older models, compatible servers).
    u = reader().from_response(R"({"usage":{"input_tokens":5,"output_tokens":6}})");
    assert_usage(u, 5, 6, 0, 0);
    // Nulls and wrong types count 0; nothing countable is no usage.
    u = reader().from_response(
        R"({"usage":{"input_tokens":5,"cache_creation_input_tokens":null,"cache_read_input_tokens":"9","output_tokens":6.0}})");
    assert_usage(u, 5, 6, 0, 0);
    assert_false(reader().from_response(R"({"usage":{"input_tokens":-1,"output_tokens":1.5}})").present);
    assert_false(reader().from_response(R"({"usage":null})").present);
    assert_false(reader().from_response(R"({"content":[]})").present);
    // The last top-level usage counts, as in the client's JSON.parse; a nested one is not it.
    u = reader().from_response(
        R"({"usage":{"input_tokens":1,"output_tokens":1},"x":{"usage":{"input_tokens":9}},"usage":{"input_tokens":2,"output_tokens":3}})");
    assert_usage(u, 2, 3, 0, 0);
}

void large_response_scanner_agrees(void**) {
    // Bodies too large to keep are scanned for their usage and read by the same reader.
    const std::string body = R"({"content":[{"type":"text","text":")" + std::string(100000, 'a') +
                             R"("}],"usage":{"input_tokens":3,"cache_read_input_tokens":4,"output_tokens":5}})";
    aigw::usage_scanner scan;
    scan.feed(body.substr(0, 777));
    scan.feed(body.substr(777));
    usage u = scan.finish(reader());
    assert_usage(u, 7, 5, 4, 0);
    assert_usage(reader().from_response(body), 7, 5, 4, 0);
}

// A stream as Anthropic sends it, each event's data.
const char* const stream_events[] = {
    R"({"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":30,"cache_read_input_tokens":1000,"output_tokens":2}}})",
    R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})",
    R"({"type": "ping"})",
    R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})",
    R"({"type":"content_block_stop","index":0})",
    R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"lookup","input":{}}})",
    R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}})",
    R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"q\":1}"}})",
    R"({"type":"content_block_stop","index":1})",
    R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":15}})",
    R"({"type":"message_delta","delta":{},"usage":{"output_tokens":40}})",
    R"({"type":"message_stop"})",
};

void stream_chunks(void**) {
    // Each event alone says only what it carries.
    aigw::chunk_info start = reader().read_chunk(stream_events[0], nullptr);
    assert_true(start.json_object);
    assert_false(start.usage_only);
    assert_false(start.content_bearing);
    assert_usage(start.tokens, 1502, 2, 1000, 30);
    aigw::chunk_info delta = reader().read_chunk(stream_events[9], nullptr);
    assert_usage(delta.tokens, 0, 15, 0, 0);
    assert_false(reader().read_chunk(stream_events[3], nullptr).tokens.present);

    // A stream reader combines them: input from message_start, the last output count.
    auto stream = reader().stream_reader();
    std::string text;
    bool first_token_seen = false;
    for (std::size_t i = 0; i < sizeof stream_events / sizeof stream_events[0]; ++i) {
        aigw::chunk_info info = stream->read_chunk(stream_events[i], &text);
        assert_true(info.json_object);
        assert_false(info.usage_only);
        if (info.content_bearing && !first_token_seen) {
            first_token_seen = true;
            assert_int_equal(i, 3);  // the first non-empty delta, not the empty block start
        }
        if (i == 0) assert_usage(stream->total(), 1502, 2, 1000, 30);
        if (i == 9) assert_usage(stream->total(), 1502, 15, 1000, 30);
    }
    assert_usage(stream->total(), 1502, 40, 1000, 30);
    assert_sv_equal(text, "Hilookup{\"q\":1}");

    // message_delta repeating the input counts (as Anthropic now does) changes nothing.
    stream = reader().stream_reader();
    stream->read_chunk(stream_events[0], nullptr);
    stream->read_chunk(
        R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":472,"cache_creation_input_tokens":30,"cache_read_input_tokens":1000,"output_tokens":9}})",
        nullptr);
    assert_usage(stream->total(), 1502, 9, 1000, 30);

    // A stream cut after message_start still bills its input.
    stream = reader().stream_reader();
    assert_false(stream->total().present);
    stream->read_chunk(stream_events[0], nullptr);
    stream->read_chunk("{not json", nullptr);
    assert_usage(stream->total(), 1502, 2, 1000, 30);
}

// The glue leaves an event unread while chunk_may_report_usage says it reports none: only
// events whose usage this reader would not find.
void events_that_may_wait(void**) {
    assert_true(reader().defers_unreported_chunks());
    std::vector<std::size_t> waiting;
    for (std::size_t i = 0; i < sizeof stream_events / sizeof stream_events[0]; ++i) {
        bool may = aigw::chunk_may_report_usage(stream_events[i]);
        assert_int_equal(may, reader().read_chunk(stream_events[i], nullptr).tokens.present);
        if (!may) waiting.push_back(i);
    }
    // message_start and both message_delta events are read as they come; the rest may wait.
    assert_int_equal(waiting.size(), sizeof stream_events / sizeof stream_events[0] - 3);
}

void content_bearing(void**) {
    auto bears = [](std::string_view data) { return reader().is_content_bearing(data); };
    assert_true(bears(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}})"));
    assert_true(bears(R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"x"}})"));
    assert_true(bears(R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{"}})"));
    assert_false(bears(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}})"));
    assert_false(bears(R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}})"));
    assert_false(bears(R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"));
    assert_false(bears(R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}})"));
    assert_false(bears(R"({"type":"ping"})"));
    std::string text = reader().streamed_text(
        R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}})");
    assert_sv_equal(text, "hmm");
}

void malformed_input(void**) {
    for (std::string_view bad :
         {"", "{", "[]", "null", "\"usage\"", R"({"usage":{"input_tokens":1})",
          R"({"usage":{"input_tokens":1}} x)", "{\"type\":\"\xff\"}",
          R"({"usage":{"input_tokens":01}})"}) {
        assert_false(reader().from_response(bad).present);
        aigw::chunk_info info = reader().read_chunk(bad, nullptr);
        assert_false(info.json_object);
        assert_false(info.tokens.present);
        std::string text = "kept";
        reader().read_response(bad, &text);
        assert_sv_equal(text, "kept");  // nothing appended from a body that did not parse
    }
    // Deep nesting where the reader does not look is skipped; where it does, it is bounded.
    std::string deep = R"({"usage":{"input_tokens":1,"x":)";
    for (int i = 0; i < 20000; ++i) deep += '[';
    for (int i = 0; i < 20000; ++i) deep += ']';
    deep += "}}";
    reader().from_response(deep);  // no crash; either answer is fine
    std::string deep_input = R"({"content":[{"type":"tool_use","input":{"a":)";
    for (int i = 0; i < 20000; ++i) deep_input += '[';
    for (int i = 0; i < 20000; ++i) deep_input += ']';
    deep_input += R"(}}],"usage":{"input_tokens":1,"output_tokens":2}})";
    std::string text;
    reader().read_response(deep_input, &text);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalisation),
        cmocka_unit_test(merge_rule),
        cmocka_unit_test(message_response),
        cmocka_unit_test(large_response_scanner_agrees),
        cmocka_unit_test(stream_chunks),
        cmocka_unit_test(events_that_may_wait),
        cmocka_unit_test(content_bearing),
        cmocka_unit_test(malformed_input),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
