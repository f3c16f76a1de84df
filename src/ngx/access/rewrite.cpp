// The rewrite phase of a gateway location: a credential in the query string is taken out
// before anything can forward or log it.
#include "ngx/access/rewrite.hpp"

#include <optional>
#include <string>

#include "aigw/keys/key_text.hpp"
#include "aigw/keys/query_credentials.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/pool.hpp"

namespace {

// A credential in the query (?key=...) never goes upstream (the channel's subrequest takes
// r->args) and never reaches a log: $args, $arg_key and $query_string lose it, $request,
// $request_uri and error_log's "request:" show it masked. Lines NGINX wrote while reading the
// headers (at info) still have it; README says which error_log level keeps them out.
// The value is kept for the access phase, which takes it as the key when no header holds one.
bool hide_query_credentials(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (r->args.len == 0) {
        return true;
    }
    std::optional<std::string> args = aigw::strip_credential_params(aigw::ngx::view(r->args));
    if (!args) {
        return true;
    }
    // Longer than any key we issue: what is kept is enough to refuse it.
    std::string key = aigw::query_credential_value(aigw::ngx::view(r->args),
                                                   aigw::key_prefix.size() +
                                                       aigw::key_max_random_len + 1);
    if (!aigw::ngx::pool_copy(r->pool, key, &ctx->access.query_key)) {
        return false;
    }
    if (!aigw::ngx::pool_copy(r->pool, *args, &r->args)) {
        return false;
    }
    for (ngx_str_t* shown : {&r->request_line, &r->unparsed_uri}) {
        std::optional<std::string> masked = aigw::mask_credential_params(aigw::ngx::view(*shown));
        if (masked && !aigw::ngx::pool_copy(r->pool, *masked, shown)) {
            return false;
        }
    }
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "aigw: a credential in the query string is not forwarded");
    return true;
}

ngx_int_t rewrite(ngx_http_request_t* r) {
    if (r != r->main || !ngx_http_aigw_loc_conf(r)->enable) {
        return NGX_DECLINED;
    }
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ngx_http_aigw_classify(r, ctx);
    return hide_query_credentials(r, ctx) ? NGX_DECLINED : NGX_HTTP_INTERNAL_SERVER_ERROR;
}

}  // namespace

// The rewrite phase: before limit_req and other preaccess modules may log the request.
ngx_int_t ngx_http_aigw_rewrite_handler(ngx_http_request_t* r) noexcept {
    return aigw::ngx::guard(r->connection->log, "rewrite handler", NGX_HTTP_INTERNAL_SERVER_ERROR,
                            [r] { return rewrite(r); });
}
