// A non-blocking Redis client on NGINX's event loop (hiredis async API). One command
// connection per worker, made when the worker starts; commands are pipelined on it, each with a
// deadline on an NGINX timer. A timed-out or broken connection is closed, never reused, and
// re-established with backoff. Requests hold a call handle and cancel it from their pool
// cleanup, so a late reply never touches a freed request.
#pragma once

#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "ngx/conf/conf.hpp"

enum class ngx_http_aigw_redis_status {
    ok,           // reply holds the answer (which may itself be a Redis error reply)
    unavailable,  // not connected, or the connection broke before the reply
    timeout,      // no reply within the deadline
};

// reply is only valid during the call; nullptr unless status is ok.
typedef void (*ngx_http_aigw_redis_reply_pt)(void* owner, redisReply* reply,
                                             ngx_http_aigw_redis_status status);

struct ngx_http_aigw_redis_call_t;

// Starts the worker's connections (command connection; subscriber if on_message is given).
// on_message(nullptr, 0) means "(re)subscribed": messages may have been missed.
ngx_int_t ngx_http_aigw_redis_start(ngx_cycle_t* cycle, const ngx_http_aigw_redis_conf_t* conf,
                                    const char* subscribe_channel,
                                    void (*on_message)(const char* data, size_t len));
void ngx_http_aigw_redis_stop();

// Issues a command; returns nullptr if it could not be sent (then `fn` is not called).
// Otherwise `fn` is called exactly once, unless the call is cancelled first. `fn` may be
// nullptr for a command whose answer nobody waits for.
ngx_http_aigw_redis_call_t* ngx_http_aigw_redis_command(int argc, const char** argv,
                                                        const size_t* argvlen,
                                                        ngx_http_aigw_redis_reply_pt fn,
                                                        void* owner);
// The same for a command of a few arguments built as strings (task records, the poller).
ngx_http_aigw_redis_call_t* ngx_http_aigw_redis_command(const std::vector<std::string>& argv,
                                                        ngx_http_aigw_redis_reply_pt fn,
                                                        void* owner);
// The same for a command already in RESP form (a "*N\r\n$len\r\n..." array), which callers
// that build many commands format faster than hiredis's printf-style formatter does.
ngx_http_aigw_redis_call_t* ngx_http_aigw_redis_formatted(const char* cmd, size_t len,
                                                          ngx_http_aigw_redis_reply_pt fn,
                                                          void* owner);
void ngx_http_aigw_redis_cancel(ngx_http_aigw_redis_call_t* call);
// Error replies (NOAUTH, WRONGTYPE, LOADING ...) are logged once per interval, not per request.
void ngx_http_aigw_redis_log_reply_error(ngx_log_t* log, const char* what);
