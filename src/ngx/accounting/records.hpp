// The usage record: one per request, appended to the Redis stream aigw:usage from the log
// phase. Records wait in a bounded per-worker queue and go to Redis in pipelined batches
// (one write, one read for many XADDs), never blocking a request; while Redis is away they
// stay queued, and what the queue cannot hold is counted and logged.
#pragma once

#include "ngx/conf/conf.hpp"

ngx_int_t ngx_http_aigw_log_handler(ngx_http_request_t* r) noexcept;
// The worker's record queue (worker.cpp starts and stops it): started when aigw_usage_log is
// on; stopped with a line for what Redis did not take.
void ngx_http_aigw_records_start(ngx_cycle_t* cycle, const ngx_http_aigw_usage_log_conf_t* conf);
// In the master: opens the journals' directory for the workers to inherit, so a worker reaches
// it even when its user may not pass through the directories above it (as NGINX opens its
// log files). Closed with the cycle.
void ngx_http_aigw_records_open_dir(ngx_cycle_t* cycle, ngx_http_aigw_usage_log_conf_t* conf);
void ngx_http_aigw_records_stop(ngx_cycle_t* cycle);
