// The content phase of a gateway location: which endpoint the path names, whether the method
// fits it, then the gateway's own model list, or the body read (body.cpp) and the request
// passed on, or a request without a body passed on at once.
#include "ngx/content/content.hpp"

#include "aigw/dialects/endpoints.hpp"
#include "ngx/access/key_models.hpp"
#include "ngx/accounting/finish.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/content/body.hpp"
#include "ngx/content/local_models.hpp"
#include "ngx/content/route.hpp"
#include "ngx/media/callbacks.hpp"
#include "ngx/media/multipart_read.hpp"
#include "ngx/media/tasks.hpp"
#include "ngx/proxy/attempt.hpp"
#include "ngx/proxy/channels.hpp"
#include "ngx/request/request_id.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/log_value.hpp"

namespace {

// Gemini's streams come as Server-Sent Events with ?alt=sse, else as one JSON array.
bool sse_asked(ngx_http_request_t* r) {
    ngx_str_t alt = ngx_null_string;
    return ngx_http_arg(r, (u_char*)"alt", 3, &alt) == NGX_OK && alt.len == 3 &&
           ngx_strncmp(alt.data, "sse", 3) == 0;
}

ngx_int_t content(ngx_http_request_t* r) {
    if (r != r->main) {
        // A subrequest landed in a gateway location: aigw_pass names a location that
        // does not exist, so the prefix fell through to this one.
        aigw::ngx::log_value uri(r->uri);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: subrequest \"%*s\" reached a gateway location; "
                      "check that aigw_pass names an existing location",
                      uri.len, uri.data);
        return NGX_HTTP_NOT_FOUND;
    }
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr || ngx_http_aigw_request_id(r) == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->content.in_content = 1;
    // The answer is made for this request (a completion, billed): a client's If-None-Match,
    // If-Match or If-Unmodified-Since has nothing to compare with, and NGINX's not-modified
    // filter would turn it into a 304 that is still billed, or a 412 from inside the filter
    // chain that leaves the request hanging.
    r->disable_not_modified = 1;
    // Settles the token counts when the request ends, however it ends (NGINX runs these
    // cleanups just before the log phase, so $aigw_* variables see final values).
    if (ngx_http_aigw_finish_at_end(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    std::string_view path = aigw::api_path(aigw::ngx::view(r->uri));
    ngx_http_aigw_classify(r, ctx);
    const aigw::endpoint_info* ep = ctx->content.endpoint;
    if (ep == nullptr) {
        return ngx_http_aigw_send_error(
            r, aigw::unknown_endpoint_error(aigw::ngx::view(r->method_name),
                                            aigw::ngx::view(r->uri)));
    }

    if (ep->id == aigw::endpoint_id::responses && (r->method & NGX_HTTP_GET) &&
        aigw::ngx::has_header(r->headers_in.headers, "upgrade")) {
        // Codex tries a WebSocket first; 426 sends it to HTTP at once.
        return ngx_http_aigw_send_error(r, aigw::websocket_unsupported_error());
    }

    if (ep->always_stream && !sse_asked(r)) {
        return ngx_http_aigw_send_error(r, aigw::stream_format_error());
    }

    // HEAD goes wherever GET does (RFC 9110 9.3.2).
    ngx_uint_t want = 0;
    switch (ep->method) {
    case aigw::http_method::post:
        want = NGX_HTTP_POST;
        break;
    case aigw::http_method::get:
        want = NGX_HTTP_GET | NGX_HTTP_HEAD;
        break;
    case aigw::http_method::get_delete:
        want = NGX_HTTP_GET | NGX_HTTP_HEAD | NGX_HTTP_DELETE;
        break;
    case aigw::http_method::get_post:
        want = NGX_HTTP_GET | NGX_HTTP_HEAD | NGX_HTTP_POST;
        break;
    }
    if (!(r->method & want)) {
        return ngx_http_aigw_send_error(
            r, aigw::method_not_allowed_error(aigw::ngx::view(r->method_name),
                                              aigw::ngx::view(r->uri)));
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0, "aigw: %V %V", &r->method_name,
                   &r->uri);

    ngx_http_aigw_loc_conf_t* alcf = ngx_http_aigw_loc_conf(r);
    if (alcf->models != nullptr && (ep->id == aigw::endpoint_id::models ||
                                    ep->id == aigw::endpoint_id::model_retrieve)) {
        ngx_int_t rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        return ngx_http_aigw_local_models(r, ctx, alcf, path);
    }

    if (ep->id == aigw::endpoint_id::model_retrieve) {
        std::string_view id = aigw::model_id_from_path(path);
        if (!ngx_http_aigw_model_allowed(ctx, id)) {
            return ngx_http_aigw_reject_model(r, ctx, id);
        }
    }
    ctx->content.filter_models =
        ep->id == aigw::endpoint_id::models && ngx_http_aigw_key_restricts_models(ctx);

    if (aigw::is_video_endpoint(ep->id)) {
        if (ep->id != aigw::endpoint_id::videos || r->method != NGX_HTTP_POST) {
            return ngx_http_aigw_video_request(r, ctx);
        }
        // A new task: its state and its callback before the body, as any routed request.
        aigw::api_error refused;
        if (!ngx_http_aigw_callback_from_request(r, ctx, &refused)) {
            ngx_int_t rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            return refused.status ? ngx_http_aigw_send_error(r, refused)
                                  : NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        if (ngx_http_aigw_task_prepare(r, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (ep->multipart && ngx_http_aigw_is_multipart(r)) {
        return ngx_http_aigw_read_multipart(r);
    }
    if (ep->has_json_body || ep->multipart) {
        return ngx_http_aigw_read_body(r);
    }
    if (ep->id == aigw::endpoint_id::stored_response && alcf->models != nullptr) {
        // No model says where a response is stored: the first channel that serves the
        // Responses API keeps them (the gateway keeps none).
        ctx->attempt.channel = ngx_http_aigw_channels_storing(ngx_http_aigw_main_conf(r));
        if (ctx->attempt.channel == nullptr) {
            ngx_int_t rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            return ngx_http_aigw_send_error(
                r, aigw::stored_response_not_found_error(aigw::ngx::view(r->uri)));
        }
    }

    ngx_int_t rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }
    rc = ngx_http_aigw_attempt_without_body(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }
    // Hold the request until the attempt ends, as a body read would.
    r->main->count++;
    return NGX_DONE;
}

}  // namespace

ngx_int_t ngx_http_aigw_handler(ngx_http_request_t* r) noexcept {
    return aigw::ngx::guard(r->connection->log, "content handler", NGX_HTTP_INTERNAL_SERVER_ERROR,
                            [r] { return content(r); });
}
