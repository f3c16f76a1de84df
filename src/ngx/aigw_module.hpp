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
#include "ngx/proxy/channels.hpp"
#include "ngx/conf/conf.hpp"
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

#include "ngx/content/content.hpp"
#include "ngx/proxy/fallback.hpp"

#include "ngx/access/access.hpp"
#include "ngx/access/key_models.hpp"
#include "ngx/access/rewrite.hpp"


#include "ngx/filters/chain.hpp"

// variables.cpp
ngx_int_t ngx_http_aigw_add_variables(ngx_conf_t* cf);
