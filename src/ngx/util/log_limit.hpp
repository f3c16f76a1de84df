// Rate-limited error_log lines, per worker, of two kinds:
// - failures that repeat per request (a channel that is down): the first of a kind is logged
//   at once with the request's log, the repeats of the next second are counted and told in one
//   line "... (N more like this in the last 1s)" (ngx_http_aigw_log_limited);
// - a worker's own repeated trouble (Redis away, a record refused): one line per interval,
//   the lines between dropped, since they carry running counts themselves (log_gate).
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

// A line logged at most once per `interval`: the first at once, then none until the interval
// has passed since the last one logged.
class ngx_http_aigw_log_gate {
public:
    explicit constexpr ngx_http_aigw_log_gate(ngx_msec_t interval) : interval_(interval) {}

    // True when the line is to be logged now.
    bool open() noexcept {
        if (logged_ && ngx_current_msec - last_ < interval_) {
            return false;
        }
        logged_ = true;
        last_ = ngx_current_msec;
        return true;
    }

    // The next line is logged at once (the trouble ended and may start again).
    void reset() noexcept { logged_ = false; }

private:
    ngx_msec_t interval_;
    ngx_msec_t last_ = 0;
    bool logged_ = false;
};

// A worker that exits tells the counts it still holds.
void ngx_http_aigw_log_limit_stop();
