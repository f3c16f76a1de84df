// Attempts: the next channel of a routed request (or the aigw_pass location), its body and
// subrequest, and what happens when the subrequest ends: the response is finished, or the
// failure handed to fallback.cpp and the next channel tried.
#include "ngx/proxy/attempt.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "aigw/dialects/dialect.hpp"
#include "aigw/routing/model_map.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/filters/translate.hpp"
#include "ngx/proxy/channel_body.hpp"
#include "ngx/proxy/channels.hpp"
#include "ngx/proxy/fallback.hpp"
#include "ngx/proxy/subrequest.hpp"
#include "ngx/proxy/tries.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/log_limit.hpp"
#include "ngx/util/log_value.hpp"

namespace {

void resume(ngx_http_request_t* r) noexcept;

// Starts the current attempt's subrequest; the main request resumes when it ends.
ngx_int_t start(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    ngx_int_t rc = ngx_http_aigw_subrequest_start(r, ctx);
    if (rc == NGX_OK) {
        r->write_event_handler = resume;
        ngx_http_aigw_try_started(r, ctx);
    }
    return rc;
}

// The next channel for a routed request, its body (the model spliced to the channel's
// upstream name; every other byte as the client sent it) and its subrequest. NGX_DECLINED
// when no attempt is left: every candidate tried, aigw_fallback_attempts reached, or
// aigw_fallback_timeout passed. `failed`: how the attempt before ended, which is swallowed
// once another channel is picked.
ngx_int_t next_attempt(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                       std::optional<aigw::attempt_outcome> failed) {
    ngx_http_aigw_loc_conf_t* alcf = ngx_http_aigw_loc_conf(r);
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    size_t limit = ctx->content.ncandidates;
    if (alcf->fallback_attempts && alcf->fallback_attempts < limit) {
        limit = alcf->fallback_attempts;
    }
    if (ctx->attempt.attempts >= limit) {
        return NGX_DECLINED;
    }
    if (ctx->attempt.attempts && alcf->fallback_timeout &&
        ngx_current_msec - ctx->attempt.started >= alcf->fallback_timeout) {
        aigw::ngx::log_value m(ctx->content.model);
        ngx_http_aigw_log_limited(
            NGX_LOG_WARN, r->connection->log,
            ngx_http_aigw_log_kind("fallback_timeout", ctx->attempt.channel->name),
            "aigw: aigw_fallback_timeout passed for model \"%*s\" after %ui attempts", m.len,
            m.data, ctx->attempt.attempts);
        return NGX_DECLINED;
    }
    aigw::pick_result pick = ngx_http_aigw_channels_pick(
        &amcf->channels, ctx->content.candidates, ctx->content.ncandidates, ctx->attempt.tried,
        ctx->attempt.excluded);
    if (!pick.found) {
        return NGX_DECLINED;
    }
    if (failed) {
        ngx_http_aigw_try_ended(r, ctx, *failed, true);
    }
    ctx->attempt.tried |= uint64_t{1} << pick.position;
    ctx->attempt.target = pick.position;
    ctx->attempt.picked_at = ngx_current_msec;
    ctx->attempt.channel = ngx_http_aigw_channel_at(&amcf->channels, pick.channel);
    // translation_prepare read the request into the pivot if a candidate needs it.
    ctx->attempt.translate =
        ngx_http_aigw_channel_dialect(ctx->attempt.channel, ctx->content.dialect) !=
            ctx->content.dialect &&
        ctx->content.translation != nullptr;

    const std::string& up = ctx->content.route->targets[pick.position].upstream_model;
    std::string_view client_model = aigw::ngx::view(ctx->content.model);
    bool renamed = !up.empty() && up != client_model;
    if (renamed) {
        ctx->attempt.upstream_model.data = reinterpret_cast<u_char*>(const_cast<char*>(up.data()));
        ctx->attempt.upstream_model.len = up.size();
    } else {
        ctx->attempt.upstream_model = ctx->content.model;
    }
    ctx->attempt.rename_model =
        renamed && alcf->response_model == NGX_HTTP_AIGW_RESPONSE_MODEL_PUBLIC;
    if (pick.forced) {
        aigw::ngx::log_value m(ctx->content.model);
        ngx_http_aigw_log_limited(NGX_LOG_WARN, r->connection->log,
                                  ngx_http_aigw_log_kind("set_aside", ctx->attempt.channel->name),
                                  "aigw: every channel for model \"%*s\" is set aside; trying "
                                  "\"%V\" anyway",
                                  m.len, m.data, &ctx->attempt.channel->name);
    }
    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "aigw: attempt %ui: channel \"%V\", upstream model \"%V\"",
                   ctx->attempt.attempts + 1, &ctx->attempt.channel->name,
                   &ctx->attempt.upstream_model);

    ngx_int_t rc = ngx_http_aigw_channel_body(
        r, ctx, renamed ? std::optional<std::string_view>(up) : std::nullopt);
    if (rc != NGX_OK) {
        return rc;
    }
    return start(r, ctx);
}

// The main request's turn once the attempt's subrequest ended.
void attempt_ended(ngx_http_request_t* r) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    if (ctx == nullptr || ctx->attempt.sr == nullptr || !ctx->attempt.sr_done) {
        return;  // woken before the subrequest finished
    }
    ctx->attempt.sr = nullptr;
    r->write_event_handler = ngx_http_request_empty_handler;

    if (r->connection->error) {
        ngx_http_aigw_try_ended(r, ctx, aigw::attempt_outcome::client_closed, false);
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    if (ctx->response.json_task && ctx->media.task_answered != nullptr) {
        ngx_http_aigw_try_ended(r, ctx, ngx_http_aigw_try_outcome(r, ctx), false);
        if (!ctx->response.upstream_complete || ctx->attempt.sr_rc == NGX_ERROR ||
            ctx->attempt.sr_rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            ngx_http_finalize_request(
                r, ngx_http_aigw_send_error(r, aigw::upstream_interrupted_error()));
            return;
        }
        ctx->media.task_answered(r, ctx);
        return;
    }

    if (!ctx->response.header_sent) {
        if (ctx->content.route != nullptr &&
            (ctx->attempt.retryable || ctx->response.upstream_status == 0)) {
            // Nothing reached the client yet: another channel may still answer.
            aigw::attempt_failure failure = ngx_http_aigw_attempt_failure(r, ctx);
            ngx_http_aigw_attempt_failed(r, ctx, failure);
            aigw::attempt_outcome outcome = ngx_http_aigw_try_outcome(r, ctx);
            ngx_int_t rc = next_attempt(r, ctx, outcome);
            if (rc == NGX_OK) {
                // A fresh attempt: what the failed one left behind does not carry over.
                ctx->response.own_response = 0;
                ctx->response.body_started = 0;
                ctx->response.sse = 0;
                ctx->response.sse_passthrough = 0;
                return;
            }
            if (rc != NGX_DECLINED) {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }
            ngx_http_aigw_try_ended(r, ctx, outcome, false);
            ngx_http_finalize_request(r, ngx_http_aigw_all_failed(r, ctx, failure));
            return;
        }
        ngx_http_aigw_try_ended(r, ctx, ngx_http_aigw_try_outcome(r, ctx), false);
        ngx_http_finalize_request(
            r, ngx_http_aigw_send_error(r, ngx_http_aigw_attempt_error(r, ctx)));
        return;
    }

    ngx_http_aigw_try_ended(r, ctx, ngx_http_aigw_try_outcome(r, ctx), false);
    if (!ctx->response.upstream_complete || ctx->attempt.sr_rc == NGX_ERROR ||
        ctx->attempt.sr_rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        aigw::ngx::log_value uri(r->uri);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: upstream response for \"%*s\" was interrupted (rc %i)", uri.len,
                      uri.data, ctx->attempt.sr_rc);
        if (!ctx->response.sse) {
            // A truncated JSON body cannot be repaired: close so the client notices.
            r->keepalive = 0;
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }
        // A translated stream ends through its encoder, which numbers the events and closes
        // the answer as the client's dialect does (the Responses API's response.failed).
        aigw::api_error e = aigw::upstream_interrupted_error();
        std::string encoded = ngx_http_aigw_translate_error(ctx, e);
        ngx_chain_t* held = ctx->response.hold;
        if (!ctx->attempt.translate && held != nullptr && held->buf->pos < held->buf->last &&
            *held->buf->pos == '\n') {
            // The LF of the last event's CRLF blank line is still held (it belongs to no
            // event): without it a client that ends events on "\r\n\r\n" (Gemini's SDKs)
            // would read the error event as part of the last one.
            encoded = "\n" + ngx_http_aigw_client_dialect(ctx).error_event(e);
        }
        ngx_http_finalize_request(r, ngx_http_aigw_send_sse_error(r, e, encoded));
        return;
    }
    ngx_http_finalize_request(r, ngx_http_send_special(r, NGX_HTTP_LAST));
}

// The main request's write event handler while an attempt runs.
void resume(ngx_http_request_t* r) noexcept {
    if (!aigw::ngx::guard(r->connection->log, "resume", [r] { attempt_ended(r); })) {
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}

}  // namespace

ngx_int_t ngx_http_aigw_first_attempt(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (ctx->content.route == nullptr) {
        ngx_int_t rc = ngx_http_aigw_channel_body(r, ctx, std::nullopt);
        if (rc != NGX_OK) {
            return rc;
        }
        return start(r, ctx);
    }
    ctx->attempt.started = ngx_current_msec;
    return next_attempt(r, ctx, std::nullopt);
}

ngx_int_t ngx_http_aigw_attempt_without_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    return start(r, ctx);
}
