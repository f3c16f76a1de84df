// The router: smooth weighted round-robin, priority tiers, failures, Retry-After, fallback.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "aigw/routing/router.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

using aigw::channel_conf;
using aigw::channel_state;
using aigw::pick_result;

namespace {

// A set of channels as the glue holds them: confs in config memory, states in shared memory
// (zeroed, as a fresh zone is).
struct fleet {
    std::vector<channel_conf> confs;
    std::vector<channel_state> states;
    std::vector<std::uint32_t> candidates;

    explicit fleet(std::vector<channel_conf> c) : confs(std::move(c)), states(confs.size()) {
        std::memset(states.data(), 0, states.size() * sizeof(channel_state));
        for (std::uint32_t i = 0; i < confs.size(); ++i) candidates.push_back(i);
    }

    pick_result pick(std::uint64_t now, std::uint64_t tried = 0) {
        return aigw::pick(confs.data(), states.data(), candidates.data(), candidates.size(),
                          tried, now);
    }
    // A new request's first channel.
    std::uint32_t first(std::uint64_t now) {
        pick_result r = pick(now);
        assert_true(r.found);
        assert_false(r.forced);
        assert_int_equal(r.channel, candidates[r.position]);
        return r.channel;
    }
    void failed(std::uint32_t ch, std::uint64_t now, std::uint64_t retry_after = 0) {
        aigw::report_failure(confs.data(), states.data(), ch, now, retry_after);
    }
    void rate_limited(std::uint32_t ch, std::uint64_t now, std::uint64_t retry_after = 0) {
        aigw::report_rate_limited(states.data(), ch, now, retry_after);
    }
    void succeed(std::uint32_t ch, std::uint64_t picked_at) {
        aigw::report_success(confs.data(), states.data(), ch, picked_at);
    }
    bool available(std::uint32_t ch, std::uint64_t now) const {
        return aigw::channel_available(states[ch], now);
    }
};

channel_conf conf(std::uint32_t weight, std::uint32_t priority = 0, std::uint32_t max_fails = 1,
                  std::uint64_t fail_timeout_ms = 10000) {
    channel_conf c;
    c.weight = weight;
    c.priority = priority;
    c.max_fails = max_fails;
    c.fail_timeout_ms = fail_timeout_ms;
    return c;
}

// Every pick of one request until none is left: the order of fallback.
std::vector<std::uint32_t> fallback_order(fleet& f, std::uint64_t now) {
    std::vector<std::uint32_t> order;
    std::uint64_t tried = 0;
    for (;;) {
        pick_result r = f.pick(now, tried);
        if (!r.found) break;
        assert_false(tried & (std::uint64_t{1} << r.position));
        tried |= std::uint64_t{1} << r.position;
        order.push_back(r.channel);
        assert_true(order.size() <= f.candidates.size());
    }
    return order;
}

constexpr std::uint64_t t0 = 1000000;

// ---- smooth weighted round-robin ----

void state_is_plain_data(void**) {
    static_assert(std::is_trivially_copyable_v<channel_state>);
    static_assert(sizeof(channel_state) % 8 == 0, "no tail padding left to chance");
    channel_state s;
    std::memset(&s, 0, sizeof s);
    assert_true(aigw::channel_available(s, 0));
    assert_true(aigw::channel_available(s, t0));
    assert_false(aigw::channel_tripped(channel_conf{}, s));
}

void weights_one_to_three_exact(void**) {
    fleet f({conf(1), conf(3)});
    int count[2] = {0, 0};
    for (int i = 0; i < 1000; ++i) ++count[f.first(t0 + i)];
    assert_int_equal(count[0], 250);
    assert_int_equal(count[1], 750);
    // Exact at every multiple of the total weight, not only in the end.
    int c0 = 0;
    for (int i = 0; i < 40; ++i) {
        c0 += f.first(t0) == 0;
        if ((i + 1) % 4 == 0) assert_int_equal(c0, (i + 1) / 4);
    }
}

void weights_five_one_one_interleave(void**) {
    fleet f({conf(5), conf(1), conf(1)});
    std::vector<std::uint32_t> seq;
    for (int i = 0; i < 700; ++i) seq.push_back(f.first(t0));
    int count[3] = {0, 0, 0};
    int run = 0, longest = 0;
    for (std::size_t i = 0; i < seq.size(); ++i) {
        ++count[seq[i]];
        run = (i > 0 && seq[i] == seq[i - 1]) ? run + 1 : 1;
        if (seq[i] == 0) longest = std::max(longest, run);
        if ((i + 1) % 7 == 0) {
            // Every window of 7 holds exactly 5, 1, 1.
            assert_int_equal(count[0], 5 * static_cast<int>((i + 1) / 7));
            assert_int_equal(count[1], static_cast<int>((i + 1) / 7));
            assert_int_equal(count[2], static_cast<int>((i + 1) / 7));
        }
    }
    assert_true(longest < 5);
    // NGINX's sequence for 5:1:1: a a b a c a a.
    const std::uint32_t expected[] = {0, 0, 1, 0, 2, 0, 0};
    for (std::size_t i = 0; i < 7; ++i) assert_int_equal(seq[i], expected[i]);
}

void equal_weights_alternate(void**) {
    fleet f({conf(1), conf(1), conf(1)});
    for (int i = 0; i < 30; ++i) assert_int_equal(f.first(t0), static_cast<std::uint32_t>(i % 3));
}

void zero_weight_counts_as_one(void**) {
    fleet f({conf(0), conf(1)});
    int count[2] = {0, 0};
    for (int i = 0; i < 100; ++i) ++count[f.first(t0)];
    assert_int_equal(count[0], 50);
    assert_int_equal(count[1], 50);
}

void candidates_subset_and_order(void**) {
    // Candidates name channel indexes; positions index the tried mask.
    fleet f({conf(1), conf(1), conf(2), conf(1)});
    f.candidates = {3, 2};
    int count[4] = {0, 0, 0, 0};
    for (int i = 0; i < 300; ++i) {
        pick_result r = f.pick(t0);
        assert_true(r.found);
        assert_int_equal(r.channel, f.candidates[r.position]);
        ++count[r.channel];
    }
    assert_int_equal(count[0], 0);
    assert_int_equal(count[1], 0);
    assert_int_equal(count[2], 200);
    assert_int_equal(count[3], 100);
}

void no_candidates(void**) {
    fleet f({conf(1)});
    pick_result r = aigw::pick(f.confs.data(), f.states.data(), f.candidates.data(), 0, 0, t0);
    assert_false(r.found);
    assert_false(r.forced);
}

// ---- priority tiers and fallback ----

void priority_tiers_respected(void**) {
    fleet f({conf(1, 10), conf(5, 0), conf(1, 0), conf(100, 20)});
    int count[4] = {0, 0, 0, 0};
    for (int i = 0; i < 600; ++i) ++count[f.first(t0)];
    assert_int_equal(count[0], 0);
    assert_int_equal(count[3], 0);
    assert_int_equal(count[1], 500);
    assert_int_equal(count[2], 100);

    // Tier 0 aside: tier 10 takes everything, tier 20 still nothing.
    f.failed(1, t0);
    f.failed(2, t0);
    for (int i = 0; i < 10; ++i) assert_int_equal(f.first(t0 + 1), 0);
    // Tier 10 aside too: tier 20.
    f.failed(0, t0 + 1);
    assert_int_equal(f.first(t0 + 2), 3);
}

void fallback_same_tier_then_next(void**) {
    fleet f({conf(1, 1), conf(1, 0), conf(3, 2), conf(2, 0), conf(1, 1)});
    for (int round = 0; round < 20; ++round) {
        std::vector<std::uint32_t> order = fallback_order(f, t0 + round);
        assert_int_equal(order.size(), 5);
        // Tier 0 (channels 1, 3) first in some order, then tier 1 (0, 4), then tier 2 (2).
        assert_true((order[0] == 1 && order[1] == 3) || (order[0] == 3 && order[1] == 1));
        assert_true((order[2] == 0 && order[3] == 4) || (order[2] == 4 && order[3] == 0));
        assert_int_equal(order[4], 2);
    }
}

void each_channel_once_per_request(void**) {
    fleet f({conf(7), conf(1), conf(3), conf(2)});
    for (int round = 0; round < 50; ++round) {
        std::vector<std::uint32_t> order = fallback_order(f, t0 + round);
        assert_int_equal(order.size(), 4);
        bool seen[4] = {false, false, false, false};
        for (std::uint32_t ch : order) {
            assert_false(seen[ch]);
            seen[ch] = true;
        }
    }
    // Every candidate marked tried: nothing, not even a forced one.
    pick_result r = f.pick(t0, 0xf);
    assert_false(r.found);
}

void fallback_skips_channels_aside(void**) {
    fleet f({conf(1), conf(1), conf(1, 1)});
    f.failed(1, t0);
    std::vector<std::uint32_t> order = fallback_order(f, t0 + 1);
    assert_int_equal(order.size(), 2);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 2);
}

void sixty_four_candidates(void**) {
    std::vector<channel_conf> confs(70, conf(1));
    fleet f(confs);
    std::vector<std::uint32_t> order = fallback_order(f, t0);
    // Only the first 64 are usable: the tried mask has 64 bits.
    assert_int_equal(order.size(), aigw::max_candidates);
    for (std::uint32_t ch : order) assert_true(ch < 64);
}

// ---- failures ----

void max_fails_within_timeout_sets_aside(void**) {
    fleet f({conf(1, 0, 3, 30000), conf(1, 0, 3, 30000)});
    f.failed(0, t0);
    f.failed(0, t0 + 1000);
    assert_true(f.available(0, t0 + 1000));
    f.failed(0, t0 + 2000);  // third within 30 s
    assert_false(f.available(0, t0 + 2000));
    assert_true(aigw::channel_tripped(f.confs[0], f.states[0]));
    for (int i = 0; i < 20; ++i) assert_int_equal(f.first(t0 + 2000 + i * 1000), 1);
    // Aside for fail_timeout after the failure that tripped it.
    assert_false(f.available(0, t0 + 2000 + 29999));
    assert_true(f.available(0, t0 + 2000 + 30000));
}

void failures_spread_beyond_timeout_do_not_trip(void**) {
    fleet f({conf(1, 0, 3, 10000), conf(1)});
    f.failed(0, t0);
    f.failed(0, t0 + 5000);
    f.failed(0, t0 + 10000);  // the window that started at t0 has ended: a new one starts
    assert_true(f.available(0, t0 + 10000));
    assert_int_equal(f.states[0].fails, 1);
    f.failed(0, t0 + 12000);
    assert_true(f.available(0, t0 + 12000));
    f.failed(0, t0 + 19000);  // third within 10 s of t0 + 10000
    assert_false(f.available(0, t0 + 19000));
}

void max_fails_zero_never_sets_aside(void**) {
    fleet f({conf(1, 0, 0), conf(1)});
    for (int i = 0; i < 100; ++i) f.failed(0, t0 + i);
    assert_true(f.available(0, t0 + 100));
    int count = 0;
    for (int i = 0; i < 10; ++i) count += f.first(t0 + 100) == 0;
    assert_int_equal(count, 5);
}

void readmitted_after_fail_timeout_as_probe(void**) {
    fleet f({conf(1, 0, 2, 10000), conf(1, 0, 2, 10000)});
    f.failed(0, t0);
    f.failed(0, t0 + 100);
    const std::uint64_t back = t0 + 100 + 10000;
    assert_false(f.available(0, back - 1));
    // Once back, it is picked within a round...
    std::uint64_t picked_at = 0;
    for (int i = 0; i < 2 && picked_at == 0; ++i) {
        if (f.first(back) == 0) picked_at = back;
    }
    assert_int_equal(picked_at, back);
    // ...and only once: held aside while that probe is out.
    assert_false(f.available(0, back));
    for (int i = 0; i < 10; ++i) assert_int_equal(f.first(back + 1), 1);

    // The probe succeeds: fully back, traffic shared again.
    f.succeed(0, picked_at);
    assert_true(f.available(0, back + 2));
    assert_false(aigw::channel_tripped(f.confs[0], f.states[0]));
    int count = 0;
    for (int i = 0; i < 10; ++i) count += f.first(back + 2) == 0;
    assert_int_equal(count, 5);
}

void failed_probe_sets_aside_at_once(void**) {
    fleet f({conf(1, 0, 3, 10000), conf(1, 0, 3, 10000)});
    for (int i = 0; i < 3; ++i) f.failed(0, t0 + i);
    const std::uint64_t back = t0 + 2 + 10000;
    while (f.first(back) != 0) {
    }
    // One failure, not three: the probe failed.
    f.failed(0, back + 50);
    assert_false(f.available(0, back + 50 + 9999));
    assert_true(f.available(0, back + 50 + 10000));
}

void probe_that_never_reports_is_retried(void**) {
    fleet f({conf(1, 0, 1, 10000), conf(1, 0, 1, 10000)});
    f.failed(0, t0);
    const std::uint64_t back = t0 + 10000;
    while (f.first(back) != 0) {
    }
    // The probe's request vanished (client gone); after another fail_timeout, a new probe.
    assert_false(f.available(0, back + 9999));
    assert_true(f.available(0, back + 10000));
}

void stale_success_does_not_clear(void**) {
    fleet f({conf(1, 0, 1, 10000), conf(1)});
    const std::uint64_t picked = t0;
    f.failed(0, t0 + 500);  // another request failed after this one was picked
    f.succeed(0, picked);
    assert_false(f.available(0, t0 + 600));
    f.succeed(0, t0 + 500);  // picked in the same millisecond: still not after the failure
    assert_false(f.available(0, t0 + 600));
}

void success_keeps_untripped_count(void**) {
    // max_fails counts failures within fail_timeout, successes in between notwithstanding.
    fleet f({conf(1, 0, 2, 10000), conf(1)});
    f.failed(0, t0);
    f.succeed(0, t0 + 10);
    f.failed(0, t0 + 20);
    assert_false(f.available(0, t0 + 20));
}

// ---- Retry-After ----

void retry_after_sets_aside(void**) {
    fleet f({conf(1, 0, 0), conf(1, 0, 0)});
    f.failed(0, t0, 20000);
    assert_false(f.available(0, t0));
    for (int i = 0; i < 10; ++i) assert_int_equal(f.first(t0 + 19999), 1);
    assert_true(f.available(0, t0 + 20000));

    // A longer Retry-After is never shortened by a later, shorter one.
    f.failed(0, t0 + 30000, 60000);
    f.failed(0, t0 + 31000, 1000);
    assert_false(f.available(0, t0 + 89999));
    assert_true(f.available(0, t0 + 90000));
}

void retry_after_capped(void**) {
    fleet f({conf(1, 0, 0), conf(1)});
    f.failed(0, t0, UINT64_MAX / 2);
    assert_false(f.available(0, t0 + aigw::max_retry_after_ms - 1));
    assert_true(f.available(0, t0 + aigw::max_retry_after_ms));
}

void retry_after_and_max_fails_take_the_later(void**) {
    fleet f({conf(1, 0, 1, 10000), conf(1)});
    f.failed(0, t0, 3000);  // trips (10 s) and asks for 3 s: aside for 10 s
    assert_false(f.available(0, t0 + 9999));
    assert_true(f.available(0, t0 + 10000));
}

void success_after_retry_after_clears_it(void**) {
    fleet f({conf(1, 0, 0), conf(1)});
    f.failed(0, t0, 60000);
    f.succeed(0, t0 - 5);  // picked before the 429: proves nothing
    assert_false(f.available(0, t0 + 1));
    f.succeed(0, t0 + 1);  // a forced try after it went through
    assert_true(f.available(0, t0 + 2));
}

void rate_limit_sets_aside_for_retry_after_only(void**) {
    // Default max_fails=1, fail_timeout 10 s: a 429 must not trip the channel.
    fleet f({conf(1), conf(1)});
    f.rate_limited(0, t0, 1000);
    assert_false(f.available(0, t0 + 999));
    assert_true(f.available(0, t0 + 1000));
    assert_false(aigw::channel_tripped(f.confs[0], f.states[0]));
    // No Retry-After: a short default.
    f.rate_limited(1, t0, 0);
    assert_false(f.available(1, t0 + aigw::default_rate_limit_ms - 1));
    assert_true(f.available(1, t0 + aigw::default_rate_limit_ms));
    // Capped like any Retry-After; a success picked before it does not clear it.
    f.rate_limited(0, t0 + 5000, UINT64_MAX / 2);
    assert_false(f.available(0, t0 + 5000 + aigw::max_retry_after_ms - 1));
    f.succeed(0, t0 + 4999);
    assert_false(f.available(0, t0 + 6000));
    f.succeed(0, t0 + 5001);
    assert_true(f.available(0, t0 + 6000));
}

void parse_retry_after_values(void**) {
    auto ms = [](const char* ra, const char* ra_ms) { return aigw::parse_retry_after(ra, ra_ms); };
    assert_int_equal(*ms("20", ""), 20000);
    assert_int_equal(*ms(" 7 ", ""), 7000);
    assert_int_equal(*ms("0", ""), 0);
    assert_int_equal(*ms("1.5", ""), 1500);
    assert_int_equal(*ms("0.25", ""), 250);
    assert_int_equal(*ms("2.0001", ""), 2000);
    assert_int_equal(*ms("20", "1234"), 1234);   // the precise one wins
    assert_int_equal(*ms("20", "12.7"), 12);
    assert_int_equal(*ms("20", "junk"), 20000);  // falls back to seconds
    assert_true(*ms("99999999999999999999999", "") > aigw::max_retry_after_ms);
    assert_false(ms("", "").has_value());
    assert_false(ms("-1", "").has_value());
    assert_false(ms("1.", "").has_value());
    assert_false(ms(".5", "").has_value());
    assert_false(ms("5s", "").has_value());
    assert_false(ms("Wed, 21 Oct 2015 07:28:00 GMT", "").has_value());
}

// ---- everything aside ----

void all_down_forces_the_soonest_back(void**) {
    fleet f({conf(1, 0, 1, 10000), conf(1, 0, 1, 10000), conf(1, 1, 1, 10000)});
    f.failed(0, t0 + 300);  // back at t0 + 10300
    f.failed(1, t0 + 100);  // back at t0 + 10100: the soonest
    f.failed(2, t0 + 200);  // back at t0 + 10200
    pick_result r = f.pick(t0 + 1000);
    assert_true(r.found);
    assert_true(r.forced);
    assert_int_equal(r.channel, 1);
    // The forced try does not touch the weights.
    for (const channel_state& s : f.states) assert_int_equal(s.current_weight, 0);
    // That request's next pick: nothing (no sweep through channels known to be down).
    r = f.pick(t0 + 1001, std::uint64_t{1} << 1);
    assert_false(r.found);
    assert_false(r.forced);

    // The forced try succeeds: the channel is back for everyone.
    f.succeed(1, t0 + 1000);
    assert_true(f.available(1, t0 + 1002));
    r = f.pick(t0 + 1002);
    assert_true(r.found);
    assert_false(r.forced);
    assert_int_equal(r.channel, 1);
}

void excluded_never_picked_nor_tried(void**) {
    // Channel 1 speaks another API than an untranslated request: excluded from the start.
    fleet f({conf(1), conf(5), conf(1, 1)});
    std::uint64_t excluded = std::uint64_t{1} << 1;
    std::uint64_t tried = 0;
    std::vector<std::uint32_t> order;
    for (;;) {
        pick_result r = aigw::pick(f.confs.data(), f.states.data(), f.candidates.data(),
                                   f.candidates.size(), tried, t0, excluded);
        if (!r.found) break;
        tried |= std::uint64_t{1} << r.position;
        order.push_back(r.channel);
    }
    assert_int_equal(order.size(), 2);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 2);

    // Every channel it may use is aside, and it tried none yet: the forced try is one of
    // them, never the excluded one, which is not a try made.
    f.failed(0, t0 + 100);
    f.failed(2, t0 + 200);
    pick_result r = aigw::pick(f.confs.data(), f.states.data(), f.candidates.data(),
                               f.candidates.size(), 0, t0 + 300, excluded);
    assert_true(r.found);
    assert_true(r.forced);
    assert_int_equal(r.channel, 0);
    // The excluded one available does not stop the forced try of the others.
    fleet g({conf(1), conf(1)});
    g.failed(0, t0);
    r = aigw::pick(g.confs.data(), g.states.data(), g.candidates.data(), g.candidates.size(), 0,
                   t0 + 1, std::uint64_t{1} << 1);
    assert_true(r.forced);
    assert_int_equal(r.channel, 0);
}

void all_down_ties_least_recently_failed(void**) {
    // Equal return times (Retry-After lands both at t0 + 5000): the one that failed longest ago.
    fleet f({conf(1, 0, 0), conf(1, 0, 0)});
    f.failed(0, t0 + 2000, 3000);
    f.failed(1, t0 + 1000, 4000);
    pick_result r = f.pick(t0 + 2500);
    assert_true(r.forced);
    assert_int_equal(r.channel, 1);
}

void all_down_after_a_real_try_gives_up(void**) {
    fleet f({conf(1), conf(1, 1)});
    f.failed(1, t0);
    pick_result r = f.pick(t0 + 1);
    assert_true(r.found);
    assert_false(r.forced);
    assert_int_equal(r.channel, 0);
    f.failed(0, t0 + 2);  // that try failed; the only other channel is aside
    r = f.pick(t0 + 3, std::uint64_t{1} << r.position);
    assert_false(r.found);
}

void single_channel_always_tried(void**) {
    // Like NGINX's lone upstream server: its failures never leave a request with nothing.
    fleet f({conf(1, 0, 1, 10000)});
    f.failed(0, t0);
    pick_result r = f.pick(t0 + 1);
    assert_true(r.found);
    assert_true(r.forced);
    assert_int_equal(r.channel, 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(state_is_plain_data),
        cmocka_unit_test(weights_one_to_three_exact),
        cmocka_unit_test(weights_five_one_one_interleave),
        cmocka_unit_test(equal_weights_alternate),
        cmocka_unit_test(zero_weight_counts_as_one),
        cmocka_unit_test(candidates_subset_and_order),
        cmocka_unit_test(no_candidates),
        cmocka_unit_test(priority_tiers_respected),
        cmocka_unit_test(fallback_same_tier_then_next),
        cmocka_unit_test(each_channel_once_per_request),
        cmocka_unit_test(fallback_skips_channels_aside),
        cmocka_unit_test(sixty_four_candidates),
        cmocka_unit_test(max_fails_within_timeout_sets_aside),
        cmocka_unit_test(failures_spread_beyond_timeout_do_not_trip),
        cmocka_unit_test(max_fails_zero_never_sets_aside),
        cmocka_unit_test(readmitted_after_fail_timeout_as_probe),
        cmocka_unit_test(failed_probe_sets_aside_at_once),
        cmocka_unit_test(probe_that_never_reports_is_retried),
        cmocka_unit_test(stale_success_does_not_clear),
        cmocka_unit_test(success_keeps_untripped_count),
        cmocka_unit_test(retry_after_sets_aside),
        cmocka_unit_test(rate_limit_sets_aside_for_retry_after_only),
        cmocka_unit_test(retry_after_capped),
        cmocka_unit_test(retry_after_and_max_fails_take_the_later),
        cmocka_unit_test(success_after_retry_after_clears_it),
        cmocka_unit_test(parse_retry_after_values),
        cmocka_unit_test(all_down_forces_the_soonest_back),
        cmocka_unit_test(all_down_ties_least_recently_failed),
        cmocka_unit_test(excluded_never_picked_nor_tried),
        cmocka_unit_test(all_down_after_a_real_try_gives_up),
        cmocka_unit_test(single_channel_always_tried),
    };
    return cmocka_run_group_tests_name("router", tests, nullptr, nullptr);
}
