// The metrics zone: layout kept across a second lay_out, name tables with their overflow,
// channel placement, histograms and quantiles, the window ring, and the two renderings.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "aigw/status/metrics.hpp"
#include "aigw/status/snapshot.hpp"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {
#include <cmocka.h>
}
#include "assert_sv.hpp"

using namespace aigw::status;

namespace {

struct block {
    capacities caps;
    std::vector<std::uint64_t> mem;
    zone z;
    explicit block(capacities c) : caps(c), mem(zone_bytes(c) / 8 + 1, 0) {
        z = lay_out(mem.data(), caps);
    }
};

bool contains(const std::string& s, std::string_view part) {
    if (s.find(part) == std::string::npos) {
        print_error("missing [%.*s]\n", static_cast<int>(part.size()), part.data());
        return false;
    }
    return true;
}

void test_layout_kept(void**) {
    block b({4, 16, 16});
    add(b.z.channels[1].outcomes[0], 5);
    std::uint32_t m = add_name(b.z.model_names, 16, b.z.header->models_used, "gpt-4o");
    add(b.z.models[m].requests, 3);
    // A second lay_out of the same block (a reload) keeps names and counts.
    zone z2 = lay_out(b.mem.data(), b.caps);
    assert_int_equal(z2.channels[1].outcomes[0], 5);
    assert_int_equal(*find_name(z2.model_names, 16, "gpt-4o"), m);
    assert_int_equal(z2.models[m].requests, 3);
    assert_sv_equal(slot_name(z2.model_names[0]), "_other");
}

void test_names_overflow(void**) {
    block b({4, 8, 8});
    // 7 slots for names, one kept free: 6 names fit, the 7th goes to the overflow.
    std::vector<std::uint32_t> slots;
    for (int i = 0; i < 6; i++) {
        assert_false(names_full(8, b.z.header->groups_used));
        std::uint32_t s = add_name(b.z.group_names, 8, b.z.header->groups_used, "g" + std::to_string(i));
        assert_true(s >= 1 && s < 8);
        slots.push_back(s);
    }
    assert_int_equal(b.z.header->groups_used, 6);
    assert_true(names_full(8, b.z.header->groups_used));
    assert_int_equal(add_name(b.z.group_names, 8, b.z.header->groups_used, "g6"), 0);
    assert_int_equal(b.z.header->groups_used, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(*find_name(b.z.group_names, 8, "g" + std::to_string(i)), slots[i]);
        assert_int_equal(add_name(b.z.group_names, 8, b.z.header->groups_used, "g" + std::to_string(i)), slots[i]);
    }
    assert_false(find_name(b.z.group_names, 8, "g6").has_value());
    assert_int_equal(add_name(b.z.group_names, 8, b.z.header->groups_used, ""), 0);
    assert_int_equal(add_name(b.z.group_names, 8, b.z.header->groups_used, std::string(name_max + 1, 'x')), 0);
}

void test_place_channel(void**) {
    block b({2, 16, 16});
    auto none = [](std::uint32_t) { return false; };
    std::uint32_t a = place_channel(b.z, "a", none);
    std::uint32_t c = place_channel(b.z, "b", none);
    assert_int_not_equal(a, c);
    add(b.z.channels[a].swallowed, 2);
    assert_int_equal(place_channel(b.z, "a", none), a);
    assert_int_equal(b.z.channels[a].swallowed, 2);
    // Full: a slot the configuration does not use any more is reset for the new name.
    std::uint32_t d = place_channel(b.z, "d", [&](std::uint32_t s) { return s == c; });
    assert_int_equal(d, a);
    assert_int_equal(b.z.channels[d].swallowed, 0);
    assert_sv_equal(slot_name(b.z.channel_names[d]), "d");
    assert_int_equal(place_channel(b.z, "e", [](std::uint32_t) { return true; }), 2);
}

void test_histogram_quantile(void**) {
    histogram<duration_buckets> h{};
    for (int i = 0; i < 100; i++) {
        observe(h, duration_bounds_ms, 15);   // (10, 20]
    }
    observe(h, duration_bounds_ms, 100000);   // above the last bound
    assert_int_equal(h.count, 101);
    assert_int_equal(h.sum, 1500 + 100000);
    assert_int_equal(h.counts[1], 100);
    assert_int_equal(h.counts[duration_buckets], 1);
    double p50 = *quantile(duration_bounds_ms, duration_buckets, h.counts, 0.5);
    assert_true(p50 > 10 && p50 <= 20);
    assert_true(*quantile(duration_bounds_ms, duration_buckets, h.counts, 1.0) == 81920);
    std::uint64_t zero[duration_buckets + 1] = {};
    assert_false(quantile(duration_bounds_ms, duration_buckets, zero, 0.5).has_value());
    // Exactly at a bound counts in that bound's bucket (le is inclusive).
    histogram<duration_buckets> e{};
    observe(e, duration_bounds_ms, 10);
    assert_int_equal(e.counts[0], 1);
}

void test_window_from_start(void**) {
    block b({2, 16, 16});
    window_start(b.z, 5000);
    add(b.z.channels[1].outcomes[0], 7);
    // A new zone's window reaches back to its start: the 7 attempts are in it.
    std::uint32_t k = *window_base(b.z, 6000);
    assert_int_equal(b.z.header->window_time_ms[k], 5000);
    assert_int_equal(window_since(b.z.channels[1], b.z.window[k * 2 + 1]).outcomes[0], 7);
    // A zone that has samples keeps them (a reload).
    window_start(b.z, 9000);
    assert_int_equal(*window_base(b.z, 9000), k);
}

void test_window(void**) {
    block b({2, 16, 16});
    add(b.z.channels[0].outcomes[0], 10);
    std::uint64_t t0 = 1000000;
    std::optional<std::uint32_t> base = window_base(b.z, t0);
    assert_true(base.has_value());
    // Within a step, no new sample: the base stays.
    add(b.z.channels[0].outcomes[3], 4);
    assert_int_equal(*window_base(b.z, t0 + 1000), *base);
    window_sample d = window_since(b.z.channels[0], b.z.window[*base * 2 + 0]);
    assert_int_equal(d.outcomes[0], 0);
    assert_int_equal(d.outcomes[3], 4);
    // Samples every step; after the window passed, the oldest sample in it is the base.
    for (std::uint64_t t = t0 + window_step_ms; t <= t0 + window_ms + 3 * window_step_ms;
         t += window_step_ms) {
        add(b.z.channels[0].outcomes[0], 1);
        window_base(b.z, t);
    }
    std::uint64_t now = t0 + window_ms + 3 * window_step_ms;
    std::uint32_t k = *window_base(b.z, now);
    assert_true(now - b.z.header->window_time_ms[k] <= window_ms);
    assert_true(now - b.z.header->window_time_ms[k] > window_ms - window_step_ms);
}

void test_channel_health(void**) {
    aigw::channel_conf conf;   // max_fails=1, fail_timeout=10s
    aigw::channel_state s{};
    std::uint64_t aside = 99;
    assert_true(channel_health(conf, s, 1000, aside) == channel_state_kind::available);
    assert_int_equal(aside, 0);
    // A failure trips it: set aside for fail_timeout from the failure.
    aigw::report_failure(&conf, &s, 0, 1000, 0);
    assert_true(channel_health(conf, s, 4000, aside) == channel_state_kind::set_aside);
    assert_int_equal(aside, 7000);
    // Its time aside passed: due a probe.
    assert_true(channel_health(conf, s, 12000, aside) == channel_state_kind::probing);
    // A pick sends the probe: held aside from the pick, which is after the failure.
    std::uint32_t cand = 0;
    aigw::pick_result p = aigw::pick(&conf, &s, &cand, 1, 0, 12000);
    assert_true(p.found);
    assert_true(channel_health(conf, s, 13000, aside) == channel_state_kind::probing);
    // The probe succeeds: available again.
    aigw::report_success(&conf, &s, 0, 12000);
    assert_true(channel_health(conf, s, 13000, aside) == channel_state_kind::available);
    // A 429's Retry-After sets it aside without tripping it.
    aigw::report_rate_limited(&s, 0, 20000, 2500);
    assert_true(channel_health(conf, s, 21000, aside) == channel_state_kind::set_aside);
    assert_int_equal(aside, 1500);
    assert_true(channel_health(conf, s, 23000, aside) == channel_state_kind::available);
}

snapshot sample_snapshot() {
    snapshot s;
    s.time_ms = 1764934800123;
    s.uptime_s = 60;
    s.window_s = 45;
    s.workers = 2;
    s.gateway.requests = 7;
    s.gateway.ingress[static_cast<int>(ingress::chat)] = 6;
    s.gateway.records_delivered = 7;
    channel_view c;
    c.name = "a\"b";
    c.provider = "openai";
    c.location = "/_aigw/a";
    c.state = channel_state_kind::set_aside;
    c.set_aside_ms = 1500;
    c.consecutive_failures = 2;
    c.counters.outcomes[0] = 5;
    c.counters.outcomes[3] = 2;
    observe(c.counters.duration, duration_bounds_ms, 15);
    window_sample w{};
    w.outcomes[0] = 3;
    w.outcomes[3] = 1;
    c.window = w;
    s.channels.push_back(c);
    model_view m;
    m.name = "gpt-4o";
    m.counters.requests = 7;
    m.counters.tokens[0] = 100;
    m.counters.cost = 1234567;
    observe(m.counters.input_usage, token_bounds, 100);
    s.models.push_back(m);
    group_view g;
    g.name = "team";
    g.counters.requests = 7;
    g.counters.cost = 5;
    g.counters.refused_402 = 1;
    s.groups.push_back(g);
    return s;
}

void test_render_json(void**) {
    std::string j = render_json(sample_snapshot());
    assert_true(contains(j, "\"name\":\"a\\\"b\""));
    assert_true(contains(j, "\"state\":\"set_aside\",\"set_aside_ms\":1500,"
                            "\"consecutive_failures\":2"));
    assert_true(contains(j, "\"requests\":7,\"swallowed\":0,\"outcomes\":{\"ok\":5,\"4xx\":0,"
                            "\"429\":0,\"5xx\":2,"));
    assert_true(contains(j, "\"window\":{\"requests\":4,\"errors\":1,\"error_rate\":0.25,"));
    assert_true(contains(j, "\"cost_micro_usd\":1234567"));
    assert_true(contains(j, "\"refused_402\":1,\"refused_429\":0"));
    assert_true(contains(j, "\"ingress\":{\"chat\":6,"));
    assert_true(contains(j, "\"usage_records\":{\"queued\":0,\"delivered\":7,\"lost\":0}"));
}

void test_render_prometheus(void**) {
    std::string p = render_prometheus(sample_snapshot());
    assert_true(contains(p, "# TYPE gen_ai_server_request_duration_seconds histogram\n"));
    assert_true(contains(p, "gen_ai_server_request_duration_seconds_bucket{aigw_channel=\"a\\\"b\","
                            "gen_ai_provider_name=\"openai\",le=\"0.01\"} 0\n"));
    assert_true(contains(p, "gen_ai_server_request_duration_seconds_bucket{aigw_channel=\"a\\\"b\","
                            "gen_ai_provider_name=\"openai\",le=\"0.02\"} 1\n"));
    assert_true(contains(p, "le=\"+Inf\"} 1\n"));
    assert_true(contains(p, "gen_ai_server_request_duration_seconds_sum{aigw_channel=\"a\\\"b\","
                            "gen_ai_provider_name=\"openai\"} 0.015000\n"));
    assert_true(contains(p, "aigw_channel_attempts_total{aigw_channel=\"a\\\"b\",outcome=\"5xx\"} 2\n"));
    assert_true(contains(p, "aigw_channel_state{aigw_channel=\"a\\\"b\",state=\"set_aside\"} 1\n"));
    assert_true(contains(p, "aigw_channel_set_aside_seconds{aigw_channel=\"a\\\"b\"} 1.500000\n"));
    assert_true(contains(p, "gen_ai_client_token_usage_count{gen_ai_request_model=\"gpt-4o\","
                            "gen_ai_token_type=\"input\"} 1\n"));
    assert_true(contains(p, "aigw_model_tokens_total{gen_ai_request_model=\"gpt-4o\","
                            "gen_ai_token_type=\"input\"} 100\n"));
    assert_true(contains(p, "aigw_model_cost_usd_total{gen_ai_request_model=\"gpt-4o\"} 1.234567\n"));
    assert_true(contains(p, "aigw_group_refusals_total{aigw_group=\"team\",code=\"402\"} 1\n"));
    assert_true(contains(p, "aigw_requests_total{aigw_ingress=\"chat\"} 6\n"));
    assert_true(contains(p, "aigw_usage_records_delivered_total 7\n"));
    assert_true(contains(p, "aigw_workers 2\n"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_kept),      cmocka_unit_test(test_names_overflow),
        cmocka_unit_test(test_place_channel),    cmocka_unit_test(test_histogram_quantile),
        cmocka_unit_test(test_window),           cmocka_unit_test(test_window_from_start),
        cmocka_unit_test(test_channel_health),           cmocka_unit_test(test_render_json),
        cmocka_unit_test(test_render_prometheus),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
