// The metrics zone and the request's counts; see metrics.hpp.
#include "ngx/metrics.hpp"

#include "aigw/dialects/endpoints.hpp"
#include "aigw/keys/key_record.hpp"
#include "aigw/routing/model_map.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/util/guard.hpp"

aigw::status::zone* ngx_http_aigw_metrics_zone;
ngx_slab_pool_t* ngx_http_aigw_metrics_pool;

namespace {

namespace st = aigw::status;

// Per configuration: the zone's settings and the channels it places.
struct metrics_ctx {
    ngx_http_aigw_main_conf_t* amcf;
    st::capacities caps;
    st::zone z;
    ngx_slab_pool_t* pool;
};

ngx_int_t set_up_zone(ngx_shm_zone_t* shm, void* data) {
    auto* ctx = static_cast<metrics_ctx*>(shm->data);
    auto* octx = static_cast<metrics_ctx*>(data);
    auto* pool = reinterpret_cast<ngx_slab_pool_t*>(shm->shm.addr);
    void* block;
    if (octx != nullptr) {
        block = octx->z.header;  // a reload that kept the zone (same size: same capacities)
    } else if (shm->shm.exists) {
        block = pool->data;
    } else {
        block = ngx_slab_calloc(pool, st::zone_bytes(ctx->caps));
        if (block == nullptr) {
            ngx_log_error(NGX_LOG_EMERG, shm->shm.log, 0,
                          "aigw: aigw_status_zone \"%V\" of %uz bytes cannot hold its counters "
                          "(%uz bytes): make it larger",
                          &shm->shm.name, shm->shm.size, st::zone_bytes(ctx->caps));
            return NGX_ERROR;
        }
        pool->data = block;
        static const char what[] = " in aigw status zone \"";
        size_t len = sizeof(what) + shm->shm.name.len + 1;
        pool->log_ctx = static_cast<u_char*>(ngx_slab_alloc(pool, len));
        if (pool->log_ctx != nullptr) {
            ngx_sprintf(pool->log_ctx, "%s%V\"%Z", what, &shm->shm.name);
        }
    }
    ctx->z = st::lay_out(block, ctx->caps);

    // The configuration's channels, by name: a channel keeps its counts across a reload.
    auto* ch = static_cast<ngx_http_aigw_channel_t*>(ctx->amcf->channels.channels.elts);
    ngx_uint_t n = ctx->amcf->channels.channels.nelts;
    ngx_shmtx_lock(&pool->mutex);
    for (ngx_uint_t i = 0; i < n; i++) {
        ch[i].metrics_slot = UINT32_MAX;
    }
    for (ngx_uint_t i = 0; i < n; i++) {
        ch[i].metrics_slot = st::place_channel(
            ctx->z, aigw::ngx::view(ch[i].name), [&](std::uint32_t s) {
                for (ngx_uint_t k = 0; k < n; k++) {
                    if (ch[k].metrics_slot == s) {
                        return true;
                    }
                }
                // A name this configuration has, not placed yet, keeps its slot.
                std::string_view there = st::slot_name(ctx->z.channel_names[s]);
                for (ngx_uint_t k = i + 1; k < n; k++) {
                    if (aigw::ngx::view(ch[k].name) == there) {
                        return true;
                    }
                }
                return false;
            });
    }
    st::window_start(ctx->z, static_cast<std::uint64_t>(ngx_current_msec));
    ngx_shmtx_unlock(&pool->mutex);
    ctx->pool = pool;
    return NGX_OK;
}

ngx_int_t init_zone(ngx_shm_zone_t* shm, void* data) noexcept {
    return aigw::ngx::guard(shm->shm.log, "status zone", static_cast<ngx_int_t>(NGX_ERROR),
                            [&] { return set_up_zone(shm, data); });
}

st::ingress ingress_of(const aigw::endpoint_info* ep) {
    if (ep == nullptr) {
        return st::ingress::other;
    }
    switch (ep->id) {
    case aigw::endpoint_id::chat_completions: return st::ingress::chat;
    case aigw::endpoint_id::completions: return st::ingress::completions;
    case aigw::endpoint_id::embeddings: return st::ingress::embeddings;
    case aigw::endpoint_id::models:
    case aigw::endpoint_id::model_retrieve: return st::ingress::models;
    case aigw::endpoint_id::messages:
    case aigw::endpoint_id::count_tokens: return st::ingress::messages;
    case aigw::endpoint_id::responses:
    case aigw::endpoint_id::responses_compact:
    case aigw::endpoint_id::stored_response: return st::ingress::responses;
    case aigw::endpoint_id::generate_content: return st::ingress::gemini;
    case aigw::endpoint_id::images_generations:
    case aigw::endpoint_id::images_edits:
    case aigw::endpoint_id::images_variations:
    case aigw::endpoint_id::videos:
    case aigw::endpoint_id::video:
    case aigw::endpoint_id::video_content:
    case aigw::endpoint_id::video_remix: break;
    }
    return st::ingress::other;
}

// The slot for `name` in a name table: found without a lock, added under the zone's mutex
// the first time; the overflow's, without the lock, once the table is full.
std::uint32_t slot_for(st::name_slot* table, std::uint32_t cap, std::uint32_t& used,
                       std::string_view name) {
    if (std::optional<std::uint32_t> s = st::find_name(table, cap, name)) {
        return *s;
    }
    if (name.empty() || name.size() > st::name_max || st::names_full(cap, used)) {
        return 0;
    }
    ngx_shmtx_lock(&ngx_http_aigw_metrics_pool->mutex);
    std::uint32_t s = st::add_name(table, cap, used, name);
    ngx_shmtx_unlock(&ngx_http_aigw_metrics_pool->mutex);
    return s;
}

void count_tokens(std::uint64_t (&to)[st::token_type_count], const ngx_http_aigw_usage_part_t& u) {
    auto n = [](int64_t v) { return v > 0 ? static_cast<std::uint64_t>(v) : 0; };
    st::add(to[static_cast<int>(st::token_type::input)], n(u.prompt_tokens));
    st::add(to[static_cast<int>(st::token_type::output)], n(u.completion_tokens));
    if (u.cached_tokens > 0) st::add(to[static_cast<int>(st::token_type::cached)], n(u.cached_tokens));
    if (u.cache_write_tokens > 0) {
        st::add(to[static_cast<int>(st::token_type::cache_write)], n(u.cache_write_tokens));
    }
    if (u.reasoning_tokens > 0) {
        st::add(to[static_cast<int>(st::token_type::reasoning)], n(u.reasoning_tokens));
    }
}

void count_request(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, st::zone& z) {
    st::gateway_counters& g = z.header->gateway;
    st::add(g.requests, 1);
    st::add(g.ingress[static_cast<int>(ingress_of(ctx->content.endpoint))], 1);
    if (ctx->attempt.translate) {
        st::add(g.translations, 1);
    }
    const ngx_http_aigw_usage_part_t& u = ctx->usage;
    std::uint64_t cost = u.cost > 0 ? static_cast<std::uint64_t>(u.cost) : 0;

    // The model as the configuration names it (the model table's entry); without a table, the
    // client's name once an upstream accepted it: never a label any client can invent.
    std::string_view model;
    if (ctx->content.route != nullptr) {
        model = ctx->content.route->pattern;
    } else if (r->headers_out.status >= 200 && r->headers_out.status < 300) {
        model = aigw::ngx::view(ctx->content.model);
    }
    if (!model.empty() || ctx->content.model.len) {
        std::uint32_t m = model.empty()
                              ? 0
                              : slot_for(z.model_names, z.header->caps.models,
                                         z.header->models_used, model);
        st::model_counters& mc = z.models[m];
        st::add(mc.requests, 1);
        count_tokens(mc.tokens, u);
        if (cost) st::add(mc.cost, cost);
        if (u.prompt_tokens > 0) {
            st::observe(mc.input_usage, st::token_bounds,
                        static_cast<std::uint64_t>(u.prompt_tokens));
        }
        if (u.completion_tokens > 0) {
            st::observe(mc.output_usage, st::token_bounds,
                        static_cast<std::uint64_t>(u.completion_tokens));
        }
    }

    // Each attempt, by its channel: how it ended, whether fallback swallowed it, how long it
    // took; the time to the first token is the last attempt's (the one the client got).
    const ngx_http_aigw_channels_conf_t* channels = &ngx_http_aigw_main_conf(r)->channels;
    for (ngx_uint_t i = 0; i < ctx->attempt.ntries; i++) {
        const ngx_http_aigw_try_t& t = ctx->attempt.tries[i];
        std::uint32_t slot = ngx_http_aigw_channel_at(channels, t.channel)->metrics_slot;
        if (slot >= z.header->caps.channels || t.outcome >= aigw::attempt_outcome_count) {
            continue;
        }
        st::channel_counters& cc = z.channels[slot];
        st::add(cc.outcomes[t.outcome], 1);
        if (t.swallowed) {
            st::add(cc.swallowed, 1);
        }
        st::observe(cc.duration, st::duration_bounds_ms, t.duration_ms);
        if (i + 1 == ctx->attempt.ntries && u.t_first_token &&
            u.t_first_token >= ctx->attempt.picked_at) {
            st::observe(cc.ttft, st::ttft_bounds_ms, u.t_first_token - ctx->attempt.picked_at);
        }
    }

    if (ctx->access.key != nullptr) {
        // A key without a group counts under "_none", apart from the overflow.
        std::string_view group = ctx->access.key->group;
        std::uint32_t gs =
            slot_for(z.group_names, z.header->caps.groups, z.header->groups_used,
                     group.empty() ? "_none" : group);
        st::group_counters& gc = z.groups[gs];
        st::add(gc.requests, 1);
        count_tokens(gc.tokens, u);
        if (cost) st::add(gc.cost, cost);
        std::string_view code = aigw::ngx::view(ctx->reply.error_code);
        if (ctx->attempt.attempts == 0 && code == "insufficient_quota") {
            st::add(gc.refused_402, 1);
        } else if (ctx->attempt.attempts == 0 && code == "rate_limit_exceeded") {
            st::add(gc.refused_429, 1);
        }
    }
}

}  // namespace

ngx_int_t ngx_http_aigw_metrics_add_zone(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* amcf) {
    ngx_http_aigw_status_conf_t& sc = amcf->status;
    ngx_conf_init_value(sc.enabled, 1);
    if (sc.size == 0) {
        sc.size = 1024 * 1024;
    }
    if (!sc.enabled) {
        if (sc.locations) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"aigw_status\" needs the metrics zone, which "
                               "\"aigw_status_zone off\" turns off");
            return NGX_ERROR;
        }
        return NGX_OK;
    }
    auto* ctx = static_cast<metrics_ctx*>(ngx_pcalloc(cf->pool, sizeof(metrics_ctx)));
    if (ctx == nullptr) {
        return NGX_ERROR;
    }
    ctx->amcf = amcf;
    ctx->caps = st::capacities_for(sc.size);
    if (amcf->channels.channels.nelts > ctx->caps.channels) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "aigw_status_zone of %uz bytes holds %ud channels, and %ui are "
                           "configured: give it at least %uzk",
                           sc.size, ctx->caps.channels, amcf->channels.channels.nelts,
                           amcf->channels.channels.nelts * 16);
        return NGX_ERROR;
    }
    static ngx_str_t name = ngx_string("aigw_status");
    sc.zone = ngx_shared_memory_add(cf, &name, sc.size, &ngx_http_aigw_module);
    if (sc.zone == nullptr) {
        return NGX_ERROR;
    }
    if (sc.zone->data != nullptr) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "zone \"%V\" is already used", &name);
        return NGX_ERROR;
    }
    sc.zone->init = init_zone;
    sc.zone->data = ctx;
    return NGX_OK;
}

void ngx_http_aigw_metrics_request(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (st::zone* z = ngx_http_aigw_metrics_zone) {
        count_request(r, ctx, *z);
    }
}

void ngx_http_aigw_metrics_use(ngx_cycle_t* cycle) {
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(cycle);
    ngx_shm_zone_t* shm = amcf != nullptr ? amcf->status.zone : nullptr;
    auto* ctx = shm != nullptr ? static_cast<metrics_ctx*>(shm->data) : nullptr;
    if (ctx == nullptr || ctx->pool == nullptr) {
        ngx_http_aigw_metrics_zone = nullptr;
        ngx_http_aigw_metrics_pool = nullptr;
        return;
    }
    ngx_http_aigw_metrics_zone = &ctx->z;
    ngx_http_aigw_metrics_pool = ctx->pool;
}
