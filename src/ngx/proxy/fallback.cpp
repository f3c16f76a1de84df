// A failed attempt; see fallback.hpp.
#include "ngx/proxy/fallback.hpp"

#include <optional>
#include <string>

#include "aigw/dialects/dialect.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/filters/buffers.hpp"
#include "ngx/proxy/channels.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/log_limit.hpp"
#include "ngx/util/log_value.hpp"

namespace {

// Milliseconds a 429 or 503 asks the client to wait: retry-after-ms, or Retry-After as
// seconds or as an HTTP date. 0 when absent or unusable.
uint64_t retry_after(ngx_http_request_t* sr) {
    std::string_view ra, ra_ms;
    aigw::ngx::for_each_header(sr->headers_out.headers, [&](ngx_table_elt_t& h) {
        if (h.hash == 0) {
            return true;
        }
        if (aigw::ngx::name_is(h.key, "retry-after")) {
            ra = aigw::ngx::view(h.value);
        } else if (aigw::ngx::name_is(h.key, "retry-after-ms")) {
            ra_ms = aigw::ngx::view(h.value);
        }
        return true;
    });
    if (std::optional<uint64_t> ms = aigw::parse_retry_after(ra, ra_ms)) {
        return *ms;
    }
    if (!ra.empty()) {
        time_t when = ngx_parse_http_time(reinterpret_cast<u_char*>(const_cast<char*>(ra.data())),
                                          ra.size());
        if (when != NGX_ERROR && when > ngx_time()) {
            return static_cast<uint64_t>(when - ngx_time()) * 1000;
        }
    }
    return 0;
}


}  // namespace

bool ngx_http_aigw_attempt_answered(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                    ngx_uint_t status) {
    if (ctx->content.route == nullptr) {
        return false;
    }
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(sr);
    uint32_t channel = ctx->content.candidates[ctx->attempt.target];
    if (status != NGX_HTTP_TOO_MANY_REQUESTS && status < NGX_HTTP_INTERNAL_SERVER_ERROR) {
        // An answer, even a 4xx that is the client's fault: the channel works.
        ngx_http_aigw_channels_succeeded(&amcf->channels, channel, ctx->attempt.picked_at);
        return false;
    }
    if (status == NGX_HTTP_TOO_MANY_REQUESTS || status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        ctx->attempt.retry_after_ms = retry_after(sr);
    }
    ctx->attempt.retryable = 1;
    return true;
}

aigw::attempt_failure ngx_http_aigw_attempt_failure(ngx_http_request_t* r,
                                                    ngx_http_aigw_ctx_t* ctx) {
    aigw::attempt_failure failure =
        ctx->attempt.retryable                            ? aigw::attempt_failure::status
        : ctx->attempt.sr_rc == NGX_HTTP_GATEWAY_TIME_OUT ? aigw::attempt_failure::timeout
                                                          : aigw::attempt_failure::unreachable;
    if (failure == aigw::attempt_failure::unreachable &&
        (ctx->attempt.sr_rc == NGX_HTTP_NOT_FOUND || ctx->attempt.sr_rc == NGX_OK)) {
        ngx_http_aigw_log_limited(
            NGX_LOG_ERR, r->connection->log,
            ngx_http_aigw_log_kind("no_response", ctx->attempt.channel->name),
            "aigw: channel \"%V\" (location \"%V\") produced no upstream "
            "response (rc %i); check the location and its proxy_pass",
            &ctx->attempt.channel->name, &ctx->attempt.channel->location, ctx->attempt.sr_rc);
    }
    return failure;
}

void ngx_http_aigw_attempt_failed(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                  aigw::attempt_failure failure) {
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    uint32_t channel = ctx->content.candidates[ctx->attempt.target];
    if (ctx->response.keep_swallowed) {
        // A 429 whose wait is in its body (Google's RetryInfo): read it now that it is in.
        ctx->attempt.retry_after_ms =
            ngx_http_aigw_upstream_dialect(ctx).retry_delay_ms(ngx_http_aigw_held(ctx));
        ngx_http_aigw_release_hold(ctx);
        ctx->response.keep_swallowed = 0;
    }
    if (failure == aigw::attempt_failure::status &&
        ctx->response.upstream_status == NGX_HTTP_TOO_MANY_REQUESTS) {
        ngx_http_aigw_channels_rate_limited(&amcf->channels, channel, ctx->attempt.retry_after_ms);
    } else {
        ngx_http_aigw_channels_failed(&amcf->channels, channel, ctx->attempt.retry_after_ms);
    }
    const char* what = failure == aigw::attempt_failure::timeout       ? "timed out"
                       : failure == aigw::attempt_failure::unreachable ? "could not be reached"
                                                                       : "answered";
    // One line a second per channel and failure class, with the count of the others.
    std::string kind = ngx_http_aigw_log_kind(what, ctx->attempt.channel->name);
    aigw::ngx::log_value m(ctx->content.model);
    if (failure == aigw::attempt_failure::status) {
        kind += '|' + std::to_string(ctx->response.upstream_status);
        ngx_http_aigw_log_limited(NGX_LOG_WARN, r->connection->log, kind,
                                  "aigw: channel \"%V\" %s HTTP %ui for model \"%*s\" (attempt "
                                  "%ui, retry after %uLms)",
                                  &ctx->attempt.channel->name, what,
                                  ctx->response.upstream_status, m.len, m.data,
                                  ctx->attempt.attempts, ctx->attempt.retry_after_ms);
    } else {
        ngx_http_aigw_log_limited(NGX_LOG_WARN, r->connection->log, kind,
                                  "aigw: channel \"%V\" %s for model \"%*s\" (attempt %ui, rc "
                                  "%i)",
                                  &ctx->attempt.channel->name, what, m.len, m.data,
                                  ctx->attempt.attempts, ctx->attempt.sr_rc);
    }
}

ngx_int_t ngx_http_aigw_all_failed(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                   aigw::attempt_failure failure) {
    aigw::ngx::log_value m(ctx->content.model);
    ngx_http_aigw_log_limited(NGX_LOG_ERR, r->connection->log,
                              ngx_http_aigw_log_kind("all_failed", ctx->attempt.channel->name),
                              "aigw: all %ui attempts for model \"%*s\" failed; the last was "
                              "channel \"%V\"",
                              ctx->attempt.attempts, m.len, m.data, &ctx->attempt.channel->name);
    aigw::api_error e = aigw::all_channels_failed_error(
        aigw::ngx::view(ctx->content.model), static_cast<unsigned>(ctx->attempt.attempts), failure,
        static_cast<int>(ctx->response.upstream_status));
    if (e.status == NGX_HTTP_TOO_MANY_REQUESTS && ctx->attempt.retry_after_ms) {
        uint64_t ms = ctx->attempt.retry_after_ms < aigw::max_retry_after_ms
                          ? ctx->attempt.retry_after_ms
                          : aigw::max_retry_after_ms;
        if (ngx_http_aigw_set_retry_after(r, ms) != NGX_OK) {
            return NGX_ERROR;
        }
    }
    return ngx_http_aigw_send_error(r, e);
}

aigw::api_error ngx_http_aigw_attempt_error(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (ctx->response.swallowed_status) {
        return aigw::upstream_bad_response_error(static_cast<int>(ctx->response.swallowed_status));
    }
    if (ctx->attempt.sr_rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        return aigw::upstream_timeout_error();
    }
    if (ctx->attempt.sr_rc == NGX_HTTP_NOT_FOUND || ctx->attempt.sr_rc == NGX_OK) {
        aigw::ngx::log_value uri(r->uri);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: the channel location for \"%*s\" produced no upstream response "
                      "(rc %i); check aigw_pass and the location's proxy_pass",
                      uri.len, uri.data, ctx->attempt.sr_rc);
    }
    return aigw::upstream_unreachable_error();
}
