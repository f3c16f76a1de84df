// The metrics zone's layout, its name tables and the window ring; see metrics.hpp.
#include "aigw/status/metrics.hpp"

#include <cstring>
#include <ctime>

namespace aigw::status {

namespace {

constexpr std::size_t align8(std::size_t n) {
    return (n + 7) / 8 * 8;
}

// The names of a new zone's overflow slots.
void name_overflow(name_slot& s) {
    std::memcpy(s.data, overflow_name.data(), overflow_name.size());
    s.hash = name_hash(overflow_name);
    __atomic_store_n(&s.len, static_cast<std::uint32_t>(overflow_name.size()), __ATOMIC_RELEASE);
}

}  // namespace

std::optional<double> quantile(const std::uint64_t* bounds, std::size_t n,
                               const std::uint64_t* counts, double q) noexcept {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i <= n; i++) {
        total += counts[i];
    }
    if (total == 0) {
        return std::nullopt;
    }
    double rank = q * static_cast<double>(total);
    double seen = 0;
    for (std::size_t i = 0; i <= n; i++) {
        double c = static_cast<double>(counts[i]);
        if (c > 0 && seen + c >= rank) {
            if (i == n) {
                return static_cast<double>(bounds[n - 1]);
            }
            double lo = i == 0 ? 0.0 : static_cast<double>(bounds[i - 1]);
            double hi = static_cast<double>(bounds[i]);
            return lo + (hi - lo) * ((rank - seen) / c);
        }
        seen += c;
    }
    return static_cast<double>(bounds[n - 1]);
}

std::string_view token_type_name(token_type t) noexcept {
    switch (t) {
    case token_type::input: return "input";
    case token_type::output: return "output";
    case token_type::cached: return "cached";
    case token_type::cache_write: return "cache_write";
    case token_type::reasoning: return "reasoning";
    }
    return "input";
}

std::string_view ingress_name(ingress i) noexcept {
    switch (i) {
    case ingress::chat: return "chat";
    case ingress::completions: return "completions";
    case ingress::embeddings: return "embeddings";
    case ingress::models: return "models";
    case ingress::responses: return "responses";
    case ingress::messages: return "messages";
    case ingress::gemini: return "gemini";
    case ingress::other: return "other";
    }
    return "other";
}

capacities capacities_for(std::size_t bytes) noexcept {
    capacities c{};
    c.channels = static_cast<std::uint32_t>(bytes / 16384);
    c.models = static_cast<std::uint32_t>(bytes / 2048);
    c.groups = static_cast<std::uint32_t>(bytes / 2048);
    if (c.channels < 8) c.channels = 8;
    if (c.models < 16) c.models = 16;
    if (c.groups < 16) c.groups = 16;
    return c;
}

std::size_t zone_bytes(const capacities& caps) noexcept {
    return align8(sizeof(zone_header)) +
           caps.channels * (sizeof(name_slot) + sizeof(channel_counters) +
                            window_samples * sizeof(window_sample)) +
           caps.models * (sizeof(name_slot) + sizeof(model_counters)) +
           caps.groups * (sizeof(name_slot) + sizeof(group_counters));
}

zone lay_out(void* block, const capacities& caps) noexcept {
    auto* p = static_cast<unsigned char*>(block);
    zone z;
    z.header = reinterpret_cast<zone_header*>(p);
    p += align8(sizeof(zone_header));
    auto take = [&p](auto*& ptr, std::size_t count) {
        ptr = reinterpret_cast<std::remove_reference_t<decltype(ptr)>>(p);
        p += count * sizeof(*ptr);
    };
    take(z.channel_names, caps.channels);
    take(z.channels, caps.channels);
    take(z.window, window_samples * caps.channels);
    take(z.model_names, caps.models);
    take(z.models, caps.models);
    take(z.group_names, caps.groups);
    take(z.groups, caps.groups);

    if (z.header->layout != layout_version) {
        std::memset(block, 0, zone_bytes(caps));
        z.header->caps = caps;
        z.header->created_ms = static_cast<std::uint64_t>(std::time(nullptr)) * 1000;
        name_overflow(z.model_names[0]);
        name_overflow(z.group_names[0]);
        z.header->layout = layout_version;
    }
    return z;
}

std::uint32_t name_hash(std::string_view name) noexcept {
    std::uint32_t h = 2166136261u;  // FNV-1a
    for (unsigned char c : name) {
        h = (h ^ c) * 16777619u;
    }
    return h | 1;  // never 0
}

std::optional<std::uint32_t> find_name(const name_slot* table, std::uint32_t cap,
                                       std::string_view name) noexcept {
    if (name.empty() || name.size() > name_max || cap < 2) {
        return std::nullopt;
    }
    std::uint32_t h = name_hash(name);
    // Slot 0 is the overflow's; names probe slots 1 .. cap-1.
    std::uint32_t n = cap - 1;
    std::uint32_t i = h % n;
    for (std::uint32_t probes = 0; probes < n; probes++) {
        const name_slot& s = table[1 + i];
        std::uint32_t len = __atomic_load_n(&s.len, __ATOMIC_ACQUIRE);
        if (len == 0) {
            return std::nullopt;
        }
        if (s.hash == h && len == name.size() && std::memcmp(s.data, name.data(), len) == 0) {
            return 1 + i;
        }
        i = i + 1 == n ? 0 : i + 1;
    }
    return std::nullopt;
}

std::uint32_t add_name(name_slot* table, std::uint32_t cap, std::uint32_t& used,
                       std::string_view name) noexcept {
    if (name.empty() || name.size() > name_max || cap < 2) {
        return 0;
    }
    if (std::optional<std::uint32_t> found = find_name(table, cap, name)) {
        return *found;
    }
    if (names_full(cap, used)) {
        return 0;
    }
    std::uint32_t h = name_hash(name);
    std::uint32_t n = cap - 1;
    std::uint32_t i = h % n;
    for (std::uint32_t probes = 0; probes < n; probes++) {
        name_slot& s = table[1 + i];
        if (s.len == 0) {
            std::memcpy(s.data, name.data(), name.size());
            s.hash = h;
            __atomic_store_n(&s.len, static_cast<std::uint32_t>(name.size()), __ATOMIC_RELEASE);
            __atomic_store_n(&used, used + 1, __ATOMIC_RELAXED);
            return 1 + i;
        }
        i = i + 1 == n ? 0 : i + 1;
    }
    return 0;
}

void reset_channel(zone& z, std::uint32_t slot, std::string_view name) noexcept {
    if (name.size() > name_max) {
        name = name.substr(0, name_max);
    }
    std::uint32_t cap = z.header->caps.channels;
    std::memset(&z.channels[slot], 0, sizeof(channel_counters));
    for (std::size_t k = 0; k < window_samples; k++) {
        std::memset(&z.window[k * cap + slot], 0, sizeof(window_sample));
    }
    name_slot& s = z.channel_names[slot];
    __atomic_store_n(&s.len, 0u, __ATOMIC_RELEASE);
    std::memcpy(s.data, name.data(), name.size());
    s.hash = name_hash(name);
    __atomic_store_n(&s.len, static_cast<std::uint32_t>(name.size()), __ATOMIC_RELEASE);
}

void window_start(zone& z, std::uint64_t now_ms) noexcept {
    zone_header& h = *z.header;
    for (std::uint64_t t : h.window_time_ms) {
        if (t != 0) {
            return;
        }
    }
    std::memset(z.window, 0, window_samples * h.caps.channels * sizeof(window_sample));
    h.window_time_ms[0] = now_ms ? now_ms : 1;
    h.window_next = 1;
}

std::optional<std::uint32_t> window_base(zone& z, std::uint64_t now_ms) noexcept {
    zone_header& h = *z.header;
    std::uint32_t cap = h.caps.channels;
    std::uint32_t newest = (h.window_next + window_samples - 1) % window_samples;
    if (h.window_time_ms[newest] == 0 || now_ms < h.window_time_ms[newest] ||
        now_ms - h.window_time_ms[newest] >= window_step_ms) {
        std::uint32_t k = h.window_next;
        for (std::uint32_t c = 0; c < cap; c++) {
            const channel_counters& from = z.channels[c];
            window_sample& to = z.window[k * cap + c];
            for (std::size_t i = 0; i < attempt_outcome_count; i++) {
                to.outcomes[i] = load(from.outcomes[i]);
            }
            for (std::size_t i = 0; i <= duration_buckets; i++) {
                to.duration[i] = load(from.duration.counts[i]);
            }
            for (std::size_t i = 0; i <= ttft_buckets; i++) {
                to.ttft[i] = load(from.ttft.counts[i]);
            }
        }
        h.window_time_ms[k] = now_ms ? now_ms : 1;
        h.window_next = (k + 1) % window_samples;
    }
    std::optional<std::uint32_t> base;
    std::uint64_t base_time = 0;
    for (std::uint32_t k = 0; k < window_samples; k++) {
        std::uint64_t t = h.window_time_ms[k];
        if (t == 0 || t > now_ms || now_ms - t > window_ms) {
            continue;
        }
        if (!base || t < base_time) {
            base = k;
            base_time = t;
        }
    }
    return base;
}

}  // namespace aigw::status
