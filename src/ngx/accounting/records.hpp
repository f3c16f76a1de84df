// The usage record: one per request, appended to the Redis stream aigw:usage from the log
// phase. Records wait in a bounded per-worker queue and go to Redis in pipelined batches
// (one write, one read for many XADDs), never blocking a request; while Redis is away they
// stay queued, and what the queue cannot hold is counted and logged.
#pragma once

#include "ngx/ngx.hpp"

ngx_int_t ngx_http_aigw_log_handler(ngx_http_request_t* r) noexcept;
void ngx_http_aigw_usage_log_exit_process(ngx_cycle_t* cycle) noexcept;
