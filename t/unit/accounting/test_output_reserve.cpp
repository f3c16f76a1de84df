// Output reservations: the history of a model's completions and what a request reserves.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>

#include "aigw/accounting/output_reserve.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::output_history;
using aigw::output_reserve;

namespace {

void unlearned_is_the_old_bound(void**) {
    // Nothing seen yet, or learning off: max_tokens when sent, else the ceiling.
    assert_int_equal(output_reserve(-1, 1, 1024, nullptr), 1024);
    assert_int_equal(output_reserve(50, 1, 1024, nullptr), 50);
    assert_int_equal(output_reserve(4096, 1, 1024, nullptr), 4096);
    assert_int_equal(output_reserve(-1, 3, 1024, nullptr), 3072);
    assert_int_equal(output_reserve(-1, 0, 1024, nullptr), 1024);     // n clamped to 1
    assert_int_equal(output_reserve(-1, 1000, 10, nullptr), 1280);   // and to 128
    output_history empty;
    assert_int_equal(output_reserve(-1, 1, 1024, &empty), 1024);
    assert_int_equal(output_reserve(int64_t{1} << 40, 1, 1024, nullptr), aigw::output_reserve_max);
}

void learned_from_the_largest_recent_completion(void**) {
    output_history h;
    h.observe(7);
    h.observe(40);
    h.observe(12);
    assert_int_equal(h.size(), 3);
    assert_int_equal(h.largest(), 40);
    assert_int_equal(output_reserve(-1, 1, 1024, &h), 40);
    assert_int_equal(output_reserve(-1, 2, 1024, &h), 80);
    // The client's max_tokens is its exact bound, learned or not: reserved whole.
    assert_int_equal(output_reserve(30, 1, 1024, &h), 30);
    assert_int_equal(output_reserve(4096, 1, 1024, &h), 4096);
    // Never above the ceiling.
    assert_int_equal(output_reserve(-1, 1, 25, &h), 25);
}

void floor_for_short_answers(void**) {
    output_history h;
    h.observe(1);
    h.observe(0);
    h.observe(-5);  // nonsense counts as 0
    assert_int_equal(h.largest(), 1);
    assert_int_equal(output_reserve(-1, 1, 1024, &h), aigw::output_reserve_floor);
    assert_int_equal(output_reserve(3, 1, 1024, &h), 3);
    assert_int_equal(output_reserve(100, 1, 1024, &h), 100);
    assert_int_equal(output_reserve(-1, 1, 8, &h), 8);
}

void a_long_answer_ages_out(void**) {
    output_history h;
    h.observe(900);
    for (size_t i = 0; i < output_history::window - 1; i++) {
        h.observe(20);
    }
    assert_int_equal(h.size(), output_history::window);
    assert_int_equal(output_reserve(-1, 1, 1024, &h), 900);
    h.observe(20);  // the window moved past the 900
    assert_int_equal(h.size(), output_history::window);
    assert_int_equal(output_reserve(-1, 1, 1024, &h), 20);
}

void cut_completions_are_not_learned(void**) {
    assert_true(aigw::output_worth_learning(-1, 5000));
    assert_true(aigw::output_worth_learning(100, 99));
    assert_false(aigw::output_worth_learning(100, 100));
    assert_false(aigw::output_worth_learning(0, 0));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unlearned_is_the_old_bound),
        cmocka_unit_test(learned_from_the_largest_recent_completion),
        cmocka_unit_test(floor_for_short_answers),
        cmocka_unit_test(a_long_answer_ages_out),
        cmocka_unit_test(cut_completions_are_not_learned),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
