// The gateway's counters, as they live in the metrics zone (shared memory, one per node): per
// channel, per public model, per key group, and the gateway's own. Every worker adds to them
// on the request path without a lock (relaxed atomic adds on 8-byte words); the status
// handler reads them all into a snapshot (status/render.hpp writes it as JSON or Prometheus).
//
// Everything here is plain data, all-zero bytes being the fresh state, laid out by lay_out()
// in one block whose size depends only on the capacities: a reload that keeps the zone's size
// keeps the block and its counts.
//
// Names (channels, models, groups) sit in open-addressing tables of fixed capacity. Readers
// find a name without a lock (a slot's length is published after its bytes); adding one is the
// caller's to serialize (the zone's mutex). A table that is full, or a name longer than
// name_max, counts under the reserved slot 0, named overflow_name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "aigw/status/attempts.hpp"

namespace aigw::status {

// Relaxed atomics: counts need no ordering with anything else, only no lost update.
inline void add(std::uint64_t& x, std::uint64_t v) noexcept {
    __atomic_fetch_add(&x, v, __ATOMIC_RELAXED);
}
inline void add(std::int64_t& x, std::int64_t v) noexcept {
    __atomic_fetch_add(&x, v, __ATOMIC_RELAXED);
}
inline std::uint64_t load(const std::uint64_t& x) noexcept {
    return __atomic_load_n(&x, __ATOMIC_RELAXED);
}
inline std::int64_t load(const std::int64_t& x) noexcept {
    return __atomic_load_n(&x, __ATOMIC_RELAXED);
}

// Bucket bounds: OpenTelemetry's advisory boundaries for the GenAI metrics (seconds there,
// milliseconds here), and a Redis command's in microseconds.
inline constexpr std::uint64_t duration_bounds_ms[] = {10,   20,   40,    80,    160,   320,  640,
                                                       1280, 2560, 5120, 10240, 20480, 40960, 81920};
inline constexpr std::uint64_t ttft_bounds_ms[] = {1,   5,   10,  20,   40,   60,   80,   100,
                                                   250, 500, 750, 1000, 2500, 5000, 7500, 10000};
inline constexpr std::uint64_t token_bounds[] = {1,      4,       16,      64,       256,
                                                 1024,   4096,    16384,   65536,    262144,
                                                 1048576, 4194304, 16777216, 67108864};
inline constexpr std::uint64_t redis_bounds_us[] = {100,   250,   500,    1000,   2500,   5000,
                                                    10000, 25000, 50000, 100000, 250000, 1000000};
inline constexpr std::size_t duration_buckets = std::size(duration_bounds_ms);
inline constexpr std::size_t ttft_buckets = std::size(ttft_bounds_ms);
inline constexpr std::size_t token_buckets = std::size(token_bounds);
inline constexpr std::size_t redis_buckets = std::size(redis_bounds_us);

// counts[i]: observations in (bounds[i-1], bounds[i]]; counts[N]: above the last bound.
template <std::size_t N>
struct histogram {
    std::uint64_t count;
    std::uint64_t sum;
    std::uint64_t counts[N + 1];
};

template <std::size_t N>
inline void observe(histogram<N>& h, const std::uint64_t (&bounds)[N], std::uint64_t v) noexcept {
    std::size_t i = 0;
    while (i < N && v > bounds[i]) {
        i++;
    }
    add(h.counts[i], 1);
    add(h.count, 1);
    add(h.sum, v);
}

// The value below which `q` (0..1) of the observations in `counts` fall, interpolated within
// its bucket as Prometheus's histogram_quantile does; the last bound for the overflow bucket.
// nullopt when there are none.
std::optional<double> quantile(const std::uint64_t* bounds, std::size_t n,
                               const std::uint64_t* counts, double q) noexcept;

enum class token_type : std::uint8_t { input, output, cached, cache_write, reasoning };
inline constexpr std::size_t token_type_count = 5;
std::string_view token_type_name(token_type t) noexcept;   // "input", "output", "cached", ...

// The API a request came in through (its endpoint's family).
enum class ingress : std::uint8_t {
    chat, completions, embeddings, models, responses, messages, gemini, other
};
inline constexpr std::size_t ingress_count = 8;
std::string_view ingress_name(ingress i) noexcept;

inline constexpr std::size_t name_max = 119;
inline constexpr std::string_view overflow_name = "_other";

struct name_slot {
    std::uint32_t len;    // 0: free; written last, with release order
    std::uint32_t hash;
    char data[name_max + 1];
};

struct channel_counters {
    std::uint64_t outcomes[attempt_outcome_count];   // attempts, by how they ended
    std::uint64_t swallowed;                         // failed attempts another channel replaced
    std::int64_t inflight;
    histogram<duration_buckets> duration;            // pick to the attempt's end
    histogram<ttft_buckets> ttft;                    // pick to the first content-bearing event
};

struct model_counters {
    std::uint64_t requests;
    std::uint64_t tokens[token_type_count];
    std::uint64_t cost;                              // micro-USD
    histogram<token_buckets> input_usage;            // tokens per request
    histogram<token_buckets> output_usage;
};

struct group_counters {
    std::uint64_t requests;
    std::uint64_t tokens[token_type_count];
    std::uint64_t cost;
    std::uint64_t refused_402;                       // quota or budget refused the request
    std::uint64_t refused_429;                       // the gateway's rpm/tpm refused it
};

struct gateway_counters {
    std::uint64_t requests;
    std::uint64_t ingress[ingress_count];
    std::uint64_t translations;
    std::int64_t records_queued;                     // in the workers' queues now
    std::uint64_t records_delivered;
    std::uint64_t records_lost;
    std::int64_t redis_connected;                    // workers with a connection now
    histogram<redis_buckets> redis_latency;          // per command, microseconds
    std::uint64_t settlements;
    std::uint64_t key_cache_hits;
    std::uint64_t key_cache_misses;
};

// A channel's buckets at one time: the window (the last minutes) is the counts now less those
// of the oldest sample in it.
struct window_sample {
    std::uint64_t outcomes[attempt_outcome_count];
    std::uint64_t duration[duration_buckets + 1];
    std::uint64_t ttft[ttft_buckets + 1];
};

// Samples are taken every window_step_ms by whoever reads the status; the window reaches back
// at most window_ms.
inline constexpr std::uint64_t window_step_ms = 15000;
inline constexpr std::uint64_t window_ms = 300000;
inline constexpr std::size_t window_samples = window_ms / window_step_ms + 2;

struct capacities {
    std::uint32_t channels;
    std::uint32_t models;     // slot 0 included (the overflow)
    std::uint32_t groups;
};

// What a zone of `bytes` holds: channels, models and groups in fixed proportions.
capacities capacities_for(std::size_t bytes) noexcept;

struct zone_header {
    std::uint64_t layout;             // layout_version once laid out
    std::uint64_t created_ms;         // wall clock, when the zone was first laid out
    capacities caps;
    std::uint32_t window_next;        // ring position of the next sample
    std::uint32_t models_used;        // names in the models' table (overflow not counted)
    std::uint32_t groups_used;        // ... in the groups' table
    std::uint64_t window_time_ms[window_samples];   // 0: no sample there
    gateway_counters gateway;
};

inline constexpr std::uint64_t layout_version = 0x61696777'00000002ULL;

// Pointers into one block laid out for `caps`.
struct zone {
    zone_header* header = nullptr;
    name_slot* channel_names = nullptr;
    channel_counters* channels = nullptr;
    window_sample* window = nullptr;        // [window_samples][caps.channels]
    name_slot* model_names = nullptr;
    model_counters* models = nullptr;
    name_slot* group_names = nullptr;
    group_counters* groups = nullptr;
};

std::size_t zone_bytes(const capacities& caps) noexcept;

// Lays out `block` (zone_bytes(caps) bytes, zeroed for a new zone). A block already laid out
// for the same capacities keeps its counts; one that is zero gets its header and the overflow
// slots' names.
zone lay_out(void* block, const capacities& caps) noexcept;

std::uint32_t name_hash(std::string_view name) noexcept;

// The slot of `name` in a table of `cap` slots, without a lock; nullopt when it is not there.
std::optional<std::uint32_t> find_name(const name_slot* table, std::uint32_t cap,
                                       std::string_view name) noexcept;

// The slot of `name`, added if needed (the caller holds the lock that serializes adds); slot 0
// (overflow_name) when the table is full or the name too long or empty. `used` is the table's
// count of names (the header's models_used or groups_used).
std::uint32_t add_name(name_slot* table, std::uint32_t cap, std::uint32_t& used,
                       std::string_view name) noexcept;

// Whether a table takes no more names (one slot stays free so that a lookup always ends): a
// name not found then counts under the overflow without taking the lock. No lock needed.
inline bool names_full(std::uint32_t cap, const std::uint32_t& used) noexcept {
    return cap < 2 || __atomic_load_n(&used, __ATOMIC_RELAXED) + 2 >= cap;
}

inline std::string_view slot_name(const name_slot& s) noexcept {
    return {s.data, __atomic_load_n(&s.len, __ATOMIC_ACQUIRE)};
}

// Channels are placed by the configuration, not hashed: the slot already named `name`, else
// a free one, else one `in_use` says no current channel uses (its counts reset). Under the
// lock. cap when none is left.
template <class InUse>
std::uint32_t place_channel(zone& z, std::string_view name, InUse&& in_use) noexcept;

// Takes a sample of every channel into the window ring when the newest is window_step_ms old
// (or none is there), and returns the sample the window starts at: the oldest no older than
// window_ms, or nullopt (none yet). Under the lock.
std::optional<std::uint32_t> window_base(zone& z, std::uint64_t now_ms) noexcept;

// A zone whose ring is empty (new) starts it with an all-zero sample at `now_ms`: its window
// then reaches back to the zone's start until window_ms have passed.
void window_start(zone& z, std::uint64_t now_ms) noexcept;

// --- implementation of the template ---

void reset_channel(zone& z, std::uint32_t slot, std::string_view name) noexcept;

template <class InUse>
std::uint32_t place_channel(zone& z, std::string_view name, InUse&& in_use) noexcept {
    std::uint32_t cap = z.header->caps.channels;
    for (std::uint32_t s = 0; s < cap; s++) {
        if (slot_name(z.channel_names[s]) == name) {
            return s;
        }
    }
    for (std::uint32_t s = 0; s < cap; s++) {
        if (z.channel_names[s].len == 0) {
            reset_channel(z, s, name);
            return s;
        }
    }
    for (std::uint32_t s = 0; s < cap; s++) {
        if (!in_use(s)) {
            reset_channel(z, s, name);
            return s;
        }
    }
    return cap;
}

static_assert(std::is_trivial_v<zone_header> && std::is_trivial_v<channel_counters> &&
                  std::is_trivial_v<model_counters> && std::is_trivial_v<group_counters> &&
                  std::is_trivial_v<window_sample> && std::is_trivial_v<name_slot>,
              "the metrics live in shared memory");

}  // namespace aigw::status
