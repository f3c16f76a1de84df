// The gateway's own model list; see local_models.hpp.
#include "ngx/content/local_models.hpp"

#include <string>

#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/routing/model_map.hpp"
#include "ngx/access/key_models.hpp"
#include "ngx/content/route.hpp"
#include "ngx/respond.hpp"

ngx_int_t ngx_http_aigw_local_models(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                     const ngx_http_aigw_loc_conf_t* alcf, std::string_view path) {
    static constexpr std::string_view owned_by = "system";
    if (ctx->content.endpoint->id == aigw::endpoint_id::models) {
        std::string list = ngx_http_aigw_client_dialect(ctx).model_list(
            alcf->models->public_names(),
            [ctx](std::string_view id) { return ngx_http_aigw_model_allowed(ctx, id); },
            static_cast<long long>(alcf->models_created), owned_by);
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
