// The gateway's own model list; see local_models.hpp.
#include "ngx/content/local_models.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/routing/model_map.hpp"
#include "ngx/access/key_models.hpp"
#include "ngx/content/route.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/headers.hpp"

namespace {

// ?limit= of a paged list (Anthropic's: 1 to 1000, default 20); 0 when absent or not a
// number, which lists every model.
size_t list_limit(ngx_http_request_t* r) {
    ngx_str_t v = ngx_null_string;
    if (ngx_http_arg(r, (u_char*)"limit", 5, &v) != NGX_OK || v.len == 0) {
        return 0;
    }
    ngx_int_t n = ngx_atoi(v.data, v.len);
    if (n == NGX_ERROR || n <= 0) {
        return 0;
    }
    return n > 1000 ? 1000 : static_cast<size_t>(n);
}

}  // namespace

ngx_int_t ngx_http_aigw_local_models(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                     const ngx_http_aigw_loc_conf_t* alcf, std::string_view path) {
    static constexpr std::string_view owned_by = "system";
    if (ctx->content.endpoint->id == aigw::endpoint_id::models) {
        const std::vector<std::string>& names = alcf->models->public_names();
        std::vector<std::string> page;
        ngx_str_t after = ngx_null_string;
        if (ngx_http_arg(r, (u_char*)"after_id", 8, &after) == NGX_OK && after.len) {
            // The next page of a paged list: the names after that one (none when it is not
            // a name of the table, as Anthropic answers an unknown cursor with an empty page).
            auto it = std::find(names.begin(), names.end(), aigw::ngx::view(after));
            if (it != names.end()) {
                page.assign(it + 1, names.end());
            }
        }
        std::string list = ngx_http_aigw_client_dialect(ctx).model_list(
            after.len ? page : names,
            [ctx](std::string_view id) { return ngx_http_aigw_model_allowed(ctx, id); },
            static_cast<long long>(alcf->models_created), owned_by, list_limit(r));
        return ngx_http_aigw_send_json(r, NGX_HTTP_OK, list);
    }
    std::string_view id = aigw::model_id_from_path(path);
    if (!ngx_http_aigw_model_allowed(ctx, id)) {
        return ngx_http_aigw_reject_model(r, ctx, id);
    }
    if (alcf->models->find(id) == nullptr) {
        return ngx_http_aigw_send_error(r, aigw::model_not_found_error(id));
    }
    return ngx_http_aigw_send_json(
        r, NGX_HTTP_OK,
        ngx_http_aigw_client_dialect(ctx).model_object(
            id, static_cast<long long>(alcf->models_created), owned_by));
}
