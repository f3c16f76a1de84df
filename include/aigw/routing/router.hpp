// Channel choice for one request: priority tiers, smooth weighted round-robin within a tier,
// failures and Retry-After setting channels aside, fallback without trying a channel twice.
//
// The state lives in shared memory, one channel_state per channel, shared by all workers: it is
// plain data (all-zero bytes is the fresh state) and every function here takes the arrays and
// the time. Callers serialize calls that touch the same states (the zone's mutex); `now_ms`
// comes from a clock every worker shares and that never goes back (ngx_current_msec is one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace aigw {

// A request's tried set is a 64-bit mask over candidate positions.
inline constexpr std::size_t max_candidates = 64;

// A 429 may ask for a day; a channel is set aside for at most this long, then tried again.
inline constexpr std::uint64_t max_retry_after_ms = 3600 * 1000;

// Defaults are NGINX's for an upstream server: weight=1 max_fails=1 fail_timeout=10s.
struct channel_conf {
    std::uint32_t weight = 1;          // 0 counts as 1
    std::uint32_t priority = 0;        // lower values are tried first
    std::uint32_t max_fails = 1;       // 0: failures never set the channel aside
    std::uint64_t fail_timeout_ms = 10000;  // window for max_fails, and how long aside after
};

struct channel_state {
    std::int64_t current_weight;   // smooth weighted round-robin
    std::uint64_t window_start_ms; // first failure of the current fail_timeout window
    std::uint64_t last_fail_ms;    // 0: never failed
    std::uint64_t down_until_ms;   // max_fails reached, or a probe is out: skipped before this
    std::uint64_t retry_until_ms;  // a 429's Retry-After: skipped before this
    std::uint32_t fails;           // in the window; once tripped, until a success
    std::uint32_t reserved;
};
static_assert(std::is_trivial_v<channel_state> && std::is_standard_layout_v<channel_state>,
              "channel_state lives in shared memory");

struct pick_result {
    bool found = false;
    std::size_t position = 0;     // in candidates: set bit `position` in the request's tried mask
    std::uint32_t channel = 0;    // candidates[position]
    bool forced = false;          // every candidate was set aside; this one is tried anyway
};

// The next channel for a request, or found=false when none is left.
//  - Candidates already tried (bit i of `tried` for candidates[i]) are never picked again.
//  - Channels set aside (max_fails within fail_timeout, a probe out, Retry-After) are skipped.
//  - The lowest priority value that still has an eligible candidate wins; within it smooth
//    weighted round-robin (NGINX's: current += weight, take the max, max -= total) spreads
//    picks exactly by weight, even over a few requests.
//  - A tripped channel whose time aside has passed is picked as a probe: it is held aside
//    again for fail_timeout so one request tests it while the others go elsewhere.
//  - When nothing is tried yet and every candidate is set aside, the one that comes back
//    soonest (then: failed longest ago, lower priority value, earlier in the list) is tried
//    anyway, flagged `forced`: one request tests it rather than every request failing until
//    a timer runs out. Later picks of that request find nothing (no sweep of dead channels).
//  - Candidates in `excluded` (bit i for candidates[i]: a channel that cannot serve this
//    request at all) are never picked, and do not count as tried.
// `candidates` hold channel indexes into `confs`/`states`; at most max_candidates are used.
pick_result pick(const channel_conf* confs, channel_state* states,
                 const std::uint32_t* candidates, std::size_t count, std::uint64_t tried,
                 std::uint64_t now_ms, std::uint64_t excluded = 0);

// A failed try (connect error, timeout, 5xx, 429) on `channel`. max_fails failures within
// fail_timeout set it aside for fail_timeout; a failed probe does so at once. A non-zero
// `retry_after_ms` (from a 429, capped at max_retry_after_ms) sets it aside that long too.
void report_failure(const channel_conf* confs, channel_state* states, std::uint32_t channel,
                    std::uint64_t now_ms, std::uint64_t retry_after_ms);

// A 429 on `channel`: it works, but its provider's limit is reached. It is set aside for the
// Retry-After (capped at max_retry_after_ms; default_rate_limit_ms when the 429 gave none),
// without counting toward max_fails: a rate limit says nothing about the channel's health.
inline constexpr std::uint64_t default_rate_limit_ms = 1000;
void report_rate_limited(channel_state* states, std::uint32_t channel, std::uint64_t now_ms,
                         std::uint64_t retry_after_ms);

// A successful try on `channel` that was picked at `picked_at_ms`. Only a request picked after
// the last failure proves anything: it clears a trip and any Retry-After. Successes do not
// reset the count of an untripped channel (max_fails counts failures within fail_timeout).
void report_success(const channel_conf* confs, channel_state* states, std::uint32_t channel,
                    std::uint64_t picked_at_ms);

// Not set aside at `now_ms`.
bool channel_available(const channel_state& s, std::uint64_t now_ms);

// max_fails reached and no success since (down, probing, or due a probe).
bool channel_tripped(const channel_conf& c, const channel_state& s);

// Milliseconds from the Retry-After family of headers: `retry-after-ms` (OpenAI's) when it is
// a number, else `retry-after` as delta-seconds (fractions accepted). nullopt when neither is
// usable; an HTTP-date is left to the caller (it needs the wall clock).
std::optional<std::uint64_t> parse_retry_after(std::string_view retry_after,
                                               std::string_view retry_after_ms);

}  // namespace aigw
