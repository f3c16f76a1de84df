// The request's model, route and price; see route.hpp.
#include "ngx/content/route.hpp"

#include "aigw/routing/model_map.hpp"
#include "ngx/accounting/prices.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/log_value.hpp"

ngx_int_t ngx_http_aigw_reject_model(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                     std::string_view model) {
    aigw::ngx::log_value m(model);
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "aigw: key %V rejected: model_not_allowed (\"%*s\")", &ctx->access.key_masked,
                  m.len, m.data);
    return ngx_http_aigw_send_error(r, aigw::model_not_allowed_error(model));
}

ngx_int_t ngx_http_aigw_route(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                              const aigw::request_fields& f) {
    ngx_http_aigw_loc_conf_t* alcf = ngx_http_aigw_loc_conf(r);
    if (alcf->models == nullptr) {
        ctx->attempt.upstream_model = ctx->content.model;  // aigw_pass: no mapping
    } else {
        const aigw::model_entry* entry = alcf->models->find(f.model);
        if (!f.has_model || entry == nullptr) {
            aigw::ngx::log_value m(ctx->content.model);
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "aigw: no aigw_model serves model \"%*s\"", m.len, m.data);
            return ngx_http_aigw_send_error(r, aigw::model_not_found_error(f.model));
        }
        ctx->content.route = entry;
        ctx->content.ncandidates = entry->targets.size();
        ctx->content.candidates = static_cast<uint32_t*>(
            ngx_palloc(r->pool, ctx->content.ncandidates * sizeof(uint32_t)));
        if (ctx->content.candidates == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        for (size_t i = 0; i < ctx->content.ncandidates; i++) {
            ctx->content.candidates[i] = entry->targets[i].channel;
        }
    }

    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    if (f.has_model &&
        ngx_http_aigw_price_find(&amcf->prices, f.model, &ctx->content.price_value)) {
        ctx->content.price = &ctx->content.price_value;
    }
    // Pricing is on once any aigw_price is configured; a model without one is then
    // refused or free, as aigw_price_missing says. After routing: a model no route serves
    // is the client's mistake (404), not a missing price (500).
    if (f.has_model && ctx->content.price == nullptr && amcf->prices.table != nullptr &&
        amcf->price_missing == NGX_HTTP_AIGW_PRICE_MISSING_DENY) {
        aigw::ngx::log_value m(ctx->content.model);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: no aigw_price for model \"%*s\" (aigw_price_missing deny)", m.len,
                      m.data);
        ctx->attempt.upstream_model = ngx_null_string;  // nothing goes upstream
        return ngx_http_aigw_send_error(r, aigw::model_price_missing_error(f.model));
    }
    return NGX_DECLINED;
}
