// Callbacks of video tasks; see callbacks.hpp.
#include "ngx/media/callbacks.hpp"

#include <string_view>
#include <vector>

#include "aigw/media/callback.hpp"
#include "aigw/schema.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/redis/client.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/log_value.hpp"
#include "ngx/util/pool.hpp"

namespace {

constexpr std::string_view callback_header = "x-aigw-callback-url";

// One delivery attempt (request pool).
struct delivery {
    aigw::task_record* rec = nullptr;
    std::string object;
    std::string body;        // the poller's answer
    ngx_uint_t status = 0;   // the receiver's, 0: none
    bool done = false;
};

// The task's callback state, and its place in the pending set (gone once the callback is
// delivered or given up).
void record_state(ngx_http_request_t* r, const aigw::task_record& rec) {
    std::vector<std::string> argv{
        "EVAL",
        "redis.call('HSET', KEYS[1], 'callback', ARGV[1], 'callback_attempts', ARGV[2], "
        "'callback_next_ms', ARGV[3]) "
        "if ARGV[1] == 'pending' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) "
        "else redis.call('ZREM', KEYS[2], ARGV[4]) end return 1",
        "2", aigw::task_hash_key(rec.id), std::string(aigw::pending_tasks_key()),
        std::string(aigw::callback_state_name(rec.callback)),
        std::to_string(rec.callback_attempts), std::to_string(rec.callback_next_ms), rec.id};
    if (ngx_http_aigw_redis_command(argv, nullptr, nullptr) == nullptr) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "aigw: video task \"%s\": its callback state could not be recorded",
                      rec.id.c_str());
    }
}

void answer_poller(ngx_http_request_t* r, const aigw::task_record& rec) {
    std::string body = "{\"id\":\"" + rec.id + "\",\"status\":\"" +
                       std::string(aigw::task_status_name(rec.status)) + "\",\"callback\":\"" +
                       std::string(aigw::callback_state_name(rec.callback)) + "\"}";
    ngx_http_finalize_request(r, ngx_http_aigw_send_json(r, NGX_HTTP_OK, body));
}

// The receiver answered (or not): delivered, retried later, or given up.
void delivery_ended(ngx_http_request_t* r) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    auto* d = static_cast<delivery*>(ctx->media.delivery);
    if (d == nullptr || !d->done) {
        return;
    }
    r->write_event_handler = ngx_http_request_empty_handler;
    aigw::task_record& rec = *d->rec;
    rec.callback_attempts++;
    bool ok = d->status >= 200 && d->status < 300;
    aigw::ngx::log_value url(ctx->media.callback_url);
    if (ok) {
        rec.callback = aigw::callback_state::delivered;
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aigw: video task \"%s\": callback attempt %d to \"%*s\" delivered (HTTP "
                      "%ui)",
                      rec.id.c_str(), rec.callback_attempts, url.len, url.data, d->status);
    } else if (rec.callback_attempts >= aigw::callback_max_attempts) {
        rec.callback = aigw::callback_state::failed;
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: video task \"%s\": callback attempt %d to \"%*s\" failed (HTTP "
                      "%ui); giving up",
                      rec.id.c_str(), rec.callback_attempts, url.len, url.data, d->status);
    } else {
        rec.callback_next_ms = aigw::ngx::unix_ms() + aigw::callback_retry_delay_ms(rec.callback_attempts);
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "aigw: video task \"%s\": callback attempt %d to \"%*s\" failed (HTTP "
                      "%ui); retrying in %L ms",
                      rec.id.c_str(), rec.callback_attempts, url.len, url.data, d->status,
                      rec.callback_next_ms - aigw::ngx::unix_ms());
    }
    record_state(r, rec);
    answer_poller(r, rec);
}

void delivery_resume(ngx_http_request_t* r) noexcept {
    if (!aigw::ngx::guard(r->connection->log, "callback delivery", [r] { delivery_ended(r); })) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

ngx_int_t delivery_done(ngx_http_request_t* sr, void* data, ngx_int_t rc) noexcept {
    auto* d = static_cast<delivery*>(data);
    ngx_uint_t status = sr->headers_out.status;
    if (sr->upstream != nullptr && sr->upstream->headers_in.status_n) {
        status = sr->upstream->headers_in.status_n;
    }
    if (!d->done) {
        d->status = status;
        d->done = true;
    }
    (void)rc;
    return NGX_OK;
}

bool push_header(ngx_http_request_t* r, ngx_list_t* list, std::string_view name,
                 std::string_view lower, std::string_view value) {
    auto* h = static_cast<ngx_table_elt_t*>(ngx_list_push(list));
    ngx_str_t v;
    if (h == nullptr || !aigw::ngx::pool_copy(r->pool, value, &v)) {
        return false;
    }
    h->key.data = reinterpret_cast<u_char*>(const_cast<char*>(name.data()));
    h->key.len = name.size();
    h->lowcase_key = reinterpret_cast<u_char*>(const_cast<char*>(lower.data()));
    h->hash = ngx_hash_key(h->lowcase_key, h->key.len);
    h->value = v;
#if defined(nginx_version) && nginx_version >= 1023000
    h->next = nullptr;
#endif
    return true;
}

// POSTs the final object to the callback URL through the aigw_callback_pass location.
ngx_int_t deliver(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, aigw::task_record* rec,
                  const std::string& object) {
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    auto* d = aigw::ngx::pool_new<delivery>(r->pool);
    if (d == nullptr || !aigw::ngx::pool_copy(r->pool, rec->callback_url,
                                              &ctx->media.callback_url)) {
        return NGX_ERROR;
    }
    d->rec = rec;
    d->object = object;
    ctx->media.delivery = d;
    ngx_time_t* tp = ngx_timeofday();
    std::string signature = aigw::callback_signature(
        aigw::ngx::view(amcf->tasks.callback_secret), static_cast<int64_t>(tp->sec), d->object);

    auto* ps = static_cast<ngx_http_post_subrequest_t*>(
        ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t)));
    if (ps == nullptr) {
        return NGX_ERROR;
    }
    ps->handler = delivery_done;
    ps->data = d;
    ngx_http_request_t* sr = nullptr;
    ngx_str_t uri = amcf->tasks.callback_pass;
    if (ngx_http_subrequest(r, &uri, nullptr, &sr, ps, NGX_HTTP_SUBREQUEST_IN_MEMORY) !=
        NGX_OK) {
        return NGX_ERROR;
    }
    sr->method = NGX_HTTP_POST;
    ngx_str_set(&sr->method_name, "POST");
    auto* rb = static_cast<ngx_http_request_body_t*>(
        ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t)));
    auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(r->pool));
    ngx_chain_t* cl = ngx_alloc_chain_link(r->pool);
    if (rb == nullptr || b == nullptr || cl == nullptr) {
        return NGX_ERROR;
    }
    b->memory = 1;
    b->pos = b->start = reinterpret_cast<u_char*>(d->object.data());
    b->last = b->end = b->pos + d->object.size();
    b->last_buf = 1;
    cl->buf = b;
    cl->next = nullptr;
    rb->bufs = cl;
    sr->request_body = rb;
    sr->headers_in.content_length_n = static_cast<off_t>(d->object.size());
    sr->headers_in.chunked = 0;

    // The receiver sees only what the delivery says, none of the poller's headers.
    ngx_list_t* list = &sr->headers_in.headers;
    if (ngx_list_init(list, r->pool, 6, sizeof(ngx_table_elt_t)) != NGX_OK) {
        return NGX_ERROR;
    }
    sr->headers_in.authorization = nullptr;
    sr->headers_in.content_type = nullptr;
    if (!push_header(r, list, "Content-Type", "content-type", "application/json") ||
        !push_header(r, list, "User-Agent", "user-agent", "aigw-callback/1") ||
        !push_header(r, list, "X-Aigw-Signature", "x-aigw-signature", signature) ||
        !push_header(r, list, "X-Aigw-Task-Id", "x-aigw-task-id", rec->id) ||
        !push_header(r, list, "X-Aigw-Delivery-Attempt", "x-aigw-delivery-attempt",
                     std::to_string(rec->callback_attempts + 1))) {
        return NGX_ERROR;
    }
    r->write_event_handler = delivery_resume;
    return NGX_OK;
}

}  // namespace

bool ngx_http_aigw_callback_from_request(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                         aigw::api_error* refused) {
    ngx_table_elt_t* found = nullptr;
    aigw::ngx::for_each_header(r->headers_in.headers, [&](ngx_table_elt_t& h) {
        if (aigw::ngx::name_is(h.key, callback_header)) {
            found = &h;
            return false;
        }
        return true;
    });
    if (found == nullptr) {
        return true;
    }
    ngx_http_aigw_tasks_conf_t& tc = ngx_http_aigw_main_conf(r)->tasks;
    if (tc.callback_pass.len == 0) {
        *refused = aigw::callback_refused_error(
            "this gateway does not deliver callbacks (no aigw_callback_pass)");
        return false;
    }
    static const std::vector<aigw::cidr_block> no_blocks;
    static const std::vector<std::string> no_hosts;
    aigw::callback_target target = aigw::check_callback_url(
        aigw::ngx::view(found->value), tc.callback_allow ? *tc.callback_allow : no_blocks,
        tc.callback_allow_hosts ? *tc.callback_allow_hosts : no_hosts);
    if (!target.ok) {
        aigw::ngx::log_value url(found->value);
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aigw: refused callback URL \"%*s\": %s", url.len, url.data,
                      target.error.c_str());
        *refused = aigw::callback_refused_error(target.error);
        return false;
    }
    if (!aigw::ngx::pool_copy(r->pool, aigw::ngx::view(found->value), &ctx->media.callback_url)) {
        *refused = aigw::api_error{};
        refused->status = 0;
        return false;
    }
    return true;
}

void ngx_http_aigw_task_polled(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                               aigw::task_record* rec, const std::string& object) {
    if (!aigw::task_finished(rec->status) || rec->callback != aigw::callback_state::pending ||
        rec->callback_next_ms > aigw::ngx::unix_ms()) {
        answer_poller(r, *rec);
        return;
    }
    if (deliver(r, ctx, rec, object) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

ngx_int_t ngx_http_aigw_task_poll_gone(ngx_http_request_t* r, const std::string& id) {
    std::string body = "{\"id\":\"" + id + "\",\"status\":\"gone\"}";
    return ngx_http_aigw_send_json(r, NGX_HTTP_NOT_FOUND, body);
}
