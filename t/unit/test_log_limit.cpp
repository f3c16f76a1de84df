// Repeated log lines: the first at once, the repeats told as one line per interval.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>

#include "aigw/log_limit.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::log_limiter;

namespace {

void first_at_once_repeats_counted(void**) {
    log_limiter l(1000);
    assert_true(l.empty());
    assert_true(l.note("unreachable|openai", "openai down (1)", 5, 10000));
    for (int i = 0; i < 999; i++) {
        assert_false(l.note("unreachable|openai", "openai down (n)", 5, 10000 + i));
    }
    // Another channel, another class: their own first lines.
    assert_true(l.note("unreachable|backup", "backup down", 5, 10001));
    assert_true(l.note("timeout|openai", "openai slow", 4, 10001));
    assert_int_equal(l.next_due(), 11000);
    assert_true(l.due(10999).empty());

    auto s = l.due(11000);
    assert_int_equal(s.size(), 1);
    assert_string_equal(s[0].text.c_str(), "openai down (1)");
    assert_int_equal(s[0].level, 5);
    assert_int_equal(s[0].repeats, 999);
}

void steady_flood_is_one_line_per_interval(void**) {
    log_limiter l(1000);
    int logged = 0, summaries = 0;
    uint64_t counted = 0;
    // 5 s of 100 failures a second, the timer ticking every 1000 ms (a little late).
    int64_t next_tick = 1000;
    for (int64_t t = 0; t < 5000; t += 10) {
        if (t >= next_tick + 3) {
            for (auto& s : l.due(t)) {
                summaries++;
                counted += s.repeats;
            }
            next_tick += 1000;
        }
        logged += l.note("unreachable|openai", "down", 5, t) ? 1 : 0;
    }
    for (auto& s : l.drain()) {
        summaries++;
        counted += s.repeats;
    }
    assert_int_equal(logged, 1);
    assert_int_equal(summaries, 5);
    assert_int_equal(logged + counted, 500);  // every failure is in a line or a count
    assert_true(l.empty());
}

void quiet_kind_is_forgotten(void**) {
    log_limiter l(1000);
    assert_true(l.note("k", "once", 4, 0));
    assert_true(l.due(1000).empty());  // no repeats: nothing to tell
    assert_true(l.empty());
    assert_true(l.note("k", "again", 4, 1500));  // logged at once again
}

void late_repeats_wait_for_the_summary(void**) {
    log_limiter l(1000);
    assert_true(l.note("k", "a", 4, 0));
    assert_false(l.note("k", "a", 4, 500));
    // The interval ended but its repeat was not told yet: still counted, not logged.
    assert_false(l.note("k", "a", 4, 1200));
    auto s = l.due(1200);
    assert_int_equal(s.size(), 1);
    assert_int_equal(s[0].repeats, 2);
    // The next interval started at the summary.
    assert_false(l.note("k", "a", 4, 1300));
    assert_int_equal(l.due(2200).at(0).repeats, 1);
}

void bounded_kinds(void**) {
    log_limiter l(1000);
    for (size_t i = 0; i < log_limiter::max_kinds; i++) {
        assert_true(l.note("kind" + std::to_string(i), "x", 4, 0));
    }
    // Full: a new kind is logged every time rather than forgotten.
    assert_true(l.note("extra", "x", 4, 0));
    assert_true(l.note("extra", "x", 4, 1));
}

void suffix(void**) {
    assert_string_equal(aigw::log_repeats_suffix(41, 1000).c_str(),
                        " (41 more like this in the last 1s)");
    assert_string_equal(aigw::log_repeats_suffix(1, 250).c_str(),
                        " (1 more like this in the last 250ms)");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_at_once_repeats_counted),
        cmocka_unit_test(steady_flood_is_one_line_per_interval),
        cmocka_unit_test(quiet_kind_is_forgotten),
        cmocka_unit_test(late_repeats_wait_for_the_summary),
        cmocka_unit_test(bounded_kinds),
        cmocka_unit_test(suffix),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
