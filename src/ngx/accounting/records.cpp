// The usage record and its queue; see records.hpp.
#include "ngx/accounting/records.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "aigw/accounting/journal.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/keys/keys.hpp"
#include "aigw/request_id.hpp"
#include "aigw/schema.hpp"
#include "aigw/status/attempts.hpp"
#include "ngx/accounting/finish.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/metrics.hpp"
#include "ngx/proxy/tries.hpp"
#include "ngx/redis/client.hpp"
#include "ngx/redis/resp_writer.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/log_limit.hpp"

namespace {

constexpr size_t batch_max = 128;             // XADDs in one pipelined write
constexpr ngx_msec_t flush_delay = 10;        // how long a record waits for others to join it
constexpr ngx_msec_t retry_delay = 1000;      // after Redis failed a batch
constexpr ngx_msec_t exit_grace = 5000;       // an exiting worker keeps trying this long
constexpr ngx_msec_t log_interval = 10000;    // for repeated warnings
constexpr ngx_msec_t journal_busy = 10;       // the journal's tick while it has work
constexpr ngx_msec_t journal_idle = 1000;     // ... and while it has none
constexpr ngx_msec_t adopt_interval = 2000;   // how often a dead worker's journal is looked for

// A record Redis did not answer may still have been written (Redis took the XADD, then was
// too slow to reply in time): each such send may add a copy, so a record is sent at most this
// many times without an answer, then dropped and counted as lost.
constexpr unsigned unanswered_max = 3;

// One record: its whole XADD command in RESP form, built once in the log phase.
struct record {
    std::string command;
    unsigned unanswered = 0;  // sends Redis did not answer (timeout, connection lost)
    bool done = false;        // in the batch now in flight: answered, to leave the queue
    bool rejected = false;    // ... answered with an error: dropped
    aigw::usage_journal::ticket where;  // its place in a journal, when it came from one
};

struct usage_queue {
    const ngx_http_aigw_usage_log_conf_t* conf = nullptr;
    std::deque<record> records;
    // Every record's XADD up to its first field (the array's length, the stream, MAXLEN ~ n
    // and the id "*"), framed once.
    std::string head;
    size_t inflight = 0;            // XADDs sent, not answered
    size_t batch = 0;               // records[0, batch) are the batch in flight
    size_t replies = 0;             // replies of that batch so far, in the order sent
    bool batch_failed = false;      // a record of the batch is to be sent again
    ngx_event_t timer{};
    ngx_uint_t dropped = 0;         // queue full: records lost since the last warning
    ngx_uint_t dropped_total = 0;
    ngx_uint_t rejected = 0;        // Redis refused the XADD (error reply)
    ngx_uint_t unanswered_lost = 0; // sent unanswered_max times without an answer
    ngx_http_aigw_log_gate drop_log{log_interval};
    ngx_http_aigw_log_gate refusal_log{log_interval};
    ngx_http_aigw_log_gate unanswered_log{log_interval};
    ngx_msec_t exiting_since = 0;
    ngx_log_t* log = nullptr;
    // Where records go when the queue is full, and come back from in order (nullptr:
    // journal=off, or it could not be opened).
    std::unique_ptr<aigw::usage_journal> journal;
    ngx_event_t journal_timer{};
    ngx_msec_t adopted_at = 0;
    ngx_uint_t journal_lost = 0;    // the journal full: records lost since the last warning
    ngx_uint_t journal_lost_total = 0;
    ngx_http_aigw_log_gate journal_log{log_interval};
};

usage_queue* queue;  // this worker's

void flush(usage_queue* q);
void journal_pump(usage_queue* q);

void arm(usage_queue* q, ngx_msec_t delay) {
    if (q->timer.timer_set) {
        return;
    }
    // Not cancelable while records wait: a worker shutting down gracefully (reload) keeps
    // trying to deliver them, up to exit_grace.
    q->timer.cancelable = q->exiting_since && ngx_current_msec - q->exiting_since >= exit_grace;
    ngx_add_timer(&q->timer, delay);
}

void timer_handler(ngx_event_t* ev) noexcept {
    auto* q = static_cast<usage_queue*>(ev->data);
    aigw::ngx::guard(q->log, "usage record timer", [q] {
        if (ngx_exiting && q->exiting_since == 0) {
            q->exiting_since = ngx_current_msec ? ngx_current_msec : 1;
        }
        flush(q);
    });
}

// Error replies Redis may stop giving on its own: the record is kept and sent again.
bool transient_error(std::string_view err) {
    for (std::string_view prefix : {"OOM", "LOADING", "READONLY", "BUSY", "TRYAGAIN",
                                    "MASTERDOWN", "NOREPLICAS", "CLUSTERDOWN", "MISCONF",
                                    "NOAUTH"}) {
        if (err.substr(0, prefix.size()) == prefix) {
            return true;
        }
    }
    return false;
}

void log_refusal(usage_queue* q, std::string_view err, bool dropped) {
    if (!q->refusal_log.open()) {
        return;
    }
    if (dropped) {
        ngx_log_error(NGX_LOG_ERR, q->log, 0,
                      "aigw: redis refused a usage record, which is dropped (%ui so far): %*s",
                      q->rejected, err.size(), err.data());
    } else {
        ngx_log_error(NGX_LOG_ERR, q->log, 0,
                      "aigw: redis refused usage records for now, kept to send again: %*s",
                      err.size(), err.data());
    }
}

// The batch is over: answered records leave the queue; one sent unanswered_max times without
// an answer is dropped rather than risk yet another copy in the stream.
void settle_batch(usage_queue* q) {
    size_t n = q->batch < q->records.size() ? q->batch : q->records.size();
    auto end = q->records.begin() + static_cast<std::ptrdiff_t>(n);
    ngx_uint_t lost = 0;
    ngx_uint_t delivered = 0;
    auto leaving = [q, &lost, &delivered](const record& rec) {
        if (rec.unanswered >= unanswered_max && !rec.done) {
            lost++;
        } else if (rec.done && !rec.rejected) {
            delivered++;
        }
        bool leaves = rec.done || rec.unanswered >= unanswered_max;
        if (leaves && rec.where.segment != 0) {
            q->journal->done(rec.where);  // its frame may go
        }
        return leaves;
    };
    auto kept = std::remove_if(q->records.begin(), end, leaving);
    size_t left = static_cast<size_t>(end - kept);
    q->records.erase(kept, end);
    // Refused records (rejected) were counted lost when Redis refused them.
    ngx_http_aigw_metrics_records(-static_cast<std::int64_t>(left), delivered, lost);
    q->batch = 0;
    if (lost) {
        q->unanswered_lost += lost;
        if (q->unanswered_log.open()) {
            ngx_log_error(NGX_LOG_ERR, q->log, 0,
                          "aigw: redis did not answer a usage record sent %ud times; it is "
                          "dropped, not sent again (it may have been written): %ui so far",
                          unanswered_max, q->unanswered_lost);
        }
    }
}

void record_reply(usage_queue* q, redisReply* reply, ngx_http_aigw_redis_status status) {
    q->inflight--;
    // Replies come in the order the commands went.
    size_t i = q->replies++;
    record* rec = i < q->batch && i < q->records.size() ? &q->records[i] : nullptr;
    if (rec != nullptr) {
        if (status != ngx_http_aigw_redis_status::ok) {
            rec->unanswered++;  // written or not, nobody knows: sent again, a bounded number of times
            q->batch_failed = true;
        } else if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
            std::string_view err(reply->str, reply->len);
            if (transient_error(err)) {
                // Out of memory, loading, a replica after a failover ...: not written, sent
                // again later.
                q->batch_failed = true;
                log_refusal(q, err, false);
            } else {
                q->rejected++;
                log_refusal(q, err, true);
                rec->done = true;
                rec->rejected = true;
                ngx_http_aigw_metrics_records(0, 0, 1);
            }
        } else {
            rec->done = true;
        }
    }
    if (q->inflight == 0) {
        settle_batch(q);
        if (q->journal) {
            journal_pump(q);  // the queue has room again: what waits in the journal comes next
        }
        if (!q->batch_failed && q->records.empty() && q->dropped) {
            // Redis took everything left: say how many the full queue could not keep.
            ngx_log_error(NGX_LOG_ERR, q->log, 0,
                          "aigw: %ui usage records were lost to a full queue, %ui in total",
                          q->dropped, q->dropped_total);
            q->dropped = 0;
        }
        if (q->batch_failed) {
            arm(q, retry_delay);
        } else if (!q->records.empty()) {
            arm(q, q->records.size() >= batch_max ? 1 : flush_delay);
        }
    }
}

void on_reply(void* owner, redisReply* reply, ngx_http_aigw_redis_status status) noexcept {
    auto* q = static_cast<usage_queue*>(owner);
    aigw::ngx::guard(q->log, "usage record reply", [&] { record_reply(q, reply, status); });
}

void flush(usage_queue* q) {
    if (q->inflight || q->records.empty()) {
        return;
    }
    q->batch_failed = false;
    q->replies = 0;
    size_t n = q->records.size() < batch_max ? q->records.size() : batch_max;
    for (size_t i = 0; i < n; i++) {
        record& rec = q->records[i];
        rec.done = false;
        if (ngx_http_aigw_redis_formatted(rec.command.data(), rec.command.size(), on_reply, q) ==
            nullptr) {
            q->batch_failed = true;
            break;
        }
        q->inflight++;
    }
    q->batch = q->inflight;
    if (q->inflight == 0) {
        arm(q, retry_delay);  // not connected: Redis's own reconnect runs meanwhile
    }
}

void journal_arm(usage_queue* q, ngx_msec_t delay) {
    if (q->journal_timer.timer_set) {
        if (delay >= journal_idle) {
            return;
        }
        ngx_del_timer(&q->journal_timer);
    }
    ngx_add_timer(&q->journal_timer, delay);
}

// Finished journal I/O in, the next started, and as many journaled records into the queue as
// it has room for.
void journal_pump(usage_queue* q) {
    std::vector<aigw::usage_journal::record> got;
    size_t room = q->records.size() < q->conf->queue ? q->conf->queue - q->records.size() : 0;
    bool adopt = ngx_current_msec - q->adopted_at >= adopt_interval;
    if (adopt) {
        q->adopted_at = ngx_current_msec;
    }
    q->journal->pump(room, got, adopt);
    for (auto& g : got) {
        record rec;
        rec.command = std::move(g.payload);
        rec.where = g.where;
        q->records.push_back(std::move(rec));
    }
    if (!got.empty()) {
        ngx_http_aigw_metrics_records(static_cast<std::int64_t>(got.size()), 0, 0);
        if (q->inflight == 0) {
            arm(q, q->records.size() >= batch_max ? 1 : flush_delay);
        }
    }
    for (const auto& m : q->journal->take_messages()) {
        ngx_uint_t level = m.error ? NGX_LOG_ERR : NGX_LOG_WARN;
        ngx_log_error(level, q->log, 0, "aigw: usage records: %s", m.text.c_str());
    }
    journal_arm(q, q->journal->busy() || q->journal->holds() ? journal_busy : journal_idle);
}

void journal_timer_handler(ngx_event_t* ev) noexcept {
    auto* q = static_cast<usage_queue*>(ev->data);
    aigw::ngx::guard(q->log, "usage record journal", [q] { journal_pump(q); });
}

void enqueue(usage_queue* q, record&& rec, ngx_log_t* log) {
    bool full = q->records.size() >= q->conf->queue;
    // Behind what waits in the journal, to keep the order; into it when the queue is full.
    if (q->journal && (full || q->journal->holds())) {
        journal_arm(q, journal_busy);
        if (q->journal->put(rec.command)) {
            return;
        }
        if (full) {  // neither holds it: the journal is at its bound
            q->journal_lost++;
            q->journal_lost_total++;
            ngx_http_aigw_metrics_records(0, 0, 1);
            if (q->journal_log.open()) {
                ngx_log_error(NGX_LOG_ERR, log, 0,
                              "aigw: usage record journal \"%s\" full (%O bytes) and the queue "
                              "too: %ui records lost, %ui in total",
                              q->journal->path().c_str(), q->conf->journal, q->journal_lost,
                              q->journal_lost_total);
                q->journal_lost = 0;
            }
            return;
        }
        // The journal is at its bound but the queue has room: out of order beats lost.
    } else if (full) {
        q->dropped++;
        q->dropped_total++;
        ngx_http_aigw_metrics_records(0, 0, 1);
        if (q->drop_log.open()) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "aigw: usage record queue full (%ui records waiting for redis): "
                          "%ui records lost, %ui in total",
                          q->records.size(), q->dropped, q->dropped_total);
            q->dropped = 0;
        }
        return;
    }
    q->records.push_back(std::move(rec));
    ngx_http_aigw_metrics_records(1, 0, 0);
    if (q->inflight == 0) {
        arm(q, q->records.size() >= batch_max ? 1 : flush_delay);
    }
}

// What became of the request, for the record's status field.
std::string_view outcome(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    bool client_gone = r->connection->error || r->headers_out.status == 499;
    if (ctx->response.header_sent) {
        if (ctx->response.upstream_status >= NGX_HTTP_BAD_REQUEST) {
            return "upstream_error";
        }
        if (ctx->response.upstream_complete) {
            return "ok";
        }
        return client_gone ? "client_closed" : "upstream_cut";
    }
    return client_gone ? "client_closed" : "error";
}

// The record's fields, in order; build() writes exactly these.
constexpr size_t record_fields = 28;

// The request's tries as the record's `tries` field (aigw/status/attempts.hpp), one view
// each; channel names are the configuration's.
aigw::attempt_view try_view(const ngx_http_aigw_main_conf_t* amcf, const ngx_http_aigw_try_t& t) {
    aigw::attempt_view v;
    if (t.channel < amcf->channels.channels.nelts) {
        v.channel = aigw::ngx::view(ngx_http_aigw_channel_at(&amcf->channels, t.channel)->name);
    }
    v.outcome = static_cast<aigw::attempt_outcome>(t.outcome);
    v.upstream_status = t.upstream_status;
    v.header_ms = t.header_ms;
    v.duration_ms = t.duration_ms;
    v.swallowed = t.swallowed != 0;
    return v;
}

size_t tries_size(const ngx_http_aigw_main_conf_t* amcf, const ngx_http_aigw_ctx_t* ctx) {
    size_t n = 0;
    for (ngx_uint_t i = 0; i < ctx->attempt.ntries; i++) {
        n += aigw::attempt_text_size(try_view(amcf, ctx->attempt.tries[i]), i == 0);
    }
    return n;
}

// The XADD's elements before its first field, in RESP form.
std::string xadd_head(const std::string& maxlen) {
    std::string_view stream = aigw::usage_stream();
    std::string head(64 + stream.size() + maxlen.size(), '\0');
    aigw::ngx::resp_writer w(head.data());
    w.header(6 + 2 * record_fields);
    w.bulk_literal("XADD");
    w.bulk(stream);
    w.bulk_literal("MAXLEN");
    w.bulk_literal("~");
    w.bulk(maxlen);
    w.bulk_literal("*");
    head.resize(static_cast<size_t>(w.pos() - head.data()));
    return head;
}

record build(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, std::string_view head) {
    ngx_http_aigw_usage_final(ctx);
    const ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    const ngx_time_t* tp = ngx_timeofday();
    std::string_view status = outcome(r, ctx);
    bool charged =
        ngx_http_aigw_billable(ctx) && (ctx->usage.total_tokens > 0 || ctx->usage.cost != 0);
    std::string_view none;
    std::string_view key_id = ctx->access.key ? std::string_view(ctx->access.key->id) : none;
    std::string_view owner = ctx->access.key ? std::string_view(ctx->access.key->owner) : none;
    std::string_view group = ctx->access.key ? std::string_view(ctx->access.key->group) : none;
    // The record's own id: unique per request, where the client's X-Request-Id may repeat.
    // A gateway-made request id already is one.
    char made_id[aigw::request_id_len];
    std::string_view record_id = aigw::ngx::view(ctx->request_id);
    if (ctx->client_request_id || record_id.size() != aigw::request_id_len) {
        if (!aigw::make_request_id(made_id)) {
            throw std::runtime_error("no randomness for a record id");
        }
        record_id = {made_id, sizeof(made_id)};
    }
    // Framing (56 elements, at most 8 bytes each), the field names and the fixed-size values
    // (numbers of at most 20 digits, short words) take under 1 KiB; 2 KiB plus the variable
    // strings is a safe bound.
    size_t tries_len = tries_size(amcf, ctx);
    size_t bound = 2048 + head.size() + ctx->request_id.len + record_id.size() + tries_len +
                   key_id.size() + owner.size() + group.size() + ctx->content.model.len +
                   ctx->attempt.upstream_model.len +
                   (ctx->attempt.channel ? ctx->attempt.channel->name.len : 0) +
                   ctx->reply.error_code.len;
    // Written into a buffer the worker keeps (grown, never shrunk, never cleared: it is
    // written before it is read), then copied out at its exact length: no zero-filled
    // string of the bound per record.
    static std::string scratch;
    if (scratch.size() < bound) {
        scratch.resize(bound);
    }
    aigw::ngx::resp_writer w(scratch.data());
    w.raw(head);
    size_t written = 0;
    // `name`: a string literal (bulk_literal takes nothing else).
    auto field = [&w, &written](const auto& name, auto value) {
        w.bulk_literal(name);
        w.bulk(value);
        written++;
    };
    field("ts", static_cast<int64_t>(tp->sec) * 1000 + static_cast<int64_t>(tp->msec));
    field("request_id", aigw::ngx::view(ctx->request_id));
    field("record_id", record_id);
    field("key_id", key_id);
    field("owner", owner);
    field("group", group);
    field("endpoint", ctx->content.endpoint ? aigw::endpoint_label_view(*ctx->content.endpoint)
                                            : none);
    field("model", aigw::ngx::view(ctx->content.model));
    field("upstream_model", aigw::ngx::view(ctx->attempt.upstream_model));
    field("channel", ctx->attempt.channel ? aigw::ngx::view(ctx->attempt.channel->name) : none);
    field("status", status);
    field("http_status", static_cast<int64_t>(r->headers_out.status));
    field("error_code", aigw::ngx::view(ctx->reply.error_code));
    field("stream", std::string_view(ctx->content.stream ? "1" : "0"));
    field("prompt_tokens", ctx->usage.prompt_tokens);
    field("completion_tokens", ctx->usage.completion_tokens);
    field("total_tokens", ctx->usage.total_tokens);
    field("cached_tokens", ctx->usage.cached_tokens);
    field("cache_write_tokens", ctx->usage.cache_write_tokens);
    field("reasoning_tokens", ctx->usage.reasoning_tokens);
    // estimated: what records said before counted_by, kept for their readers.
    field("estimated", std::string_view(
                           ctx->usage.counted_by != NGX_HTTP_AIGW_COUNTED_BY_UPSTREAM ? "1" : "0"));
    field("counted_by", ngx_http_aigw_counted_by_name(ctx->usage.counted_by));
    if (ctx->usage.t_first_token) {
        field("ttft_ms", static_cast<int64_t>(ctx->usage.t_first_token - ctx->t0));
    } else {
        field("ttft_ms", none);
    }
    field("latency_ms", static_cast<int64_t>(ctx->usage.t_end - ctx->t0));
    field("attempts", static_cast<int64_t>(ctx->attempt.attempts));
    // Written in place: no string per attempt.
    w.bulk_literal("tries");
    char* tries = w.bulk_reserve(tries_len);
    char* p = tries;
    for (ngx_uint_t i = 0; i < ctx->attempt.ntries; i++) {
        p = aigw::write_attempt(p, try_view(amcf, ctx->attempt.tries[i]), i == 0);
    }
    if (p != tries + tries_len) {  // the bulk's length would not match: Redis would choke
        throw std::logic_error("usage record tries length");
    }
    written++;
    field("cost", ctx->usage.cost);
    field("charged", std::string_view(charged ? "1" : "0"));
    if (written != record_fields) {  // the array header would not match: Redis would choke
        throw std::logic_error("usage record field count");
    }
    record rec;
    rec.command.assign(scratch.data(), static_cast<size_t>(w.pos() - scratch.data()));
    return rec;
}

}  // namespace

ngx_int_t ngx_http_aigw_log_handler(ngx_http_request_t* r) noexcept {
    if (r != r->main) {
        return NGX_OK;
    }
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    // Requests that reached the gateway's content phase: a rejected key leaves no record.
    if (ctx == nullptr || !ctx->content.in_content) {
        return NGX_OK;
    }
    ngx_http_aigw_tries_close(r, ctx);
    if (ngx_http_aigw_metrics_zone != nullptr) {
        aigw::ngx::guard(r->connection->log, "metrics", [&] {
            ngx_http_aigw_usage_final(ctx);
            ngx_http_aigw_metrics_request(r, ctx);
        });
    }
    usage_queue* q = queue;
    if (q == nullptr) {
        return NGX_OK;  // aigw_usage_log off
    }
    aigw::ngx::guard(r->connection->log, "usage record",
                     [&] { enqueue(q, build(r, ctx, q->head), r->connection->log); });
    return NGX_OK;
}

void ngx_http_aigw_records_start(ngx_cycle_t* cycle, const ngx_http_aigw_usage_log_conf_t* conf) {
    if (!conf->enabled) {
        return;
    }
    auto q = std::make_unique<usage_queue>();
    q->conf = conf;
    q->head = xadd_head(std::to_string(conf->maxlen));
    q->log = cycle->log;
    q->timer.handler = timer_handler;
    q->timer.data = q.get();
    q->timer.log = cycle->log;
    if (conf->journal > 0) {
        auto j = std::make_unique<aigw::usage_journal>();
        std::string err = j->open(std::string(aigw::ngx::view(conf->journal_path)),
                                  static_cast<std::uint64_t>(conf->journal), ngx_pid,
                                  conf->journal_dir);
        if (err.empty()) {
            q->journal = std::move(j);
            q->journal_timer.handler = journal_timer_handler;
            q->journal_timer.data = q.get();
            q->journal_timer.log = cycle->log;
            q->journal_timer.cancelable = 1;
            // A journal an exited worker left is looked for soon after the start.
            q->adopted_at = ngx_current_msec - adopt_interval + journal_idle;
            journal_arm(q.get(), journal_idle);
        } else {
            ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                          "aigw: usage record journal: %s; records a full queue cannot hold "
                          "will be lost",
                          err.c_str());
        }
    }
    queue = q.release();
}

void ngx_http_aigw_records_open_dir(ngx_cycle_t* cycle, ngx_http_aigw_usage_log_conf_t* conf) {
    if (!conf->enabled || conf->journal == 0 || conf->journal_dir >= 0) {
        return;
    }
    std::string dir(aigw::ngx::view(conf->journal_path));
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        // The workers try by the path, and say what fails.
        ngx_log_error(NGX_LOG_WARN, cycle->log, ngx_errno,
                      "aigw: usage record journal directory \"%s\" not opened", dir.c_str());
        return;
    }
    ngx_pool_cleanup_t* cln = ngx_pool_cleanup_add(cycle->pool, 0);
    if (cln == nullptr) {
        ::close(fd);
        return;
    }
    conf->journal_dir = fd;
    cln->data = conf;
    cln->handler = [](void* data) {
        auto* c = static_cast<ngx_http_aigw_usage_log_conf_t*>(data);
        ::close(c->journal_dir);
        c->journal_dir = -1;
    };
}

void ngx_http_aigw_records_stop(ngx_cycle_t* cycle) {
    if (queue == nullptr) {
        return;
    }
    size_t left = queue->records.size();
    if (queue->journal) {
        // What Redis did not take stays in the journal, for the next worker to send.
        std::vector<std::string_view> tail;
        for (const record& rec : queue->records) {
            if (rec.where.segment == 0) {
                tail.push_back(rec.command);
            }
        }
        const auto before = queue->journal->stats();
        std::string err = queue->journal->close(tail);
        const auto& after = queue->journal->stats();
        ngx_uint_t lost = (after.lost_full - before.lost_full) + (after.lost_io - before.lost_io);
        ngx_http_aigw_metrics_records(-static_cast<std::int64_t>(left), 0, lost);
        if (!err.empty() || lost) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "aigw: worker exits with %uz usage records redis did not take; "
                          "%ui of them lost to the journal \"%s\": %s",
                          left, lost, queue->journal->path().c_str(),
                          err.empty() ? "full" : err.c_str());
        } else if (left || queue->journal->holds()) {
            ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                          "aigw: worker exits with usage records redis did not take (%uz in "
                          "its queue); they are kept in the journal \"%s\" for the next worker",
                          left, queue->journal->path().c_str());
        }
        if (queue->journal_lost) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "aigw: usage record journal \"%s\" full: %ui records lost since the "
                          "last report, %ui in total",
                          queue->journal->path().c_str(), queue->journal_lost,
                          queue->journal_lost_total);
        }
        if (queue->journal_timer.timer_set) {
            ngx_del_timer(&queue->journal_timer);
        }
    } else {
        ngx_http_aigw_metrics_records(-static_cast<std::int64_t>(left), 0, left);
        if (left || queue->dropped) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "aigw: worker exits with %uz usage records redis did not take; "
                          "%ui lost to a full queue since the last report",
                          left, queue->dropped);
        }
    }
    if (queue->timer.timer_set) {
        ngx_del_timer(&queue->timer);
    }
    delete queue;
    queue = nullptr;
}
