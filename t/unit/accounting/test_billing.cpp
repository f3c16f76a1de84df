// The worker's side of billing: leases spent in memory, settlements, and what they ask Redis
// for. (The Redis side, the settlement script, is tested against a real Redis in t/082.)
#include <string>
#include <vector>

#include "aigw/accounting/billing.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

namespace b = aigw::billing;

namespace {

const b::timing t{1000, 30000};

// A reply granting `grant` money under `quota` with `free` left, and no rate limits.
b::reply money_reply(int64_t grant, int64_t quota, int64_t free) {
    b::reply r;
    r.grant = {grant, 0, 0};
    r.limit = {quota, b::unlimited, b::unlimited};
    r.free = {free, 0, 0};
    r.reset_ms = 60000;
    return r;
}

void unknown_account_asks_redis(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    assert_int_equal(static_cast<int>(b::check(a, {10, 1, 100}, 0, t)),
                     static_cast<int>(b::verdict::refresh));
    b::settlement s = b::begin_settlement(a, hs, {10, 1, 100}, {5, 1, 50}, false, 0, t);
    assert_int_equal(s.seq, 1);
    assert_int_equal(s.need[0], 10);
    assert_int_equal(s.more[0], 5);
    assert_int_equal(s.spent[0], 0);
    assert_true(a.inflight);
}

void spends_a_lease_in_memory(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    b::begin_settlement(a, hs, {10, 1, 0}, {}, false, 0, t);
    b::settled(a, money_reply(100, 1000, 900), 0, t);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(static_cast<int>(b::check(a, {10, 1, 0}, 1, t)),
                         static_cast<int>(b::verdict::ok));
        b::book(a, {10, 1, 0}, 1);
    }
    // The lease is used up: the 11th asks Redis (its last reply said 900 are free).
    assert_int_equal(static_cast<int>(b::check(a, {10, 1, 0}, 1, t)),
                     static_cast<int>(b::verdict::refresh));
    assert_int_equal(a.c[b::money].reserved, 100);
    // Five finish at 4 each: their reservations are released, 20 spent.
    for (int i = 0; i < 5; i++) {
        b::finish(a, {10, 1, 0}, {4, 1, 0});
    }
    assert_int_equal(a.c[b::money].reserved, 50);
    assert_int_equal(a.c[b::money].pending, 20);
    assert_int_equal(a.c[b::money].available(), 30);
}

void settlement_moves_spend_and_keeps_the_unspent_lease(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    b::begin_settlement(a, hs, {10, 0, 0}, {}, false, 0, t);
    b::settled(a, money_reply(100, 1000, 900), 0, t);
    b::book(a, {10, 0, 0}, 1);
    b::book(a, {10, 0, 0}, 1);
    b::finish(a, {10, 0, 0}, {7, 0, 0});
    assert_false(b::wants_settlement(a, 2, t));    // spend waits for the flush interval
    assert_true(b::wants_settlement(a, 1000, t));
    b::settlement s = b::begin_settlement(a, hs, {}, {}, false, 1000, t);
    assert_int_equal(s.seq, 2);
    assert_int_equal(s.spent[0], 7);
    // Redis will see 100 - 7 = 93 unspent; requests may be booking against it meanwhile.
    assert_int_equal(s.keep[0], 93);
    assert_int_equal(s.extra[0], 40);  // twice what was booked over the last interval
    assert_int_equal(s.owed[0], 10);   // the reservation still in flight
    // Booking during the flight comes out of the old lease ...
    assert_int_equal(static_cast<int>(b::check(a, {10, 0, 0}, 3, t)),
                     static_cast<int>(b::verdict::ok));
    b::book(a, {10, 0, 0}, 3);
    // ... which the reply cannot shrink below what was kept.
    b::settled(a, money_reply(93, 1000, 800), 4, t);
    assert_int_equal(a.c[b::money].available(), 93 - 20);
    assert_false(a.inflight);
}

void releasing_gives_back_headroom_and_waits(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    b::begin_settlement(a, hs, {10, 0, 0}, {}, false, 0, t);
    b::settled(a, money_reply(100, 1000, 900), 0, t);
    b::book(a, {10, 0, 0}, 0);
    // Idle for a flush interval with headroom: give it back, keeping the reservation.
    assert_true(b::wants_settlement(a, 1500, t));
    b::settlement s = b::begin_settlement(a, hs, {}, {}, true, 0, t);
    assert_int_equal(s.keep[0], 10);
    assert_int_equal(s.extra[0], 0);
    // While it travels nothing is booked against the lease being given back.
    assert_int_equal(static_cast<int>(b::check(a, {1, 0, 0}, 1501, t)),
                     static_cast<int>(b::verdict::refresh));
    b::settled(a, money_reply(10, 1000, 990), 1502, t);
    assert_int_equal(a.c[b::money].available(), 0);
}

void failed_settlement_is_sent_again_unchanged(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    b::begin_settlement(a, hs, {10, 0, 0}, {}, false, 0, t);
    b::settled(a, money_reply(100, 1000, 900), 0, t);
    b::book(a, {10, 0, 0}, 1);
    b::finish(a, {10, 0, 0}, {9, 0, 0});
    b::settlement s1 = b::begin_settlement(a, hs, {}, {}, false, 0, t);
    b::settlement_failed(a);
    assert_false(b::wants_settlement(a, 2, t));     // sent again a flush interval later
    assert_true(b::wants_settlement(a, 1000, t));
    b::book(a, {10, 0, 0}, 2);
    b::finish(a, {10, 0, 0}, {3, 0, 0});
    b::settlement s2 = b::begin_settlement(a, hs, {}, {}, false, 0, t);
    assert_int_equal(s2.seq, s1.seq);       // the script applies a number once
    assert_int_equal(s2.spent[0], 9);       // the same spend, not the new one
    assert_int_equal(a.c[b::money].pending, 3);
    assert_int_equal(s2.keep[0], 91);       // the new spend is still covered
    b::settled(a, money_reply(91, 1000, 900), 3, t);
    b::settlement s3 = b::begin_settlement(a, hs, {}, {}, false, 0, t);
    assert_int_equal(s3.seq, s1.seq + 1);
    assert_int_equal(s3.spent[0], 3);
}

void refuses_without_asking_only_on_a_fresh_no(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    b::begin_settlement(a, hs, {10, 0, 0}, {}, false, 0, t);
    b::settled(a, money_reply(0, 1000, 5), 0, t);  // 5 free fleet-wide, nothing granted
    assert_int_equal(static_cast<int>(b::check(a, {10, 0, 0}, 10, t)),
                     static_cast<int>(b::verdict::no_quota));
    assert_int_equal(static_cast<int>(b::check(a, {5, 0, 0}, 10, t)),
                     static_cast<int>(b::verdict::refresh));
    // Other workers' headroom would cover it: wait for it rather than refuse.
    b::reply spare = money_reply(0, 1000, 5);
    spare.others_spare = 20;
    b::settled(a, spare, 0, t);
    assert_int_equal(static_cast<int>(b::check(a, {10, 0, 0}, 10, t)),
                     static_cast<int>(b::verdict::later));
    assert_int_equal(static_cast<int>(b::check(a, {30, 0, 0}, 10, t)),
                     static_cast<int>(b::verdict::no_quota));
    b::settled(a, money_reply(0, 1000, 5), 0, t);
    // A flush interval later a top-up may have happened: ask again.
    assert_int_equal(static_cast<int>(b::check(a, {10, 0, 0}, 1000, t)),
                     static_cast<int>(b::verdict::refresh));
    // Leases are trusted for three quarters of their life only.
    b::settled(a, money_reply(100, 1000, 0), 2000, t);
    assert_int_equal(static_cast<int>(b::check(a, {10, 0, 0}, 2000 + 22499, t)),
                     static_cast<int>(b::verdict::ok));
    assert_int_equal(static_cast<int>(b::check(a, {10, 0, 0}, 2000 + 22500, t)),
                     static_cast<int>(b::verdict::refresh));
}

void spare_lease_counts_toward_what_is_asked(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    b::begin_settlement(a, hs, {10000, 0, 0}, {}, false, 0, t);
    b::settled(a, money_reply(17500, 100000, 0), 0, t);
    b::book(a, {10000, 0, 0}, 1);
    b::finish(a, {10000, 0, 0}, {10000, 0, 0});
    b::begin_settlement(a, hs, {}, {}, false, 2, t);
    b::settled(a, money_reply(7500, 100000, 2500), 2, t);  // 7500 unspent, 2500 free
    // A request of 10000: 7500 is in hand, so Redis is asked for 2500 more, not 10000.
    b::settlement s = b::begin_settlement(a, hs, {10000, 0, 0}, {10000, 0, 0}, false, 3, t);
    assert_int_equal(s.keep[0], 7500);
    assert_int_equal(s.need[0], 2500);
    assert_int_equal(s.more[0], 10000);
    b::account c;
    b::begin_settlement(c, hs, {0, 0, 0}, {}, false, 0, t);
    b::settled(c, money_reply(30000, 100000, 0), 0, t);
    s = b::begin_settlement(c, hs, {10000, 0, 0}, {10000, 0, 0}, false, 1, t);
    assert_int_equal(s.need[0], 0);   // both fit in the lease already held
    assert_int_equal(s.more[0], 0);
}

void windows_count_at_booking_and_true_up(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    b::reply r;
    r.grant = {0, 3, 300};
    r.limit = {b::unlimited, 10, 1000};
    r.free = {0, 0, 0};
    r.reset_ms = 20000;
    b::begin_settlement(a, hs, {0, 1, 100}, {}, false, 0, t);
    b::settled(a, r, 0, t);
    b::book(a, {0, 1, 100}, 1);
    b::book(a, {0, 1, 100}, 1);
    b::finish(a, {0, 1, 100}, {0, 1, 40});  // used 40 tokens of the 100 reserved
    assert_int_equal(a.c[b::requests].pending, 2);
    assert_int_equal(a.c[b::tokens].pending, 140);
    assert_int_equal(b::remaining(a, b::requests), 1);
    assert_int_equal(b::remaining(a, b::tokens), 160);
    b::book(a, {0, 1, 100}, 2);
    int64_t retry = 0;
    assert_int_equal(static_cast<int>(b::check(a, {0, 1, 100}, 5, t, &retry)),
                     static_cast<int>(b::verdict::rate_limited));
    assert_int_equal(retry, 20000 - 5);
    // The window is over: ask Redis whatever the lease says.
    assert_int_equal(static_cast<int>(b::check(a, {0, 1, 0}, 20000, t)),
                     static_cast<int>(b::verdict::refresh));
}

void unlimited_counters_never_wait(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    b::begin_settlement(a, hs, {1, 1, 1}, {}, false, 0, t);
    b::reply r;  // all unlimited, nothing granted
    r.reset_ms = 1000;
    b::settled(a, r, 0, t);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(static_cast<int>(b::check(a, {1000, 1, 5000}, 5, t)),
                         static_cast<int>(b::verdict::ok));
        b::book(a, {1000, 1, 5000}, 5);
        b::finish(a, {1000, 1, 5000}, {700, 1, 4000});
    }
    assert_int_equal(a.c[b::money].pending, 700000);  // still settled to `used`
    assert_int_equal(b::remaining(a, b::requests), b::unlimited);
}

void idle_entries_go_only_when_settled(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    b::account a;
    b::begin_settlement(a, hs, {1, 0, 0}, {}, false, 0, t);
    b::settled(a, money_reply(1, 10, 9), 0, t);
    b::book(a, {1, 0, 0}, 90000);
    b::finish(a, {1, 0, 0}, {1, 0, 0});
    assert_false(b::evictable(a, 200000, t));   // spend not settled yet
    b::begin_settlement(a, hs, {}, {}, true, 0, t);
    assert_false(b::evictable(a, 200000, t));   // settlement in flight
    b::settled(a, money_reply(0, 10, 9), 100000, t);
    assert_false(b::evictable(a, 100000, t));   // used less than two lease lifetimes ago
    assert_true(b::evictable(a, 150000, t));
}

// An account entry dropped when idle and made again (or one a worker made only to refuse
// requests) goes on numbering above what its holder sent before: Redis ignores a number it
// has applied, so a restart at 1 would drop the new spend.
void recreated_entries_never_reuse_a_number(void**) {
    std::uint64_t hs = 0;  // the holder's settlement numbers
    std::uint64_t seen = 0;  // the highest number Redis applied for this holder and account
    int64_t applied = 0;
    for (int round = 0; round < 3; round++) {
        b::account a;  // made again each round, as after eviction
        for (int i = 0; i < 4; i++) {
            b::settlement s = b::begin_settlement(a, hs, {1, 0, 0}, {}, false, i * 1000, t);
            if (s.seq > seen) {  // what the script does with a number
                seen = s.seq;
                applied += s.spent[0];
            }
            b::settled(a, money_reply(10, 1000000, 1000), i * 1000, t);
            b::book(a, {1, 0, 0}, i * 1000 + 1);
            b::finish(a, {1, 0, 0}, {7, 0, 0});
        }
        b::settlement last = b::begin_settlement(a, hs, {}, {}, true, 5000, t);
        assert_true(last.seq > seen);
        seen = last.seq;
        applied += last.spent[0];
    }
    assert_int_equal(applied, 3 * 4 * 7);  // every request's spend counted once
    // Another account of the same holder shares the counter, so numbers stay unique too.
    b::account other;
    assert_true(b::begin_settlement(other, hs, {}, {}, false, 0, t).seq > seen);
}

void parses_the_script_reply(void**) {
    b::reply r;
    assert_true(b::parse_reply({0, 5, 100, 90, 2, 60, 50, 0, -1, 0, 1234, 77}, {"{\"a\":1}"}, &r));
    assert_false(r.gone);
    assert_int_equal(r.grant[0], 5);
    assert_int_equal(r.limit[1], 60);
    assert_int_equal(r.limit[2], b::unlimited);
    assert_int_equal(r.free[1], 50);
    assert_int_equal(r.reset_ms, 1234);
    assert_int_equal(r.others_spare, 77);
    assert_int_equal(r.alerts.size(), 1);
    assert_false(b::parse_reply({0, 5, 100}, {}, &r));
    assert_false(b::parse_reply({0, -5, 100, 90, 2, 60, 50, 0, -1, 0, 1234, 0}, {}, &r));
    assert_false(b::parse_reply({0, 5, 100, 90, 2, 60, 50, 0, -1, 0, 1234}, {}, &r));
}

void formats_resets_as_openai_does(void**) {
    assert_string_equal(b::format_reset(0).c_str(), "0s");
    assert_string_equal(b::format_reset(-5).c_str(), "0s");
    assert_string_equal(b::format_reset(17).c_str(), "17ms");
    assert_string_equal(b::format_reset(1000).c_str(), "1s");
    assert_string_equal(b::format_reset(1500).c_str(), "1.5s");
    assert_string_equal(b::format_reset(59999).c_str(), "59.999s");
    assert_string_equal(b::format_reset(360000).c_str(), "6m0s");
    assert_string_equal(b::format_reset(3723000).c_str(), "1h2m3s");
    assert_string_equal(b::format_reset(3600000).c_str(), "1h0m0s");
    assert_string_equal(b::format_reset(999).c_str(), "999ms");
    assert_string_equal(b::format_reset(100).c_str(), "100ms");
    assert_string_equal(b::format_reset(1250).c_str(), "1.25s");
    assert_string_equal(b::format_reset(1010).c_str(), "1.01s");
    assert_string_equal(b::format_reset(1001).c_str(), "1.001s");
    assert_string_equal(b::format_reset(90061001).c_str(), "25h1m1.001s");
    assert_string_equal(b::format_reset(INT64_MAX).c_str(), "2562047788015h12m55.807s");
}

void script_names_its_arguments(void**) {
    std::string_view s = b::settlement_script();
    assert_true(s.find("EXISTS") != std::string_view::npos);
    assert_true(s.find("aigw:alerts") != std::string_view::npos);
    assert_int_equal(b::script_args, 27);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_account_asks_redis),
        cmocka_unit_test(spends_a_lease_in_memory),
        cmocka_unit_test(settlement_moves_spend_and_keeps_the_unspent_lease),
        cmocka_unit_test(releasing_gives_back_headroom_and_waits),
        cmocka_unit_test(failed_settlement_is_sent_again_unchanged),
        cmocka_unit_test(refuses_without_asking_only_on_a_fresh_no),
        cmocka_unit_test(spare_lease_counts_toward_what_is_asked),
        cmocka_unit_test(windows_count_at_booking_and_true_up),
        cmocka_unit_test(unlimited_counters_never_wait),
        cmocka_unit_test(idle_entries_go_only_when_settled),
        cmocka_unit_test(recreated_entries_never_reuse_a_number),
        cmocka_unit_test(parses_the_script_reply),
        cmocka_unit_test(formats_resets_as_openai_does),
        cmocka_unit_test(script_names_its_arguments),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
