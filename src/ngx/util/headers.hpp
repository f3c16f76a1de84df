// Request and response headers.
#pragma once

#include <cstdint>
#include <string_view>

#include "ngx/ngx.hpp"

namespace aigw::ngx {

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

// Whether a request header of that name (lower case) came.
inline bool has_header(ngx_list_t& headers, std::string_view lower) {
    bool found = false;
    for_each_header(headers, [&](ngx_table_elt_t& h) {
        found = name_is(h.key, lower);
        return !found;
    });
    return found;
}

}  // namespace aigw::ngx

// Adds a response header. `name` and `value` must live as long as the request.
ngx_int_t ngx_http_aigw_set_header(ngx_http_request_t* r, std::string_view name,
                                   const ngx_str_t& value);
// The same with the value copied into the request pool first.
ngx_int_t ngx_http_aigw_set_header_copy(ngx_http_request_t* r, std::string_view name,
                                        std::string_view value);
// Retry-After for a wait of `ms`: whole seconds, rounded up, at least one.
ngx_int_t ngx_http_aigw_set_retry_after(ngx_http_request_t* r, uint64_t ms);
