// Prices: aigw_price from the configuration, overridden per model by the aigw:price:{model}
// hash in Redis, so a price changes without a reload. Each worker reads the hashes of the
// models it knows (exact names in aigw_price and aigw_model) every aigw_price_refresh
// interval, pipelined; requests never wait for Redis for a price.
#pragma once

#include <set>
#include <string>

#include "aigw/accounting/pricing.hpp"
#include "ngx/ngx.hpp"

struct ngx_http_aigw_prices_conf_t {
    aigw::price_table* table;          // aigw_price; nullptr when none is set
    std::set<std::string>* names;      // exact model names whose Redis price is read
    ngx_msec_t refresh;                // aigw_price_refresh; 0: Redis prices are not read
};

// Remembers a model name for the refresh (aigw_price and aigw_model call this).
ngx_int_t ngx_http_aigw_prices_note_model(ngx_conf_t* cf, ngx_http_aigw_prices_conf_t* conf,
                                          std::string_view model);
void ngx_http_aigw_prices_init(ngx_http_aigw_prices_conf_t* conf, bool have_redis);

// The model's price: Redis's, else the configuration's. False when it has neither.
bool ngx_http_aigw_price_find(const ngx_http_aigw_prices_conf_t* conf, std::string_view model,
                              aigw::model_price* out);

void ngx_http_aigw_prices_init_process(ngx_cycle_t* cycle,
                                       const ngx_http_aigw_prices_conf_t* conf) noexcept;
void ngx_http_aigw_prices_exit_process() noexcept;
