// Declarations shared by the module's glue files: configuration, per-request context and
// the functions one file calls in another.
#pragma once

#include <string>
#include <type_traits>

#include "aigw/dialects/endpoints.hpp"
#include "aigw/api/error.hpp"
#include "ngx/accounting/prices.hpp"
#include "ngx/accounting/records.hpp"
#include "ngx/accounting/spend.hpp"
#include "ngx/channels.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/key_cache.hpp"
#include "ngx/ngx.hpp"
#include "ngx/redis/client.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/request/request_id.hpp"
#include "ngx/respond.hpp"

namespace aigw {
struct key_record;
class model_map;
struct model_entry;
class price_table;
struct model_price;
}
struct ngx_http_aigw_body_t;

// content.cpp
ngx_int_t ngx_http_aigw_handler(ngx_http_request_t* r) noexcept;

// access.cpp
ngx_int_t ngx_http_aigw_access_handler(ngx_http_request_t* r) noexcept;
ngx_int_t ngx_http_aigw_rewrite_handler(ngx_http_request_t* r) noexcept;
void ngx_http_aigw_key_invalidated(const char* data, size_t len);
// For the content phase: 403 unless the key (if any) may use the model.
bool ngx_http_aigw_model_allowed(ngx_http_aigw_ctx_t* ctx, std::string_view model);
bool ngx_http_aigw_key_restricts_models(ngx_http_aigw_ctx_t* ctx);

// content.cpp, for the filters: the current attempt answered with `status` (headers known).
// Returns true when the answer is a retryable failure that is swallowed so the next channel
// can be tried.
bool ngx_http_aigw_attempt_answered(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                    ngx_uint_t status);

// filter.cpp
ngx_int_t ngx_http_aigw_filter_init(ngx_conf_t* cf);

// variables.cpp
ngx_int_t ngx_http_aigw_add_variables(ngx_conf_t* cf);
