// Client values (model, URI, header) in error_log lines.
#pragma once

#include <string_view>

#include "aigw/text/log_value.hpp"
#include "ngx/ngx.hpp"

namespace aigw::ngx {

// A client value fit for an error_log line: escaped and bounded as aigw/text/log_value.hpp
// says. Log it with "%*s", v.len, v.data.
struct log_value {
    explicit log_value(std::string_view v, size_t whole_size = 0) noexcept {
        len = aigw::write_log_value(v, data, whole_size);
    }
    explicit log_value(const ngx_str_t& v) noexcept : log_value(view(v)) {}
    size_t len;
    char data[aigw::log_value_capacity];
};

}  // namespace aigw::ngx
