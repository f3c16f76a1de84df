// The Responses API's usage: a response object's, a stream's (in response.completed,
// response.incomplete and response.failed), the canonical counts, and what counts as output.
#include <string>
#include <string_view>

#include "aigw/dialects/openai_responses/usage.hpp"
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
#include "pivot_diff.hpp"

using aigw::usage;

namespace {

const aigw::usage_parser& reader() { return aigw::responses::usage_reader(); }

// Counts as the upstream reported them (never cache writes: OpenAI reports none).
void expect_usage(const usage& got, std::int64_t prompt, std::int64_t completion,
                  std::int64_t total, std::int64_t cached, std::int64_t reasoning) {
    std::string d = pivot_diff::diff(got, usage{prompt, completion, total, cached, 0, reasoning, true, false}, "usage");
    if (!d.empty()) print_error("differs at %s\n", d.c_str());
    assert_true(d.empty());
}

const std::string_view response_body =
    R"({"id":"resp_1","object":"response","status":"completed","model":"gpt-5","output":[)"
    R"({"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"Think. "}]},)"
    R"({"id":"msg_1","type":"message","content":[{"type":"output_text","text":"Hello ","annotations":[]},{"type":"refusal","refusal":"no. "}]},)"
    R"({"id":"fc_1","type":"function_call","call_id":"c","name":"f","arguments":"{}"},)"
    R"({"id":"ctc_1","type":"custom_tool_call","call_id":"d","name":"p","input":" patch"}],)"
    R"("usage":{"input_tokens":328,"input_tokens_details":{"cached_tokens":128},"output_tokens":52,)"
    R"("output_tokens_details":{"reasoning_tokens":30},"total_tokens":380},"metadata":{"usage":"x"}})";

void response_object(void**) {
    std::string text;
    expect_usage(reader().read_response(response_body, &text), 328, 52, 380, 128, 30);
    assert_sv_equal(text, "Think. Hello no. f{}p patch");
    // Counts left out: total is the sum; details absent are 0; 12.0 is a count.
    expect_usage(reader().from_response(R"({"usage":{"input_tokens":10,"output_tokens":2.0}})"), 10, 2, 12, 0, 0);
    // No usage, null usage, counts of the wrong type: none.
    for (std::string_view none : {R"({"usage":null})", R"({"output":[]})",
                                  R"({"usage":{"input_tokens":"3","input_tokens_details":{"cached_tokens":1}}})",
                                  R"({"usage":{"input_tokens":-1}})", "[]", "{", ""}) {
        assert_false(reader().from_response(none).present);
    }
    // A later usage member replaces an earlier one, as JSON.parse does.
    expect_usage(reader().from_response(R"({"usage":{"input_tokens":1,"output_tokens":1},"usage":{"input_tokens":7}})"),
                 7, 0, 7, 0, 0);
}

// The glue reads a body too large to keep through the usage scanner, which hands this reader
// the top-level usage as {"usage":...}.
void usage_scanner_agrees(void**) {
    aigw::usage_scanner scanner;
    for (std::size_t at = 0; at < response_body.size(); at += 7) scanner.feed(response_body.substr(at, 7));
    expect_usage(scanner.finish(reader()), 328, 52, 380, 128, 30);
}

void stream_events(void**) {
    auto info = [](std::string_view data, std::string* text = nullptr) {
        return reader().read_chunk(data, text);
    };
    // Usage in the response object of the last event, whichever it is.
    for (std::string_view type : {"response.completed", "response.incomplete", "response.failed"}) {
        std::string data = R"({"type":")" + std::string(type) +
                           R"(","sequence_number":9,"response":{"id":"r","status":"x","output":[{"type":"message","content":[{"type":"output_text","text":"Hi"}]}],)"
                           R"("usage":{"input_tokens":5,"input_tokens_details":{"cached_tokens":0},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":7}}})";
        std::string text;
        aigw::chunk_info i = info(data, &text);
        assert_true(i.json_object);
        expect_usage(i.tokens, 5, 2, 7, 0, 0);
        assert_false(i.usage_only);
        assert_false(i.content_bearing);
        assert_true(text.empty());  // the deltas said it already
    }
    aigw::chunk_info created = info(R"({"type":"response.created","sequence_number":0,"response":{"id":"r","usage":null}})");
    assert_true(created.json_object);
    assert_false(created.tokens.present);
    assert_false(created.content_bearing);

    // The deltas are output; an empty one is not.
    for (std::string_view type : {"response.output_text.delta", "response.refusal.delta",
                                  "response.function_call_arguments.delta",
                                  "response.custom_tool_call_input.delta",
                                  "response.reasoning_summary_text.delta", "response.reasoning_text.delta"}) {
        std::string data = R"({"type":")" + std::string(type) + R"(","sequence_number":4,"item_id":"i","output_index":0,"delta":"d\u00e9"})";
        std::string text = "<";
        aigw::chunk_info i = info(data, &text);
        assert_true(i.content_bearing);
        assert_sv_equal(text, "<d\xc3\xa9");
        assert_false(info(R"({"type":")" + std::string(type) + R"(","delta":""})").content_bearing);
    }
    // A call added is output, its name the text; a message added is not yet.
    std::string text;
    assert_true(info(R"({"type":"response.output_item.added","item":{"type":"function_call","name":"get_weather","arguments":""}})", &text).content_bearing);
    assert_sv_equal(text, "get_weather");
    assert_false(info(R"({"type":"response.output_item.added","item":{"type":"message","content":[]}})").content_bearing);
    // The .done events repeat the deltas: not output again.
    text.clear();
    assert_false(info(R"({"type":"response.output_text.done","text":"Hi"})", &text).content_bearing);
    assert_true(text.empty());
    assert_false(info("not json").json_object);
    assert_false(info("[1]").json_object);
}

// The glue leaves an event unread while chunk_may_report_usage says it reports none: the
// deltas and the lifecycle events whose response has "usage":null, never the completed one.
void events_that_may_wait(void**) {
    assert_true(reader().defers_unreported_chunks());
    const std::string_view events[] = {
        R"({"type":"response.created","sequence_number":0,"response":{"id":"r","status":"in_progress","usage":null}})",
        R"({"type":"response.output_text.delta","sequence_number":4,"item_id":"m","output_index":0,"content_index":0,"delta":"usage: high","logprobs":[]})",
        R"({"type":"response.output_text.done","sequence_number":5,"item_id":"m","output_index":0,"content_index":0,"text":"usage: high","logprobs":[]})",
        R"({"type":"response.completed","sequence_number":9,"response":{"id":"r","status":"completed","usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}})",
    };
    const bool may[] = {false, false, false, true};
    for (std::size_t i = 0; i < 4; ++i) {
        assert_int_equal(aigw::chunk_may_report_usage(events[i]), may[i]);
        assert_int_equal(reader().read_chunk(events[i], nullptr).tokens.present, may[i]);
    }
}

// A stream's usage is the last event's, whole (the default stream reader).
void stream_reader(void**) {
    auto stream = reader().stream_reader();
    stream->read_chunk(R"({"type":"response.created","response":{"usage":null}})", nullptr);
    assert_false(stream->total().present);
    stream->read_chunk(R"({"type":"response.output_text.delta","delta":"x"})", nullptr);
    stream->read_chunk(R"({"type":"response.completed","response":{"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}})", nullptr);
    expect_usage(stream->total(), 3, 4, 7, 0, 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(response_object),
        cmocka_unit_test(usage_scanner_agrees),
        cmocka_unit_test(stream_events),
        cmocka_unit_test(events_that_may_wait),
        cmocka_unit_test(stream_reader),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
