// The status in Prometheus's text exposition format (0.0.4). Names follow OpenTelemetry's
// GenAI semantic conventions where one exists, as its Prometheus exporter writes them (dots
// to underscores, the unit as a suffix); the gateway's own under aigw_. Labels are bounded by
// the configuration: channels, public models, key groups (overflow: "_other").
#include <cinttypes>
#include <cstdio>

#include "aigw/status/snapshot.hpp"

namespace aigw::status {

namespace {

class text {
public:
    void family(const char* name, const char* type, const char* help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }

    // name{labels} value; `labels` are name, value pairs.
    template <class Value>
    void sample(std::string_view name, std::initializer_list<std::pair<const char*, std::string_view>> labels,
                Value value, std::string_view suffix = {}) {
        out_ += name;
        out_ += suffix;
        if (labels.size()) {
            out_ += '{';
            bool first = true;
            for (const auto& [k, v] : labels) {
                if (!first) {
                    out_ += ',';
                }
                first = false;
                out_ += k;
                out_ += "=\"";
                escape(v);
                out_ += '"';
            }
            out_ += '}';
        }
        out_ += ' ';
        number(value);
        out_ += '\n';
    }

    // A histogram's buckets (cumulative, as the format wants), sum and count; `scale`
    // divides the bounds and the sum into the base unit.
    template <std::size_t N>
    void histogram_samples(std::string_view name,
                           std::initializer_list<std::pair<const char*, std::string_view>> labels,
                           const histogram<N>& h, const std::uint64_t (&bounds)[N],
                           double scale) {
        std::uint64_t cumulative = 0;
        char le[32];
        for (std::size_t i = 0; i <= N; i++) {
            cumulative += h.counts[i];
            if (i < N) {
                std::snprintf(le, sizeof(le), "%g", static_cast<double>(bounds[i]) / scale);
            } else {
                std::snprintf(le, sizeof(le), "+Inf");
            }
            out_ += name;
            out_ += "_bucket{";
            for (const auto& [k, v] : labels) {
                out_ += k;
                out_ += "=\"";
                escape(v);
                out_ += "\",";
            }
            out_ += "le=\"";
            out_ += le;
            out_ += "\"} ";
            number(cumulative);
            out_ += '\n';
        }
        sample(name, labels, static_cast<double>(h.sum) / scale, "_sum");
        sample(name, labels, h.count, "_count");
    }

    std::string take() { return std::move(out_); }

private:
    void escape(std::string_view v) {
        for (char c : v) {
            if (c == '\\') {
                out_ += "\\\\";
            } else if (c == '"') {
                out_ += "\\\"";
            } else if (c == '\n') {
                out_ += "\\n";
            } else {
                out_ += c;
            }
        }
    }
    void number(std::uint64_t v) {
        char b[24];
        std::snprintf(b, sizeof(b), "%" PRIu64, v);
        out_ += b;
    }
    void number(std::int64_t v) {
        char b[24];
        std::snprintf(b, sizeof(b), "%" PRId64, v);
        out_ += b;
    }
    void number(unsigned v) { number(static_cast<std::uint64_t>(v)); }
    void number(std::string_view v) { out_ += v; }
    void number(double v) {
        char b[40];
        std::snprintf(b, sizeof(b), "%.6f", v);
        out_ += b;
    }
    std::string out_;
};

// Micro-USD as USD, exactly (six decimals).
std::string usd(std::uint64_t micro) {
    char b[40];
    std::snprintf(b, sizeof(b), "%" PRIu64 ".%06" PRIu64, micro / 1000000, micro % 1000000);
    return b;
}

}  // namespace

std::string render_prometheus(const snapshot& s) {
    text t;
    const char* ch = "aigw_channel";
    const char* prov = "gen_ai_provider_name";

    t.family("gen_ai_server_request_duration_seconds", "histogram",
             "Time from a channel's pick to the end of the attempt, per channel.");
    for (const channel_view& c : s.channels) {
        t.histogram_samples("gen_ai_server_request_duration_seconds",
                            {{ch, c.name}, {prov, c.provider}}, c.counters.duration,
                            duration_bounds_ms, 1000.0);
    }
    t.family("gen_ai_server_time_to_first_token_seconds", "histogram",
             "Time from a channel's pick to the first token of a streamed answer, per channel.");
    for (const channel_view& c : s.channels) {
        t.histogram_samples("gen_ai_server_time_to_first_token_seconds",
                            {{ch, c.name}, {prov, c.provider}}, c.counters.ttft, ttft_bounds_ms,
                            1000.0);
    }
    t.family("aigw_channel_attempts_total", "counter",
             "Attempts at a channel by how they ended: ok, 4xx, 429, 5xx, timeout, "
             "connect_failure, cut, client_closed.");
    for (const channel_view& c : s.channels) {
        for (std::size_t i = 0; i < attempt_outcome_count; i++) {
            t.sample("aigw_channel_attempts_total",
                     {{ch, c.name}, {"outcome", attempt_outcome_name(static_cast<attempt_outcome>(i))}},
                     c.counters.outcomes[i]);
        }
    }
    t.family("aigw_channel_swallowed_total", "counter",
             "Failed attempts the client never saw: another channel was tried.");
    for (const channel_view& c : s.channels) {
        t.sample("aigw_channel_swallowed_total", {{ch, c.name}}, c.counters.swallowed);
    }
    t.family("aigw_channel_in_flight", "gauge", "Attempts at a channel in progress.");
    for (const channel_view& c : s.channels) {
        t.sample("aigw_channel_in_flight", {{ch, c.name}},
                 c.counters.inflight < 0 ? std::int64_t{0} : c.counters.inflight);
    }
    t.family("aigw_channel_state", "gauge",
             "1 for a channel's routing state: available, set_aside or probing.");
    for (const channel_view& c : s.channels) {
        for (auto st : {channel_state_kind::available, channel_state_kind::set_aside,
                        channel_state_kind::probing}) {
            t.sample("aigw_channel_state", {{ch, c.name}, {"state", channel_state_name(st)}},
                     static_cast<unsigned>(c.state == st));
        }
    }
    t.family("aigw_channel_set_aside_seconds", "gauge",
             "How long a set-aside channel stays aside (0 when available).");
    for (const channel_view& c : s.channels) {
        t.sample("aigw_channel_set_aside_seconds", {{ch, c.name}},
                 static_cast<double>(c.set_aside_ms) / 1000.0);
    }
    t.family("aigw_channel_consecutive_failures", "gauge",
             "Failures of a channel in its fail_timeout window, or since it was set aside.");
    for (const channel_view& c : s.channels) {
        t.sample("aigw_channel_consecutive_failures", {{ch, c.name}}, c.consecutive_failures);
    }

    const char* model = "gen_ai_request_model";
    const char* type = "gen_ai_token_type";
    t.family("gen_ai_client_token_usage", "histogram",
             "Tokens per request, input and output, per public model.");
    for (const model_view& m : s.models) {
        t.histogram_samples("gen_ai_client_token_usage", {{model, m.name}, {type, "input"}},
                            m.counters.input_usage, token_bounds, 1.0);
        t.histogram_samples("gen_ai_client_token_usage", {{model, m.name}, {type, "output"}},
                            m.counters.output_usage, token_bounds, 1.0);
    }
    t.family("aigw_model_requests_total", "counter", "Requests per public model.");
    for (const model_view& m : s.models) {
        t.sample("aigw_model_requests_total", {{model, m.name}}, m.counters.requests);
    }
    t.family("aigw_model_tokens_total", "counter",
             "Tokens per public model: input, output, cached (input read from a cache), "
             "cache_write, reasoning.");
    for (const model_view& m : s.models) {
        for (std::size_t i = 0; i < token_type_count; i++) {
            t.sample("aigw_model_tokens_total",
                     {{model, m.name}, {type, token_type_name(static_cast<token_type>(i))}},
                     m.counters.tokens[i]);
        }
    }
    t.family("aigw_model_cost_usd_total", "counter",
             "Cost per public model in USD (exact: integer micro-USD in the JSON).");
    for (const model_view& m : s.models) {
        t.sample("aigw_model_cost_usd_total", {{model, m.name}}, usd(m.counters.cost));
    }

    const char* group = "aigw_group";
    t.family("aigw_group_requests_total", "counter", "Requests per key group.");
    for (const group_view& g : s.groups) {
        t.sample("aigw_group_requests_total", {{group, g.name}}, g.counters.requests);
    }
    t.family("aigw_group_tokens_total", "counter", "Tokens per key group, by type.");
    for (const group_view& g : s.groups) {
        for (std::size_t i = 0; i < token_type_count; i++) {
            t.sample("aigw_group_tokens_total",
                     {{group, g.name}, {type, token_type_name(static_cast<token_type>(i))}},
                     g.counters.tokens[i]);
        }
    }
    t.family("aigw_group_cost_usd_total", "counter", "Cost per key group in USD.");
    for (const group_view& g : s.groups) {
        t.sample("aigw_group_cost_usd_total", {{group, g.name}}, usd(g.counters.cost));
    }
    t.family("aigw_group_refusals_total", "counter",
             "Requests the gateway refused for a group: 402 (quota, budget), 429 (rpm, tpm).");
    for (const group_view& g : s.groups) {
        t.sample("aigw_group_refusals_total", {{group, g.name}, {"code", "402"}},
                 g.counters.refused_402);
        t.sample("aigw_group_refusals_total", {{group, g.name}, {"code", "429"}},
                 g.counters.refused_429);
    }

    const gateway_counters& gw = s.gateway;
    t.family("aigw_requests_total", "counter", "Requests by the API they came in through.");
    for (std::size_t i = 0; i < ingress_count; i++) {
        t.sample("aigw_requests_total", {{"aigw_ingress", ingress_name(static_cast<ingress>(i))}},
                 gw.ingress[i]);
    }
    t.family("aigw_translations_total", "counter",
             "Requests answered by a channel of another API, translated both ways.");
    t.sample("aigw_translations_total", {}, gw.translations);
    t.family("aigw_usage_records_queued", "gauge", "Usage records waiting for Redis.");
    t.sample("aigw_usage_records_queued", {},
             gw.records_queued < 0 ? std::int64_t{0} : gw.records_queued);
    t.family("aigw_usage_records_delivered_total", "counter", "Usage records Redis took.");
    t.sample("aigw_usage_records_delivered_total", {}, gw.records_delivered);
    t.family("aigw_usage_records_lost_total", "counter",
             "Usage records lost: a full queue, Redis refusing, or no answer after retries.");
    t.sample("aigw_usage_records_lost_total", {}, gw.records_lost);
    t.family("aigw_redis_connected_workers", "gauge", "Workers connected to Redis.");
    t.sample("aigw_redis_connected_workers", {},
             gw.redis_connected < 0 ? std::int64_t{0} : gw.redis_connected);
    t.family("aigw_workers", "gauge", "Worker processes of this node.");
    t.sample("aigw_workers", {}, s.workers);
    t.family("aigw_redis_command_duration_seconds", "histogram",
             "Time from sending a Redis command to its reply.");
    t.histogram_samples("aigw_redis_command_duration_seconds", {}, gw.redis_latency,
                        redis_bounds_us, 1e6);
    t.family("aigw_billing_settlements_total", "counter",
             "Billing settlements Redis applied (one per account and interval).");
    t.sample("aigw_billing_settlements_total", {}, gw.settlements);
    t.family("aigw_key_cache_lookups_total", "counter", "Key cache lookups: hit or miss.");
    t.sample("aigw_key_cache_lookups_total", {{"result", "hit"}}, gw.key_cache_hits);
    t.sample("aigw_key_cache_lookups_total", {{"result", "miss"}}, gw.key_cache_misses);
    return t.take();
}

}  // namespace aigw::status
