// The usage record and its queue; see settle.hpp.
#include "ngx/settle.hpp"

#include <deque>
#include <new>
#include <string>
#include <vector>

#include "aigw/keys.hpp"
#include "ngx/aigw_module.hpp"
#include "ngx/usage.hpp"

namespace {

constexpr std::string_view usage_stream = "aigw:usage";
constexpr size_t batch_max = 128;             // XADDs in one pipelined write
constexpr ngx_msec_t flush_delay = 10;        // how long a record waits for others to join it
constexpr ngx_msec_t retry_delay = 1000;      // after Redis failed a batch
constexpr ngx_msec_t exit_grace = 5000;       // an exiting worker keeps trying this long
constexpr ngx_msec_t log_interval = 10000;    // for repeated warnings

// Field/value pairs of one record, ready to be XADD's arguments.
using record = std::vector<std::string>;

struct usage_queue {
    const ngx_http_aigw_usage_log_conf_t* conf = nullptr;
    std::deque<record> records;
    std::string maxlen;
    size_t inflight = 0;            // XADDs sent, not answered
    bool batch_failed = false;      // Redis failed one of them: the rest wait for a retry
    ngx_event_t timer{};
    ngx_uint_t dropped = 0;         // queue full: records lost since the last warning
    ngx_uint_t dropped_total = 0;
    ngx_uint_t rejected = 0;        // Redis refused the XADD (error reply)
    ngx_msec_t last_drop_log = 0;
    ngx_msec_t exiting_since = 0;
    ngx_log_t* log = nullptr;
};

usage_queue* queue;  // this worker's

void flush(usage_queue* q);

void arm(usage_queue* q, ngx_msec_t delay) {
    if (q->timer.timer_set) {
        return;
    }
    // Not cancelable while records wait: a worker shutting down gracefully (reload) keeps
    // trying to deliver them, up to exit_grace.
    q->timer.cancelable = q->exiting_since && ngx_current_msec - q->exiting_since >= exit_grace;
    ngx_add_timer(&q->timer, delay);
}

void timer_handler(ngx_event_t* ev) {
    auto* q = static_cast<usage_queue*>(ev->data);
    if (ngx_exiting && q->exiting_since == 0) {
        q->exiting_since = ngx_current_msec ? ngx_current_msec : 1;
    }
    flush(q);
}

void on_reply(void* owner, redisReply* reply, ngx_http_aigw_redis_status status) {
    auto* q = static_cast<usage_queue*>(owner);
    q->inflight--;
    if (!q->batch_failed) {
        if (status == ngx_http_aigw_redis_status::ok) {
            // Replies come in the order the commands went: this one is the oldest record.
            if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
                q->rejected++;
                ngx_log_error(NGX_LOG_ERR, q->log, 0,
                              "aigw: redis refused a usage record (%ui so far): %*s",
                              q->rejected, static_cast<size_t>(reply->len), reply->str);
            }
            if (!q->records.empty()) {
                q->records.pop_front();
            }
        } else {
            q->batch_failed = true;  // kept, sent again later: at least once
        }
    }
    if (q->inflight == 0) {
        if (q->batch_failed) {
            arm(q, retry_delay);
        } else if (!q->records.empty()) {
            arm(q, q->records.size() >= batch_max ? 1 : flush_delay);
        }
    }
}

void flush(usage_queue* q) {
    if (q->inflight || q->records.empty()) {
        return;
    }
    q->batch_failed = false;
    size_t n = q->records.size() < batch_max ? q->records.size() : batch_max;
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (size_t i = 0; i < n; i++) {
        const record& rec = q->records[i];
        argv.clear();
        lens.clear();
        auto add = [&](std::string_view s) {
            argv.push_back(s.data());
            lens.push_back(s.size());
        };
        add("XADD");
        add(usage_stream);
        add("MAXLEN");
        add("~");
        add(q->maxlen);
        add("*");
        for (const std::string& f : rec) {
            add(f);
        }
        if (ngx_http_aigw_redis_command(static_cast<int>(argv.size()), argv.data(), lens.data(),
                                        on_reply, q) == nullptr) {
            q->batch_failed = true;
            break;
        }
        q->inflight++;
    }
    if (q->inflight == 0) {
        arm(q, retry_delay);  // not connected: Redis's own reconnect runs meanwhile
    }
}

void enqueue(usage_queue* q, record&& rec, ngx_log_t* log) {
    if (q->records.size() >= q->conf->queue) {
        q->dropped++;
        q->dropped_total++;
        if (ngx_current_msec - q->last_drop_log >= log_interval || q->dropped_total == 1) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "aigw: usage record queue full (%ui records waiting for redis): "
                          "%ui records lost, %ui in total",
                          q->records.size(), q->dropped, q->dropped_total);
            q->dropped = 0;
            q->last_drop_log = ngx_current_msec;
        }
        return;
    }
    q->records.push_back(std::move(rec));
    if (q->inflight == 0) {
        arm(q, q->records.size() >= batch_max ? 1 : flush_delay);
    }
}

usage_queue* get_queue(const ngx_http_aigw_usage_log_conf_t* conf, ngx_log_t* log) {
    if (queue == nullptr) {
        queue = new usage_queue();
        queue->conf = conf;
        queue->maxlen = std::to_string(conf->maxlen);
        queue->log = ngx_cycle->log;
        queue->timer.handler = timer_handler;
        queue->timer.data = queue;
        queue->timer.log = ngx_cycle->log;
    }
    (void)log;
    return queue;
}

std::string number(int64_t n) { return std::to_string(n); }

std::string str(const ngx_str_t& s) {
    return std::string(reinterpret_cast<const char*>(s.data), s.len);
}

// What became of the request, for the record's status field.
const char* outcome(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    bool client_gone = r->connection->error || r->headers_out.status == 499;
    if (ctx->header_sent) {
        if (ctx->upstream_status >= NGX_HTTP_BAD_REQUEST) {
            return "upstream_error";
        }
        if (ctx->upstream_complete) {
            return "ok";
        }
        return client_gone ? "client_closed" : "upstream_cut";
    }
    return client_gone ? "client_closed" : "error";
}

record build(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    ngx_http_aigw_usage_final(r, ctx);
    const ngx_time_t* tp = ngx_timeofday();
    const char* status = outcome(r, ctx);
    std::string_view st = status;
    bool charged = (st == "ok" || st == "client_closed" || st == "upstream_cut") &&
                   ctx->total_tokens > 0;
    ngx_uint_t http_status = r->headers_out.status;
    record rec;
    rec.reserve(44);
    auto field = [&](const char* name, std::string value) {
        rec.emplace_back(name);
        rec.push_back(std::move(value));
    };
    field("ts", number(static_cast<int64_t>(tp->sec) * 1000 + static_cast<int64_t>(tp->msec)));
    field("request_id", str(ctx->request_id));
    field("key_id", ctx->key ? ctx->key->id : std::string());
    field("owner", ctx->key ? ctx->key->owner : std::string());
    field("group", ctx->key ? ctx->key->group : std::string());
    field("endpoint", ctx->endpoint ? std::string(ctx->endpoint->path) : std::string());
    field("model", str(ctx->model));
    field("upstream_model", str(ctx->upstream_model));
    field("channel", ctx->channel ? str(ctx->channel->name) : std::string());
    field("status", status);
    field("http_status", number(static_cast<int64_t>(http_status)));
    field("error_code", str(ctx->error_code));
    field("stream", ctx->stream ? "1" : "0");
    field("prompt_tokens", number(ctx->prompt_tokens));
    field("completion_tokens", number(ctx->completion_tokens));
    field("total_tokens", number(ctx->total_tokens));
    field("cached_tokens", number(ctx->cached_tokens));
    field("reasoning_tokens", number(ctx->reasoning_tokens));
    field("estimated", ctx->usage_estimated ? "1" : "0");
    field("ttft_ms", ctx->t_first_token ? number(static_cast<int64_t>(ctx->t_first_token - ctx->t0))
                                        : std::string());
    field("latency_ms", number(static_cast<int64_t>(ctx->t_end - ctx->t0)));
    field("attempts", number(static_cast<int64_t>(ctx->attempts)));
    field("charged", charged ? "1" : "0");
    return rec;
}

bool option(const ngx_str_t& arg, std::string_view name, ngx_str_t* value) {
    if (arg.len <= name.size() || ngx_strncmp(arg.data, name.data(), name.size()) != 0) {
        return false;
    }
    value->data = arg.data + name.size();
    value->len = arg.len - name.size();
    return true;
}

}  // namespace

char* ngx_http_aigw_usage_log_directive(ngx_conf_t* cf, ngx_http_aigw_usage_log_conf_t* conf) {
    if (conf->enabled != NGX_CONF_UNSET) {
        return const_cast<char*>("is duplicate");
    }
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        if (cf->args->nelts > 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_usage_log off\" takes no parameters");
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        conf->enabled = 0;
        return NGX_CONF_OK;
    }
    if (!(value[1].len == 5 && ngx_strncmp(value[1].data, "redis", 5) == 0)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_usage_log\" target \"%V\": \"redis\" or \"off\"",
                           &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    conf->enabled = 1;
    for (ngx_uint_t i = 2; i < cf->args->nelts; i++) {
        ngx_str_t v;
        ngx_uint_t* slot;
        if (option(value[i], "maxlen=", &v)) {
            slot = &conf->maxlen;
        } else if (option(value[i], "queue=", &v)) {
            slot = &conf->queue;
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_usage_log\" parameter \"%V\"",
                               &value[i]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        ngx_int_t n = ngx_atoi(v.data, v.len);
        if (n == NGX_ERROR || n == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_usage_log\" value \"%V\"",
                               &value[i]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        *slot = static_cast<ngx_uint_t>(n);
    }
    return NGX_CONF_OK;
}

char* ngx_http_aigw_usage_log_init(ngx_conf_t* cf, ngx_http_aigw_usage_log_conf_t* conf,
                                   bool have_redis) {
    if (conf->enabled == NGX_CONF_UNSET) {
        conf->enabled = have_redis ? 1 : 0;
    } else if (conf->enabled && !have_redis) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_usage_log redis\" needs \"aigw_redis\"");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (conf->maxlen == NGX_CONF_UNSET_UINT) {
        conf->maxlen = 1000000;
    }
    if (conf->queue == NGX_CONF_UNSET_UINT) {
        conf->queue = 10000;
    }
    return NGX_CONF_OK;
}

ngx_int_t ngx_http_aigw_log_handler(ngx_http_request_t* r) noexcept {
    if (r != r->main) {
        return NGX_OK;
    }
    auto* ctx = static_cast<ngx_http_aigw_ctx_t*>(ngx_http_get_module_ctx(r, ngx_http_aigw_module));
    // Requests that reached the gateway's content phase: a rejected key leaves no record.
    if (ctx == nullptr || ctx->endpoint == nullptr) {
        return NGX_OK;
    }
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_get_module_main_conf(r, ngx_http_aigw_module));
    if (!amcf->usage_log.enabled) {
        return NGX_OK;
    }
    try {
        usage_queue* q = get_queue(&amcf->usage_log, r->connection->log);
        enqueue(q, build(r, ctx), r->connection->log);
    } catch (const std::exception& e) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "aigw: usage record failed: %s",
                      e.what());
    }
    return NGX_OK;
}

void ngx_http_aigw_usage_log_exit_process(ngx_cycle_t* cycle) noexcept {
    if (queue == nullptr) {
        return;
    }
    size_t left = queue->records.size();
    if (left) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "aigw: worker exits with %uz usage records redis did not take", left);
    }
    if (queue->timer.timer_set) {
        ngx_del_timer(&queue->timer);
    }
    delete queue;
    queue = nullptr;
}
