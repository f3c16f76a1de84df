// The only place NGINX headers are included, inside extern "C"; and the module object, which
// every part of the glue names (module.cpp defines it).
#pragma once

extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
}

#include <string_view>

extern "C" ngx_module_t ngx_http_aigw_module;

namespace aigw::ngx {

inline std::string_view view(const ngx_str_t& s) {
    return {reinterpret_cast<const char*>(s.data), s.len};
}

// Wall-clock milliseconds since the epoch (NGINX's cached time): for times shared with other
// nodes through Redis, where ngx_current_msec (monotonic, per host) means nothing.
inline int64_t unix_ms() {
    ngx_time_t* tp = ngx_timeofday();
    return static_cast<int64_t>(tp->sec) * 1000 + static_cast<int64_t>(tp->msec);
}

}  // namespace aigw::ngx
