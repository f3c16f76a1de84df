// The node's poller of video tasks: one worker per node (worker 0) asks Redis on a timer for
// the pending tasks that are due (at most `batch` in flight, `per_channel` per channel and
// tick; each claimed task's next poll moves out by a lease so other nodes skip it) and has
// each refreshed by a loopback request to this server's aigw_task_poll location. That request
// is a real NGINX request: it polls the task's channel through its proxy_pass location (with
// its TLS, timeouts and headers), settles the task, and delivers its callback through
// aigw_callback_pass. The poller itself only connects to loopback and reads a status line.
//
// Why a loopback request: outside a client request NGINX has no way to run a subrequest, and
// the channels are NGINX locations; writing a second HTTP(S) client into the module would
// duplicate what proxy_pass already does for every other call.
#pragma once

#include "ngx/ngx.hpp"

void ngx_http_aigw_poller_start(ngx_cycle_t* cycle);
void ngx_http_aigw_poller_stop();
