// The option parser of directives; see options.hpp.
#include "ngx/conf/options.hpp"

namespace aigw::ngx {

namespace {

const ngx_str_t& directive_name(ngx_conf_t* cf) {
    return static_cast<ngx_str_t*>(cf->args->elts)[0];
}

void unknown_parameter(ngx_conf_t* cf, const conf_messages& messages, const ngx_str_t& arg) {
    if (messages.unknown) {
        messages.unknown(arg);
        return;
    }
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"%V\" parameter \"%V\"",
                       &directive_name(cf), &arg);
}

}  // namespace

char* conf_pairs(ngx_conf_t* cf, ngx_uint_t first,
                 const std::function<conf_read(const ngx_str_t& arg, std::string_view name,
                                               ngx_str_t value)>& each,
                 const conf_messages& messages) {
    auto* args = static_cast<ngx_str_t*>(cf->args->elts);
    for (ngx_uint_t i = first; i < cf->args->nelts; i++) {
        const ngx_str_t& arg = args[i];
        auto* eq = static_cast<u_char*>(ngx_strlchr(arg.data, arg.data + arg.len, '='));
        if (eq == nullptr) {
            unknown_parameter(cf, messages, arg);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        std::string_view name(reinterpret_cast<const char*>(arg.data),
                              static_cast<size_t>(eq - arg.data));
        ngx_str_t value = {static_cast<size_t>(arg.data + arg.len - eq - 1), eq + 1};
        if (each(arg, name, value) != conf_read::ok) {
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    }
    return NGX_CONF_OK;
}

char* conf_options(ngx_conf_t* cf, ngx_uint_t first, std::initializer_list<conf_option> options,
                   const conf_messages& messages) {
    auto each = [&](const ngx_str_t& arg, std::string_view name, ngx_str_t value) {
        for (const conf_option& o : options) {
            if (o.name != name || value.len == 0) {
                continue;
            }
            conf_read r = o.read(value);
            if (r != conf_read::bad) {
                return r;
            }
            if (messages.bad) {
                messages.bad(arg, o, value);
            } else {
                ngx_str_t what = {o.what.size(), (u_char*)o.what.data()};
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"%V\" %V \"%V\"",
                                   &directive_name(cf), &what, o.show_value ? &value : &arg);
            }
            return conf_read::reported;
        }
        unknown_parameter(cf, messages, arg);
        return conf_read::reported;
    };
    return conf_pairs(cf, first, each, messages);
}

conf_read read_msec(const ngx_str_t& v, ngx_msec_t* out, bool zero_ok) {
    ngx_str_t s = v;
    ngx_msec_t t = ngx_parse_time(&s, 0);
    if (t == static_cast<ngx_msec_t>(NGX_ERROR) || (t == 0 && !zero_ok)) {
        return conf_read::bad;
    }
    *out = t;
    return conf_read::ok;
}

conf_read read_number(const ngx_str_t& v, ngx_int_t* out, bool zero_ok) {
    ngx_int_t n = ngx_atoi(v.data, v.len);
    if (n == NGX_ERROR || (n == 0 && !zero_ok)) {
        return conf_read::bad;
    }
    *out = n;
    return conf_read::ok;
}

bool location_prefix(ngx_str_t* v) {
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
