// Channels (aigw_channel) and their routing state: one shared-memory table all workers use,
// so weights, failures and Retry-After hold across the node, not per worker.
//
// The table has a fixed number of slots, each a channel's name and its aigw::channel_state.
// A reload maps channels to slots by name, so a channel that is down stays down and the
// round-robin goes on; a slot is never freed (old workers may still use it), only reset and
// reused when a new name finds no free slot.
#pragma once

#include <cstdint>

#include "aigw/routing/router.hpp"
#include "ngx/conf/conf.hpp"

// Adds the zone (called from init_main_conf, when the number of channels is known).
ngx_int_t ngx_http_aigw_channels_add_zone(ngx_conf_t* cf, ngx_http_aigw_channels_conf_t* cc);

// Picks the next channel for a request among `candidates` (channel indexes), skipping those
// whose bit is set in `tried` or `excluded`, with the zone locked. See aigw::pick.
aigw::pick_result ngx_http_aigw_channels_pick(const ngx_http_aigw_channels_conf_t* cc,
                                              const uint32_t* candidates, size_t count,
                                              uint64_t tried, uint64_t excluded);
// The first channel (in configuration order) with responses=on, where stored responses are
// asked for; nullptr when none has it.
// A copy of `channel`'s routing state, read under the zone's lock (the status handler's);
// false when there is no zone.
bool ngx_http_aigw_channels_state(const ngx_http_aigw_channels_conf_t* cc, uint32_t channel,
                                  aigw::channel_state* state);

ngx_http_aigw_channel_t* ngx_http_aigw_channels_storing(ngx_http_aigw_main_conf_t* amcf);

void ngx_http_aigw_channels_failed(const ngx_http_aigw_channels_conf_t* cc, uint32_t channel,
                                   uint64_t retry_after_ms);
void ngx_http_aigw_channels_rate_limited(const ngx_http_aigw_channels_conf_t* cc,
                                         uint32_t channel, uint64_t retry_after_ms);
void ngx_http_aigw_channels_succeeded(const ngx_http_aigw_channels_conf_t* cc, uint32_t channel,
                                      ngx_msec_t picked_at);
