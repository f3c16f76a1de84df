// Shared-memory key cache; see key_cache.hpp.
#include "ngx/access/key_cache.hpp"

#include <openssl/crypto.h>

#include "ngx/metrics.hpp"
#include "ngx/util/guard.hpp"

namespace {

struct cache_node {
    ngx_rbtree_node_t node;    // key: the first bytes of the digest
    ngx_queue_t lru;           // most recently used at the head
    u_char digest[32];
    ngx_msec_t fetched;        // ngx_current_msec when stored (monotonic, same in all workers)
    ngx_uint_t generation;
    uint64_t version;
    unsigned negative:1;
    size_t len;
    u_char data[1];
};

struct cache_shctx {
    ngx_rbtree_t rbtree;
    ngx_rbtree_node_t sentinel;
    ngx_queue_t lru;
    ngx_uint_t generation;     // entries of older generations are not fresh
    uint64_t next_version;     // versions of stored entries, from 1
};

struct cache_ctx {
    cache_shctx* sh;
    ngx_slab_pool_t* shpool;
};

// Entries evicted per allocation failure before giving up on storing one.
constexpr int evict_batch = 16;

ngx_rbtree_key_t digest_key(const u_char digest[32]) {
    ngx_rbtree_key_t k = 0;
    ngx_memcpy(&k, digest, sizeof(k));
    return k;
}

void rbtree_insert(ngx_rbtree_node_t* temp, ngx_rbtree_node_t* node, ngx_rbtree_node_t* sentinel) {
    for (;;) {
        ngx_rbtree_node_t** p;
        if (node->key != temp->key) {
            p = node->key < temp->key ? &temp->left : &temp->right;
        } else {
            auto* a = reinterpret_cast<cache_node*>(node);
            auto* b = reinterpret_cast<cache_node*>(temp);
            p = ngx_memcmp(a->digest, b->digest, 32) < 0 ? &temp->left : &temp->right;
        }
        if (*p == sentinel) {
            *p = node;
            break;
        }
        temp = *p;
    }
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}

cache_node* find(cache_shctx* sh, const u_char digest[32]) {
    ngx_rbtree_key_t key = digest_key(digest);
    ngx_rbtree_node_t* node = sh->rbtree.root;
    ngx_rbtree_node_t* sentinel = sh->rbtree.sentinel;
    while (node != sentinel) {
        if (key != node->key) {
            node = key < node->key ? node->left : node->right;
            continue;
        }
        auto* cn = reinterpret_cast<cache_node*>(node);
        // Equality in constant time (these are digests of secrets); the tree's ordering
        // needs memcmp only where the digests differ.
        if (CRYPTO_memcmp(digest, cn->digest, 32) == 0) {
            return cn;
        }
        node = ngx_memcmp(digest, cn->digest, 32) < 0 ? node->left : node->right;
    }
    return nullptr;
}

void remove(cache_ctx* ctx, cache_node* cn) {
    ngx_queue_remove(&cn->lru);
    ngx_rbtree_delete(&ctx->sh->rbtree, &cn->node);
    ngx_slab_free_locked(ctx->shpool, cn);
}

cache_ctx* ctx_of(const ngx_http_aigw_key_cache_conf_t* kc) {
    return static_cast<cache_ctx*>(kc->zone->data);
}

}  // namespace

ngx_http_aigw_key_cache_state ngx_http_aigw_key_cache_get(const ngx_http_aigw_key_cache_conf_t* kc,
                                                          const u_char digest[32],
                                                          uint64_t known_version,
                                                          uint64_t* version, std::string* record) {
    cache_ctx* ctx = ctx_of(kc);
    auto state = ngx_http_aigw_key_cache_state::miss;
    ngx_shmtx_lock(&ctx->shpool->mutex);
    cache_node* cn = find(ctx->sh, digest);
    if (cn != nullptr) {
        ngx_msec_t age = ngx_current_msec - cn->fetched;
        bool current = cn->generation == ctx->sh->generation;
        if (cn->negative) {
            if (current && age < kc->negative_ttl) {
                state = ngx_http_aigw_key_cache_state::fresh_negative;
            }
        } else if (current && age < kc->ttl) {
            state = ngx_http_aigw_key_cache_state::fresh;
        } else if (age < kc->stale) {
            state = ngx_http_aigw_key_cache_state::stale;
        }
        *version = cn->version;
        if ((state == ngx_http_aigw_key_cache_state::fresh ||
             state == ngx_http_aigw_key_cache_state::stale) &&
            cn->version != known_version) {
            record->assign(reinterpret_cast<const char*>(cn->data), cn->len);
        }
        ngx_queue_remove(&cn->lru);
        ngx_queue_insert_head(&ctx->sh->lru, &cn->lru);
    }
    ngx_shmtx_unlock(&ctx->shpool->mutex);
    // A hit answers without Redis; stale and missing entries ask it.
    ngx_http_aigw_metrics_key_cache(state == ngx_http_aigw_key_cache_state::fresh ||
                                    state == ngx_http_aigw_key_cache_state::fresh_negative);
    return state;
}

uint64_t ngx_http_aigw_key_cache_put(const ngx_http_aigw_key_cache_conf_t* kc,
                                     const u_char digest[32], const std::string& record) {
    uint64_t version = 0;
    cache_ctx* ctx = ctx_of(kc);
    size_t size = offsetof(cache_node, data) + record.size();
    ngx_shmtx_lock(&ctx->shpool->mutex);

    cache_node* old = find(ctx->sh, digest);
    if (old != nullptr) {
        remove(ctx, old);
    }
    auto* cn = static_cast<cache_node*>(ngx_slab_alloc_locked(ctx->shpool, size));
    for (int i = 0; cn == nullptr && i < evict_batch && !ngx_queue_empty(&ctx->sh->lru); i++) {
        ngx_queue_t* q = ngx_queue_last(&ctx->sh->lru);
        remove(ctx, ngx_queue_data(q, cache_node, lru));
        cn = static_cast<cache_node*>(ngx_slab_alloc_locked(ctx->shpool, size));
    }
    if (cn != nullptr) {
        ngx_memcpy(cn->digest, digest, 32);
        cn->node.key = digest_key(digest);
        cn->fetched = ngx_current_msec;
        cn->generation = ctx->sh->generation;
        cn->negative = record.empty() ? 1 : 0;
        cn->version = version = ++ctx->sh->next_version;
        cn->len = record.size();
        ngx_memcpy(cn->data, record.data(), record.size());
        ngx_rbtree_insert(&ctx->sh->rbtree, &cn->node);
        ngx_queue_insert_head(&ctx->sh->lru, &cn->lru);
    }
    ngx_shmtx_unlock(&ctx->shpool->mutex);
    return version;
}

void ngx_http_aigw_key_cache_delete(const ngx_http_aigw_key_cache_conf_t* kc,
                                    const u_char digest[32]) {
    cache_ctx* ctx = ctx_of(kc);
    ngx_shmtx_lock(&ctx->shpool->mutex);
    cache_node* cn = find(ctx->sh, digest);
    if (cn != nullptr) {
        remove(ctx, cn);
    }
    ngx_shmtx_unlock(&ctx->shpool->mutex);
}

void ngx_http_aigw_key_cache_expire_all(const ngx_http_aigw_key_cache_conf_t* kc) {
    cache_ctx* ctx = ctx_of(kc);
    ngx_shmtx_lock(&ctx->shpool->mutex);
    ctx->sh->generation++;
    ngx_shmtx_unlock(&ctx->shpool->mutex);
}

namespace {

ngx_int_t init_zone(ngx_shm_zone_t* zone, void* data) {
    auto* ctx = static_cast<cache_ctx*>(zone->data);
    auto* old = static_cast<cache_ctx*>(data);
    if (old != nullptr) {
        // A reload: the new configuration takes over the old zone and its entries.
        ctx->sh = old->sh;
        ctx->shpool = old->shpool;
        return NGX_OK;
    }
    ctx->shpool = reinterpret_cast<ngx_slab_pool_t*>(zone->shm.addr);
    if (zone->shm.exists) {
        ctx->sh = static_cast<cache_shctx*>(ctx->shpool->data);
        return NGX_OK;
    }
    ctx->sh = static_cast<cache_shctx*>(ngx_slab_alloc(ctx->shpool, sizeof(cache_shctx)));
    if (ctx->sh == nullptr) {
        return NGX_ERROR;
    }
    ctx->shpool->data = ctx->sh;
    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel, rbtree_insert);
    ngx_queue_init(&ctx->sh->lru);
    ctx->sh->generation = 0;
    ctx->sh->next_version = 0;

    // Slab allocation failures then name the zone in error_log.
    static const char prefix[] = " in aigw key cache zone \"";
    size_t len = sizeof(prefix) - 1 + zone->shm.name.len + 2;
    ctx->shpool->log_ctx = static_cast<u_char*>(ngx_slab_alloc(ctx->shpool, len));
    if (ctx->shpool->log_ctx == nullptr) {
        return NGX_ERROR;
    }
    ngx_sprintf(ctx->shpool->log_ctx, " in aigw key cache zone \"%V\"%Z", &zone->shm.name);
    ctx->shpool->log_nomem = 0;  // eviction handles a full zone; no "no memory" spam
    return NGX_OK;
}

}  // namespace

ngx_int_t ngx_http_aigw_key_cache_init_zone(ngx_shm_zone_t* zone, void* data) noexcept {
    return aigw::ngx::guard(zone->shm.log, "key cache zone", static_cast<ngx_int_t>(NGX_ERROR),
                            [&] { return init_zone(zone, data); });
}

// Allocated per configuration by the directive; see conf/redis_directives.cpp.
void* ngx_http_aigw_key_cache_ctx_create(ngx_pool_t* pool) {
    return ngx_pcalloc(pool, sizeof(cache_ctx));
}
