// Requests to a channel of another dialect; see translation.hpp.
#include "ngx/proxy/translation.hpp"

#include <string>

#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/routing/model_map.hpp"
#include "aigw/routing/router.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/log_value.hpp"
#include "ngx/util/pool.hpp"

namespace {

// What channel number `channel` is spoken to in for this request's client.
aigw::dialect_id channel_dialect(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                                 uint32_t channel) {
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    return ngx_http_aigw_channel_dialect(
        ngx_http_aigw_channel_at(&amcf->channels, channel),
        ctx->content.dialect);
}

// A token count (Anthropic's count_tokens, Gemini's countTokens) for a model no channel of
// the client's API serves: the gateway's own count of the request's input, exact where the
// model's encoding is known, and X-Counted-By says which (tokenizer or estimate).
ngx_int_t answer_count_tokens(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    int64_t tokens = ngx_http_aigw_prompt_tokens(ctx);
    std::string_view by = ngx_http_aigw_counted_by_name(
        ctx->content.prompt_exact ? NGX_HTTP_AIGW_COUNTED_BY_TOKENIZER
                                  : NGX_HTTP_AIGW_COUNTED_BY_ESTIMATE);
    ngx_str_t value{by.size(), reinterpret_cast<u_char*>(const_cast<char*>(by.data()))};
    if (ngx_http_aigw_set_header(r, "X-Counted-By", value) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_aigw_send_json(r, NGX_HTTP_OK,
                                   ngx_http_aigw_client_dialect(ctx).token_count(tokens));
}

}  // namespace

ngx_int_t ngx_http_aigw_translation_prepare(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    ngx_http_aigw_content_part_t& c = ctx->content;
    if (c.route == nullptr) {
        return NGX_DECLINED;  // aigw_pass: one location, spoken to in the client's dialect
    }
    if (!c.endpoint->chat) {
        // Only chat requests have a pivot: the candidates of another dialect cannot serve.
        bool any = false;
        for (size_t i = 0; i < c.ncandidates && i < aigw::max_candidates; i++) {
            if (channel_dialect(r, ctx, c.candidates[i]) == c.dialect) {
                any = true;
            } else {
                ctx->attempt.excluded |= uint64_t{1} << i;
            }
        }
        if (any) {
            return NGX_DECLINED;
        }
        if (c.endpoint->id == aigw::endpoint_id::count_tokens) {
            return answer_count_tokens(r, ctx);
        }
        return ngx_http_aigw_send_error(
            r, aigw::model_endpoint_error(aigw::ngx::view(c.model),
                                          aigw::endpoint_label(*c.endpoint)));
    }

    bool other = false;
    for (size_t i = 0; i < c.ncandidates && !other; i++) {
        other = channel_dialect(r, ctx, c.candidates[i]) != c.dialect;
    }
    if (!other) {
        return NGX_DECLINED;
    }
    auto* t = aigw::ngx::pool_new<ngx_http_aigw_translation_t>(r->pool);
    if (t == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    aigw::api_error err;
    if (!ngx_http_aigw_client_dialect(ctx).request_to_pivot(
            {reinterpret_cast<const char*>(c.client_body), c.client_body_len}, t->request, err)) {
        // The message may quote the client's value: escaped, as any client value in a log line.
        aigw::ngx::log_value m(err.message);
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aigw: rejected request: cannot translate it: %*s", m.len, m.data);
        return ngx_http_aigw_send_error(r, err);
    }
    if (c.endpoint->model_in_path) {
        // Gemini's body names neither: the path does.
        t->request.model.assign(reinterpret_cast<const char*>(c.model.data), c.model.len);
        t->request.stream = c.stream;
        t->request.include_usage = c.stream;
    }
    c.translation = t;
    c.pivot = &t->request;
    return NGX_DECLINED;
}

std::string ngx_http_aigw_translated_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                          std::string_view upstream_model) {
    aigw::api::request& req = ctx->content.translation->request;
    req.model.assign(upstream_model.data(), upstream_model.size());
    return ngx_http_aigw_upstream_dialect(ctx).request_from_pivot(
        req, static_cast<int64_t>(ngx_http_aigw_loc_conf(r)->anthropic_max_tokens));
}
