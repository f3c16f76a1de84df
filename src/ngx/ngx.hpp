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

}  // namespace aigw::ngx
