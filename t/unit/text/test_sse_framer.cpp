// The SSE framer: identical events whatever the split, the spec's field rules, bounded memory.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <random>
#include <string>
#include <vector>

#include "aigw/text/sse.hpp"
#include "aigw/text/sse_framer.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::sse_end;
using aigw::sse_event;
using aigw::sse_framer;
using aigw::sse_limits;
using aigw::sse_status;

namespace {

// A stream as OpenAI sends it for stream:true with include_usage: role chunk, content (with
// multi-byte UTF-8 to split), a tool call, the finish chunk, the usage chunk, [DONE]; plus a
// keep-alive comment as proxies insert.
const std::string reference_stream =
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\","
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],"
    "\"usage\":null}\n\n"
    ": keep-alive\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Gr\xc3\xbc\xc3\x9f "
    "\xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x91\x8b\"},\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]},"
    "\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
    "\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,"
    "\"total_tokens\":21}}\n\n"
    "data: [DONE]\n\n";

struct framed {
    std::vector<sse_event> events;
    sse_status status = sse_status::ok;
    sse_end end = sse_end::clean;
};

// Frames `s` cut at the given offsets (ascending), then finishes.
framed frame_cut(const std::string& s, const std::vector<size_t>& cuts, sse_limits limits = {}) {
    sse_framer f(limits);
    framed r;
    size_t pos = 0;
    for (size_t cut : cuts) {
        r.status = f.feed(std::string_view(s).substr(pos, cut - pos), r.events);
        pos = cut;
    }
    r.status = f.feed(std::string_view(s).substr(pos), r.events);
    r.end = f.finish(r.events);
    return r;
}

framed frame(const std::string& s, size_t step = 0, sse_limits limits = {}) {
    std::vector<size_t> cuts;
    if (step > 0) {
        for (size_t c = step; c < s.size(); c += step) cuts.push_back(c);
    }
    return frame_cut(s, cuts, limits);
}

void assert_same_event(const sse_event& a, const sse_event& b) {
    assert_string_equal(a.type.c_str(), b.type.c_str());
    assert_int_equal(a.data.size(), b.data.size());
    assert_memory_equal(a.data.data(), b.data.data(), a.data.size());
    assert_string_equal(a.id.c_str(), b.id.c_str());
    assert_int_equal(a.has_data, b.has_data);
    assert_int_equal(a.is_done, b.is_done);
    assert_int_equal(a.partial, b.partial);
    assert_int_equal(a.begin, b.begin);
    assert_int_equal(a.end, b.end);
}

void assert_same(const framed& a, const framed& b) {
    assert_int_equal(a.events.size(), b.events.size());
    for (size_t i = 0; i < a.events.size(); i++) {
        assert_same_event(a.events[i], b.events[i]);
    }
    assert_int_equal(static_cast<int>(a.status), static_cast<int>(b.status));
    assert_int_equal(static_cast<int>(a.end), static_cast<int>(b.end));
}

// Every way of cutting `s` that the tests use gives what one whole feed gives.
void assert_split_invariant(const std::string& s) {
    framed whole = frame(s);
    for (size_t step = 1; step <= 3; step++) {
        assert_same(frame(s, step), whole);
    }
    for (size_t cut = 1; cut < s.size(); cut++) {
        assert_same(frame_cut(s, {cut}), whole);
    }
    std::mt19937 rng(20240505);
    for (int round = 0; round < 200; round++) {
        std::vector<size_t> cuts;
        size_t pos = 0;
        while (true) {
            pos += 1 + rng() % 17;
            if (pos >= s.size()) break;
            cuts.push_back(pos);
        }
        assert_same(frame_cut(s, cuts), whole);
    }
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

void reference_stream_events(void**) {
    framed r = frame(reference_stream);
    assert_int_equal(r.status, sse_status::ok);
    assert_int_equal(r.end, sse_end::clean);
    assert_int_equal(r.events.size(), 7);
    const auto& ev = r.events;
    assert_true(ev[0].has_data);
    assert_string_equal(ev[0].type.c_str(), "message");
    assert_int_equal(ev[0].data.compare(0, 13, "{\"id\":\"chatcm"), 0);
    assert_false(ev[1].has_data);  // the keep-alive comment
    assert_true(ev[1].data.empty());
    assert_true(ev[2].data.find("Gr\xc3\xbc\xc3\x9f \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x91\x8b") !=
                std::string::npos);
    assert_true(ev[5].data.find("\"choices\":[]") != std::string::npos);
    assert_true(ev[6].is_done);
    for (size_t i = 0; i + 1 < ev.size(); i++) {
        assert_false(ev[i].is_done);
        assert_false(ev[i].partial);
    }
    // Ranges tile the stream here: each event's bytes are its lines and its blank line.
    assert_int_equal(ev[0].begin, 0);
    for (size_t i = 0; i < ev.size(); i++) {
        std::string text = reference_stream.substr(ev[i].begin, ev[i].end - ev[i].begin);
        assert_int_equal(text.compare(text.size() - 2, 2, "\n\n"), 0);
        if (ev[i].has_data) {
            assert_string_equal(text.c_str(), ("data: " + ev[i].data + "\n\n").c_str());
        }
        if (i > 0) assert_int_equal(ev[i].begin, ev[i - 1].end);
    }
    assert_int_equal(ev.back().end, reference_stream.size());
}

// A caller that hands each feed's events back (recycle) gets the same events: the buffers it
// gets again are emptied first, whatever they held; large ones are not kept.
void recycled_buffers_give_the_same_events(void**) {
    std::string s = reference_stream + "data: " + std::string(5000, 'x') + "\n\n" +
                    reference_stream;
    framed whole = frame(s);
    for (size_t step : {1, 7, 64, 300}) {
        sse_framer f;
        std::vector<sse_event> got;
        std::vector<sse_event> events;
        for (size_t pos = 0; pos < s.size(); pos += step) {
            f.recycle(events);
            assert_true(events.empty());
            f.feed(std::string_view(s).substr(pos, step), events);
            got.insert(got.end(), events.begin(), events.end());
        }
        f.recycle(events);
        f.finish(events);
        got.insert(got.end(), events.begin(), events.end());
        assert_int_equal(got.size(), whole.events.size());
        for (size_t i = 0; i < got.size(); i++) assert_same_event(got[i], whole.events[i]);
    }
}

void every_split_gives_the_same_events(void**) {
    assert_split_invariant(reference_stream);
    assert_split_invariant(replace_all(reference_stream, "\n", "\r\n"));
    assert_split_invariant(replace_all(reference_stream, "\n", "\r"));
    assert_split_invariant("\xEF\xBB\xBF" + reference_stream);
}

void line_endings_give_the_same_data(void**) {
    framed lf = frame(reference_stream);
    for (const char* eol : {"\r\n", "\r"}) {
        framed other = frame(replace_all(reference_stream, "\n", eol));
        assert_int_equal(other.end, sse_end::clean);
        assert_int_equal(other.events.size(), lf.events.size());
        for (size_t i = 0; i < lf.events.size(); i++) {
            assert_string_equal(other.events[i].data.c_str(), lf.events[i].data.c_str());
            assert_int_equal(other.events[i].is_done, lf.events[i].is_done);
        }
    }
    // CRLF: the event ends at the CR of its blank line; the LF after it belongs to no event.
    std::string crlf = "data: a\r\n\r\ndata: b\r\n\r\n";
    framed r = frame(crlf);
    assert_int_equal(r.events.size(), 2);
    assert_int_equal(r.events[0].begin, 0);
    assert_int_equal(r.events[0].end, 10);
    assert_int_equal(r.events[1].begin, 11);
    assert_int_equal(r.events[1].end, crlf.size() - 1);
    // Mixed endings in one stream, and CR CR as a line then a blank line.
    framed mixed = frame("data: a\r\ndata: b\n\rdata: c\r\r");
    assert_int_equal(mixed.events.size(), 2);
    assert_string_equal(mixed.events[0].data.c_str(), "a\nb");
    assert_string_equal(mixed.events[1].data.c_str(), "c");
    assert_int_equal(mixed.end, sse_end::clean);
}

void multi_line_data(void**) {
    std::string s = "data: {\"a\":\ndata:  1}\ndata:\ndata\ndata:x\n\n";
    framed r = frame(s);
    assert_int_equal(r.events.size(), 1);
    // One space after the colon is dropped, a second is kept; "data" alone is an empty line.
    assert_string_equal(r.events[0].data.c_str(), "{\"a\":\n 1}\n\n\nx");
    assert_split_invariant(s);
    framed empty = frame("data:\n\n");
    assert_true(empty.events[0].has_data);
    assert_true(empty.events[0].data.empty());
}

void comments_retry_and_unknown_fields(void**) {
    std::string s = ": hello\n\nretry: 3000\nfoo: bar\ndata : not data\n\n"
                    ": ping\ndata: x\n: pong\nretry: 1\n\n";
    framed r = frame(s);
    assert_int_equal(r.events.size(), 3);
    assert_false(r.events[0].has_data);
    assert_false(r.events[1].has_data);  // "data " with a space is another field's name
    assert_true(r.events[2].has_data);
    assert_string_equal(r.events[2].data.c_str(), "x");
    // The comment before the data line is part of the event's bytes.
    assert_int_equal(s.compare(r.events[2].begin, 7, ": ping\n"), 0);
    assert_split_invariant(s);

    // Names longer than the framer keeps, beginning like known ones, are other fields; a
    // name alone on its line is a field with an empty value.
    std::string long_names = "dataxxxxxxxxxxxxxxxxxxxxxxxxx: no\neventeventevent: no\ndata\n\n";
    framed l = frame(long_names);
    assert_int_equal(l.events.size(), 1);
    assert_true(l.events[0].has_data);
    assert_string_equal(l.events[0].data.c_str(), "");
    assert_string_equal(l.events[0].type.c_str(), "message");  // the default: no event: line counted
    assert_split_invariant(long_names);
    // A name is part of its line's length.
    sse_limits small;
    small.max_line = 64;
    framed too_long = frame(std::string(100, 'n') + ": v\n\n", 0, small);
    assert_int_equal(too_long.status, sse_status::line_too_long);
    too_long = frame(std::string(100, 'n') + ": v\n\n", 3, small);
    assert_int_equal(too_long.status, sse_status::line_too_long);
}

void event_types(void**) {
    std::string s = "event: error\ndata: {\"error\":{\"message\":\"boom\"}}\n\n"
                    "data: after\n\n"
                    "event:\ndata: empty type\n\n"
                    "event: a\nevent: b\ndata: last wins\n\n";
    framed r = frame(s);
    assert_int_equal(r.events.size(), 4);
    assert_string_equal(r.events[0].type.c_str(), "error");
    assert_string_equal(r.events[0].data.c_str(), "{\"error\":{\"message\":\"boom\"}}");
    assert_string_equal(r.events[1].type.c_str(), "message");  // the type does not persist
    assert_string_equal(r.events[2].type.c_str(), "message");
    assert_string_equal(r.events[3].type.c_str(), "b");
    assert_split_invariant(s);
}

void ids_persist(void**) {
    std::string s = std::string("id: 1\ndata: a\n\ndata: b\n\nid: x") + '\0' + "y\ndata: c\n\nid\ndata: d\n\n";
    framed r = frame(s);
    assert_int_equal(r.events.size(), 4);
    assert_string_equal(r.events[0].id.c_str(), "1");
    assert_string_equal(r.events[1].id.c_str(), "1");
    assert_string_equal(r.events[2].id.c_str(), "1");  // an id with NUL is ignored
    assert_string_equal(r.events[3].id.c_str(), "");   // "id" alone resets it
    assert_split_invariant(s);
}

void done_marker(void**) {
    framed r = frame("data: [DONE]\n\ndata:[DONE]\n\ndata: [DONE] \n\nevent: x\ndata: [DONE]\n\n"
                     "data: [DONE]\ndata: [DONE]\n\n");
    assert_int_equal(r.events.size(), 5);
    assert_true(r.events[0].is_done);
    assert_true(r.events[1].is_done);
    assert_false(r.events[2].is_done);
    assert_true(r.events[3].is_done);
    assert_false(r.events[4].is_done);
}

void byte_order_mark(void**) {
    std::string bom = "\xEF\xBB\xBF";
    framed r = frame(bom + "data: a\n\n");
    assert_int_equal(r.events.size(), 1);
    assert_string_equal(r.events[0].data.c_str(), "a");
    assert_int_equal(r.events[0].begin, 3);
    assert_int_equal(r.events[0].end, 12);
    // Only one BOM, only at the start: a second one is part of a field name.
    framed two = frame(bom + bom + "data: a\n\n");
    assert_int_equal(two.events.size(), 1);
    assert_false(two.events[0].has_data);
    // Something that starts like a BOM but is not one: its bytes begin the first line.
    framed almost = frame("\xEF\xBB" "data: a\n\ndata: b\n\n");
    assert_int_equal(almost.events.size(), 2);
    assert_false(almost.events[0].has_data);
    assert_int_equal(almost.events[0].begin, 0);
    assert_string_equal(almost.events[1].data.c_str(), "b");
    assert_split_invariant("\xEF\xBB" "data: a\n\ndata: b\n\n");
    // A stream that is only part of a BOM is a partial line.
    framed cut = frame("\xEF\xBB");
    assert_int_equal(cut.end, sse_end::partial);
    assert_int_equal(cut.events.size(), 1);
    assert_int_equal(cut.events[0].end, 2);
    framed only_bom = frame(bom);
    assert_int_equal(only_bom.end, sse_end::clean);
    assert_true(only_bom.events.empty());
    assert_int_equal(frame("").end, sse_end::clean);
}

void overlong_line_is_an_error(void**) {
    sse_limits small;
    small.max_line = 64;
    std::string ok_line = "data: " + std::string(58, 'x') + "\n\n";  // exactly 64 bytes of line
    framed fits = frame(ok_line, 0, small);
    assert_int_equal(fits.status, sse_status::ok);
    assert_int_equal(fits.events.size(), 1);

    std::string s = "data: first\n\ndata: " + std::string(1000, 'y') + "\n\ndata: never\n\n";
    for (size_t step : {size_t{0}, size_t{1}, size_t{7}}) {
        framed r = frame(s, step, small);
        assert_int_equal(r.status, sse_status::line_too_long);
        assert_int_equal(r.end, sse_end::error);
        assert_int_equal(r.events.size(), 1);
        assert_string_equal(r.events[0].data.c_str(), "first");
    }
    sse_framer f(small);
    std::vector<sse_event> out;
    assert_int_equal(f.feed("data: first\n\n", out), sse_status::ok);
    std::string chunk(10, 'z');
    assert_int_equal(f.feed("data: ", out), sse_status::ok);
    sse_status st = sse_status::ok;
    for (int i = 0; i < 100 && st == sse_status::ok; i++) {
        st = f.feed(chunk, out);
        assert_true(f.buffered() <= small.max_line);
    }
    assert_int_equal(st, sse_status::line_too_long);
    assert_int_equal(f.error_offset(), 13);
    assert_int_equal(f.buffered(), 0);
    // Stuck in the error: nothing more is framed.
    assert_int_equal(f.feed("\n\ndata: x\n\n", out), sse_status::line_too_long);
    assert_int_equal(out.size(), 1);
    assert_int_equal(f.finish(out), sse_end::error);

    // Comments and unknown fields are limited too, though their bytes are never kept.
    framed comment = frame(":" + std::string(100, 'c') + "\n\n", 0, small);
    assert_int_equal(comment.status, sse_status::line_too_long);
}

void default_limit_bounds_memory(void**) {
    sse_framer f;
    std::vector<sse_event> out;
    std::string piece(64 * 1024, 'x');
    assert_int_equal(f.feed("data: ", out), sse_status::ok);
    sse_status st = sse_status::ok;
    size_t fed = 6;
    while (st == sse_status::ok && fed < (size_t{4} << 20)) {
        st = f.feed(piece, out);
        fed += piece.size();
        assert_true(f.buffered() <= sse_limits{}.max_line);
    }
    assert_int_equal(st, sse_status::line_too_long);
    assert_true(fed <= sse_limits{}.max_line + piece.size() + 6);
}

void overlong_event_is_an_error(void**) {
    sse_limits small;
    small.max_event = 100;
    std::string s;
    for (int i = 0; i < 20; i++) s += "data: 0123456789\n";
    s += "\n";
    framed r = frame(s, 3, small);
    assert_int_equal(r.status, sse_status::event_too_long);
    assert_true(r.events.empty());
    // The id persists across events, so it counts against each of them.
    sse_limits tiny;
    tiny.max_event = 8;
    framed id = frame("id: 12345\ndata: 1234\n\n", 0, tiny);
    assert_int_equal(id.status, sse_status::event_too_long);
    framed fits = frame("id: 1234\ndata: 1234\n\n", 0, tiny);
    assert_int_equal(fits.status, sse_status::ok);
    assert_int_equal(fits.events.size(), 1);
}

void partial_final_event(void**) {
    std::string s = "data: a\n\ndata: {\"usage\":1}";
    framed r = frame(s);
    assert_int_equal(r.end, sse_end::partial);
    assert_int_equal(r.events.size(), 2);
    assert_false(r.events[0].partial);
    assert_true(r.events[1].partial);
    assert_string_equal(r.events[1].data.c_str(), "{\"usage\":1}");
    assert_int_equal(r.events[1].begin, 9);
    assert_int_equal(r.events[1].end, s.size());
    assert_split_invariant(s);

    framed line_done = frame("data: a\n\ndata: [DONE]\n");
    assert_int_equal(line_done.end, sse_end::partial);
    assert_true(line_done.events[1].is_done);
    assert_true(line_done.events[1].partial);

    framed name_only = frame("data");
    assert_int_equal(name_only.end, sse_end::partial);
    assert_true(name_only.events[0].has_data);

    assert_int_equal(frame("data: a\n\n").end, sse_end::clean);
    assert_int_equal(frame("data: a\r\n\r\n").end, sse_end::clean);
    assert_int_equal(frame("data: a\n\n\n\n").end, sse_end::clean);
    assert_int_equal(frame(": only a comment").end, sse_end::partial);

    // finish() once; the framer is spent afterwards.
    sse_framer f;
    std::vector<sse_event> out;
    f.feed("data: x", out);
    assert_int_equal(f.finish(out), sse_end::partial);
    assert_int_equal(f.finish(out), sse_end::clean);
    f.feed("\n\n", out);
    assert_int_equal(out.size(), 1);
}

// Dropping an event's byte range (the usage chunk a client did not ask for) leaves a stream
// that frames into the remaining events.
void dropping_a_range_keeps_the_rest(void**) {
    for (const char* eol : {"\n", "\r\n", "\r"}) {
        std::string s = replace_all(reference_stream, "\n", eol);
        framed r = frame(s);
        const sse_event& usage_chunk = r.events[5];
        std::string rest = s.substr(0, usage_chunk.begin) + s.substr(usage_chunk.end);
        framed after = frame(rest);
        assert_int_equal(after.end, sse_end::clean);
        assert_int_equal(after.events.size(), r.events.size() - 1);
        for (size_t i = 0, j = 0; i < r.events.size(); i++) {
            if (i == 5) continue;
            assert_string_equal(after.events[j].data.c_str(), r.events[i].data.c_str());
            j++;
        }
    }
}

// The framer's event ends are ends for the scanner that decides what to forward, too.
void ends_agree_with_the_scanner(void**) {
    for (const char* eol : {"\n", "\r\n", "\r"}) {
        std::string s = replace_all(reference_stream, "\n", eol);
        framed r = frame(s);
        for (const sse_event& ev : r.events) {
            aigw::sse_event_scanner sc;
            sc.feed(s.data(), ev.end);
            assert_true(sc.at_event_end());
        }
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_stream_events),
        cmocka_unit_test(every_split_gives_the_same_events),
        cmocka_unit_test(recycled_buffers_give_the_same_events),
        cmocka_unit_test(line_endings_give_the_same_data),
        cmocka_unit_test(multi_line_data),
        cmocka_unit_test(comments_retry_and_unknown_fields),
        cmocka_unit_test(event_types),
        cmocka_unit_test(ids_persist),
        cmocka_unit_test(done_marker),
        cmocka_unit_test(byte_order_mark),
        cmocka_unit_test(overlong_line_is_an_error),
        cmocka_unit_test(default_limit_bounds_memory),
        cmocka_unit_test(overlong_event_is_an_error),
        cmocka_unit_test(partial_final_event),
        cmocka_unit_test(dropping_a_range_keeps_the_rest),
        cmocka_unit_test(ends_agree_with_the_scanner),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
