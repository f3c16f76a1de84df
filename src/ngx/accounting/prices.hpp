// Prices at run time: aigw_price from the configuration, overridden per model by the
// aigw:price:{model} hash in Redis, so a price changes without a reload. Each worker reads
// the hashes of the models it knows (exact names in aigw_price and aigw_model) every
// aigw_price_refresh interval, pipelined; requests never wait for Redis for a price.
#pragma once

#include <string_view>

#include "aigw/accounting/pricing.hpp"
#include "ngx/conf/conf.hpp"

// The model's price: Redis's, else the configuration's. False when it has neither.
bool ngx_http_aigw_price_find(const ngx_http_aigw_prices_conf_t* conf, std::string_view model,
                              aigw::model_price* out);

// The worker's refresh of Redis prices (worker.cpp starts and stops it).
void ngx_http_aigw_prices_start(ngx_cycle_t* cycle, const ngx_http_aigw_prices_conf_t* conf);
void ngx_http_aigw_prices_stop();
