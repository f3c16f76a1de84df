// Answers of a channel of another dialect; see translate.hpp.
#include "ngx/filters/translate.hpp"

#include "aigw/api/stream.hpp"
#include "aigw/dialects/dialect.hpp"
#include "aigw/text/sse_framer.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/proxy/translation.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/log_value.hpp"

namespace {

// The client's events for `events`, appended to st->out: the answer's model is the public
// name when the response names that one (aigw_response_model public).
void encode(ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st,
            std::vector<aigw::api::event>& events) {
    for (aigw::api::event& ev : events) {
        if (st->translated_done) {
            break;  // nothing goes after the end
        }
        if (ev.kind == aigw::api::event_kind::start && ctx->attempt.rename_model) {
            ev.model.assign(reinterpret_cast<const char*>(ctx->content.model.data),
                            ctx->content.model.len);
        }
        st->encoder->encode(ev, st->out);
        if (ev.kind == aigw::api::event_kind::done || ev.kind == aigw::api::event_kind::error) {
            st->translated_done = true;
        }
    }
}

}  // namespace

void ngx_http_aigw_translate_start(ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st) {
    st->decoder = ngx_http_aigw_upstream_dialect(ctx).stream_decoder();
    st->encoder =
        ngx_http_aigw_client_dialect(ctx).stream_encoder(ctx->content.translation->request);
}

ngx_http_aigw_event_action ngx_http_aigw_translate_event(ngx_http_aigw_ctx_t* ctx,
                                                         ngx_http_aigw_body_t* st,
                                                         const aigw::sse_event& e) {
    if (!e.has_data) {
        return ngx_http_aigw_event_action::drop;  // a comment: the client's dialect has its own
    }
    st->decoded.clear();
    if (!st->decoder->decode(e.type, e.data, st->decoded)) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ctx->main->connection->log, 0,
                       "aigw: dropped an unreadable \"%s\" event of %uz bytes from the stream",
                       e.type.c_str(), e.data.size());
        return ngx_http_aigw_event_action::drop;
    }
    st->out.clear();
    encode(ctx, st, st->decoded);
    return st->out.empty() ? ngx_http_aigw_event_action::drop
                           : ngx_http_aigw_event_action::replace;
}

std::string ngx_http_aigw_translate_stream_end(ngx_http_aigw_ctx_t* ctx,
                                               ngx_http_aigw_body_t* st) {
    if (st->translated_done) {
        return {};
    }
    // The upstream closed cleanly without its end marker (OpenAI-compatible servers that
    // send no [DONE], an Anthropic stream without message_stop): the client's stream still
    // ends as its dialect ends one.
    std::vector<aigw::api::event> end(1);
    end[0].kind = aigw::api::event_kind::done;
    st->out.clear();
    encode(ctx, st, end);
    return st->out;
}

std::string ngx_http_aigw_translate_error(ngx_http_aigw_ctx_t* ctx, const aigw::api_error& e) {
    ngx_http_aigw_body_t* st = ctx->usage.body;
    if (!ctx->attempt.translate || st == nullptr || st->encoder == nullptr ||
        st->translated_done) {
        return {};
    }
    std::vector<aigw::api::event> end(1);
    end[0].kind = aigw::api::event_kind::error;
    end[0].error = e;
    st->out.clear();
    encode(ctx, st, end);
    return st->out;
}

std::string ngx_http_aigw_translate_json(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                         ngx_http_aigw_body_t* st, ngx_uint_t* status) {
    const aigw::dialect& upstream = ngx_http_aigw_upstream_dialect(ctx);
    const aigw::dialect& client = ngx_http_aigw_client_dialect(ctx);
    if (*status >= NGX_HTTP_BAD_REQUEST) {
        aigw::api_error e = upstream.read_error(static_cast<int>(*status), st->json);
        ngx_http_aigw_note_error(ctx, e);
        *status = static_cast<ngx_uint_t>(e.status);
        return client.error_body(e);
    }
    aigw::api::response resp;
    if (!upstream.response_to_pivot(st->json, resp)) {
        aigw::ngx::log_value uri(r->uri);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: upstream answered \"%*s\" with HTTP %ui and a body that is not a "
                      "%s response",
                      uri.len, uri.data, *status, std::string(upstream.name()).c_str());
        aigw::api_error e = aigw::upstream_bad_response_error(static_cast<int>(*status));
        ngx_http_aigw_note_error(ctx, e);
        *status = static_cast<ngx_uint_t>(e.status);
        return client.error_body(e);
    }
    if (resp.blocked) {
        // The prompt itself was refused (Gemini's promptFeedback): as OpenAI answers a
        // request its content filter caught.
        aigw::api_error e = aigw::content_filter_error(resp.block_reason);
        ngx_http_aigw_note_error(ctx, e);
        *status = static_cast<ngx_uint_t>(e.status);
        return client.error_body(e);
    }
    if (ctx->attempt.rename_model) {
        resp.model.assign(reinterpret_cast<const char*>(ctx->content.model.data),
                          ctx->content.model.len);
    }
    return client.response_from_pivot(resp);
}
