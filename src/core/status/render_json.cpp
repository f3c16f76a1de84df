// The status as JSON: the page's and tools' view (the contract is in the README).
#include <cstring>

#include "aigw/status/snapshot.hpp"
#include "aigw/text/json_write.hpp"

namespace aigw::status {

namespace {

bool is_error(std::size_t outcome) {
    auto o = static_cast<attempt_outcome>(outcome);
    return o == attempt_outcome::rate_limited || o == attempt_outcome::server_error ||
           o == attempt_outcome::timeout || o == attempt_outcome::connect_failure ||
           o == attempt_outcome::cut;
}

void write_ms(json_writer& w, const char* key, std::optional<double> v) {
    w.Key(key);
    if (v) {
        // Milliseconds to a tenth: the page shows no more.
        w.Double(static_cast<double>(static_cast<std::int64_t>(*v * 10 + 0.5)) / 10);
    } else {
        w.Null();
    }
}

template <std::size_t N>
void write_histogram(json_writer& w, const char* key, const histogram<N>& h,
                     const std::uint64_t (&bounds)[N]) {
    w.Key(key);
    w.StartObject();
    w.Key("count");
    w.Uint64(h.count);
    w.Key("sum_ms");
    w.Uint64(h.sum);
    write_ms(w, "p50_ms", quantile(bounds, N, h.counts, 0.5));
    write_ms(w, "p95_ms", quantile(bounds, N, h.counts, 0.95));
    w.EndObject();
}

void write_tokens(json_writer& w, const std::uint64_t (&tokens)[token_type_count]) {
    w.Key("tokens");
    w.StartObject();
    for (std::size_t i = 0; i < token_type_count; i++) {
        w.Key(token_type_name(static_cast<token_type>(i)).data());
        w.Uint64(tokens[i]);
    }
    w.EndObject();
}

void write_window(json_writer& w, const std::optional<window_sample>& win) {
    w.Key("window");
    w.StartObject();
    std::uint64_t requests = 0, errors = 0;
    if (win) {
        for (std::size_t i = 0; i < attempt_outcome_count; i++) {
            requests += win->outcomes[i];
            errors += is_error(i) ? win->outcomes[i] : 0;
        }
    }
    w.Key("requests");
    w.Uint64(requests);
    w.Key("errors");
    w.Uint64(errors);
    w.Key("error_rate");
    if (requests) {
        w.Double(static_cast<double>(errors) / static_cast<double>(requests));
    } else {
        w.Null();
    }
    std::optional<double> none;
    write_ms(w, "latency_p50_ms",
             win ? quantile(duration_bounds_ms, duration_buckets, win->duration, 0.5) : none);
    write_ms(w, "latency_p95_ms",
             win ? quantile(duration_bounds_ms, duration_buckets, win->duration, 0.95) : none);
    write_ms(w, "ttft_p50_ms", win ? quantile(ttft_bounds_ms, ttft_buckets, win->ttft, 0.5) : none);
    write_ms(w, "ttft_p95_ms",
             win ? quantile(ttft_bounds_ms, ttft_buckets, win->ttft, 0.95) : none);
    w.EndObject();
}

void write_channel(json_writer& w, const channel_view& c) {
    const channel_counters& k = c.counters;
    w.StartObject();
    w.Key("name");
    write_text(w, c.name);
    w.Key("provider");
    write_text(w, c.provider);
    w.Key("location");
    write_text(w, c.location);
    w.Key("state");
    write_text(w, channel_state_name(c.state));
    w.Key("set_aside_ms");
    w.Uint64(c.set_aside_ms);
    w.Key("consecutive_failures");
    w.Uint(c.consecutive_failures);
    w.Key("inflight");
    w.Int64(k.inflight < 0 ? 0 : k.inflight);
    std::uint64_t requests = 0;
    for (std::uint64_t n : k.outcomes) {
        requests += n;
    }
    w.Key("requests");
    w.Uint64(requests);
    w.Key("swallowed");
    w.Uint64(k.swallowed);
    w.Key("outcomes");
    w.StartObject();
    for (std::size_t i = 0; i < attempt_outcome_count; i++) {
        w.Key(attempt_outcome_name(static_cast<attempt_outcome>(i)).data());
        w.Uint64(k.outcomes[i]);
    }
    w.EndObject();
    write_histogram(w, "latency", k.duration, duration_bounds_ms);
    write_histogram(w, "ttft", k.ttft, ttft_bounds_ms);
    write_window(w, c.window);
    w.EndObject();
}

void write_gateway(json_writer& w, const gateway_counters& g) {
    w.Key("gateway");
    w.StartObject();
    w.Key("requests");
    w.Uint64(g.requests);
    w.Key("ingress");
    w.StartObject();
    for (std::size_t i = 0; i < ingress_count; i++) {
        w.Key(ingress_name(static_cast<ingress>(i)).data());
        w.Uint64(g.ingress[i]);
    }
    w.EndObject();
    w.Key("translations");
    w.Uint64(g.translations);
    w.Key("usage_records");
    w.StartObject();
    w.Key("queued");
    w.Int64(g.records_queued < 0 ? 0 : g.records_queued);
    w.Key("delivered");
    w.Uint64(g.records_delivered);
    w.Key("lost");
    w.Uint64(g.records_lost);
    w.EndObject();
    w.Key("redis");
    w.StartObject();
    w.Key("connected");
    w.Int64(g.redis_connected < 0 ? 0 : g.redis_connected);
    w.Key("commands");
    w.Uint64(g.redis_latency.count);
    w.Key("latency");
    w.StartObject();
    auto us_to_ms = [](std::optional<double> us) {
        return us ? std::optional<double>(*us / 1000) : us;
    };
    write_ms(w, "p50_ms", us_to_ms(quantile(redis_bounds_us, redis_buckets,
                                            g.redis_latency.counts, 0.5)));
    write_ms(w, "p95_ms", us_to_ms(quantile(redis_bounds_us, redis_buckets,
                                            g.redis_latency.counts, 0.95)));
    w.EndObject();
    w.EndObject();
    w.Key("settlements");
    w.Uint64(g.settlements);
    w.Key("key_cache");
    w.StartObject();
    w.Key("hits");
    w.Uint64(g.key_cache_hits);
    w.Key("misses");
    w.Uint64(g.key_cache_misses);
    w.EndObject();
    w.EndObject();
}

}  // namespace

std::string_view channel_state_name(channel_state_kind s) noexcept {
    switch (s) {
    case channel_state_kind::available: return "available";
    case channel_state_kind::set_aside: return "set_aside";
    case channel_state_kind::probing: return "probing";
    }
    return "available";
}

window_sample window_since(const channel_counters& now, const window_sample& base) noexcept {
    window_sample d{};
    auto sub = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; };
    for (std::size_t i = 0; i < attempt_outcome_count; i++) {
        d.outcomes[i] = sub(now.outcomes[i], base.outcomes[i]);
    }
    for (std::size_t i = 0; i <= duration_buckets; i++) {
        d.duration[i] = sub(now.duration.counts[i], base.duration[i]);
    }
    for (std::size_t i = 0; i <= ttft_buckets; i++) {
        d.ttft[i] = sub(now.ttft.counts[i], base.ttft[i]);
    }
    return d;
}

void read_names(const zone& z, snapshot& s) {
    const capacities& caps = z.header->caps;
    for (std::uint32_t i = 0; i < caps.models; i++) {
        std::string_view name = slot_name(z.model_names[i]);
        model_counters c = copy_counters(z.models[i]);
        if (!name.empty() && (i != 0 || c.requests != 0)) {
            s.models.push_back({std::string(name), c});
        }
    }
    for (std::uint32_t i = 0; i < caps.groups; i++) {
        std::string_view name = slot_name(z.group_names[i]);
        group_counters c = copy_counters(z.groups[i]);
        if (!name.empty() && (i != 0 || c.requests != 0 || c.refused_402 || c.refused_429)) {
            s.groups.push_back({std::string(name), c});
        }
    }
}

std::string render_json(const snapshot& s) {
    return json_text([&s](json_writer& w) {
        w.StartObject();
        w.Key("aigw_status");
        w.Uint(1);
        w.Key("time_ms");
        w.Uint64(s.time_ms);
        w.Key("uptime_s");
        w.Uint64(s.uptime_s);
        w.Key("window_s");
        w.Uint64(s.window_s);
        w.Key("workers");
        w.Uint(s.workers);
        write_gateway(w, s.gateway);
        w.Key("channels");
        w.StartArray();
        for (const channel_view& c : s.channels) {
            write_channel(w, c);
        }
        w.EndArray();
        w.Key("models");
        w.StartArray();
        for (const model_view& m : s.models) {
            w.StartObject();
            w.Key("name");
            write_text(w, m.name);
            w.Key("requests");
            w.Uint64(m.counters.requests);
            write_tokens(w, m.counters.tokens);
            w.Key("cost_micro_usd");
            w.Uint64(m.counters.cost);
            w.EndObject();
        }
        w.EndArray();
        w.Key("groups");
        w.StartArray();
        for (const group_view& g : s.groups) {
            w.StartObject();
            w.Key("name");
            write_text(w, g.name);
            w.Key("requests");
            w.Uint64(g.counters.requests);
            write_tokens(w, g.counters.tokens);
            w.Key("cost_micro_usd");
            w.Uint64(g.counters.cost);
            w.Key("refused_402");
            w.Uint64(g.counters.refused_402);
            w.Key("refused_429");
            w.Uint64(g.counters.refused_429);
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
    });
}

}  // namespace aigw::status
