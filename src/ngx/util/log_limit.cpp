// Rate-limited logging on NGINX's event loop: aigw::log_limiter and a timer that tells the
// counts (see log_limit.hpp).
#include "ngx/util/log_limit.hpp"

#include <cstdarg>
#include <exception>
#include <memory>
#include <string>

#include "aigw/log_limit.hpp"
#include "ngx/util/guard.hpp"

namespace {

struct limited_log {
    aigw::log_limiter limiter;
    ngx_event_t timer{};
};

std::unique_ptr<limited_log> limited;  // per worker, made at the first limited line

void tell(const aigw::log_limiter::summary& s, std::int64_t interval_ms) {
    std::string suffix = aigw::log_repeats_suffix(s.repeats, interval_ms);
    ngx_log_error(static_cast<ngx_uint_t>(s.level), ngx_cycle->log, 0, "%*s%*s", s.text.size(),
                  s.text.data(), suffix.size(), suffix.data());
}

void arm(limited_log* l) {
    if (l->limiter.empty() || l->timer.timer_set) {
        return;
    }
    std::int64_t wait = l->limiter.next_due() - static_cast<std::int64_t>(ngx_current_msec);
    l->timer.log = ngx_cycle->log;
    ngx_add_timer(&l->timer, static_cast<ngx_msec_t>(wait > 0 ? wait : 1));
}

void tick(ngx_event_t* ev) noexcept {
    auto* l = static_cast<limited_log*>(ev->data);
    aigw::ngx::guard(ngx_cycle->log, "rate-limited log", [l] {
        for (const auto& s : l->limiter.due(static_cast<std::int64_t>(ngx_current_msec))) {
            tell(s, l->limiter.interval_ms());
        }
    });
    if (!ngx_exiting && !ngx_terminate && !ngx_quit) {
        arm(l);
    }
}

}  // namespace

void ngx_http_aigw_log_limited(ngx_uint_t level, ngx_log_t* log, std::string_view kind,
                               const char* fmt, ...) noexcept {
    if (log->log_level < level) {
        return;  // not logged at this level anyway: nothing to count
    }
    u_char buf[NGX_MAX_ERROR_STR];
    va_list args;
    va_start(args, fmt);
    u_char* end = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);
    std::string_view text(reinterpret_cast<const char*>(buf), static_cast<size_t>(end - buf));
    try {
        if (!limited) {
            limited = std::make_unique<limited_log>();
            limited->timer.handler = tick;
            limited->timer.data = limited.get();
            limited->timer.cancelable = 1;  // never keeps a worker that is shutting down
        }
        if (!limited->limiter.note(kind, text, static_cast<int>(level),
                                   static_cast<std::int64_t>(ngx_current_msec))) {
            arm(limited.get());
            return;
        }
        arm(limited.get());
    } catch (const std::exception&) {
        // Out of memory: log the line rather than lose it.
    }
    ngx_log_error(level, log, 0, "%*s", text.size(), text.data());
}

void ngx_http_aigw_log_limit_stop() {
    if (!limited) {
        return;
    }
    try {
        if (limited->timer.timer_set) {
            ngx_del_timer(&limited->timer);
        }
        for (const auto& s : limited->limiter.drain()) {
            tell(s, limited->limiter.interval_ms());
        }
    } catch (const std::exception&) {
    }
    limited.reset();
}
