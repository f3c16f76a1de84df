// The "name=value" arguments of directives, read in one walk of cf->args and dispatched on
// their names. A problem fails nginx -t with one line naming the directive and the argument:
//   invalid "<directive>" parameter "<argument>"        not a name=value, or an unknown name
//   invalid "<directive>" <what> "<argument or value>"  a value its reader refused
// (or the directive's own messages, for those that name something else).
#pragma once

#include <functional>
#include <initializer_list>
#include <string_view>

#include "ngx/ngx.hpp"

namespace aigw::ngx {

enum class conf_read {
    ok,
    bad,       // the value is not valid: the option's message is logged
    reported,  // the reader logged its own message (or there is none to log: out of memory)
};

struct conf_option {
    std::string_view name;                              // before the '='
    std::function<conf_read(ngx_str_t value)> read;
    std::string_view what = "value";                    // names the option in its message
    bool show_value = false;                            // that message quotes the value alone
};

// For directives whose messages are their own (aigw_channel names the channel).
struct conf_messages {
    std::function<void(const ngx_str_t& arg)> unknown;
    std::function<void(const ngx_str_t& arg, const conf_option& option, const ngx_str_t& value)>
        bad;
};

// Calls each(arg, name, value) for the arguments from `first` on, each split at its first '='
// (the value may be empty). An argument without '=' fails as an unknown parameter, and so
// does each() returning false. NGX_CONF_OK or NGX_CONF_ERROR.
char* conf_pairs(ngx_conf_t* cf, ngx_uint_t first,
                 const std::function<conf_read(const ngx_str_t& arg, std::string_view name,
                                               ngx_str_t value)>& each,
                 const conf_messages& messages = {});

// The same dispatched on names: each argument's option reads its value. An unknown name, or
// a known one with an empty value, is an unknown parameter.
char* conf_options(ngx_conf_t* cf, ngx_uint_t first, std::initializer_list<conf_option> options,
                   const conf_messages& messages = {});

// Readers of common values.
conf_read read_msec(const ngx_str_t& v, ngx_msec_t* out, bool zero_ok);  // "30s", "200ms"
conf_read read_number(const ngx_str_t& v, ngx_int_t* out, bool zero_ok);

// The prefix of an internal location, to which the API path ("/v1/...") is appended: a plain
// absolute path (no query, fragment, escapes, spaces or control bytes). Trailing slashes are
// dropped, since the appended path brings its own. False when `v` is not such a path.
bool location_prefix(ngx_str_t* v);

}  // namespace aigw::ngx
