// The header and body filters, and the only place that calls the next filters. On an
// attempt's subrequest they move the upstream's head onto the main request (upstream_head)
// and pass the body on as it arrives, through the transformation its head chose: a stream
// (stream), a JSON body (json_body) or a model list (model_lists). On the main request of a
// gateway location they add X-Request-Id and replace NGINX's own error pages (error_pages);
// elsewhere, with aigw_error_pages on, they do the same to NGINX's own error pages only.
// A transformation returns NGX_OK with the chain to pass on, NGX_DONE when nothing is to be
// passed now, or NGX_ERROR.
#include "ngx/filters/chain.hpp"

#include "ngx/conf/conf.hpp"
#include "ngx/filters/buffers.hpp"
#include "ngx/filters/error_pages.hpp"
#include "ngx/filters/json_body.hpp"
#include "ngx/filters/model_lists.hpp"
#include "ngx/filters/stream.hpp"
#include "ngx/filters/upstream_head.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/request/request_id.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/headers.hpp"

namespace {

ngx_http_output_header_filter_pt next_header_filter;
ngx_http_output_body_filter_pt next_body_filter;

// X-Request-Id, and for a client of Anthropic's API also request-id, where its SDKs read it.
ngx_int_t add_request_id(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx) {
    ngx_str_t* id = ngx_http_aigw_request_id(r);
    if (id == nullptr || ngx_http_aigw_set_header(r, "X-Request-Id", *id) != NGX_OK) {
        return NGX_ERROR;
    }
    if (ctx->content.dialect == aigw::dialect_id::anthropic) {
        return ngx_http_aigw_set_header(r, "request-id", *id);
    }
    return NGX_OK;
}

ngx_int_t header(ngx_http_request_t* r) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    if (r != r->main) {
        if (ctx != nullptr && ctx->attempt.sr == r) {
            ngx_int_t rc = ngx_http_aigw_upstream_head(r, ctx);
            if (rc != NGX_OK) {
                return rc == NGX_DONE ? NGX_OK : rc;
            }
        }
        return next_header_filter(r);
    }

    const ngx_http_aigw_loc_conf_t* alcf = ngx_http_aigw_loc_conf(r);
    if (!alcf->enable && !(alcf->error_pages && ngx_http_aigw_nginx_error_page(r))) {
        return next_header_filter(r);
    }
    ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr) {
        return NGX_ERROR;
    }
    if (!alcf->enable) {
        // Our rewrite phase did not run here (nothing does for a request refused before a
        // location applies): the path says the client's dialect. NGINX leaves r->uri empty
        // when it could not parse one, which is OpenAI's.
        ngx_http_aigw_classify(r, ctx);
    }
    if (add_request_id(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }
    if (!ctx->response.own_response && r->headers_out.status >= NGX_HTTP_BAD_REQUEST &&
        ngx_http_aigw_error_page_head(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }
    return next_header_filter(r);
}

ngx_int_t header_filter(ngx_http_request_t* r) noexcept {
    return aigw::ngx::guard(r->connection->log, "header filter", static_cast<ngx_int_t>(NGX_ERROR),
                            [r] { return header(r); });
}

ngx_int_t body(ngx_http_request_t* r, ngx_chain_t* in) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    if (ctx == nullptr) {
        return next_body_filter(r, in);
    }

    ngx_chain_t* out = nullptr;
    ngx_int_t rc;
    bool stream = false;
    if (r != r->main) {
        if (ctx->attempt.sr != r) {
            return next_body_filter(r, in);
        }
        if (ctx->response.swallow) {
            if (ctx->response.keep_swallowed && ngx_http_aigw_keep_error(r, ctx, in) != NGX_OK) {
                return NGX_ERROR;
            }
            ngx_http_aigw_consume(in);
            return NGX_OK;
        }
        for (ngx_chain_t* cl = in; cl; cl = cl->next) {
            if (ngx_buf_size(cl->buf) > 0) {
                ctx->response.body_started = 1;
            }
            // The upstream module ends a clean response with last_in_chain; after a cut
            // it only flushes, so this is how a truncated body is told apart.
            if (cl->buf->last_in_chain || cl->buf->last_buf) {
                ctx->response.upstream_complete = 1;
            }
        }
        if (ctx->response.sse && r->upstream != nullptr && !r->upstream->buffering) {
            rc = ngx_http_aigw_stream_body(r, ctx, in, &out);
            stream = true;
        } else if (ctx->response.json_keep) {
            rc = ngx_http_aigw_json_body(r, ctx, in, &out);
        } else if (ctx->content.filter_models) {
            rc = aigw::ngx::guard(r->connection->log, "model list filter",
                                  static_cast<ngx_int_t>(NGX_ERROR),
                                  [&] { return ngx_http_aigw_model_list_body(r, ctx, in, &out); });
        } else {
            return next_body_filter(r, in);
        }
    } else {
        if (!ctx->response.replace_body) {
            return next_body_filter(r, in);
        }
        rc = ngx_http_aigw_error_page_body(r, ctx, in, &out);
    }

    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }
    rc = next_body_filter(r, out);
    if (stream) {
        ngx_http_aigw_stream_sent(r, ctx, out);
    }
    return rc;
}

ngx_int_t body_filter(ngx_http_request_t* r, ngx_chain_t* in) noexcept {
    return aigw::ngx::guard(r->connection->log, "body filter", static_cast<ngx_int_t>(NGX_ERROR),
                            [r, in] { return body(r, in); });
}

}  // namespace

ngx_int_t ngx_http_aigw_filter_init(ngx_conf_t*) {
    next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = header_filter;
    next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = body_filter;
    return NGX_OK;
}
