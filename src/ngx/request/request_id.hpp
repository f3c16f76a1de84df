// The request id: the client's X-Request-Id when it is safe to echo, else a fresh one. It goes
// to the client, to the upstream and into the usage record.
#pragma once

#include "ngx/ngx.hpp"

// The id (made once, kept in the context); nullptr when out of memory or randomness.
ngx_str_t* ngx_http_aigw_request_id(ngx_http_request_t* r);
