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

}  // namespace aigw::ngx
