// The metrics zone (aigw_status_zone): the node's counters in shared memory, and the hooks the
// request path, the usage-record queue, the Redis client and billing count through. Every hook
// is a few relaxed atomic adds, no lock, and nothing at all when the zone is off. The status
// handler (status.cpp) reads the zone.
#pragma once

#include <cstdint>

#include "aigw/status/metrics.hpp"
#include "ngx/conf/conf.hpp"

struct ngx_http_aigw_ctx_t;

// This process's view of the zone; nullptr when aigw_status_zone is off (or before the zone
// is set up). Set in the master when the zone is initialized, inherited by the workers.
extern aigw::status::zone* ngx_http_aigw_metrics_zone;
extern ngx_slab_pool_t* ngx_http_aigw_metrics_pool;

// Adds the zone (init_main_conf, when the channels are known). NGX_ERROR with a message for
// nginx -t when it is too small for the configuration's channels.
ngx_int_t ngx_http_aigw_metrics_add_zone(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* amcf);

// Points this process at the new configuration's zone (init_module: the configuration is in
// use from now on; a reload that fails keeps the old one).
void ngx_http_aigw_metrics_use(ngx_cycle_t* cycle);

// The log phase of a request that reached the content phase: its ingress API, model, group,
// tokens and cost, refusals, and each of its attempts by channel.
void ngx_http_aigw_metrics_request(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// An attempt at `channel` started or ended (in-flight).
inline void ngx_http_aigw_metrics_inflight(const ngx_http_aigw_channel_t* channel, int delta) {
    if (aigw::status::zone* z = ngx_http_aigw_metrics_zone) {
        if (channel->metrics_slot < z->header->caps.channels) {
            aigw::status::add(z->channels[channel->metrics_slot].inflight, delta);
        }
    }
}

// The usage-record queue: records that joined (+) or left (-) the queues, delivered, lost.
inline void ngx_http_aigw_metrics_records(std::int64_t queued, std::uint64_t delivered,
                                          std::uint64_t lost) {
    if (aigw::status::zone* z = ngx_http_aigw_metrics_zone) {
        aigw::status::gateway_counters& g = z->header->gateway;
        if (queued) aigw::status::add(g.records_queued, queued);
        if (delivered) aigw::status::add(g.records_delivered, delivered);
        if (lost) aigw::status::add(g.records_lost, lost);
    }
}

// A worker's Redis connection came up (+1) or went down (-1).
inline void ngx_http_aigw_metrics_redis_connected(int delta) {
    if (aigw::status::zone* z = ngx_http_aigw_metrics_zone) {
        aigw::status::add(z->header->gateway.redis_connected, delta);
    }
}

// A Redis command answered after `us` microseconds.
inline void ngx_http_aigw_metrics_redis_reply(std::uint64_t us) {
    if (aigw::status::zone* z = ngx_http_aigw_metrics_zone) {
        aigw::status::observe(z->header->gateway.redis_latency, aigw::status::redis_bounds_us, us);
    }
}

inline void ngx_http_aigw_metrics_settlement() {
    if (aigw::status::zone* z = ngx_http_aigw_metrics_zone) {
        aigw::status::add(z->header->gateway.settlements, 1);
    }
}

inline void ngx_http_aigw_metrics_key_cache(bool hit) {
    if (aigw::status::zone* z = ngx_http_aigw_metrics_zone) {
        aigw::status::add(hit ? z->header->gateway.key_cache_hits
                              : z->header->gateway.key_cache_misses, 1);
    }
}
