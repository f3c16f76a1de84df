// The body filter of a model list; see model_lists.hpp.
#include "ngx/filters/model_lists.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "aigw/dialects/dialect.hpp"
#include "ngx/access/key_models.hpp"
#include "ngx/filters/buffers.hpp"
#include "ngx/util/log_value.hpp"

// /v1/models for a key limited to some models: the upstream's list is read whole (it is
// small; the hold limit bounds it) and only the allowed entries are sent on.
ngx_int_t ngx_http_aigw_model_list_body(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                       ngx_chain_t* in, ngx_chain_t** pass) {
    if (sr->main->header_only) {
        *pass = in;  // HEAD: there is no list to narrow
        return NGX_OK;
    }
    ngx_chain_t* last = nullptr;
    for (ngx_chain_t* cl = in; cl; cl = cl->next) {
        ngx_buf_t* b = cl->buf;
        size_t size = static_cast<size_t>(b->last - b->pos);
        if (size) {
            size_t held =
                ctx->response.hold ? static_cast<size_t>(ngx_buf_size(ctx->response.hold->buf)) : 0;
            if (held + size > ngx_http_aigw_sse_hold_max) {
                ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                              "aigw: the upstream's model list is larger than %uz bytes",
                              ngx_http_aigw_sse_hold_max);
                return NGX_ERROR;
            }
            if (ngx_http_aigw_hold_append(sr, ctx, b->pos, size) != NGX_OK) {
                return NGX_ERROR;
            }
            b->pos = b->last;
        }
        if (b->last_in_chain || b->last_buf) {
            last = cl;
        }
    }
    if (last == nullptr) {
        return NGX_DONE;
    }

    std::string_view list;
    if (ctx->response.hold != nullptr) {
        list = {reinterpret_cast<const char*>(ctx->response.hold->buf->pos),
                static_cast<size_t>(ngx_buf_size(ctx->response.hold->buf))};
    }
    std::optional<std::string> filtered = ngx_http_aigw_client_dialect(ctx).filter_model_list(
        list, [ctx](std::string_view id) { return ngx_http_aigw_model_allowed(ctx, id); });
    if (!filtered) {
        aigw::ngx::log_value uri(sr->uri);
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "aigw: the upstream's answer to \"%*s\" is not a model list; "
                      "the client gets an empty one",
                      uri.len, uri.data);
        filtered = R"({"object":"list","data":[]})";
    }
    return ngx_http_aigw_whole_body(sr, *filtered, last, pass);
}
