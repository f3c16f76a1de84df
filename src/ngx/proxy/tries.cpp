// The tries of a routed request; see tries.hpp.
#include "ngx/proxy/tries.hpp"

#include <cstdint>

#include "ngx/conf/conf.hpp"
#include "ngx/metrics.hpp"

namespace {

const ngx_http_aigw_channel_t* channel_at(ngx_http_request_t* r, uint32_t channel) {
    return ngx_http_aigw_channel_at(&ngx_http_aigw_main_conf(r)->channels, channel);
}

uint32_t ms_since(ngx_msec_t from) {
    ngx_msec_int_t d = static_cast<ngx_msec_int_t>(ngx_current_msec - from);
    if (d < 0) {
        return 0;
    }
    // attempt_no_head is kept for "none".
    return static_cast<uint64_t>(d) < aigw::attempt_no_head ? static_cast<uint32_t>(d)
                                                             : aigw::attempt_no_head - 1;
}

bool client_gone(ngx_http_request_t* r) {
    return r->connection->error || r->headers_out.status == NGX_HTTP_CLIENT_CLOSED_REQUEST;
}

}  // namespace

void ngx_http_aigw_try_started(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    ngx_http_aigw_attempt_part_t& a = ctx->attempt;
    if (ctx->content.route == nullptr) {
        return;
    }
    if (a.try_open) {
        // Not expected: the previous attempt ends here rather than be lost.
        ngx_http_aigw_try_ended(r, ctx, ngx_http_aigw_try_outcome(r, ctx), true);
    }
    if (a.tries == nullptr) {
        a.tries = static_cast<ngx_http_aigw_try_t*>(
            ngx_palloc(r->pool, ctx->content.ncandidates * sizeof(ngx_http_aigw_try_t)));
        if (a.tries == nullptr) {
            return;  // the record goes without its tries
        }
    }
    if (a.ntries >= ctx->content.ncandidates) {
        return;
    }
    ngx_http_aigw_try_t& t = a.tries[a.ntries];
    t.channel = ctx->content.candidates[a.target];
    t.header_ms = aigw::attempt_no_head;
    t.duration_ms = 0;
    t.upstream_status = 0;
    t.outcome = static_cast<uint8_t>(aigw::attempt_outcome::ok);
    t.swallowed = 0;
    a.try_open = 1;
    ngx_http_aigw_metrics_inflight(channel_at(r, t.channel), 1);
}

void ngx_http_aigw_try_head(ngx_http_aigw_ctx_t* ctx) {
    if (ctx->attempt.try_open) {
        ctx->attempt.tries[ctx->attempt.ntries].header_ms = ms_since(ctx->attempt.picked_at);
    }
}

void ngx_http_aigw_try_ended(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                             aigw::attempt_outcome outcome, bool swallowed) {
    ngx_http_aigw_attempt_part_t& a = ctx->attempt;
    if (!a.try_open) {
        return;
    }
    ngx_http_aigw_try_t& t = a.tries[a.ntries];
    ngx_uint_t status = ctx->response.upstream_status;
    t.upstream_status = static_cast<uint16_t>(status < UINT16_MAX ? status : UINT16_MAX);
    t.duration_ms = ms_since(a.picked_at);
    t.outcome = static_cast<uint8_t>(outcome);
    t.swallowed = swallowed ? 1 : 0;
    a.ntries++;
    a.try_open = 0;
    ngx_http_aigw_metrics_inflight(channel_at(r, t.channel), -1);
    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "aigw: try %ui ended: %s, upstream status %ui, swallowed %d", a.ntries,
                   aigw::attempt_outcome_name(outcome).data(), status, swallowed ? 1 : 0);
}

aigw::attempt_outcome ngx_http_aigw_try_outcome(ngx_http_request_t* r,
                                                const ngx_http_aigw_ctx_t* ctx) {
    if (client_gone(r)) {
        return aigw::attempt_outcome::client_closed;
    }
    ngx_uint_t status = ctx->response.upstream_status;
    if (status == 0) {
        return ctx->attempt.sr_rc == NGX_HTTP_GATEWAY_TIME_OUT
                   ? aigw::attempt_outcome::timeout
                   : aigw::attempt_outcome::connect_failure;
    }
    if (status >= NGX_HTTP_BAD_REQUEST) {
        return aigw::attempt_outcome_of_status(static_cast<unsigned>(status));
    }
    if (!ctx->response.upstream_complete || ctx->attempt.sr_rc == NGX_ERROR ||
        ctx->attempt.sr_rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return aigw::attempt_outcome::cut;
    }
    return aigw::attempt_outcome::ok;
}

void ngx_http_aigw_tries_close(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (!ctx->attempt.try_open) {
        return;
    }
    bool cut = !client_gone(r) && ctx->response.upstream_status != 0;
    ngx_http_aigw_try_ended(
        r, ctx, cut ? aigw::attempt_outcome::cut : aigw::attempt_outcome::client_closed, false);
}
