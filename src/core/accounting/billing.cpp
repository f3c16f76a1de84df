#include "aigw/accounting/billing.hpp"

#include <algorithm>
#include <charconv>

namespace aigw::billing {

namespace {

bool is_window(int c) {
    return c != money;
}

// A lease is trusted until a quarter of its life before Redis would drop it, so clocks that
// drift a little and a renewal that is late do not spend a lease Redis already gave back.
std::int64_t trusted_ms(const timing& t) {
    return t.lease_ttl_ms - t.lease_ttl_ms / 4;
}

}  // namespace

verdict check(const account& a, const amounts& need, std::int64_t now, const timing& t,
              std::int64_t* retry_after_ms) {
    if (a.gone) {
        return verdict::ok;  // no account hash: nothing to limit (the key check owns deletion)
    }
    if (!a.known || now >= a.valid_until || (a.inflight && a.releasing)) {
        return verdict::refresh;  // (a lease being given back is not booked against)
    }
    bool fresh = now - a.reply_at < t.flush_ms;
    verdict out = verdict::ok;
    for (int c = 0; c < ncounters; c++) {
        const counter_state& s = a.c[c];
        if (s.limit == unlimited || need[c] <= 0) {
            continue;
        }
        if (is_window(c) && now >= a.reset_at) {
            return verdict::refresh;  // the window the lease was for is over
        }
        if (s.available() >= need[c]) {
            continue;
        }
        // Short. Refuse without asking only when Redis just said there is too little free.
        std::int64_t in_reach = s.free + std::max<std::int64_t>(s.available(), 0);
        if (!fresh || in_reach >= need[c]) {
            return verdict::refresh;
        }
        if (c == money) {
            // Other workers' headroom comes back when they idle: worth waiting for.
            if (in_reach + a.others_spare >= need[c]) {
                return verdict::later;
            }
            out = verdict::no_quota;
        } else if (out == verdict::ok) {
            out = verdict::rate_limited;
            if (retry_after_ms != nullptr) {
                *retry_after_ms = std::max<std::int64_t>(a.reset_at - now, 1);
            }
        }
    }
    return out;
}

void book(account& a, const amounts& need, std::int64_t now) {
    a.last_use = now;
    for (int c = 0; c < ncounters; c++) {
        counter_state& s = a.c[c];
        if (c == money) {
            s.reserved += need[c];
        } else {
            s.pending += need[c];
        }
        s.recent += need[c];
        s.largest = std::max(s.largest, need[c]);
    }
}

void finish(account& a, const amounts& booked, const amounts& actual) {
    for (int c = 0; c < ncounters; c++) {
        counter_state& s = a.c[c];
        if (c == money) {
            s.reserved -= booked[c];
            s.pending += actual[c];
        } else {
            s.pending += actual[c] - booked[c];
        }
    }
}

settlement begin_settlement(account& a, std::uint64_t& holder_seq, const amounts& waiting_first,
                            const amounts& waiting_rest, bool releasing, std::int64_t now,
                            const timing& t) {
    settlement st;
    // Headroom is a flush interval's worth of what was booked since the last settlement, so
    // a busy account settles about once per interval, not each time its lease runs short.
    // (The interval it extrapolates from is at least a tenth of a flush.)
    std::int64_t elapsed = std::max(now - a.settled_at, std::max<std::int64_t>(t.flush_ms / 10, 1));
    a.settled_at = now;
    if (!a.resend) {
        a.seq = ++holder_seq;
        for (counter_state& s : a.c) {
            s.sending = s.pending;
            s.pending = 0;
        }
    }
    st.seq = a.seq;
    a.releasing = releasing;
    for (int c = 0; c < ncounters; c++) {
        counter_state& s = a.c[c];
        st.spent[c] = s.sending;
        // What this holder must keep: reservations in flight and spend Redis has not seen
        // yet; and, unless it gives headroom back, all of its unspent lease, which requests
        // may be booking against while this settlement travels.
        std::int64_t owed = s.reserved + s.pending;
        st.keep[c] = releasing ? owed : std::max(s.hold - s.sending, owed);
        st.keep[c] = std::max<std::int64_t>(st.keep[c], 0);
        // What is kept beyond what is owed already covers part of the waiting requests: ask
        // only for the rest, or a request that almost fits would never be granted.
        std::int64_t spare = std::max<std::int64_t>(st.keep[c] - owed, 0);
        st.need[c] = std::max<std::int64_t>(waiting_first[c] - spare, 0);
        spare = std::max<std::int64_t>(spare - waiting_first[c], 0);
        st.more[c] = std::max<std::int64_t>(waiting_rest[c] - spare, 0);
        // Headroom: what this holder spent over the last interval, at least one request's
        // worth, so a steady stream is served from memory between settlements.
        std::int64_t rate = s.recent > 0 ? s.recent * std::min(t.flush_ms / elapsed + 1, std::int64_t{10}) : 0;
        st.extra[c] = releasing ? 0 : std::max(rate, s.largest);
        st.owed[c] = owed;
        s.recent = 0;
    }
    a.inflight = true;
    return st;
}

bool parse_reply(const std::vector<std::int64_t>& ints, std::vector<std::string> alerts,
                 reply* out) {
    if (ints.size() != 3 + 3 * ncounters) {
        return false;
    }
    out->gone = ints[0] != 0;
    for (int c = 0; c < ncounters; c++) {
        out->grant[c] = ints[1 + 3 * c];
        out->limit[c] = ints[2 + 3 * c] < 0 ? unlimited : ints[2 + 3 * c];
        out->free[c] = ints[3 + 3 * c];
        if (out->grant[c] < 0) {
            return false;
        }
    }
    out->reset_ms = ints[1 + 3 * ncounters];
    out->others_spare = ints[2 + 3 * ncounters];
    out->alerts = std::move(alerts);
    return true;
}

void settled(account& a, const reply& r, std::int64_t now, const timing& t) {
    a.inflight = false;
    a.releasing = false;
    a.resend = false;
    a.known = true;
    a.gone = r.gone;
    a.reply_at = now;
    a.valid_until = now + trusted_ms(t);
    a.reset_at = now + r.reset_ms;
    a.others_spare = r.others_spare;
    for (int c = 0; c < ncounters; c++) {
        counter_state& s = a.c[c];
        s.sending = 0;
        s.hold = r.grant[c];
        s.limit = r.limit[c];
        s.free = r.free[c];
    }
}

void settlement_failed(account& a) {
    a.inflight = false;
    a.releasing = false;
    a.resend = true;
}

bool wants_settlement(const account& a, std::int64_t now, const timing& t) {
    if (a.inflight) {
        return false;
    }
    bool due = now - a.settled_at >= t.flush_ms;
    if (a.resend) {
        return due;
    }
    bool idle = now - a.last_use >= t.flush_ms;
    // Renew what is in use before it lapses (a lease, or knowing the account is unlimited),
    // so a busy account never waits for Redis.
    if (a.known && now - a.reply_at >= trusted_ms(t) / 2 && now - a.last_use < trusted_ms(t)) {
        return true;
    }
    for (int c = 0; c < ncounters; c++) {
        const counter_state& s = a.c[c];
        if (s.pending != 0 && due) {
            return true;
        }
        // Give back an idle holder's headroom.
        if (idle && s.hold > (c == money ? s.reserved : 0)) {
            return true;
        }
    }
    return false;
}

bool evictable(const account& a, std::int64_t now, const timing& t) {
    if (a.inflight || a.resend || now - a.last_use < 2 * t.lease_ttl_ms) {
        return false;
    }
    for (const counter_state& s : a.c) {
        if (s.hold != 0 || s.reserved != 0 || s.pending != 0 || s.sending != 0) {
            return false;
        }
    }
    return true;
}

std::int64_t remaining(const account& a, counter c) {
    const counter_state& s = a.c[c];
    if (s.limit == unlimited) {
        return unlimited;
    }
    std::int64_t r = s.free + std::max<std::int64_t>(s.available(), 0);
    return std::clamp<std::int64_t>(r, 0, s.limit);
}

std::string format_reset(std::int64_t ms) {
    // Written into one buffer (the result fits std::string's own storage): every admitted
    // request with limits sends two of these.
    char buf[64];
    char* p = buf;
    auto number = [&p](std::int64_t v) { p = std::to_chars(p, p + 24, v).ptr; };
    if (ms <= 0) {
        return "0s";
    }
    if (ms < 1000) {
        number(ms);
        *p++ = 'm';
        *p++ = 's';
        return std::string(buf, p);
    }
    std::int64_t h = ms / 3600000;
    std::int64_t m = ms / 60000 % 60;
    std::int64_t s = ms / 1000 % 60;
    std::int64_t frac = ms % 1000;
    if (h) {
        number(h);
        *p++ = 'h';
    }
    if (h || m) {
        number(m);
        *p++ = 'm';
    }
    number(s);
    if (frac) {
        // Milliseconds as a decimal fraction without its trailing zeros: .5, .25, .125.
        char digits[3] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                          static_cast<char>('0' + frac % 10)};
        int n = 3;
        while (digits[n - 1] == '0') {
            --n;
        }
        *p++ = '.';
        for (int i = 0; i < n; ++i) {
            *p++ = digits[i];
        }
    }
    *p++ = 's';
    return std::string(buf, p);
}

std::string_view settlement_script() {
    // Numbers are Lua doubles: exact to 2^53, which bounds money at about 9 billion USD in
    // micro-dollars (`used` itself is HINCRBY's exact int64). string.format('%d') keeps large
    // values out of exponent notation.
    static constexpr std::string_view script = R"lua(
local acct, lease = KEYS[1], KEYS[2]
local kind, name, holder = ARGV[1], ARGV[2], ARGV[3]
local seq, ttl, wlen = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wid = math.floor(now / wlen)
local reset = (wid + 1) * wlen - now
local function arg(c, i) return tonumber(ARGV[10 + c * 6 + i]) end
local function fmt(n) return string.format('%d', n) end
if redis.call('EXISTS', acct) == 0 then
  return {1, 0, -1, 0, 0, -1, 0, 0, -1, 0, reset, 0}
end
local f = redis.call('HMGET', acct, 'quota', 'used', 'rpm', 'tpm', 'budget_hourly', 'id', 'owner', 'group')
local sf = 's:' .. holder
local lastseq = tonumber(string.match(redis.call('HGET', lease, sf) or '', '^(%d+)')) or 0
local fresh = seq > lastseq
redis.call('HSET', lease, sf, fmt(math.max(seq, lastseq)) .. ' ' .. fmt(now + 86400000))
local function grant(avail, keep, need, more, extra)
  local g, rest = keep, avail - keep
  if rest < need then return g end
  g, rest = g + need, rest - need
  local m = math.min(more, rest)
  g, rest = g + m, rest - m
  if extra > 0 and rest > 1 then g = g + math.min(extra, math.floor(rest / 2)) end
  return g
end
local out = {0}
-- money
local quota = tonumber(f[1])
local used0 = tonumber(f[2]) or 0
local used = used0
local spent = 0
if fresh then spent = arg(0, 0) end
if spent ~= 0 then used = redis.call('HINCRBY', acct, 'used', spent) end
local mf = 'm:' .. holder
local others, spare = 0, 0
local all = redis.call('HGETALL', lease)
for i = 1, #all, 2 do
  local p = string.sub(all[i], 1, 2)
  if p == 'm:' or p == 'r:' or p == 't:' or p == 's:' then
    local amt, exp, owed = string.match(all[i + 1], '^(%-?%d+) (%d+) ?(%-?%d*)')
    if not exp or tonumber(exp) <= now then
      redis.call('HDEL', lease, all[i])
    elseif p == 'm:' and all[i] ~= mf then
      others = others + tonumber(amt)
      spare = spare + math.max(tonumber(amt) - (tonumber(owed) or 0), 0)
    end
  end
end
if quota then
  local avail = quota - used - others
  local g = grant(avail, arg(0, 1), arg(0, 2), arg(0, 3), arg(0, 4))
  if g > 0 then redis.call('HSET', lease, mf, fmt(g) .. ' ' .. fmt(now + ttl) .. ' ' .. fmt(arg(0, 5)))
  else redis.call('HDEL', lease, mf) end
  out[2], out[3], out[4] = g, quota, avail - g
else
  redis.call('HDEL', lease, mf)
  out[2], out[3], out[4] = 0, -1, 0
end
-- requests and tokens in the current window
local w = redis.call('HMGET', lease, 'w', 'wr', 'wt')
local counts = {0, 0}
if tonumber(w[1]) == wid then counts = {tonumber(w[2]) or 0, tonumber(w[3]) or 0} end
for c = 1, 2 do
  local limit = tonumber(f[2 + c])
  if not limit or limit <= 0 then limit = tonumber(ARGV[6 + c]) end
  local hf = (c == 1 and 'r:' or 't:') .. holder
  local own = redis.call('HGET', lease, hf)
  local count = counts[c]
  if own then
    local a, _, ow = string.match(own, '^(%-?%d+) (%d+) (%d+)$')
    if tonumber(ow) == wid then
      count = count - tonumber(a)
      if fresh then count = count + arg(c, 0) end
    end
  end
  if limit and limit > 0 then
    local g = grant(limit - count, arg(c, 1), arg(c, 2), arg(c, 3), arg(c, 4))
    count = count + g
    if g > 0 then redis.call('HSET', lease, hf, fmt(g) .. ' ' .. fmt((wid + 1) * wlen + 1000) .. ' ' .. fmt(wid))
    else redis.call('HDEL', lease, hf) end
    out[2 + 3 * c], out[3 + 3 * c], out[4 + 3 * c] = g, limit, limit - count
  else
    if own then redis.call('HDEL', lease, hf) end
    out[2 + 3 * c], out[3 + 3 * c], out[4 + 3 * c] = 0, -1, 0
  end
  counts[c] = count
end
redis.call('HSET', lease, 'w', fmt(wid), 'wr', fmt(counts[1]), 'wt', fmt(counts[2]))
out[11] = reset
-- what other holders lease beyond what they owe: headroom that comes back when they idle
out[12] = spare
-- alerts: one per crossing, decided here, atomically, for the whole fleet
if spent > 0 then
  local function alert(what, threshold, u, q)
    local msg = cjson.encode({alert = what, scope = kind,
      key_id = kind == 'key' and f[6] or cjson.null,
      owner = kind == 'key' and f[7] or cjson.null,
      group = kind == 'key' and (f[8] or cjson.null) or name,
      threshold = threshold, used = u, quota = q, ts = now})
    redis.call('PUBLISH', 'aigw:alerts', msg)
    table.insert(out, msg)
  end
  if quota and quota > 0 then
    for th in string.gmatch(ARGV[9], '%d+') do
      local b = math.floor((quota * tonumber(th) + 99) / 100)
      if used0 < b and used >= b then alert('quota', tonumber(th), used, quota) end
    end
  end
  local budget = tonumber(f[5])
  if budget and budget > 0 then
    local hid = math.floor(now / 3600000)
    local h0 = 0
    local ha, hw = string.match(redis.call('HGET', lease, 'h') or '', '^(%d+) (%d+)$')
    if tonumber(hw) == hid then h0 = tonumber(ha) end
    local h1 = h0 + spent
    redis.call('HSET', lease, 'h', fmt(h1) .. ' ' .. fmt(hid))
    if h0 <= budget and h1 > budget then alert('hourly_budget', 100, h1, budget) end
  end
end
redis.call('PEXPIRE', lease, 86400000 + ttl)
return out
)lua";
    return script;
}

}  // namespace aigw::billing
