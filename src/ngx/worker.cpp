// The worker: the one object that starts, after the fork, what a worker process runs besides
// requests, and stops it before the process exits: the Redis client and the key-invalidation
// subscription, billing's accounts and settlement timer, the price refresh, the usage-record
// queue, and the rate-limited log. Each part keeps its state in its own file; this is the one
// place that decides which parts run and in which order they start and stop.
#include "ngx/worker.hpp"

#include "ngx/access/access.hpp"
#include "ngx/accounting/prices.hpp"
#include "ngx/accounting/records.hpp"
#include "ngx/accounting/spend.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/media/poller.hpp"
#include "ngx/redis/client.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/log_limit.hpp"

namespace {

class worker {
public:
    // Everything but the log rests on Redis: without aigw_redis nothing starts.
    ngx_int_t start(ngx_cycle_t* cycle) {
        // NGINX runs init_process in its cache manager and loader too (proxy_cache_path):
        // those serve no request, so they get no Redis client, poller or journal.
        if (ngx_process != NGX_PROCESS_WORKER && ngx_process != NGX_PROCESS_SINGLE) {
            return NGX_OK;
        }
        ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(cycle);
        if (amcf == nullptr || amcf->redis.host.len == 0) {
            return NGX_OK;
        }
        // Only one worker per node listens for key invalidations: the cache they clear is
        // shared by all workers.
        bool subscribe = amcf->key_cache.zone != nullptr && ngx_worker == 0;
        ngx_int_t rc = ngx_http_aigw_redis_start(cycle, &amcf->redis,
                                                 subscribe ? "aigw:keys:invalidate" : nullptr,
                                                 ngx_http_aigw_key_invalidated);
        if (rc != NGX_OK) {
            return rc;
        }
        ngx_http_aigw_billing_start(cycle);
        ngx_http_aigw_prices_start(cycle, &amcf->prices);
        ngx_http_aigw_records_start(cycle, &amcf->usage_log);
        ngx_http_aigw_poller_start(cycle);
        return NGX_OK;
    }

    // Redis first: freeing its connections answers pending calls, some the usage queue's.
    void stop(ngx_cycle_t* cycle) {
        ngx_http_aigw_poller_stop();
        ngx_http_aigw_redis_stop();
        ngx_http_aigw_records_stop(cycle);
        ngx_http_aigw_billing_stop(cycle);
        ngx_http_aigw_prices_stop();
        ngx_http_aigw_log_limit_stop();
    }
};

worker this_worker;

}  // namespace

ngx_int_t ngx_http_aigw_worker_start(ngx_cycle_t* cycle) noexcept {
    return aigw::ngx::guard(cycle->log, "worker start", static_cast<ngx_int_t>(NGX_ERROR),
                            [cycle] { return this_worker.start(cycle); });
}

void ngx_http_aigw_worker_stop(ngx_cycle_t* cycle) noexcept {
    aigw::ngx::guard(cycle->log, "worker stop", [cycle] { this_worker.stop(cycle); });
}
