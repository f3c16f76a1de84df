// The only place NGINX headers are included, inside extern "C".
#pragma once

extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
}

#include <string_view>

#include "aigw/text/log_value.hpp"

namespace aigw::ngx {

inline std::string_view view(const ngx_str_t& s) {
    return {reinterpret_cast<const char*>(s.data), s.len};
}

inline bool name_is(const ngx_str_t& name, std::string_view lower) {
    return name.len == lower.size() &&
           ngx_strncasecmp(name.data, (u_char*)lower.data(), lower.size()) == 0;
}

// A client value (model, URI, header) fit for an error_log line: escaped and bounded as
// aigw/log_value.hpp says. Log it with "%*s", v.len, v.data.
struct log_value {
    explicit log_value(std::string_view v, size_t whole_size = 0) noexcept {
        len = aigw::write_log_value(v, data, whole_size);
    }
    explicit log_value(const ngx_str_t& v) noexcept : log_value(view(v)) {}
    size_t len;
    char data[aigw::log_value_capacity];
};

// `s` copied into `pool` (freed with it) as *to; false when the pool is out of memory.
inline bool pool_copy(ngx_pool_t* pool, std::string_view s, ngx_str_t* to) {
    auto* p = static_cast<u_char*>(ngx_pnalloc(pool, s.empty() ? 1 : s.size()));
    if (p == nullptr) {
        return false;
    }
    if (!s.empty()) {
        ngx_memcpy(p, s.data(), s.size());
    }
    to->data = p;
    to->len = s.size();
    return true;
}

// A directive's "name=value" argument: true and *value set when `arg` starts with `name`
// (which includes the '=').
inline bool conf_option(const ngx_str_t& arg, std::string_view name, ngx_str_t* value) {
    if (arg.len <= name.size() || ngx_strncmp(arg.data, name.data(), name.size()) != 0) {
        return false;
    }
    value->data = arg.data + name.size();
    value->len = arg.len - name.size();
    return true;
}

// The prefix of an internal location, to which the API path ("/v1/...") is appended: a plain
// absolute path (no query, fragment, escapes, spaces or control bytes). Trailing slashes are
// dropped, since the appended path brings its own. False when `v` is not such a path.
inline bool location_prefix(ngx_str_t* v) {
    if (v->len < 2 || v->data[0] != '/') {
        return false;
    }
    for (size_t i = 0; i < v->len; i++) {
        u_char c = v->data[i];
        if (c <= ' ' || c == '?' || c == '#' || c == '%' || c >= 0x7f) {
            return false;
        }
    }
    while (v->len > 1 && v->data[v->len - 1] == '/') {
        v->len--;
    }
    return true;
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
