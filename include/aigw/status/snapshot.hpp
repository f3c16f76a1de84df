// A copy of the metrics zone at one moment, with what the configuration and the routing state
// add (provider, location, whether a channel is set aside), and its two renderings: JSON for
// the status page and tools, Prometheus's text format for scrapers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aigw/routing/router.hpp"
#include "aigw/status/metrics.hpp"

namespace aigw::status {

enum class channel_state_kind : std::uint8_t { available, set_aside, probing };
std::string_view channel_state_name(channel_state_kind s) noexcept;

// What the router's state says of a channel at `now_ms`: set aside (failures or a 429's
// Retry-After, `aside_ms` left), probing (tripped, and one request tests it: out now or due
// with the next pick), or available.
channel_state_kind channel_health(const channel_conf& conf, const channel_state& state,
                                  std::uint64_t now_ms, std::uint64_t& aside_ms) noexcept;

struct channel_view {
    std::string name;
    std::string provider;                  // OpenTelemetry's gen_ai.provider.name value
    std::string location;
    channel_state_kind state = channel_state_kind::available;
    std::uint64_t set_aside_ms = 0;        // left, while set aside
    std::uint32_t consecutive_failures = 0;
    channel_counters counters{};
    std::optional<window_sample> window;   // the counts over the window, if there is one
};

struct model_view {
    std::string name;
    model_counters counters{};
};

struct group_view {
    std::string name;
    group_counters counters{};
};

struct snapshot {
    std::uint64_t time_ms = 0;             // wall clock
    std::uint64_t uptime_s = 0;            // since the zone was laid out
    std::uint64_t window_s = 0;            // what the channels' windows span
    std::uint32_t workers = 0;
    gateway_counters gateway{};
    std::vector<channel_view> channels;
    std::vector<model_view> models;        // slots in use, overflow included when it counted
    std::vector<group_view> groups;
};

// Word-by-word relaxed copies of a zone's counters (the writers do not stop for a reader).
template <class T>
T copy_counters(const T& from) noexcept {
    static_assert(sizeof(T) % 8 == 0, "counters are 8-byte words");
    T to;
    auto* src = reinterpret_cast<const std::uint64_t*>(&from);
    auto* dst = reinterpret_cast<std::uint64_t*>(&to);
    for (std::size_t i = 0; i < sizeof(T) / 8; i++) {
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
    }
    return to;
}

// The models and groups of `z` that were counted (any request), in slot order.
void read_names(const zone& z, snapshot& s);

// A window sample: the counts now less those at `base`.
window_sample window_since(const channel_counters& now, const window_sample& base) noexcept;

std::string render_json(const snapshot& s);
std::string render_prometheus(const snapshot& s);

}  // namespace aigw::status
