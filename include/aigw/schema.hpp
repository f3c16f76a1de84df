// Redis key names and hash fields: the one place they are spelled. The gateway, the admin CLI
// and the tests build every name through these, so a rename happens here or nowhere.
#pragma once

#include <string>
#include <string_view>

namespace aigw {

// HASH, one per client key: the key_record fields below. The name carries the sha256 hex of
// the raw key (never the key itself), so the access phase finds the record from the presented
// key alone. The hex is a Redis Cluster hash tag, so per-key scripts (quota settle) that touch
// this hash and its siblings stay on one slot.
//     aigw:key:{<sha256 hex>}
std::string key_hash_key(std::string_view sha_hex);

// STRING, one per client key: the sha256 hex of its current secret. The admin CLI works by id
// (the raw key is gone after create), and this is how it finds the hash; rotate moves it.
//     aigw:keyid:<id>
std::string key_id_index(std::string_view id);

// SET of every key id, so the CLI can list keys without SCAN over the whole keyspace.
//     aigw:keys
std::string_view key_set();

// Pub/sub channel: a message is the sha256 hex of a key whose record changed or went away
// (disable, enable, rotate, delete); every worker drops that entry from its key cache.
//     aigw:keys:invalidate
std::string_view invalidate_channel();

// Fields of the aigw:key:{...} hash.
namespace key_field {
inline constexpr std::string_view id = "id";                  // "key_" + 16 base62
inline constexpr std::string_view name = "name";              // free text for humans
inline constexpr std::string_view owner = "owner";            // who to ask about the key
inline constexpr std::string_view group = "group";            // aigw:group:<name> limits
inline constexpr std::string_view status = "status";          // "active" | "disabled"
inline constexpr std::string_view expires_at = "expires_at";  // unix seconds, 0 = never
inline constexpr std::string_view models = "models";          // comma list, or "*"
inline constexpr std::string_view endpoints = "endpoints";    // families; absent or "*" = all
inline constexpr std::string_view ip_allow = "ip_allow";      // comma list of CIDRs, "" = any
inline constexpr std::string_view created_at = "created_at";  // unix seconds
inline constexpr std::string_view last4 = "last4";            // for the masked form only
// Billing (see billing.hpp). Money is integer micro-USD, written as decimal digits.
inline constexpr std::string_view quota = "quota";            // micro-USD; absent = unlimited
inline constexpr std::string_view used = "used";              // micro-USD settled so far
inline constexpr std::string_view rpm = "rpm";                // requests per minute; absent =
inline constexpr std::string_view tpm = "tpm";                //   the aigw_rpm/aigw_tpm default
inline constexpr std::string_view budget_hourly = "budget_hourly";  // micro-USD; alert only
}  // namespace key_field

// HASH, one per group named by keys' `group` field: the group's own quota, used, rpm, tpm and
// budget_hourly (the same fields and units as a key's). A group without a hash has no limits.
//     aigw:group:{<name>}
std::string group_hash_key(std::string_view name);

// SET of every group name with a hash, for the CLI's group list.
//     aigw:groups
std::string_view group_set();

// HASH next to each key or group hash (same hash tag, same Cluster slot): the gateways' leases
// (quota held by one worker, expiring), the current rate-limit window's counts, the hour's
// spend, and each holder's last applied settlement number. Written only by the billing
// script; deleting it releases every lease.
//     aigw:lease:{<sha256 hex>}        aigw:lease:group:{<name>}
std::string key_lease_key(std::string_view sha_hex);
std::string group_lease_key(std::string_view name);

// HASH, one per model: a price that overrides aigw_price without a reload. Fields input,
// output, cached_input, cache_write, request, image, image_hd, image_large, image_hd_large,
// video_second, video_second_large: USD decimals as aigw_price takes them (per 1M tokens; per
// request; per image; per second of video). The model name is the public one.
//     aigw:price:{<model>}
std::string price_key(std::string_view model);
namespace price_field {
inline constexpr std::string_view input = "input";
inline constexpr std::string_view output = "output";
inline constexpr std::string_view cached_input = "cached_input";
inline constexpr std::string_view cache_write = "cache_write";
inline constexpr std::string_view request = "request";
inline constexpr std::string_view image = "image";
inline constexpr std::string_view image_hd = "image_hd";
inline constexpr std::string_view image_large = "image_large";
inline constexpr std::string_view image_hd_large = "image_hd_large";
inline constexpr std::string_view video_second = "video_second";
inline constexpr std::string_view video_second_large = "video_second_large";
}  // namespace price_field

// STREAM of usage records, one per request (fields in the README), capped by MAXLEN ~.
//     aigw:usage
std::string_view usage_stream();

// Pub/sub channel: one JSON message per quota threshold or hourly budget crossing.
//     aigw:alerts
std::string_view alerts_channel();

// HASH, one per media task (a video generation the gateway started for a client): the
// task_field fields below (task.hpp decodes them). The name carries the gateway's public id,
// as a hash tag.
//     aigw:task:{<id>}
std::string task_hash_key(std::string_view id);

// ZSET, one per billing account (the sha256 hex of the owning key): the public ids of its
// tasks scored by created_at (unix seconds), for GET /v1/videos.
//     aigw:tasks:{<sha256 hex>}
std::string account_tasks_key(std::string_view account);

// ZSET of the public ids of unfinished tasks, scored by when each is next polled (unix ms):
// the workers' poller takes the due ones.
//     aigw:tasks:pending
std::string_view pending_tasks_key();

// Fields of the aigw:task:{...} hash. Money is integer micro-USD, times unix seconds unless
// named _ms.
namespace task_field {
inline constexpr std::string_view id = "id";                          // public id ("video_...")
inline constexpr std::string_view channel = "channel";                // the channel's name
inline constexpr std::string_view upstream_id = "upstream_id";        // the upstream's id
inline constexpr std::string_view account = "account";                // sha256 hex of the key
inline constexpr std::string_view key_id = "key_id";
inline constexpr std::string_view owner = "owner";
inline constexpr std::string_view group = "group";
inline constexpr std::string_view model = "model";                    // public model name
inline constexpr std::string_view upstream_model = "upstream_model";
inline constexpr std::string_view size = "size";                      // "720x1280"
inline constexpr std::string_view seconds = "seconds";
inline constexpr std::string_view status = "status";      // queued | in_progress | completed | failed
inline constexpr std::string_view progress = "progress";  // 0..100
inline constexpr std::string_view created_at = "created_at";
inline constexpr std::string_view updated_at = "updated_at";
inline constexpr std::string_view completed_at = "completed_at";
inline constexpr std::string_view cost = "cost";          // micro-USD at the price when created
inline constexpr std::string_view charged = "charged";    // micro-USD taken from the account
inline constexpr std::string_view billing = "billing";    // reserved | charged | released
inline constexpr std::string_view request_id = "request_id";
inline constexpr std::string_view remixed_from = "remixed_from";      // public id, "" = none
inline constexpr std::string_view error_code = "error_code";
inline constexpr std::string_view error_message = "error_message";
inline constexpr std::string_view callback_url = "callback_url";      // "" = none
inline constexpr std::string_view callback = "callback";  // none | pending | delivered | failed
inline constexpr std::string_view callback_attempts = "callback_attempts";
inline constexpr std::string_view callback_next_ms = "callback_next_ms";  // unix ms
}  // namespace task_field

}  // namespace aigw
