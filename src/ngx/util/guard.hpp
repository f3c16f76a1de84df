// The boundary between NGINX (C) and the module's C++. Every function NGINX calls (handlers,
// filters, directive and configuration callbacks, init and exit, timers and other events,
// hiredis callbacks, pool cleanups, variable getters) is noexcept and runs its body through
// guard(): an exception (std::bad_alloc above all) becomes an NGINX return value and one
// error_log line, where it would otherwise end the worker in std::terminate.
#pragma once

#include <utility>

#include "ngx/ngx.hpp"

namespace aigw::ngx {

// The message of the exception being handled; call it inside a catch block only.
const char* current_exception_text() noexcept;

// Runs fn(). If it throws, report(message) is called and `fallback` is returned.
template <typename R, typename F, typename Report>
R guarded(R fallback, F&& fn, Report&& report) noexcept {
    try {
        return std::forward<F>(fn)();
    } catch (...) {
        report(current_exception_text());
    }
    return fallback;
}

// Handlers, filters, events, callbacks: "aigw: <where> failed: <message>" at error level.
template <typename R, typename F>
R guard(ngx_log_t* log, const char* where, R fallback, F&& fn) noexcept {
    return guarded(fallback, std::forward<F>(fn), [log, where](const char* what) {
        ngx_log_error(NGX_LOG_ERR, log, 0, "aigw: %s failed: %s", where, what);
    });
}

// The same for a body that returns nothing: false when it threw.
template <typename F>
bool guard(ngx_log_t* log, const char* where, F&& fn) noexcept {
    return guard(log, where, false, [&fn] {
        fn();
        return true;
    });
}

// Directive handlers: "\"<directive>\" failed: <message>" as nginx -t reports, NGX_CONF_ERROR.
template <typename F>
char* guard_directive(ngx_conf_t* cf, const ngx_command_t* cmd, F&& fn) noexcept {
    return guarded(static_cast<char*>(NGX_CONF_ERROR), std::forward<F>(fn),
                   [cf, cmd](const char* what) {
                       ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" failed: %s", &cmd->name,
                                          what);
                   });
}

// Other configuration callbacks (create, init and merge of the conf, pre- and
// postconfiguration): "aigw: <where> failed: <message>" as nginx -t reports.
template <typename R, typename F>
R guard_conf(ngx_conf_t* cf, const char* where, R fallback, F&& fn) noexcept {
    return guarded(fallback, std::forward<F>(fn), [cf, where](const char* what) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "aigw: %s failed: %s", where, what);
    });
}

}  // namespace aigw::ngx
