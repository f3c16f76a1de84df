// The configuration the directives fill: the http-level (main) and location-level structs and
// the parts they hold. Written while NGINX reads the configuration, read-only afterwards.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "aigw/dialects/dialect_id.hpp"
#include "aigw/keys/cidr.hpp"
#include "aigw/routing/router.hpp"
#include "ngx/ngx.hpp"

namespace aigw {
class model_map;
class price_table;
namespace tokenizer {
class encoding_table;
}
}

enum { NGX_HTTP_AIGW_REDIS_FAIL_CLOSED = 0, NGX_HTTP_AIGW_REDIS_FAIL_CACHED = 1 };
enum { NGX_HTTP_AIGW_RESPONSE_MODEL_PUBLIC = 0, NGX_HTTP_AIGW_RESPONSE_MODEL_UPSTREAM = 1 };
enum { NGX_HTTP_AIGW_PRICE_MISSING_DENY = 0, NGX_HTTP_AIGW_PRICE_MISSING_FREE = 1 };

// aigw_redis host:port [password=] [db=] [timeout=]
struct ngx_http_aigw_redis_conf_t {
    ngx_str_t host;       // numeric address, resolved at configuration time
    ngx_uint_t port;
    ngx_str_t password;
    ngx_int_t db;
    ngx_msec_t timeout;   // per command and for connecting
    ngx_str_t name;       // the directive's argument, for messages
};

// aigw_key_cache zone=name:size [ttl=] [negative_ttl=] [stale=]
struct ngx_http_aigw_key_cache_conf_t {
    ngx_shm_zone_t* zone;
    ngx_msec_t ttl;            // a positive entry is fresh this long
    ngx_msec_t negative_ttl;   // a negative entry is fresh this long
    ngx_msec_t stale;          // a positive entry may stand in for Redis this long
};

// aigw_anthropic_max_tokens: its default, and the most it takes (above any model's output
// limit, far below what would overflow anything).
inline constexpr ngx_uint_t ngx_http_aigw_anthropic_max_tokens_default = 4096;
inline constexpr ngx_uint_t ngx_http_aigw_anthropic_max_tokens_max = 1000000;

// Longest channel name (names are [A-Za-z0-9_.-]).
inline constexpr size_t ngx_http_aigw_channel_name_max = 63;

// aigw_channel NAME location= [provider=] [weight=] [priority=] [max_fails=] [fail_timeout=]
struct ngx_http_aigw_channel_t {
    ngx_str_t name;
    ngx_str_t location;       // prefix of the internal location; the API path is appended
    aigw::dialect_id dialect; // what its upstream speaks (provider=)
    bool responses;           // responses=on: the upstream serves OpenAI's Responses API too
    aigw::channel_conf conf;
    uint32_t slot;            // in the shared table, set when the zone is initialized
    uint32_t metrics_slot;    // in the metrics zone's channels, set when it is initialized
};

struct ngx_http_aigw_channels_conf_t {
    ngx_array_t channels;     // of ngx_http_aigw_channel_t, in config order
    ngx_shm_zone_t* zone;     // created once the http block is parsed, if there are channels
};

// The channel of index `i` (a route's candidates, a try's channel): i < channels.nelts.
inline ngx_http_aigw_channel_t* ngx_http_aigw_channel_at(const ngx_http_aigw_channels_conf_t* cc,
                                                         uint32_t i) {
    return static_cast<ngx_http_aigw_channel_t*>(cc->channels.elts) + i;
}

// aigw_usage_log redis [maxlen=] [queue=] [journal=] [journal_path=] | off
struct ngx_http_aigw_usage_log_conf_t {
    ngx_flag_t enabled;       // NGX_CONF_UNSET until set; on by default with aigw_redis
    ngx_uint_t maxlen;        // XADD MAXLEN ~ N
    ngx_uint_t queue;         // records a worker holds while Redis is slow or away
    off_t journal;            // the most bytes of a worker's journal file; 0: no journal
    ngx_str_t journal_path;   // the journals' directory (full name)
    int journal_dir;          // that directory, opened by the master; -1: not open
};

// aigw_price, aigw_price_refresh
struct ngx_http_aigw_prices_conf_t {
    aigw::price_table* table;          // aigw_price; nullptr when none is set
    std::set<std::string>* names;      // exact model names whose Redis price is read
    ngx_msec_t refresh;                // aigw_price_refresh; 0: Redis prices are not read
};

// aigw_billing, aigw_rpm, aigw_tpm, aigw_reserve_tokens, aigw_quota_alerts
struct ngx_http_aigw_billing_conf_t {
    ngx_flag_t enabled;          // aigw_billing on|off: NGX_CONF_UNSET until set
    ngx_msec_t flush;            // flush=: the settlement interval
    ngx_msec_t lease;            // lease=: how long a lease lives without renewal
    ngx_uint_t rpm;              // aigw_rpm: keys without their own rpm; 0: none
    ngx_uint_t tpm;              // aigw_tpm
    ngx_uint_t reserve_tokens;   // aigw_reserve_tokens: output reserved without max_tokens
    ngx_flag_t reserve_learn;    // off with `fixed`: reservations not sized by past completions
    ngx_str_t alerts;            // aigw_quota_alerts: "80,100"; empty: off
    unsigned alerts_set:1;
};

// aigw_status_zone SIZE | off; aigw_status (locations)
struct ngx_http_aigw_status_conf_t {
    ngx_flag_t enabled;       // NGX_CONF_UNSET until set; on by default
    size_t size;              // the metrics zone's size
    ngx_shm_zone_t* zone;     // created once the http block is parsed, when enabled
    ngx_uint_t locations;     // aigw_status locations, which need the zone
};

// Video tasks' background work: the node's poller (aigw_task_poller) and callbacks
// (aigw_callback_pass, aigw_callback_secret, aigw_callback_allow).
struct ngx_http_aigw_tasks_conf_t {
    ngx_url_t* poller;              // where the poller sends its loopback requests; nullptr: none
    ngx_str_t poller_uri;           // the URI prefix of that location (an aigw_task_poll one)
    ngx_msec_t poll_interval;       // interval=: a tick; also each pending task's poll interval
    ngx_uint_t poll_batch;          // batch=: polls in flight at once per node
    ngx_uint_t poll_per_channel;    // per_channel=: polls per tick per channel
    ngx_str_t callback_pass;        // internal location delivering callbacks (proxy_pass
                                    // $aigw_callback_url); empty: callbacks refused
    ngx_str_t callback_secret;      // the HMAC key of X-Aigw-Signature
    std::vector<aigw::cidr_block>* callback_allow;      // addresses allowed despite the rules
    std::vector<std::string>* callback_allow_hosts;     // names allowed likewise
    u_char poll_token[32];          // random hex: what proves a poll came from this node
};

struct ngx_http_aigw_main_conf_t {
    ngx_http_aigw_redis_conf_t redis;           // aigw_redis; host.len == 0 when not set
    ngx_uint_t redis_fail;                      // aigw_redis_fail closed|cached
    ngx_http_aigw_key_cache_conf_t key_cache;   // aigw_key_cache; zone == nullptr when not set
    ngx_http_aigw_channels_conf_t channels;     // aigw_channel
    ngx_http_aigw_usage_log_conf_t usage_log;   // aigw_usage_log
    ngx_http_aigw_prices_conf_t prices;         // aigw_price, aigw_price_refresh
    ngx_uint_t price_missing;                   // aigw_price_missing deny|free
    ngx_http_aigw_billing_conf_t billing;       // aigw_billing, aigw_rpm, aigw_tpm, ...
    aigw::tokenizer::encoding_table* tokenizers;  // aigw_tokenizer; nullptr when none is set
    ngx_http_aigw_status_conf_t status;         // aigw_status_zone, aigw_status
    ngx_http_aigw_tasks_conf_t tasks;           // aigw_task_poller, aigw_callback_*
};

struct ngx_http_aigw_loc_conf_t {
    ngx_flag_t enable;   // aigw on|off
    ngx_flag_t error_pages;  // aigw_error_pages on|off: NGINX's own error pages as JSON
                             // outside gateway locations too (a gateway location always)
    ngx_str_t pass;      // aigw_pass: prefix of the channel's internal location
    ngx_flag_t keys;     // aigw_keys on|off: require a client key (default: on with aigw_redis)
    aigw::model_map* models;        // aigw_model table (replaces aigw_pass); inherited whole
    time_t models_created;          // "created" of /v1/models entries: when the table loaded
    ngx_uint_t response_model;      // aigw_response_model public|upstream
    ngx_uint_t fallback_attempts;   // aigw_fallback_attempts; 0: every candidate once
    ngx_msec_t fallback_timeout;    // aigw_fallback_timeout; 0: no limit
    // aigw_anthropic_max_tokens: the max_tokens an Anthropic channel gets when the OpenAI
    // client sent neither max_tokens nor max_completion_tokens (Anthropic requires one);
    // 1 to ngx_http_aigw_anthropic_max_tokens_max
    ngx_uint_t anthropic_max_tokens;
};

inline ngx_http_aigw_main_conf_t* ngx_http_aigw_main_conf(ngx_http_request_t* r) {
    return static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_get_module_main_conf(r, ngx_http_aigw_module));
}

// nullptr in a cycle without an http block.
inline ngx_http_aigw_main_conf_t* ngx_http_aigw_main_conf(ngx_cycle_t* cycle) {
    return static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_cycle_get_module_main_conf(cycle, ngx_http_aigw_module));
}

inline ngx_http_aigw_loc_conf_t* ngx_http_aigw_loc_conf(ngx_http_request_t* r) {
    return static_cast<ngx_http_aigw_loc_conf_t*>(
        ngx_http_get_module_loc_conf(r, ngx_http_aigw_module));
}
