// Directives of the Redis connection and what is read through it first: aigw_redis and
// aigw_key_cache (the shared-memory cache of client keys).
#include "ngx/conf/directive_handlers.hpp"
#include "ngx/conf/options.hpp"
#include "ngx/access/key_cache.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/pool.hpp"

namespace {

using aigw::ngx::conf_read;

// The host is resolved here, at configuration time: a worker never resolves names.
char* set_redis(ngx_conf_t* cf, ngx_http_aigw_redis_conf_t* rc) {
    if (rc->host.len) {
        return const_cast<char*>("is duplicate");
    }
    ngx_str_t* value = static_cast<ngx_str_t*>(cf->args->elts);
    rc->name = value[1];
    rc->timeout = 200;
    rc->db = 0;

    ngx_url_t u;
    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = value[1];
    u.no_resolve = 0;
    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_redis\" address \"%V\"%s%s",
                           &value[1], u.err ? ": " : "", u.err ? u.err : "");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (u.no_port || u.port == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_redis\" address \"%V\": a port is required (host:port)",
                           &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    // The numeric address of the first result, as hiredis wants it.
    u_char text[NGX_SOCKADDR_STRLEN];
    size_t len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, text, NGX_SOCKADDR_STRLEN, 0);
    if (!aigw::ngx::pool_copy(cf->pool, {reinterpret_cast<char*>(text), len}, &rc->host)) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    rc->port = u.port;

    return aigw::ngx::conf_options(
        cf, 2,
        {
            {"password",
             [&](ngx_str_t v) {
                 return aigw::ngx::pool_copy(cf->pool, aigw::ngx::view(v), &rc->password)
                            ? conf_read::ok
                            : conf_read::reported;
             }},
            {"db", [rc](ngx_str_t v) { return aigw::ngx::read_number(v, &rc->db, true); }, "db",
             true},
            {"timeout", [rc](ngx_str_t v) { return aigw::ngx::read_msec(v, &rc->timeout, false); },
             "timeout", true},
        });
}

char* set_key_cache(ngx_conf_t* cf, ngx_http_aigw_key_cache_conf_t* kc) {
    if (kc->zone != nullptr) {
        return const_cast<char*>("is duplicate");
    }
    kc->ttl = 5000;
    kc->negative_ttl = 1000;
    kc->stale = 60000;
    ngx_str_t name = ngx_null_string;
    ssize_t size = 0;

    auto zone = [&](ngx_str_t v) {
        u_char* colon = static_cast<u_char*>(ngx_strlchr(v.data, v.data + v.len, ':'));
        if (colon == nullptr || colon == v.data) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"aigw_key_cache\" zone \"%V\": expected name:size", &v);
            return conf_read::reported;
        }
        name.data = v.data;
        name.len = colon - v.data;
        ngx_str_t s = {static_cast<size_t>(v.data + v.len - colon - 1), colon + 1};
        size = ngx_parse_size(&s);
        if (size == NGX_ERROR || size < static_cast<ssize_t>(8 * ngx_pagesize)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"aigw_key_cache\" zone size \"%V\": at least %uz", &s,
                               8 * ngx_pagesize);
            return conf_read::reported;
        }
        return conf_read::ok;
    };
    char* rc = aigw::ngx::conf_options(
        cf, 1,
        {
            {"zone", zone},
            {"ttl", [kc](ngx_str_t v) { return aigw::ngx::read_msec(v, &kc->ttl, true); }, "time"},
            {"negative_ttl",
             [kc](ngx_str_t v) { return aigw::ngx::read_msec(v, &kc->negative_ttl, true); },
             "time"},
            {"stale", [kc](ngx_str_t v) { return aigw::ngx::read_msec(v, &kc->stale, true); },
             "time"},
        });
    if (rc != NGX_CONF_OK) {
        return rc;
    }
    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_key_cache\" needs zone=name:size");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    kc->zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_aigw_module);
    if (kc->zone == nullptr) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (kc->zone->data != nullptr) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "zone \"%V\" is already used", &name);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    kc->zone->init = ngx_http_aigw_key_cache_init_zone;
    kc->zone->data = ngx_http_aigw_key_cache_ctx_create(cf->pool);
    if (kc->zone->data == nullptr) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

}  // namespace

// aigw_redis host:port [password=...] [db=N] [timeout=200ms];
char* ngx_http_aigw_redis(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return set_redis(cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->redis);
    });
}

// aigw_key_cache zone=name:10m [ttl=5s] [negative_ttl=1s] [stale=60s];
char* ngx_http_aigw_key_cache(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return set_key_cache(cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->key_cache);
    });
}
