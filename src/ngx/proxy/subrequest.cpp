// The subrequest of an attempt: to the channel's internal location (whose proxy_pass does the
// HTTP), with the attempt's body and the client's headers minus what the upstream must not see.
#include "ngx/proxy/subrequest.hpp"

#include <string>
#include <string_view>

#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/headers.hpp"

namespace {

// Request headers the upstream must never see: the client's gateway credentials (each
// channel location sets its own), compression (we read the response), the request id
// (replaced by ours), and conditions on an earlier answer (a completion is made anew, billed,
// and must come back whole: an upstream that honours If-None-Match: * answers a bodiless 304).
const std::string_view dropped_headers[] = {
    "authorization", "x-api-key",           "x-goog-api-key",      "accept-encoding",
    "x-request-id",  "if-match",            "if-none-match",       "if-modified-since",
    "if-unmodified-since", "if-range",
};

// Called as the subrequest finalizes (possibly more than once if its output was still
// buffered). Errors are kept for the attempt's resume handler and swallowed here, so NGINX
// never renders its own error page for the subrequest.
ngx_int_t subrequest_done(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx, ngx_int_t rc) {
    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "aigw: upstream subrequest done rc:%i status:%ui", rc,
                   ctx->response.upstream_status);
    if (ctx->attempt.sr != sr) {
        return rc;
    }
    ctx->attempt.sr_done = 1;
    if (rc != NGX_OK && rc != NGX_AGAIN) {
        ctx->attempt.sr_rc = rc;
    }
    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST || rc == NGX_HTTP_REQUEST_TIME_OUT ||
        sr->connection->error) {
        return rc;  // the client is gone: let NGINX terminate the whole request
    }
    return NGX_OK;
}

ngx_int_t upstream_done(ngx_http_request_t* sr, void* data, ngx_int_t rc) noexcept {
    auto* ctx = static_cast<ngx_http_aigw_ctx_t*>(data);
    return aigw::ngx::guard(sr->connection->log, "subrequest end",
                            static_cast<ngx_int_t>(NGX_ERROR),
                            [&] { return subrequest_done(sr, ctx, rc); });
}


bool dropped_header(const ngx_table_elt_t& h) {
    for (std::string_view name : dropped_headers) {
        if (aigw::ngx::name_is(h.key, name)) {
            return true;
        }
    }
    return false;
}

// The subrequest's own copy of the request headers, without what the upstream must not see,
// plus X-Request-Id so the upstream's logs carry the gateway's id.
ngx_int_t upstream_headers(ngx_http_request_t* r, ngx_http_request_t* sr,
                                                const ngx_str_t& request_id) {
    // Sized for all of the client's headers plus ours, so the list is one allocation.
    ngx_uint_t n = 1;
    aigw::ngx::for_each_header(r->headers_in.headers, [&n](ngx_table_elt_t&) {
        n++;
        return true;
    });
    ngx_list_t* list = &sr->headers_in.headers;
    if (ngx_list_init(list, r->pool, n, sizeof(ngx_table_elt_t)) != NGX_OK) {
        return NGX_ERROR;
    }
    bool ok = true;
    aigw::ngx::for_each_header(r->headers_in.headers, [&](ngx_table_elt_t& h) {
        if (dropped_header(h)) {
            return true;
        }
        auto* copy = static_cast<ngx_table_elt_t*>(ngx_list_push(list));
        if (copy == nullptr) {
            ok = false;
            return false;
        }
        *copy = h;
        return true;
    });
    if (!ok) {
        return NGX_ERROR;
    }

    auto* id = static_cast<ngx_table_elt_t*>(ngx_list_push(list));
    if (id == nullptr) {
        return NGX_ERROR;
    }
    ngx_str_set(&id->key, "X-Request-Id");
    id->lowcase_key = (u_char*)"x-request-id";
    id->hash = ngx_hash_key(id->lowcase_key, id->key.len);
    id->value = request_id;
#if defined(nginx_version) && nginx_version >= 1023000
    id->next = nullptr;
#endif

    sr->headers_in.authorization = nullptr;
#if (NGX_HTTP_GZIP)
    sr->headers_in.accept_encoding = nullptr;
#endif
    return NGX_OK;
}

}  // namespace

ngx_int_t ngx_http_aigw_subrequest_start(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    ngx_http_aigw_loc_conf_t* alcf = ngx_http_aigw_loc_conf(r);

    // The channel location sees its own prefix + the API path; its proxy_pass with a URI
    // part maps that back to the upstream's "/v1/...".
    // A translated request goes to the channel dialect's chat endpoint for the upstream model,
    // with that endpoint's query only (Anthropic's ?beta=true means nothing to another API).
    // A path that names the model (Gemini's) names the upstream's.
    const ngx_str_t& prefix = ctx->attempt.channel ? ctx->attempt.channel->location : alcf->pass;
    std::string_view model = ctx->attempt.upstream_model.len
                                 ? aigw::ngx::view(ctx->attempt.upstream_model)
                                 : aigw::ngx::view(ctx->content.model);
    std::string built;
    std::string_view path = aigw::api_path(aigw::ngx::view(r->uri));
    ngx_str_t* args = &r->args;
    ngx_str_t chat_args = ngx_null_string;
    if (ctx->attempt.translate) {
        const aigw::dialect& upstream = ngx_http_aigw_upstream_dialect(ctx);
        built = upstream.chat_path(model, ctx->content.stream);
        path = built;
        std::string_view a = upstream.chat_args(ctx->content.stream);
        chat_args.data = reinterpret_cast<u_char*>(const_cast<char*>(a.data()));
        chat_args.len = a.size();
        args = &chat_args;
    } else if (ctx->media.upstream_path.len) {
        // A video task's call names the upstream's id, which only the task record knows.
        path = aigw::ngx::view(ctx->media.upstream_path);
    } else if (ctx->content.endpoint->model_in_path &&
               model != aigw::path_model(*ctx->content.endpoint, path)) {
        built = aigw::with_path_model(*ctx->content.endpoint, model);
        path = built;
    }
    ngx_str_t uri;
    uri.len = prefix.len + path.size();
    uri.data = static_cast<u_char*>(ngx_pnalloc(r->pool, uri.len));
    if (uri.data == nullptr) {
        return NGX_ERROR;
    }
    ngx_memcpy(ngx_cpymem(uri.data, prefix.data, prefix.len), path.data(), path.size());

    auto* ps = static_cast<ngx_http_post_subrequest_t*>(
        ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t)));
    if (ps == nullptr) {
        return NGX_ERROR;
    }
    ps->handler = upstream_done;
    ps->data = ctx;

    ngx_http_request_t* sr = nullptr;
    if (ngx_http_subrequest(r, &uri, args, &sr, ps, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->content.endpoint->has_json_body || ctx->content.endpoint->multipart) {
        sr->method = NGX_HTTP_POST;
        ngx_str_set(&sr->method_name, "POST");
        auto* rb = static_cast<ngx_http_request_body_t*>(
            ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t)));
        if (rb == nullptr) {
            return NGX_ERROR;
        }
        rb->bufs = ctx->attempt.upstream_body;
        sr->request_body = rb;
        sr->headers_in.content_length_n = ctx->attempt.upstream_body_len;
    } else {
        sr->request_body = nullptr;
        sr->headers_in.content_length_n = -1;
        if (r->method == NGX_HTTP_HEAD) {
            sr->method = NGX_HTTP_HEAD;
            ngx_str_set(&sr->method_name, "HEAD");
        } else if (r->method == NGX_HTTP_DELETE) {
            sr->method = NGX_HTTP_DELETE;
            ngx_str_set(&sr->method_name, "DELETE");
        }
    }
    sr->headers_in.chunked = 0;
    if (upstream_headers(r, sr, ctx->request_id) != NGX_OK) {
        return NGX_ERROR;
    }
    // Body filters parse what passes, so file buffers are read into memory first.
    sr->filter_need_in_memory = 1;
    ngx_http_set_ctx(sr, ctx, ngx_http_aigw_module);

    ctx->attempt.sr = sr;
    ctx->attempt.attempts++;
    ctx->attempt.sr_done = 0;
    ctx->attempt.sr_rc = NGX_OK;
    ctx->response.upstream_status = 0;
    ctx->response.swallow = 0;
    ctx->response.keep_swallowed = 0;
    ctx->response.swallowed_status = 0;
    ctx->response.upstream_complete = 0;
    ctx->attempt.retryable = 0;
    ctx->attempt.retry_after_ms = 0;
    ctx->response.hold = nullptr;
    ctx->response.json_keep = 0;
    ctx->response.json_rename = 0;
    ctx->response.json_translate = 0;
    ctx->response.json_task = 0;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0, "aigw: upstream subrequest \"%V\"",
                   &uri);
    return NGX_OK;
}

