// $aigw_* variables for log_format and proxy_set_header.
#include <string>

#include "aigw/keys.hpp"
#include "ngx/aigw_module.hpp"

enum class aigw_var { request_id, model, stream, upstream_status, key_id, owner, group };

// A field of the request's key record; not found when the request had no valid key.
static bool ngx_http_aigw_key_field(ngx_http_aigw_ctx_t* ctx, aigw_var which,
                                    ngx_http_variable_value_t* v) {
    if (ctx == nullptr || ctx->key == nullptr) {
        return false;
    }
    const std::string& s = which == aigw_var::key_id  ? ctx->key->id
                           : which == aigw_var::owner ? ctx->key->owner
                                                      : ctx->key->group;
    if (s.empty()) {
        return false;
    }
    v->data = reinterpret_cast<u_char*>(const_cast<char*>(s.data()));
    v->len = s.size();
    return true;
}

static ngx_int_t ngx_http_aigw_variable(ngx_http_request_t* r, ngx_http_variable_value_t* v,
                                        uintptr_t data) noexcept {
    auto* ctx = static_cast<ngx_http_aigw_ctx_t*>(
        ngx_http_get_module_ctx(r->main, ngx_http_aigw_module));
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    switch (static_cast<aigw_var>(data)) {
    case aigw_var::request_id: {
        ngx_str_t* id = ngx_http_aigw_request_id(r);
        if (id == nullptr) {
            return NGX_ERROR;
        }
        v->data = id->data;
        v->len = id->len;
        return NGX_OK;
    }
    case aigw_var::model:
        if (ctx == nullptr || ctx->model.len == 0) {
            break;
        }
        v->data = ctx->model.data;
        v->len = ctx->model.len;
        return NGX_OK;
    case aigw_var::stream:
        if (ctx == nullptr || ctx->endpoint == nullptr) {
            break;
        }
        v->data = (u_char*)(ctx->stream ? "1" : "0");
        v->len = 1;
        return NGX_OK;
    case aigw_var::key_id:
    case aigw_var::owner:
    case aigw_var::group:
        if (ngx_http_aigw_key_field(ctx, static_cast<aigw_var>(data), v)) {
            return NGX_OK;
        }
        break;
    case aigw_var::upstream_status: {
        if (ctx == nullptr || ctx->upstream_status == 0) {
            break;
        }
        auto* p = static_cast<u_char*>(ngx_pnalloc(r->pool, NGX_INT_T_LEN));
        if (p == nullptr) {
            return NGX_ERROR;
        }
        v->data = p;
        v->len = ngx_sprintf(p, "%ui", ctx->upstream_status) - p;
        v->no_cacheable = 1;
        return NGX_OK;
    }
    }
    v->not_found = 1;
    return NGX_OK;
}

ngx_int_t ngx_http_aigw_add_variables(ngx_conf_t* cf) {
    struct def {
        ngx_str_t name;
        aigw_var id;
        ngx_uint_t flags;
    };
    static def vars[] = {
        {ngx_string("aigw_request_id"), aigw_var::request_id, 0},
        {ngx_string("aigw_model"), aigw_var::model, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_stream"), aigw_var::stream, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_upstream_status"), aigw_var::upstream_status, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_key_id"), aigw_var::key_id, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_owner"), aigw_var::owner, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_group"), aigw_var::group, NGX_HTTP_VAR_NOCACHEABLE},
    };
    for (def& d : vars) {
        ngx_http_variable_t* var = ngx_http_add_variable(cf, &d.name, d.flags);
        if (var == nullptr) {
            return NGX_ERROR;
        }
        var->get_handler = ngx_http_aigw_variable;
        var->data = static_cast<uintptr_t>(d.id);
    }
    return NGX_OK;
}
