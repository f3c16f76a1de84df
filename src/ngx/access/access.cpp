// Access phase: the client key. Cached in shared memory, else fetched from Redis without
// blocking (the request waits the way auth_request waits for its subrequest: NGX_AGAIN, then
// the phase is re-entered when the reply is in).
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "aigw/dialects/endpoints.hpp"
#include "aigw/keys/keys.hpp"
#include "aigw/schema.hpp"
#include "ngx/access/access.hpp"
#include "ngx/access/key_cache.hpp"
#include "ngx/redis/client.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/pool.hpp"

namespace {

using field_list = std::vector<std::pair<std::string_view, std::string_view>>;

// HGETALL's pairs as one string for the cache: each item as a 4-byte length, then its bytes.
std::string pack_fields(const redisReply* reply) {
    std::string out;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply* e = reply->element[i];
        uint32_t n = e->type == REDIS_REPLY_STRING ? static_cast<uint32_t>(e->len) : 0;
        out.append(reinterpret_cast<const char*>(&n), sizeof(n));
        if (n) {
            out.append(e->str, n);
        }
    }
    return out;
}

bool unpack_fields(std::string_view packed, field_list* out) {
    std::string_view item[2];
    int k = 0;
    while (!packed.empty()) {
        uint32_t n;
        if (packed.size() < sizeof(n)) {
            return false;
        }
        ngx_memcpy(&n, packed.data(), sizeof(n));
        packed.remove_prefix(sizeof(n));
        if (packed.size() < n) {
            return false;
        }
        item[k++] = packed.substr(0, n);
        packed.remove_prefix(n);
        if (k == 2) {
            out->emplace_back(item[0], item[1]);
            k = 0;
        }
    }
    return k == 0;
}

// The headers a key may come in. NGINX indexes Authorization itself; the other two are
// found in one walk of the list.
struct key_headers {
    std::string_view authorization;
    std::string_view x_api_key;
    std::string_view x_goog_api_key;
};

key_headers find_key_headers(ngx_http_request_t* r) {
    key_headers k;
    if (r->headers_in.authorization != nullptr) {
        k.authorization = aigw::ngx::view(r->headers_in.authorization->value);
    }
    aigw::ngx::for_each_header(r->headers_in.headers, [&k](ngx_table_elt_t& h) {
        if (k.x_api_key.empty() && aigw::ngx::name_is(h.key, "x-api-key")) {
            k.x_api_key = aigw::ngx::view(h.value);
        } else if (k.x_goog_api_key.empty() && aigw::ngx::name_is(h.key, "x-goog-api-key")) {
            k.x_goog_api_key = aigw::ngx::view(h.value);
        }
        return true;
    });
    return k;
}

using shared_record = std::shared_ptr<const aigw::key_record>;

// Decoded records of recently used keys, per worker, by the cache entry's version: a key
// served from the cache is decoded once per version, not once per request. Direct-mapped
// on the digest's first byte; a collision just means decoding again.
struct decoded_slot {
    u_char digest[32];
    uint64_t version;
    shared_record record;
};
decoded_slot decoded_slots[256];

struct decoded {
    shared_record record;
    std::string error;    // why the record could not be decoded
};

decoded decode_packed(std::string_view packed) {
    decoded out;
    field_list fields;
    if (!unpack_fields(packed, &fields)) {
        out.error = "unreadable cache entry";
        return out;
    }
    aigw::key_decode_result d = aigw::decode_key_record(fields);
    if (!d.ok) {
        out.error = std::move(d.error);
        return out;
    }
    out.record = std::make_shared<const aigw::key_record>(std::move(d.record));
    return out;
}

// The cache's entry for a key, decoded (through the per-worker slots).
ngx_http_aigw_key_cache_state cached_record(const ngx_http_aigw_key_cache_conf_t* kc,
                                            const u_char digest[32], decoded* out) {
    decoded_slot& slot = decoded_slots[digest[0]];
    bool mine = slot.record && ngx_memcmp(slot.digest, digest, 32) == 0;
    uint64_t version = 0;
    std::string packed;
    auto state = ngx_http_aigw_key_cache_get(kc, digest, mine ? slot.version : 0, &version, &packed);
    if (state != ngx_http_aigw_key_cache_state::fresh &&
        state != ngx_http_aigw_key_cache_state::stale) {
        return state;
    }
    if (mine && version == slot.version) {
        out->record = slot.record;
        return state;
    }
    *out = decode_packed(packed);
    if (out->record) {
        ngx_memcpy(slot.digest, digest, 32);
        slot.version = version;
        slot.record = out->record;
    }
    return state;
}

ngx_int_t reject(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, const aigw::api_error& e,
                 std::string_view why) {
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "aigw: key %V rejected: %*s",
                  &ctx->access.key_masked, why.size(), why.data());
    return ngx_http_aigw_prepare_error(r, e);
}

// Applies the checks that need no body to a record (from Redis or the cache).
ngx_int_t accept_record(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, const decoded& d) {
    if (!d.record) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: the Redis record of key %V is malformed (%s); the key is refused",
                      &ctx->access.key_masked, d.error.c_str());
        return ngx_http_aigw_prepare_error(
            r, aigw::invalid_api_key_error(aigw::ngx::view(ctx->access.key_masked)));
    }
    aigw::key_check_result c = aigw::key_check(*d.record, ngx_time(),
                                               aigw::ngx::view(r->connection->addr_text),
                                               std::nullopt);
    if (c != aigw::key_check_result::ok) {
        return reject(r, ctx, aigw::key_check_error(c, {}), aigw::key_check_name(c));
    }
    // The key's endpoint allow-list. A path the gateway does not serve has no family: it
    // stays the content phase's 404.
    if (ctx->content.endpoint != nullptr) {
        std::string_view family = aigw::endpoint_family(*ctx->content.endpoint);
        if (!aigw::endpoint_allowed(*d.record, family)) {
            std::string why = "endpoint_not_allowed (\"";
            why += family;
            why += "\")";
            return reject(r, ctx, aigw::endpoint_not_allowed_error(family), why);
        }
    }

    // The request holds its own reference: the worker's slot may move on meanwhile.
    auto* held = aigw::ngx::pool_new<shared_record>(r->pool, d.record);
    if (held == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->access.key = held->get();
    return NGX_OK;
}

// Redis could not answer: a cached record may stand in (aigw_redis_fail cached), else 503.
ngx_int_t redis_failed(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    if (amcf->redis_fail == NGX_HTTP_AIGW_REDIS_FAIL_CACHED && amcf->key_cache.zone != nullptr) {
        decoded d;
        auto state = cached_record(&amcf->key_cache, ctx->access.key_digest, &d);
        if (state == ngx_http_aigw_key_cache_state::fresh ||
            state == ngx_http_aigw_key_cache_state::stale) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "aigw: redis unavailable, key %V served from the cache",
                           &ctx->access.key_masked);
            return accept_record(r, ctx, d);
        }
    }
    return ngx_http_aigw_prepare_error(r, aigw::keys_unavailable_error());
}

// A pool cleanup: a reply that comes after the request is gone touches nothing of it.
void cancel_redis_call(void* data) noexcept {
    auto* ctx = static_cast<ngx_http_aigw_ctx_t*>(data);
    aigw::ngx::guard(ctx->main->connection->log, "key check cleanup", [ctx] {
        if (ctx->access.redis_call != nullptr) {
            ngx_http_aigw_redis_cancel(ctx->access.redis_call);
            ctx->access.redis_call = nullptr;
        }
    });
}

// The access phase's answer from Redis's reply.
ngx_int_t key_answer(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, redisReply* reply,
                     ngx_http_aigw_redis_status status) {
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    if (status != ngx_http_aigw_redis_status::ok || reply->type != REDIS_REPLY_ARRAY) {
        if (status == ngx_http_aigw_redis_status::ok) {
            ngx_http_aigw_redis_log_reply_error(
                r->connection->log,
                reply->type == REDIS_REPLY_ERROR ? reply->str : "an unexpected type");
        }
        return redis_failed(r, ctx);
    }
    std::string packed = pack_fields(reply);
    uint64_t version = 0;
    if (amcf->key_cache.zone != nullptr) {
        version = ngx_http_aigw_key_cache_put(&amcf->key_cache, ctx->access.key_digest, packed);
    }
    if (packed.empty()) {
        return reject(r, ctx, aigw::invalid_api_key_error(aigw::ngx::view(ctx->access.key_masked)),
                      "invalid_api_key");
    }
    decoded d = decode_packed(packed);
    if (d.record && version != 0) {
        decoded_slot& slot = decoded_slots[ctx->access.key_digest[0]];
        ngx_memcpy(slot.digest, ctx->access.key_digest, 32);
        slot.version = version;
        slot.record = d.record;
    }
    return accept_record(r, ctx, d);
}

// The reply to the key's HGETALL (called from hiredis, through the Redis client).
void key_reply(void* owner, redisReply* reply, ngx_http_aigw_redis_status status) noexcept {
    auto* r = static_cast<ngx_http_request_t*>(owner);
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    ctx->access.redis_call = nullptr;
    ctx->access.auth_rc =
        aigw::ngx::guard(r->connection->log, "key check", NGX_HTTP_INTERNAL_SERVER_ERROR,
                         [&] { return key_answer(r, ctx, reply, status); });
    ctx->access.auth_state = ngx_http_aigw_auth_state::done;
    r->read_event_handler = ngx_http_block_reading;
    // Resume the phases from the event loop, not from inside hiredis's callback.
    ngx_post_event(r->connection->write, &ngx_posted_events);
}

ngx_int_t check_key(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    key_headers k = find_key_headers(r);
    aigw::presented_key presented =
        aigw::extract_key(k.authorization, k.x_api_key, k.x_goog_api_key,
                          aigw::ngx::view(ctx->access.query_key));
    if (presented.key.empty()) {
        return ngx_http_aigw_prepare_error(r, aigw::missing_api_key_error());
    }
    std::string masked = aigw::mask_key(presented.key);
    if (!aigw::ngx::pool_copy(r->pool, masked, &ctx->access.key_masked)) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!aigw::key_format_ok(presented.key)) {
        // Not one of ours: no need to ask Redis.
        return reject(r, ctx, aigw::malformed_api_key_error(masked), "not an aigw key");
    }

    if (!aigw::sha256(presented.key, ctx->access.key_digest)) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    if (amcf->key_cache.zone != nullptr) {
        decoded d;
        switch (cached_record(&amcf->key_cache, ctx->access.key_digest, &d)) {
        case ngx_http_aigw_key_cache_state::fresh:
            return accept_record(r, ctx, d);
        case ngx_http_aigw_key_cache_state::fresh_negative:
            return reject(r, ctx, aigw::invalid_api_key_error(masked), "invalid_api_key (cached)");
        case ngx_http_aigw_key_cache_state::stale:
        case ngx_http_aigw_key_cache_state::miss:
            break;
        }
    }

    std::string redis_key = aigw::key_hash_key(aigw::hex_digest(ctx->access.key_digest));
    const char* argv[] = {"HGETALL", redis_key.c_str()};
    size_t lens[] = {7, redis_key.size()};
    ngx_pool_cleanup_t* cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->access.redis_call = ngx_http_aigw_redis_command(2, argv, lens, key_reply, r);
    if (ctx->access.redis_call == nullptr) {
        return redis_failed(r, ctx);
    }
    cln->handler = cancel_redis_call;
    cln->data = ctx;
    ctx->access.auth_state = ngx_http_aigw_auth_state::waiting;
    // Notice a client that goes away while we wait.
    r->read_event_handler = ngx_http_test_reading;
    return NGX_AGAIN;
}

ngx_int_t access(ngx_http_request_t* r) {
    if (r != r->main) {
        return NGX_DECLINED;
    }
    ngx_http_aigw_loc_conf_t* alcf = ngx_http_aigw_loc_conf(r);
    if (!alcf->enable || !alcf->keys) {
        return NGX_DECLINED;
    }
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ngx_http_aigw_classify(r, ctx);  // errors in the client's dialect
    switch (ctx->access.auth_state) {
    case ngx_http_aigw_auth_state::done:
        return ctx->access.auth_rc;
    case ngx_http_aigw_auth_state::waiting:
        return NGX_AGAIN;
    case ngx_http_aigw_auth_state::none:
        break;
    }
    ngx_int_t rc = check_key(r, ctx);
    if (rc != NGX_AGAIN) {
        ctx->access.auth_state = ngx_http_aigw_auth_state::done;
        ctx->access.auth_rc = rc;
    }
    return rc;
}

}  // namespace

ngx_int_t ngx_http_aigw_access_handler(ngx_http_request_t* r) noexcept {
    return aigw::ngx::guard(r->connection->log, "key check", NGX_HTTP_INTERNAL_SERVER_ERROR,
                            [r] { return access(r); });
}

// A message on the invalidation channel: the sha256 hex of a key that changed. nullptr
// after (re)subscribing, when messages may have been lost: every entry stops being fresh.
void ngx_http_aigw_key_invalidated(const char* data, size_t len) {
    ngx_http_aigw_main_conf_t* amcf =
        ngx_http_aigw_main_conf(const_cast<ngx_cycle_t*>(ngx_cycle));
    if (amcf == nullptr || amcf->key_cache.zone == nullptr) {
        return;
    }
    if (data == nullptr) {
        ngx_http_aigw_key_cache_expire_all(&amcf->key_cache);
        return;
    }
    if (len != 64) {
        return;
    }
    u_char digest[32];
    for (size_t i = 0; i < 32; i++) {
        ngx_int_t v = ngx_hextoi((u_char*)data + 2 * i, 2);
        if (v == NGX_ERROR) {
            return;
        }
        digest[i] = static_cast<u_char>(v);
    }
    ngx_http_aigw_key_cache_delete(&amcf->key_cache, digest);
}
