// The key cache: a shared-memory zone all workers use, keyed by the SHA-256 of a client key.
// Holds the key's Redis record (positive) or the fact that Redis has none (negative), with the
// time it was fetched. Least recently used entries are evicted when the zone is full. The zone
// survives `nginx -s reload`.
#pragma once

#include <cstdint>
#include <string>

#include "ngx/conf/conf.hpp"

enum class ngx_http_aigw_key_cache_state {
    miss,
    fresh,           // positive, younger than ttl
    fresh_negative,  // negative, younger than negative_ttl
    stale,           // positive, older than ttl but younger than stale
};

// Looks up a key. Every stored entry has a version, unique in the zone (never 0). A positive
// entry's record (packed HGETALL pairs) is copied to *record only when its version differs
// from known_version, so a worker that already decoded that version copies nothing.
ngx_http_aigw_key_cache_state ngx_http_aigw_key_cache_get(const ngx_http_aigw_key_cache_conf_t* kc,
                                                          const u_char digest[32],
                                                          uint64_t known_version,
                                                          uint64_t* version, std::string* record);
// Stores a record (packed pairs), or a negative entry when record is empty; returns the
// entry's version (0 if the zone had no room).
uint64_t ngx_http_aigw_key_cache_put(const ngx_http_aigw_key_cache_conf_t* kc,
                                     const u_char digest[32], const std::string& record);
void ngx_http_aigw_key_cache_delete(const ngx_http_aigw_key_cache_conf_t* kc,
                                    const u_char digest[32]);
// Every entry stops being fresh (they still serve as stale): used when invalidations may
// have been missed, as after the subscriber reconnects.
void ngx_http_aigw_key_cache_expire_all(const ngx_http_aigw_key_cache_conf_t* kc);

ngx_int_t ngx_http_aigw_key_cache_init_zone(ngx_shm_zone_t* zone, void* data) noexcept;
void* ngx_http_aigw_key_cache_ctx_create(ngx_pool_t* pool);
