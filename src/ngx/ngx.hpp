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

inline bool name_is(const ngx_str_t& name, std::string_view lower) {
    return name.len == lower.size() &&
           ngx_strncasecmp(name.data, (u_char*)lower.data(), lower.size()) == 0;
}

// Calls f(ngx_table_elt_t&) for each header of an NGINX header list until f returns false.
template <typename F>
void for_each_header(ngx_list_t& headers, F&& f) {
    for (ngx_list_part_t* part = &headers.part; part != nullptr; part = part->next) {
        auto* h = static_cast<ngx_table_elt_t*>(part->elts);
        for (ngx_uint_t i = 0; i < part->nelts; i++) {
            if (!f(h[i])) {
                return;
            }
        }
    }
}

}  // namespace aigw::ngx
