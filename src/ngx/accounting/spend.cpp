// Quotas and rate limits on NGINX's event loop; see spend.hpp and aigw/accounting/billing.hpp.
#include "ngx/accounting/spend.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "aigw/accounting/billing.hpp"
#include "aigw/api/error.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/keys/keys.hpp"
#include "aigw/accounting/output_reserve.hpp"
#include "aigw/accounting/pricing.hpp"
#include "aigw/schema.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/metrics.hpp"
#include "ngx/redis/client.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/log_limit.hpp"

namespace b = aigw::billing;

namespace {
struct account_entry;
}

enum class ngx_http_aigw_billing_outcome : unsigned char {
    pending, admitted, no_quota, rate_requests, rate_tokens, unavailable
};

struct ngx_http_aigw_billing_t {
    ngx_http_request_t* r;
    ngx_http_aigw_admitted_pt admitted;
    account_entry* acct[2];          // the key's account, the group's (nullptr: none)
    ngx_queue_t link[2];             // in the account's queue while waiting on it
    b::amounts need;                 // what the request reserves
    int64_t output;                  // the output tokens it reserves
    int64_t max_tokens;              // the client's output cap, -1: none
    int64_t choices;                 // n
    int64_t retry_ms;                // for a 429
    int64_t later_since;             // when it first waited for other workers' headroom
    ngx_http_aigw_billing_outcome outcome;
    unsigned char denied_slot;       // whose limit refused it
    unsigned char asks[2];           // settlements sent while it waited
    bool waiting[2];
    bool unavailable[2];             // Redis could not be asked about that account
    bool booked;
    bool finished;
    bool prompt_in;                  // need holds the prompt's tokens
};

namespace {

constexpr int key_slot = 0;
constexpr int group_slot = 1;
constexpr int max_asks = 16;  // settlements a request waits through before a verdict (a race guard)
constexpr int64_t later_extra_ms = 500;  // waiting for headroom: two flush intervals and this
constexpr ngx_msec_t exit_grace = 5000;
constexpr ngx_msec_t exit_tick = 50;
constexpr ngx_msec_t max_tick = 250;   // how soon a graceful shutdown is noticed
constexpr int64_t window_ms = 60000;   // rpm and tpm: per minute
constexpr size_t max_output_models = 1024;  // models whose completions a worker remembers

struct account_entry {
    b::account acct;
    bool group = false;
    std::string name;                  // the group's name, or the key's digest in hex
    std::string hash_key;
    std::string lease_key;
    ngx_queue_t waiters;               // ngx_http_aigw_billing_t::link[slot]
    size_t users = 0;                  // requests that point here
    b::settlement sent;                // the settlement in flight
    bool eval = false;                 // Redis lacked the script: send it whole
    int slot() const { return group ? group_slot : key_slot; }
};

struct worker_state {
    const ngx_http_aigw_billing_conf_t* conf = nullptr;
    ngx_uint_t redis_fail = 0;
    b::timing timing;
    std::unordered_map<std::string, std::unique_ptr<account_entry>> accounts;
    std::string holder;                // this worker's name in the lease hashes
    std::uint64_t seq = 0;             // its settlement numbers, for all its accounts
    std::string sha;
    std::string ttl, window, rpm, tpm, alerts;
    ngx_event_t timer{};
    ngx_msec_t exiting_since = 0;
    ngx_http_aigw_log_gate failure_log{10000};
    ngx_log_t* log = nullptr;
    // Recent completions per public model: what requests without max_tokens reserve.
    std::map<std::string, aigw::output_history, std::less<>> outputs;
};

worker_state* state;

int64_t now_ms() {
    return static_cast<int64_t>(ngx_current_msec);
}

std::string sha1_hex(std::string_view text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(text.data(), text.size(), md, &n, EVP_sha1(), nullptr)) {
        return {};
    }
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; i++) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

account_entry* get_entry(bool group, std::string_view name) {
    // Every billed request looks its accounts up: the id is built in a string the worker keeps,
    // so finding an entry allocates nothing.
    static std::string id;
    id.assign(group ? "g:" : "k:");
    id += name;
    auto it = state->accounts.find(id);
    if (it != state->accounts.end()) {
        return it->second.get();
    }
    auto e = std::make_unique<account_entry>();
    e->group = group;
    e->name.assign(name.data(), name.size());
    e->hash_key = group ? aigw::group_hash_key(name) : aigw::key_hash_key(name);
    e->lease_key = group ? aigw::group_lease_key(name) : aigw::key_lease_key(name);
    ngx_queue_init(&e->waiters);
    account_entry* out = e.get();
    state->accounts.emplace(id, std::move(e));
    return out;
}

void send(account_entry* e);

ngx_http_aigw_billing_t* waiter_of(ngx_queue_t* q, int slot) {
    return reinterpret_cast<ngx_http_aigw_billing_t*>(
        reinterpret_cast<u_char*>(q) - offsetof(ngx_http_aigw_billing_t, link) -
        static_cast<size_t>(slot) * sizeof(ngx_queue_t));
}

// Starts a settlement of `e` unless one is on its way: what was spent, and leases for the
// requests waiting (the first whole, the others as far as they fit) plus headroom.
void kick(account_entry* e, bool releasing) {
    if (e->acct.inflight) {
        return;
    }
    b::amounts first{}, rest{};
    bool any = false;
    bool starved = false;
    int slot = e->slot();
    for (ngx_queue_t* q = ngx_queue_head(&e->waiters); q != ngx_queue_sentinel(&e->waiters);
         q = ngx_queue_next(q)) {
        ngx_http_aigw_billing_t* bl = waiter_of(q, slot);
        for (int c = 0; c < b::ncounters; c++) {
            (any ? rest : first)[c] += bl->need[c];
        }
        any = true;
        starved = starved || bl->later_since != 0;
        if (bl->asks[slot] < 255) {
            bl->asks[slot]++;
        }
    }
    // A request that waits for other workers' headroom: this worker gives its own back too
    // while it asks, or two workers each holding part of what one request needs would wait
    // for each other.
    e->sent = b::begin_settlement(e->acct, state->seq, first, rest,
                                  (releasing && !any) || starved, now_ms(), state->timing);
    send(e);
}

// The first counter `need` does not fit in, for a verdict after enough asking.
ngx_http_aigw_billing_outcome short_outcome(const b::account& a, const b::amounts& need) {
    for (int c = 0; c < b::ncounters; c++) {
        if (a.c[c].limit != b::unlimited && a.c[c].available() < need[c]) {
            return c == b::money      ? ngx_http_aigw_billing_outcome::no_quota
                   : c == b::requests ? ngx_http_aigw_billing_outcome::rate_requests
                                      : ngx_http_aigw_billing_outcome::rate_tokens;
        }
    }
    return ngx_http_aigw_billing_outcome::no_quota;
}

// Whether the reservation must hold the prompt's tokens: some account's limits are not known
// yet (its first request on this worker), or it has a tpm, or a quota the request's price is
// reserved against. Otherwise nothing checks them, and counting the prompt (exact counting
// costs CPU) is left to what else needs it; the true count settles the tokens anyway.
bool prompt_needed(const ngx_http_aigw_billing_t* bl, bool priced) {
    for (const account_entry* e : bl->acct) {
        if (e == nullptr || e->acct.gone) {
            continue;
        }
        const b::account& a = e->acct;
        if (!a.known || a.c[b::tokens].limit != b::unlimited ||
            (priced && a.c[b::money].limit != b::unlimited)) {
            return true;
        }
    }
    return false;
}

// The money a request reserves: its tokens at the model's prices, and what media it asks for
// (images, seconds of video) at theirs.
int64_t money_need(const ngx_http_aigw_ctx_t* ctx, int64_t prompt, int64_t output) {
    const aigw::model_price* price = ctx->content.price;
    if (price == nullptr) {
        return 0;
    }
    return std::min(aigw::max_micro_usd,
                    aigw::reserve_cost(*price, prompt, output) + ctx->media.reserve);
}

// need: the output and the per-request price from the start, the prompt once something checks
// it (a settlement may have just told a limit).
void size_need(ngx_http_aigw_billing_t* bl) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(bl->r);
    const aigw::model_price* price = ctx->content.price;
    if (bl->prompt_in || !prompt_needed(bl, price != nullptr)) {
        return;
    }
    int64_t prompt = ngx_http_aigw_prompt_tokens(ctx);
    bl->need[b::money] = money_need(ctx, prompt, bl->output);
    bl->need[b::tokens] = prompt + bl->output;
    bl->prompt_in = true;
}

// Decides what can be decided now: admitted (booked on both accounts), refused, or waiting
// for a settlement of one of them (queued there, a settlement started).
ngx_http_aigw_billing_outcome decide(ngx_http_aigw_billing_t* bl) {
    size_need(bl);
    int64_t now = now_ms();
    bool wait[2] = {false, false};
    bool later[2] = {false, false};
    for (int slot = 0; slot < 2; slot++) {
        account_entry* e = bl->acct[slot];
        if (e == nullptr) {
            continue;
        }
        int64_t retry = 0;
        b::verdict v = b::check(e->acct, bl->need, now, state->timing, &retry);
        if (v == b::verdict::refresh && bl->unavailable[slot]) {
            // Redis cannot be asked. Spend is still settled later; only the limit lapses,
            // and only if aigw_redis_fail says cached may stand in.
            if (state->redis_fail != NGX_HTTP_AIGW_REDIS_FAIL_CACHED) {
                bl->denied_slot = static_cast<unsigned char>(slot);
                return ngx_http_aigw_billing_outcome::unavailable;
            }
            continue;
        }
        if (v == b::verdict::refresh && bl->asks[slot] >= max_asks) {
            v = b::verdict::no_quota;  // still short after several settlements: say why below
        }
        if (v == b::verdict::later) {
            // Other workers hold headroom they give back within a flush interval of idling:
            // wait for it (the tick asks again), but not for ever.
            if (bl->later_since == 0) {
                bl->later_since = now ? now : 1;
            }
            bl->asks[slot] = 0;  // the ticks' settlements do not count toward max_asks
            if (now - bl->later_since > 2 * state->timing.flush_ms + later_extra_ms) {
                v = b::verdict::no_quota;
            }
        }
        switch (v) {
        case b::verdict::ok:
            break;
        case b::verdict::refresh:
        case b::verdict::later:
            wait[slot] = true;
            later[slot] = v == b::verdict::later;
            break;
        case b::verdict::no_quota:
        case b::verdict::rate_limited: {
            bl->denied_slot = static_cast<unsigned char>(slot);
            bl->retry_ms = retry > 0 ? retry : std::max<int64_t>(e->acct.reset_at - now, 1);
            return short_outcome(e->acct, bl->need);
        }
        }
    }
    if (!wait[0] && !wait[1]) {
        for (account_entry* e : bl->acct) {
            if (e != nullptr) {
                b::book(e->acct, bl->need, now);
            }
        }
        bl->booked = true;
        // Something is owed to Redis now: a graceful shutdown waits for it (see tick).
        state->timer.cancelable = 0;
        return ngx_http_aigw_billing_outcome::admitted;
    }
    for (int slot = 0; slot < 2; slot++) {
        if (!wait[slot]) {
            continue;
        }
        account_entry* e = bl->acct[slot];
        if (!bl->waiting[slot]) {
            ngx_queue_insert_tail(&e->waiters, &bl->link[slot]);
            bl->waiting[slot] = true;
        }
        if (!later[slot]) {
            kick(e, false);  // (a request waiting for headroom is asked for on the tick)
        }
    }
    return ngx_http_aigw_billing_outcome::pending;
}

// OpenAI's x-ratelimit-* headers, for the tighter of the key's and the group's limits.
ngx_int_t rate_headers(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                       const ngx_http_aigw_billing_t* bl) {
    static constexpr std::string_view names[][3] = {
        {},
        {"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
         "x-ratelimit-reset-requests"},
        {"x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"},
    };
    int64_t now = now_ms();
    for (int c = b::requests; c <= b::tokens; c++) {
        const account_entry* pick = nullptr;
        int64_t rem = 0;
        for (const account_entry* e : bl->acct) {
            if (e == nullptr || e->acct.c[c].limit == b::unlimited) {
                continue;
            }
            int64_t left = b::remaining(e->acct, static_cast<b::counter>(c));
            if (pick == nullptr || left < rem) {
                pick = e;
                rem = left;
            }
        }
        if (pick == nullptr) {
            continue;
        }
        if (ngx_http_aigw_set_header_copy(r, names[c][0], std::to_string(pick->acct.c[c].limit)) !=
                NGX_OK ||
            ngx_http_aigw_set_header_copy(r, names[c][1], std::to_string(rem)) != NGX_OK ||
            ngx_http_aigw_set_header_copy(r, names[c][2],
                                          b::format_reset(pick->acct.reset_at - now)) != NGX_OK) {
            return NGX_ERROR;
        }
        ctx->usage.ratelimit_headers = 1;
    }
    return NGX_OK;
}

// Answers a decided request: true to go on, else false with the error response's code.
// NGX_DECLINED for a request that goes on; else the code of the error response sent.
ngx_int_t answer(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_billing_t* bl) {
    if (rate_headers(r, ctx, bl) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    std::string_view scope = bl->denied_slot == group_slot ? "group" : "key";
    const account_entry* e = bl->acct[bl->denied_slot];
    switch (bl->outcome) {
    case ngx_http_aigw_billing_outcome::admitted:
    case ngx_http_aigw_billing_outcome::pending:
        return NGX_DECLINED;
    case ngx_http_aigw_billing_outcome::no_quota:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aigw: key %V refused: insufficient_quota (%*s)", &ctx->access.key_masked,
                      scope.size(), scope.data());
        return ngx_http_aigw_send_error(r, aigw::insufficient_quota_error(scope));
    case ngx_http_aigw_billing_outcome::rate_requests:
    case ngx_http_aigw_billing_outcome::rate_tokens: {
        bool tokens = bl->outcome == ngx_http_aigw_billing_outcome::rate_tokens;
        int64_t limit = e->acct.c[tokens ? b::tokens : b::requests].limit;
        if (ngx_http_aigw_set_retry_after(r, static_cast<uint64_t>(bl->retry_ms)) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aigw: key %V refused: rate_limit_exceeded (%s, %*s)",
                      &ctx->access.key_masked,
                      tokens ? "tokens" : "requests", scope.size(), scope.data());
        return ngx_http_aigw_send_error(
            r, aigw::rate_limit_error(tokens ? "tokens" : "requests", limit, bl->retry_ms, scope));
    }
    case ngx_http_aigw_billing_outcome::unavailable:
        return ngx_http_aigw_send_error(r, aigw::billing_unavailable_error());
    }
    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}

// Hands the verdict to the content phase.
void conclude(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_billing_t* bl) {
    ngx_int_t rc = aigw::ngx::guard(r->connection->log, "billing", NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    [&] { return answer(r, ctx, bl); });
    bl->admitted(r, rc == NGX_DECLINED, rc);
}

// The write event handler of a request whose wait was decided.
void wake_handler(ngx_http_request_t* r) noexcept {
    bool ok = aigw::ngx::guard(r->connection->log, "billing", [r] {
        r->write_event_handler = ngx_http_request_empty_handler;
        r->read_event_handler = ngx_http_block_reading;
        ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
        conclude(r, ctx, ctx->usage.billing);
    });
    if (!ok) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

// A waiting request was decided: go on from the event loop, not from inside hiredis.
void wake(ngx_http_aigw_billing_t* bl) {
    ngx_http_request_t* r = bl->r;
    r->write_event_handler = wake_handler;
    ngx_post_event(r->connection->write, &ngx_posted_events);
}

// A settlement of `e` came back (or failed): decide its waiting requests again, in order.
void recheck_waiters(account_entry* e, bool unavailable) {
    int slot = e->slot();
    std::vector<ngx_http_aigw_billing_t*> list;
    while (!ngx_queue_empty(&e->waiters)) {
        ngx_queue_t* q = ngx_queue_head(&e->waiters);
        ngx_queue_remove(q);
        ngx_http_aigw_billing_t* bl = waiter_of(q, slot);
        bl->waiting[slot] = false;
        if (unavailable) {
            bl->unavailable[slot] = true;
        }
        list.push_back(bl);
    }
    for (ngx_http_aigw_billing_t* bl : list) {
        // (A settlement that fails at once decides its waiters inside decide(): pending
        // here then means decided or still waiting, and either way there is nothing to do.)
        ngx_http_aigw_billing_outcome o = decide(bl);
        if (o != ngx_http_aigw_billing_outcome::pending) {
            bl->outcome = o;
            wake(bl);
        }
    }
}

void log_failure(const char* what) {
    if (!state->failure_log.open()) {
        return;
    }
    // Warn only: the Redis connection's own failure is logged as an error where it happens.
    ngx_log_error(NGX_LOG_WARN, state->log, 0,
                  "aigw: billing settlement failed (%s); spend is kept and sent again", what);
}

void on_reply(void* owner, redisReply* reply, ngx_http_aigw_redis_status status) noexcept {
    auto* e = static_cast<account_entry*>(owner);
    aigw::ngx::guard(state->log, "billing reply", [&] {
        if (status == ngx_http_aigw_redis_status::ok && reply->type == REDIS_REPLY_ERROR &&
            !e->eval && std::string_view(reply->str, reply->len).substr(0, 8) == "NOSCRIPT") {
            e->eval = true;  // a restarted or flushed Redis: send the script itself once
            send(e);
            return;
        }
        e->eval = false;
        b::reply rep;
        bool ok = false;
        if (status == ngx_http_aigw_redis_status::ok && reply->type == REDIS_REPLY_ARRAY) {
            std::vector<int64_t> ints;
            std::vector<std::string> alerts;
            ok = true;
            for (size_t i = 0; i < reply->elements; i++) {
                const redisReply* el = reply->element[i];
                if (el->type == REDIS_REPLY_INTEGER && alerts.empty()) {
                    ints.push_back(el->integer);
                } else if (el->type == REDIS_REPLY_STRING) {
                    alerts.emplace_back(el->str, el->len);
                } else {
                    ok = false;
                }
            }
            ok = ok && b::parse_reply(ints, std::move(alerts), &rep);
        }
        if (ok) {
            ngx_http_aigw_metrics_settlement();
            b::settled(e->acct, rep, now_ms(), state->timing);
            for (const std::string& a : rep.alerts) {
                ngx_log_error(NGX_LOG_WARN, state->log, 0, "aigw: alert: %*s", a.size(), a.data());
            }
            recheck_waiters(e, false);
            return;
        }
        if (status == ngx_http_aigw_redis_status::ok) {
            ngx_http_aigw_redis_log_reply_error(
                state->log, reply->type == REDIS_REPLY_ERROR ? reply->str : "an unexpected reply");
        } else {
            log_failure(status == ngx_http_aigw_redis_status::timeout ? "timeout" : "unavailable");
        }
        b::settlement_failed(e->acct);
        recheck_waiters(e, true);
    });
}

void send(account_entry* e) {
    const b::settlement& st = e->sent;
    std::string_view script = b::settlement_script();
    std::vector<std::string> nums;
    constexpr int per_counter = b::script_args_per_counter;
    nums.reserve(1 + per_counter * b::ncounters);
    nums.push_back(std::to_string(st.seq));
    for (int c = 0; c < b::ncounters; c++) {
        for (int64_t v : {st.spent[c], st.keep[c], st.need[c], st.more[c], st.extra[c], st.owed[c]}) {
            nums.push_back(std::to_string(v));
        }
    }
    // EVALSHA sha 2 hash lease, then the script's arguments.
    constexpr int argc = 5 + b::script_args;
    std::string_view argv_s[argc] = {
        e->eval ? "EVAL" : "EVALSHA",
        e->eval ? script : std::string_view(state->sha),
        "2",
        e->hash_key,
        e->lease_key,
        e->group ? "group" : "key",
        e->group ? std::string_view(e->name) : std::string_view(),
        state->holder,
        nums[0],
        state->ttl,
        state->window,
        e->group ? std::string_view("0") : std::string_view(state->rpm),
        e->group ? std::string_view("0") : std::string_view(state->tpm),
        state->alerts,
    };
    constexpr int fixed = 5 + b::script_fixed_args;
    for (int i = 0; i < per_counter * b::ncounters; i++) {
        argv_s[fixed + i] = nums[1 + i];
    }
    const char* argv[argc];
    size_t lens[argc];
    static_assert(fixed + per_counter * b::ncounters == argc, "settlement arguments");
    for (int i = 0; i < argc; i++) {
        argv[i] = argv_s[i].data() ? argv_s[i].data() : "";
        lens[i] = argv_s[i].size();
    }
    if (ngx_http_aigw_redis_command(argc, argv, lens, on_reply, e) == nullptr) {
        log_failure("not connected");
        b::settlement_failed(e->acct);
        recheck_waiters(e, true);
    }
}

bool outstanding(const account_entry& e) {
    if (e.acct.inflight || e.acct.resend) {
        return true;
    }
    for (const b::counter_state& s : e.acct.c) {
        if (s.pending != 0 || s.sending != 0 || s.hold > s.reserved) {
            return true;
        }
    }
    return false;
}

void tick(ngx_event_t* ev) noexcept {
    (void)ev;
    bool ok = aigw::ngx::guard(state->log, "billing timer", [&] {
        int64_t now = now_ms();
        bool exiting = ngx_exiting || ngx_terminate || ngx_quit;
        if (exiting && state->exiting_since == 0) {
            state->exiting_since = ngx_current_msec ? ngx_current_msec : 1;
        }
        bool owed = false;  // spend or leases Redis should get back before the worker goes
        for (auto it = state->accounts.begin(); it != state->accounts.end();) {
            account_entry& e = *it->second;
            if (exiting) {
                if (e.users) {
                    state->exiting_since = ngx_current_msec;  // grace counts from the last request
                }
                if (!e.acct.inflight && outstanding(e)) {
                    kick(&e, true);
                }
            } else if (!ngx_queue_empty(&e.waiters) && !e.acct.inflight) {
                kick(&e, false);  // requests waiting for other workers' headroom
            } else if (b::wants_settlement(e.acct, now, state->timing)) {
                bool idle = now - e.acct.last_use >= state->timing.flush_ms;
                kick(&e, idle);
            } else if (e.users == 0 && ngx_queue_empty(&e.waiters) &&
                       b::evictable(e.acct, now, state->timing)) {
                it = state->accounts.erase(it);
                continue;
            }
            owed = owed || e.users || outstanding(e);
            ++it;
        }
        if (!exiting) {
            // Not cancelable while something is owed: a graceful shutdown then waits for the
            // next tick, which settles it and gives the leases back. Ticks are more frequent
            // than settlements (wants_settlement paces those by the flush interval).
            state->timer.cancelable = owed ? 0 : 1;
            ngx_add_timer(&state->timer, std::min(state->conf->flush, max_tick));
        } else if (owed && ngx_current_msec - state->exiting_since < exit_grace) {
            state->timer.cancelable = 0;
            ngx_add_timer(&state->timer, exit_tick);
        }
    });
    if (!ok && !ngx_exiting && !state->timer.timer_set) {
        ngx_add_timer(&state->timer, state->conf->flush);
    }
}

}  // namespace

void ngx_http_aigw_billing_admit(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                 int64_t max_tokens, int64_t choices,
                                 ngx_http_aigw_admitted_pt admitted) {
    if (state == nullptr || ctx->access.key == nullptr ||
        !ngx_http_aigw_main_conf(r)->billing.enabled || !ctx->content.endpoint->billed) {
        admitted(r, true, NGX_OK);
        return;
    }
    auto* bl = static_cast<ngx_http_aigw_billing_t*>(
        ngx_pcalloc(r->pool, sizeof(ngx_http_aigw_billing_t)));
    if (bl == nullptr) {
        admitted(r, false, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
    bl->r = r;
    bl->admitted = admitted;

    bl->max_tokens = max_tokens;
    bl->choices = std::clamp<int64_t>(choices, 1, 128);
    int64_t output = 0;
    if (ctx->content.endpoint->streamable) {
        const aigw::output_history* history = nullptr;
        if (state->conf->reserve_learn) {
            auto it = state->outputs.find(aigw::ngx::view(ctx->content.model));
            history = it == state->outputs.end() ? nullptr : &it->second;
        }
        output = aigw::output_reserve(max_tokens, choices,
                                      static_cast<int64_t>(state->conf->reserve_tokens), history);
    }
    bl->output = output;
    // The prompt joins need in decide(), if something checks it.
    bl->need[b::money] = money_need(ctx, 0, output);
    bl->need[b::requests] = 1;
    bl->need[b::tokens] = output;

    char key_hex[aigw::sha256_hex_len];
    aigw::hex_digest(ctx->access.key_digest, key_hex);
    bl->acct[key_slot] = get_entry(false, std::string_view(key_hex, sizeof key_hex));
    if (!ctx->access.key->group.empty()) {
        bl->acct[group_slot] = get_entry(true, ctx->access.key->group);
    }
    for (account_entry* e : bl->acct) {
        if (e != nullptr) {
            e->users++;
        }
    }
    ctx->usage.billing = bl;

    ngx_http_aigw_billing_outcome o = decide(bl);
    if (o == ngx_http_aigw_billing_outcome::pending) {
        if (bl->outcome == ngx_http_aigw_billing_outcome::pending) {
            // Notice a client that goes away while we wait.
            r->read_event_handler = ngx_http_test_reading;
        }
        return;  // else a settlement that failed at once decided it, and woke it
    }
    bl->outcome = o;
    conclude(r, ctx, bl);
}

namespace {

// A completed answer sizes the next reservations of its model (on this worker).
void learn_output(ngx_http_aigw_ctx_t* ctx, const ngx_http_aigw_billing_t* bl) noexcept {
    if (!state->conf->reserve_learn || !ctx->content.endpoint->streamable ||
        !ngx_http_aigw_billable(ctx)) {
        return;
    }
    int64_t per_choice = (ctx->usage.completion_tokens + bl->choices - 1) / bl->choices;
    if (!aigw::output_worth_learning(bl->max_tokens, per_choice)) {
        return;
    }
    try {
        std::string_view model = aigw::ngx::view(ctx->content.model);
        auto it = state->outputs.find(model);
        if (it == state->outputs.end()) {
            if (state->outputs.size() >= max_output_models) {
                return;  // wildcard routes: names are the clients'; keep memory bounded
            }
            it = state->outputs.emplace(std::string(model), aigw::output_history{}).first;
        }
        it->second.observe(per_choice);
    } catch (const std::exception&) {
        // Out of memory: the next requests reserve aigw_reserve_tokens, as if unlearned.
    }
}

}  // namespace

void ngx_http_aigw_billing_finish(ngx_http_aigw_ctx_t* ctx) noexcept {
    ngx_http_aigw_billing_t* bl = ctx->usage.billing;
    if (bl == nullptr || bl->finished || state == nullptr) {
        return;
    }
    bl->finished = true;
    for (int slot = 0; slot < 2; slot++) {
        if (bl->waiting[slot]) {
            ngx_queue_remove(&bl->link[slot]);
            bl->waiting[slot] = false;
        }
    }
    // What the usage record says it cost is what is settled: the two always agree.
    b::amounts actual{ctx->usage.cost, 1, ctx->usage.total_tokens};
    if (bl->booked) {
        learn_output(ctx, bl);
    }
    for (account_entry* e : bl->acct) {
        if (e == nullptr) {
            continue;
        }
        if (bl->booked) {
            b::finish(e->acct, bl->need, actual);
        }
        e->users--;
    }
}

void ngx_http_aigw_billing_start(ngx_cycle_t* cycle) {
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(cycle);
    if (amcf == nullptr || !amcf->billing.enabled) {
        return;
    }
    try {
        auto s = std::make_unique<worker_state>();
        const ngx_http_aigw_billing_conf_t* conf = &amcf->billing;
        s->conf = conf;
        s->redis_fail = amcf->redis_fail;
        s->timing.flush_ms = static_cast<int64_t>(conf->flush);
        s->timing.lease_ttl_ms = static_cast<int64_t>(conf->lease);
        std::string nonce = aigw::generate_key_id();
        s->holder = std::string(aigw::ngx::view(cycle->hostname)) + ":" +
                    std::to_string(ngx_pid) + ":" +
                    nonce.substr(aigw::key_id_prefix.size(), 8);
        s->sha = sha1_hex(b::settlement_script());
        s->ttl = std::to_string(conf->lease);
        s->window = std::to_string(window_ms);
        s->rpm = std::to_string(conf->rpm);
        s->tpm = std::to_string(conf->tpm);
        s->alerts = std::string(aigw::ngx::view(conf->alerts));
        s->log = cycle->log;
        s->timer.handler = tick;
        s->timer.data = s.get();
        s->timer.log = cycle->log;
        s->timer.cancelable = 1;
        if (nonce.empty() || s->sha.empty()) {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "aigw: billing cannot start: no digest");
            return;
        }
        state = s.release();
        ngx_add_timer(&state->timer, std::min(conf->flush, max_tick));
    } catch (const std::exception& e) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "aigw: billing cannot start: %s", e.what());
    }
}

void ngx_http_aigw_billing_stop(ngx_cycle_t* cycle) {
    if (state == nullptr) {
        return;
    }
    int64_t unsettled = 0;
    for (const auto& [id, e] : state->accounts) {
        if (!e->group) {  // a group's spend is its keys' spend again
            unsettled += e->acct.c[b::money].pending + e->acct.c[b::money].sending;
        }
    }
    if (unsettled) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "aigw: worker exits with %L micro-USD of spend redis did not take",
                      static_cast<long long>(unsettled));
    }
    if (state->timer.timer_set) {
        ngx_del_timer(&state->timer);
    }
    delete state;
    state = nullptr;
}
