// The models the request's key may use (its record's "models"), for the content phase and the
// model-list filter. A request without a key (aigw_keys off) may use every model.
#pragma once

#include <string>
#include <string_view>

#include "aigw/keys/keys.hpp"
#include "ngx/request/ctx.hpp"

inline bool ngx_http_aigw_model_allowed(const ngx_http_aigw_ctx_t* ctx, std::string_view model) {
    return ctx->access.key == nullptr || aigw::model_allowed(*ctx->access.key, model);
}

// True when the key names its models (no "*"): a model list is narrowed to them.
inline bool ngx_http_aigw_key_restricts_models(const ngx_http_aigw_ctx_t* ctx) {
    if (ctx->access.key == nullptr) {
        return false;
    }
    for (const std::string& m : ctx->access.key->models) {
        if (m == "*") {
            return false;
        }
    }
    return true;
}
