// /v1/models and /v1/models/{id} answered by the gateway itself, from its model table.
#pragma once

#include <string_view>

#include "ngx/conf/conf.hpp"
#include "ngx/request/ctx.hpp"

// With a model table the gateway names the models itself: its public names, narrowed to the
// key's, in OpenAI's list shape. Patterns ("deepseek-*") name no model, so they are not listed,
// but a name they serve can be retrieved. Returns the code to finalize with.
ngx_int_t ngx_http_aigw_local_models(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                     const ngx_http_aigw_loc_conf_t* alcf, std::string_view path);
