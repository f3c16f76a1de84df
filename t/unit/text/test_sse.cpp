// The SSE event scanner: event ends found across any split of the input.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>
#include <vector>

#include "aigw/text/sse.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::sse_event_scanner;

namespace {

// Feeds `s` in pieces of `step` bytes; returns the absolute offsets of every reported end
// (the last one per piece) and whether the stream ended on an event end.
std::vector<size_t> ends_when_split(const std::string& s, size_t step, bool* at_end) {
    sse_event_scanner sc;
    std::vector<size_t> ends;
    for (size_t pos = 0; pos < s.size(); pos += step) {
        size_t n = std::min(step, s.size() - pos);
        size_t e = sc.feed(s.data() + pos, n);
        if (e != sse_event_scanner::npos) {
            ends.push_back(pos + e);
        }
    }
    *at_end = sc.at_event_end();
    return ends;
}

// The last event end of the whole input, whatever the split.
void assert_last_end(const std::string& s, size_t want, bool want_at_end) {
    for (size_t step = 1; step <= s.size(); step++) {
        bool at_end = false;
        std::vector<size_t> ends = ends_when_split(s, step, &at_end);
        if (want == sse_event_scanner::npos) {
            assert_true(ends.empty());
        } else {
            assert_false(ends.empty());
            // A CRLF split between CR and LF may report the end before the LF; the LF that
            // follows is then reported with the next piece.
            assert_int_equal(ends.back(), want);
        }
        assert_int_equal(at_end, want_at_end);
    }
}

void lf_events(void**) {
    std::string s = "data: {\"a\":1}\n\ndata: [DONE]\n\n";
    assert_last_end(s, s.size(), true);
    bool at_end = false;
    std::vector<size_t> ends = ends_when_split(s, s.size(), &at_end);
    assert_int_equal(ends.size(), 1);
}

void crlf_and_cr_events(void**) {
    std::string crlf = "data: a\r\n\r\ndata: b\r\n\r\n";
    assert_last_end(crlf, crlf.size(), true);
    std::string cr = "data: a\r\rdata: b\r\r";
    assert_last_end(cr, cr.size(), true);
    std::string mixed = "data: a\r\n\ndata: b\n\r\n";
    assert_last_end(mixed, mixed.size(), true);
}

void unfinished_event_is_not_an_end(void**) {
    std::string s = "data: {\"a\":1}\n\ndata: {\"b\"";
    assert_last_end(s, 15, false);
    std::string one_line = "data: x\n";          // a line, not yet an event
    assert_last_end(one_line, sse_event_scanner::npos, false);
    std::string no_newline = "data: x";
    assert_last_end(no_newline, sse_event_scanner::npos, false);
}

void multi_line_events_comments_and_fields(void**) {
    std::string s = ": keep-alive\n\nevent: error\ndata: {\"x\":\ndata: 1}\nid: 7\n\nretry: 10";
    size_t second = s.find("\n\n", 14) + 2;
    assert_last_end(s, second, false);
}

void blank_lines_in_a_row(void**) {
    std::string s = "data: a\n\n\n\n";
    assert_last_end(s, s.size(), true);
}

void utf8_is_opaque(void**) {
    std::string s = "data: {\"c\":\"Gr\xc3\xbc\xc3\x9f \xf0\x9f\x91\x8b\"}\n\n";
    assert_last_end(s, s.size(), true);
}

void long_line_without_end(void**) {
    std::string s(1 << 20, 'x');
    sse_event_scanner sc;
    assert_int_equal(sc.feed(s.data(), s.size()), sse_event_scanner::npos);
    assert_false(sc.at_event_end());
    assert_int_equal(sc.feed("\n\n", 2), 2);
    assert_true(sc.at_event_end());
}

void empty_feed(void**) {
    sse_event_scanner sc;
    assert_int_equal(sc.feed("", 0), sse_event_scanner::npos);
    assert_true(sc.at_event_end());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lf_events),
        cmocka_unit_test(crlf_and_cr_events),
        cmocka_unit_test(unfinished_event_is_not_an_end),
        cmocka_unit_test(multi_line_events_comments_and_fields),
        cmocka_unit_test(blank_lines_in_a_row),
        cmocka_unit_test(utf8_is_opaque),
        cmocka_unit_test(long_line_without_end),
        cmocka_unit_test(empty_feed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
