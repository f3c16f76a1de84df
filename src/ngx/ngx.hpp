// The only place NGINX headers are included, inside extern "C".
#pragma once

extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
}

#include <string_view>

namespace aigw::ngx {

inline std::string_view view(const ngx_str_t& s) {
    return {reinterpret_cast<const char*>(s.data), s.len};
}

}  // namespace aigw::ngx
