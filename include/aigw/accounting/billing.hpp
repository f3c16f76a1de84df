// Quotas and rate limits for a fleet of gateways sharing one Redis, without a Redis round trip
// per request.
//
// An account is a key or a group. It has three counters: money (micro-USD against `quota`,
// for the account's life), requests and tokens (against `rpm` and `tpm`, per fixed window of
// Redis time). Each worker holds a lease on each counter of the accounts it serves: an amount
// Redis granted to it alone, which it spends in memory. A settlement script (one EVALSHA per
// account and flush, never per request) atomically
//   - adds what the worker spent since its last settlement (money to `used`; requests and
//     tokens to the window's count), once per settlement number, so a retry never charges twice;
//   - sets the worker's lease to what it asks for, never more than the account has free once
//     every other worker's lease is counted (and, for headroom beyond requests already
//     waiting, at most half of what stays free, so the other holders get the rest);
//   - publishes an alert for each quota threshold or hourly budget the spend just crossed.
// A lease of money expires (lease_ttl) unless renewed, so a worker that dies returns its lease;
// a window's lease ends with the window.
//
// Bounds: admitted requests never reserve more than the quota (every reservation comes out of a
// granted lease); what a finished request costs beyond its reservation is charged in full, so
// `used` can pass `quota` only by the overruns of requests already admitted. Reserved but not
// spent: at most the sum of the workers' leases (each its in-flight reservations, the requests
// waiting, and headroom of about twice its spend per flush interval, capped at half the free
// balance). A request that would fit once other workers' headroom is back waits for it
// (verdict::later) while its own worker gives its headroom back. A quota change or a top-up is
// seen at the next settlement (flush interval) or when a lease runs short, whichever is first.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aigw::billing {

enum counter : int { money = 0, requests = 1, tokens = 2 };
inline constexpr int ncounters = 3;
using amounts = std::array<std::int64_t, ncounters>;

inline constexpr std::int64_t unlimited = -1;

struct counter_state {
    std::int64_t limit = unlimited;  // quota, rpm or tpm, as of the last reply
    std::int64_t hold = 0;           // the lease Redis granted this holder (unspent there)
    std::int64_t reserved = 0;       // money reserved by requests in flight
    std::int64_t pending = 0;        // spent, not yet in a settlement
    std::int64_t sending = 0;        // spent, in the settlement in flight
    std::int64_t free = 0;           // what the account had free fleet-wide after our grant
    std::int64_t recent = 0;         // booked since the last settlement went (sizes headroom)
    std::int64_t largest = 0;        // the largest single booking seen
    std::int64_t available() const { return hold - reserved - pending - sending; }
};

struct account {
    counter_state c[ncounters];
    bool known = false;              // a settlement reply came
    bool gone = false;               // Redis has no such account hash
    bool inflight = false;           // a settlement is on its way
    bool resend = false;             // the last one failed: send it again, same number
    bool releasing = false;          // the one in flight gives headroom back
    std::uint64_t seq = 0;           // number of the last settlement built (from the holder)
    std::int64_t reply_at = 0;       // local ms of the last reply
    std::int64_t valid_until = 0;    // the leases are ours until then (local ms)
    std::int64_t reset_at = 0;       // when the rate-limit window ends (local ms)
    std::int64_t last_use = 0;       // local ms of the last booking
    std::int64_t settled_at = 0;     // local ms the last settlement was built
    std::int64_t others_spare = 0;   // money other holders lease beyond what they owe
};

enum class verdict {
    ok,             // the leases cover it: book it
    refresh,        // ask Redis first (no lease yet, lease short, expired, window over)
    later,          // money: not free now, but other workers hold headroom they give back
                    // when idle; ask again on the next tick
    no_quota,       // money: nothing free fleet-wide (402)
    rate_limited,   // requests or tokens: the window is used up (429)
};

struct timing {
    std::int64_t flush_ms = 1000;    // settlement interval
    std::int64_t lease_ttl_ms = 30000;
};

// Whether `need` fits in the account's leases now. A short lease is only answered with a
// refusal when the last reply is younger than a flush interval and said the account had too
// little free; otherwise Redis is asked. `retry_after_ms` is set for rate_limited.
verdict check(const account& a, const amounts& need, std::int64_t now, const timing& t,
              std::int64_t* retry_after_ms = nullptr);

// Takes `need` from the leases (after check said ok): money is reserved until finish(),
// requests and tokens count as spent at once.
void book(account& a, const amounts& need, std::int64_t now);

// The request ended: its reservation is released and what it really cost is spent
// (`actual` may exceed `booked`; requests and tokens are trued up by the difference).
void finish(account& a, const amounts& booked, const amounts& actual);

// One settlement, the script's arguments per counter.
struct settlement {
    std::uint64_t seq = 0;
    amounts spent{};   // to add to used / the window count
    amounts keep{};    // reservations in flight: always granted
    amounts need{};    // the first waiting request: granted only whole
    amounts more{};    // the other waiting requests
    amounts extra{};   // headroom
    amounts owed{};    // what of the lease is spent or reserved (the rest is headroom)
};

// Starts a settlement (the account must have none in flight): the pending spend moves to
// `sending`, unless the previous one failed, which is sent again as it was (same number, same
// spend: the script applies a number once). A new number is taken from `holder_seq`, the
// holder's one counter for all its accounts: Redis remembers the last number it applied per
// holder and account for a day, so an account entry dropped and made again must go on above
// every number this holder ever sent, or its spend would be ignored as a repeat.
// `waiting_first`/`waiting_rest` are the needs of requests waiting on this account;
// `releasing` asks for no headroom (idle or exiting).
// Headroom is about a flush interval's worth of recent bookings, at least the largest one.
settlement begin_settlement(account& a, std::uint64_t& holder_seq, const amounts& waiting_first,
                            const amounts& waiting_rest, bool releasing, std::int64_t now,
                            const timing& t);

struct reply {
    bool gone = false;
    amounts grant{};
    amounts limit{unlimited, unlimited, unlimited};
    amounts free{};
    std::int64_t reset_ms = 0;               // until the window ends
    std::int64_t others_spare = 0;           // money other holders lease beyond what they owe
    std::vector<std::string> alerts;         // JSON messages the script published
};

// Reads the script's answer (an array of integers, then alert strings); false if malformed.
bool parse_reply(const std::vector<std::int64_t>& ints, std::vector<std::string> alerts,
                 reply* out);

void settled(account& a, const reply& r, std::int64_t now, const timing& t);
void settlement_failed(account& a);

// Whether the periodic flush should settle this account now: spend waiting, a failed
// settlement, a lease to renew before it expires, or headroom to give back when idle.
bool wants_settlement(const account& a, std::int64_t now, const timing& t);

// Nothing held, owed or waited on, unused for two lease lifetimes: the entry can go.
bool evictable(const account& a, std::int64_t now, const timing& t);

// What x-ratelimit-remaining-* report for a window counter: the fleet's free count at the
// last reply plus what this holder has not spent of its lease.
std::int64_t remaining(const account& a, counter c);

// "250ms", "1s", "1.5s", "6m0s", "1h2m3s": how OpenAI's x-ratelimit-reset-* spell a duration
// (Go's). Negative counts as 0.
std::string format_reset(std::int64_t ms);

// The settlement script (Lua, run with EVALSHA). KEYS: the account hash, its lease hash.
// ARGV: kind ("key"|"group"), group name (for a group), holder id, settlement number, lease
// ttl ms, window ms, default rpm, default tpm (0: none), alert thresholds ("80,100"), then per counter (money, requests,
// tokens) spent, keep, need, more, extra, owed. Replies {gone, then per counter grant, limit,
// free, then reset ms, other holders' spare money, then the alert messages}.
std::string_view settlement_script();
inline constexpr int script_fixed_args = 9;
inline constexpr int script_args_per_counter = 6;
inline constexpr int script_args = script_fixed_args + script_args_per_counter * ncounters;

}  // namespace aigw::billing
