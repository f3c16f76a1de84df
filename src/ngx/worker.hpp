// The worker: what one worker process runs besides requests.
#pragma once

#include "ngx/ngx.hpp"

// init_process: after the fork, the worker's parts start.
ngx_int_t ngx_http_aigw_worker_start(ngx_cycle_t* cycle) noexcept;
// exit_process: they stop, telling what they could not finish.
void ngx_http_aigw_worker_stop(ngx_cycle_t* cycle) noexcept;
