// Channels and the shared routing table; see channels.hpp.
#include "ngx/proxy/channels.hpp"

#include "ngx/util/guard.hpp"


namespace {

struct slot_name {
    u_char len;   // 0: free
    u_char data[ngx_http_aigw_channel_name_max];
};

struct table {
    ngx_uint_t capacity;
    slot_name* names;              // [capacity]
    aigw::channel_state* states;   // [capacity]
};

// Per process: the zone's table and this configuration's channel settings by slot, which is
// how aigw::pick indexes them.
struct channels_ctx {
    ngx_http_aigw_channels_conf_t* cc;
    ngx_slab_pool_t* shpool;
    table* t;
    ngx_uint_t capacity;
    aigw::channel_conf* confs;     // [capacity], by slot
};

// Slots for twice the channels, in steps of 256: the zone keeps its size (and so its state
// across a reload) unless the number of channels changes a lot.
ngx_uint_t capacity_for(ngx_uint_t channels) {
    return (channels * 2 + 255) / 256 * 256;
}

bool name_is(const slot_name& s, const ngx_str_t& name) {
    return s.len == name.len && ngx_memcmp(s.data, name.data, name.len) == 0;
}

ngx_int_t set_up_zone(ngx_shm_zone_t* zone, void* data) {
    auto* ctx = static_cast<channels_ctx*>(zone->data);
    auto* octx = static_cast<channels_ctx*>(data);
    ctx->shpool = reinterpret_cast<ngx_slab_pool_t*>(zone->shm.addr);

    if (octx != nullptr) {
        ctx->t = octx->t;  // the same memory, kept by a reload
    } else if (zone->shm.exists) {
        ctx->t = static_cast<table*>(ctx->shpool->data);
    } else {
        size_t n = ctx->capacity;
        auto* t = static_cast<table*>(ngx_slab_calloc(ctx->shpool, sizeof(table)));
        if (t == nullptr) {
            return NGX_ERROR;
        }
        t->names = static_cast<slot_name*>(ngx_slab_calloc(ctx->shpool, n * sizeof(slot_name)));
        t->states = static_cast<aigw::channel_state*>(
            ngx_slab_calloc(ctx->shpool, n * sizeof(aigw::channel_state)));
        if (t->names == nullptr || t->states == nullptr) {
            return NGX_ERROR;
        }
        t->capacity = n;
        ctx->shpool->data = t;
        ctx->t = t;
        static const char what[] = " in aigw channels zone \"";
        size_t len = sizeof(what) + zone->shm.name.len + 1;
        ctx->shpool->log_ctx = static_cast<u_char*>(ngx_slab_alloc(ctx->shpool, len));
        if (ctx->shpool->log_ctx != nullptr) {
            ngx_sprintf(ctx->shpool->log_ctx, "%s%V\"%Z", what, &zone->shm.name);
        }
    }
    table* t = ctx->t;
    if (t->capacity < ctx->capacity) {
        return NGX_ERROR;  // cannot happen: the size (so the capacity) decides reuse
    }

    auto* ch = static_cast<ngx_http_aigw_channel_t*>(ctx->cc->channels.elts);
    ngx_uint_t n = ctx->cc->channels.nelts;
    ngx_shmtx_lock(&ctx->shpool->mutex);
    // Known names keep their slot and state.
    for (ngx_uint_t i = 0; i < n; i++) {
        ch[i].slot = UINT32_MAX;
        for (ngx_uint_t s = 0; s < t->capacity; s++) {
            if (name_is(t->names[s], ch[i].name)) {
                ch[i].slot = static_cast<uint32_t>(s);
                break;
            }
        }
    }
    // New names take a free slot, else one no channel of this configuration uses (reset).
    auto used_here = [&](ngx_uint_t s) {
        for (ngx_uint_t k = 0; k < n; k++) {
            if (ch[k].slot == s) {
                return true;
            }
        }
        return false;
    };
    for (ngx_uint_t i = 0; i < n; i++) {
        if (ch[i].slot != UINT32_MAX) {
            continue;
        }
        ngx_uint_t found = t->capacity;
        for (ngx_uint_t s = 0; s < t->capacity && found == t->capacity; s++) {
            if (t->names[s].len == 0) {
                found = s;
            }
        }
        for (ngx_uint_t s = 0; s < t->capacity && found == t->capacity; s++) {
            if (!used_here(s)) {
                found = s;
            }
        }
        // capacity >= 2 * channels, so a slot is always found.
        ch[i].slot = static_cast<uint32_t>(found);
        t->names[found].len = static_cast<u_char>(ch[i].name.len);
        ngx_memcpy(t->names[found].data, ch[i].name.data, ch[i].name.len);
        ngx_memzero(&t->states[found], sizeof(aigw::channel_state));
    }
    ngx_shmtx_unlock(&ctx->shpool->mutex);

    for (ngx_uint_t i = 0; i < n; i++) {
        ctx->confs[ch[i].slot] = ch[i].conf;
    }
    return NGX_OK;
}

ngx_int_t init_zone(ngx_shm_zone_t* zone, void* data) noexcept {
    return aigw::ngx::guard(zone->shm.log, "channels zone", static_cast<ngx_int_t>(NGX_ERROR),
                            [&] { return set_up_zone(zone, data); });
}

channels_ctx* zone_ctx(const ngx_http_aigw_channels_conf_t* cc) {
    return static_cast<channels_ctx*>(cc->zone->data);
}

// ngx_current_msec is CLOCK_MONOTONIC: the same clock in every worker, never going back.
uint64_t now_ms() {
    return static_cast<uint64_t>(ngx_current_msec);
}

}  // namespace

ngx_int_t ngx_http_aigw_channels_add_zone(ngx_conf_t* cf, ngx_http_aigw_channels_conf_t* cc) {
    if (cc->channels.nelts == 0) {
        return NGX_OK;
    }
    ngx_uint_t capacity = capacity_for(cc->channels.nelts);
    size_t bytes = capacity * (sizeof(slot_name) + sizeof(aigw::channel_state)) + 4096;
    size_t size = (bytes + ngx_pagesize - 1) / ngx_pagesize * ngx_pagesize + 8 * ngx_pagesize;

    auto* ctx = static_cast<channels_ctx*>(ngx_pcalloc(cf->pool, sizeof(channels_ctx)));
    if (ctx == nullptr) {
        return NGX_ERROR;
    }
    ctx->cc = cc;
    ctx->capacity = capacity;
    ctx->confs =
        static_cast<aigw::channel_conf*>(ngx_pcalloc(cf->pool, capacity * sizeof(aigw::channel_conf)));
    if (ctx->confs == nullptr) {
        return NGX_ERROR;
    }
    static ngx_str_t name = ngx_string("aigw_channels");
    cc->zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_aigw_module);
    if (cc->zone == nullptr) {
        return NGX_ERROR;
    }
    if (cc->zone->data != nullptr) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "zone \"%V\" is already used", &name);
        return NGX_ERROR;
    }
    cc->zone->init = init_zone;
    cc->zone->data = ctx;
    return NGX_OK;
}

aigw::pick_result ngx_http_aigw_channels_pick(const ngx_http_aigw_channels_conf_t* cc,
                                              const uint32_t* candidates, size_t count,
                                              uint64_t tried, uint64_t excluded) {
    channels_ctx* ctx = zone_ctx(cc);
    auto* ch = static_cast<ngx_http_aigw_channel_t*>(cc->channels.elts);
    uint32_t slots[aigw::max_candidates];
    count = count < aigw::max_candidates ? count : aigw::max_candidates;
    for (size_t i = 0; i < count; i++) {
        slots[i] = ch[candidates[i]].slot;
    }
    ngx_shmtx_lock(&ctx->shpool->mutex);
    aigw::pick_result res = aigw::pick(ctx->confs, ctx->t->states, slots, count, tried, now_ms(),
                                        excluded);
    ngx_shmtx_unlock(&ctx->shpool->mutex);
    if (res.found) {
        res.channel = candidates[res.position];
    }
    return res;
}

// Runs f(confs, states, slot) for `channel` with the zone locked.
template <typename F>
static void ngx_http_aigw_channels_update(const ngx_http_aigw_channels_conf_t* cc,
                                          uint32_t channel, F&& f) {
    channels_ctx* ctx = zone_ctx(cc);
    uint32_t slot = ngx_http_aigw_channel_at(cc, channel)->slot;
    ngx_shmtx_lock(&ctx->shpool->mutex);
    f(ctx->confs, ctx->t->states, slot);
    ngx_shmtx_unlock(&ctx->shpool->mutex);
}

void ngx_http_aigw_channels_failed(const ngx_http_aigw_channels_conf_t* cc, uint32_t channel,
                                   uint64_t retry_after_ms) {
    ngx_http_aigw_channels_update(cc, channel, [&](auto* confs, auto* states, uint32_t slot) {
        aigw::report_failure(confs, states, slot, now_ms(), retry_after_ms);
    });
}

void ngx_http_aigw_channels_rate_limited(const ngx_http_aigw_channels_conf_t* cc,
                                         uint32_t channel, uint64_t retry_after_ms) {
    ngx_http_aigw_channels_update(cc, channel, [&](auto*, auto* states, uint32_t slot) {
        aigw::report_rate_limited(states, slot, now_ms(), retry_after_ms);
    });
}

void ngx_http_aigw_channels_succeeded(const ngx_http_aigw_channels_conf_t* cc, uint32_t channel,
                                      ngx_msec_t picked_at) {
    ngx_http_aigw_channels_update(cc, channel, [&](auto* confs, auto* states, uint32_t slot) {
        aigw::report_success(confs, states, slot, static_cast<uint64_t>(picked_at));
    });
}

bool ngx_http_aigw_channels_state(const ngx_http_aigw_channels_conf_t* cc, uint32_t channel,
                                  aigw::channel_state* state) {
    if (cc->zone == nullptr || channel >= cc->channels.nelts) {
        return false;
    }
    ngx_http_aigw_channels_update(cc, channel, [&](auto*, auto* states, uint32_t slot) {
        *state = states[slot];
    });
    return true;
}

ngx_http_aigw_channel_t* ngx_http_aigw_channels_storing(ngx_http_aigw_main_conf_t* amcf) {
    auto* ch = static_cast<ngx_http_aigw_channel_t*>(amcf->channels.channels.elts);
    for (ngx_uint_t i = 0; i < amcf->channels.channels.nelts; i++) {
        if (ch[i].responses) {
            return &ch[i];
        }
    }
    return nullptr;
}
