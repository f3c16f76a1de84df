// Rate-limited error_log lines for failures that repeat per request (a channel that is down):
// per worker, the first of a kind is logged at once with the request's log, the repeats of
// the next second are counted and told in one line "... (N more like this in the last 1s)".
#pragma once

#include <string>
#include <string_view>

#include "ngx/ngx.hpp"

// Logs the formatted line at `level` unless `kind` was logged within the last second.
// `kind` names what repeats: a failure class and the channel, e.g. "unreachable|openai".
void ngx_http_aigw_log_limited(ngx_uint_t level, ngx_log_t* log, std::string_view kind,
                               const char* fmt, ...) noexcept;

// "class|channel": the kind of a channel's failure.
inline std::string ngx_http_aigw_log_kind(std::string_view failure_class, const ngx_str_t& channel) {
    std::string kind(failure_class);
    kind += '|';
    kind.append(reinterpret_cast<const char*>(channel.data), channel.len);
    return kind;
}

// A worker that exits tells the counts it still holds.
void ngx_http_aigw_log_limit_exit_process() noexcept;
