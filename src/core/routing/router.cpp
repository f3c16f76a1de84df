#include "aigw/routing/router.hpp"

#include <algorithm>

namespace aigw {

namespace {

std::int64_t weight_of(const channel_conf& c) { return c.weight == 0 ? 1 : c.weight; }

std::uint64_t available_at(const channel_state& s) {
    return std::max(s.down_until_ms, s.retry_until_ms);
}

bool is_tried(std::uint64_t tried, std::size_t position) { return (tried >> position) & 1u; }

// "12", "1.5", " 30 ": milliseconds, saturating rather than wrapping on absurd values.
std::optional<std::uint64_t> parse_number(std::string_view s, std::uint64_t unit_ms) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    constexpr std::uint64_t limit = std::uint64_t{1} << 50;  // ~35,000 years of milliseconds
    std::uint64_t whole = 0;
    std::size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        whole = std::min(limit, whole * 10 + static_cast<std::uint64_t>(s[i] - '0'));
    }
    if (i == 0) {
        return std::nullopt;
    }
    std::uint64_t frac_ms = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        std::size_t digits = 0;
        std::uint64_t scale = unit_ms;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
            scale /= 10;
            frac_ms += scale * static_cast<std::uint64_t>(s[i] - '0');
        }
        if (digits == 0) {
            return std::nullopt;
        }
    }
    if (i != s.size()) {
        return std::nullopt;
    }
    return std::min(limit, whole * unit_ms + frac_ms);
}

}  // namespace

bool channel_available(const channel_state& s, std::uint64_t now_ms) {
    return now_ms >= available_at(s);
}

bool channel_tripped(const channel_conf& c, const channel_state& s) {
    return c.max_fails > 0 && s.fails >= c.max_fails;
}

pick_result pick(const channel_conf* confs, channel_state* states,
                 const std::uint32_t* candidates, std::size_t count, std::uint64_t tried,
                 std::uint64_t now_ms, std::uint64_t excluded) {
    count = std::min(count, max_candidates);
    std::uint64_t attempted = tried & ~excluded;
    tried |= excluded;

    bool any = false;
    std::uint32_t tier = 0;
    for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t ch = candidates[i];
        if (is_tried(tried, i) || !channel_available(states[ch], now_ms)) continue;
        if (!any || confs[ch].priority < tier) tier = confs[ch].priority;
        any = true;
    }

    pick_result r;
    if (any) {
        std::int64_t total = 0;
        for (std::size_t i = 0; i < count; ++i) {
            std::uint32_t ch = candidates[i];
            if (is_tried(tried, i) || !channel_available(states[ch], now_ms) ||
                confs[ch].priority != tier) {
                continue;
            }
            states[ch].current_weight += weight_of(confs[ch]);
            total += weight_of(confs[ch]);
            if (!r.found || states[ch].current_weight > states[r.channel].current_weight) {
                r.found = true;
                r.position = i;
                r.channel = ch;
            }
        }
        channel_state& best = states[r.channel];
        best.current_weight -= total;
        if (channel_tripped(confs[r.channel], best)) {
            best.down_until_ms = now_ms + confs[r.channel].fail_timeout_ms;
        }
        return r;
    }

    bool untouched = (count == max_candidates)
                         ? attempted == 0
                         : (attempted & ((std::uint64_t{1} << count) - 1)) == 0;
    if (!untouched) {
        return r;
    }
    // Everything is aside and this request has tried nothing: try the likeliest to be back.
    for (std::size_t i = 0; i < count; ++i) {
        if (is_tried(excluded, i)) continue;
        std::uint32_t ch = candidates[i];
        if (!r.found) {
            r.found = true;
            r.position = i;
            r.channel = ch;
            continue;
        }
        const channel_state& a = states[ch];
        const channel_state& b = states[r.channel];
        bool better = available_at(a) != available_at(b) ? available_at(a) < available_at(b)
                      : a.last_fail_ms != b.last_fail_ms ? a.last_fail_ms < b.last_fail_ms
                      : confs[ch].priority < confs[r.channel].priority;
        if (better) {
            r.position = i;
            r.channel = ch;
        }
    }
    r.forced = r.found;
    return r;
}

void report_failure(const channel_conf* confs, channel_state* states, std::uint32_t channel,
                    std::uint64_t now_ms, std::uint64_t retry_after_ms) {
    const channel_conf& c = confs[channel];
    channel_state& s = states[channel];
    bool tripped = channel_tripped(c, s);
    // A tripped channel keeps its count: the next failure (its probe's) sets it aside again.
    if (!tripped && (s.fails == 0 || now_ms - s.window_start_ms >= c.fail_timeout_ms)) {
        s.fails = 0;
        s.window_start_ms = now_ms;
    }
    if (s.fails < UINT32_MAX) ++s.fails;
    s.last_fail_ms = now_ms;
    if (channel_tripped(c, s)) {
        s.down_until_ms = std::max(s.down_until_ms, now_ms + c.fail_timeout_ms);
    }
    if (retry_after_ms > 0) {
        s.retry_until_ms =
            std::max(s.retry_until_ms, now_ms + std::min(retry_after_ms, max_retry_after_ms));
    }
}

void report_rate_limited(channel_state* states, std::uint32_t channel, std::uint64_t now_ms,
                         std::uint64_t retry_after_ms) {
    channel_state& s = states[channel];
    std::uint64_t wait = retry_after_ms ? std::min(retry_after_ms, max_retry_after_ms)
                                        : default_rate_limit_ms;
    s.retry_until_ms = std::max(s.retry_until_ms, now_ms + wait);
    // Successes of requests picked before now do not clear it (report_success).
    s.last_fail_ms = std::max(s.last_fail_ms, now_ms);
}

void report_success(const channel_conf* confs, channel_state* states, std::uint32_t channel,
                    std::uint64_t picked_at_ms) {
    channel_state& s = states[channel];
    // A request picked before the last failure says nothing about the channel since.
    if (picked_at_ms <= s.last_fail_ms) {
        return;
    }
    s.retry_until_ms = 0;
    if (channel_tripped(confs[channel], s)) {
        s.fails = 0;
        s.window_start_ms = 0;
        s.down_until_ms = 0;
    }
}

std::optional<std::uint64_t> parse_retry_after(std::string_view retry_after,
                                               std::string_view retry_after_ms) {
    if (auto ms = parse_number(retry_after_ms, 1)) {
        return ms;
    }
    return parse_number(retry_after, 1000);
}

}  // namespace aigw
