// The usage record: one per request, appended to the Redis stream aigw:usage from the log
// phase. Records wait in a bounded per-worker queue and go to Redis in pipelined batches
// (one write, one read for many XADDs), never blocking a request; while Redis is away they
// stay queued, and what the queue cannot hold is counted and logged.
#pragma once

#include "ngx/ngx.hpp"

struct ngx_http_aigw_usage_log_conf_t {
    ngx_flag_t enabled;       // NGX_CONF_UNSET until set; on by default with aigw_redis
    ngx_uint_t maxlen;        // XADD MAXLEN ~ N
    ngx_uint_t queue;         // records a worker holds while Redis is slow or away
};

// aigw_usage_log redis [maxlen=N] [queue=N] | off;
char* ngx_http_aigw_usage_log_directive(ngx_conf_t* cf, ngx_http_aigw_usage_log_conf_t* conf);
// Resolves the default; fails when records are asked for without aigw_redis.
char* ngx_http_aigw_usage_log_init(ngx_conf_t* cf, ngx_http_aigw_usage_log_conf_t* conf,
                                   bool have_redis);

ngx_int_t ngx_http_aigw_log_handler(ngx_http_request_t* r) noexcept;
void ngx_http_aigw_usage_log_exit_process(ngx_cycle_t* cycle) noexcept;
