// aigw_status: the node's metrics as JSON (the default), Prometheus text (?format=prometheus,
// or a scraper's Accept), or the status page for a browser (Accept: text/html, or
// ?format=html), which reads the JSON from the same location. Read from the metrics zone only:
// never Redis, never another worker.
#include "ngx/status.hpp"

#include <string>

#include "aigw/status/snapshot.hpp"
#include "ngx/metrics.hpp"
#include "ngx/proxy/channels.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/headers.hpp"

// The page, copied into the module's read-only data by the assembler (the build names the
// file); one self-contained HTML document.
#ifndef AIGW_STATUS_PAGE
#error "AIGW_STATUS_PAGE must name src/ngx/status_page.html (the build defines it)"
#endif

__asm__(".pushsection .rodata\n"
        ".globl aigw_status_page\n"
        ".hidden aigw_status_page\n"
        "aigw_status_page:\n"
        ".incbin \"" AIGW_STATUS_PAGE "\"\n"
        ".globl aigw_status_page_end\n"
        ".hidden aigw_status_page_end\n"
        "aigw_status_page_end:\n"
        ".popsection\n");

extern "C" {
__attribute__((visibility("hidden"))) extern const unsigned char aigw_status_page[];
__attribute__((visibility("hidden"))) extern const unsigned char aigw_status_page_end[];
}

namespace {

namespace st = aigw::status;

enum class format { json, prometheus, html };

format choose_format(ngx_http_request_t* r) {
    ngx_str_t arg;
    if (ngx_http_arg(r, (u_char*)"format", 6, &arg) == NGX_OK) {
        std::string_view f = aigw::ngx::view(arg);
        if (f == "prometheus" || f == "openmetrics" || f == "text") {
            return format::prometheus;
        }
        if (f == "html") {
            return format::html;
        }
        return format::json;
    }
    std::string_view accept;
    aigw::ngx::for_each_header(r->headers_in.headers, [&](ngx_table_elt_t& h) {
        if (aigw::ngx::name_is(h.key, "accept")) {
            accept = aigw::ngx::view(h.value);
            return false;
        }
        return true;
    });
    // A browser asks for HTML first; Prometheus for OpenMetrics or text/plain (it takes the
    // text format whatever it prefers); everything else gets JSON.
    if (accept.find("text/html") != std::string_view::npos) {
        return format::html;
    }
    if (accept.find("application/openmetrics-text") != std::string_view::npos ||
        accept.find("text/plain") != std::string_view::npos) {
        return format::prometheus;
    }
    return format::json;
}

std::string_view provider_name(aigw::dialect_id d) {
    switch (d) {
    case aigw::dialect_id::openai_chat:
    case aigw::dialect_id::openai_responses: return "openai";
    case aigw::dialect_id::anthropic: return "anthropic";
    case aigw::dialect_id::gemini: return "gcp.gemini";
    }
    return "openai";
}

st::snapshot take_snapshot(ngx_http_request_t* r, st::zone& z) {
    st::snapshot s;
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    const ngx_time_t* tp = ngx_timeofday();
    s.time_ms = static_cast<std::uint64_t>(tp->sec) * 1000 + tp->msec;
    s.uptime_s = s.time_ms > z.header->created_ms ? (s.time_ms - z.header->created_ms) / 1000 : 0;
    auto* ccf = reinterpret_cast<ngx_core_conf_t*>(ngx_get_conf(ngx_cycle->conf_ctx, ngx_core_module));
    s.workers = ccf != nullptr && ccf->worker_processes > 0
                    ? static_cast<std::uint32_t>(ccf->worker_processes)
                    : 1;
    s.gateway = st::copy_counters(z.header->gateway);

    std::uint64_t now = static_cast<std::uint64_t>(ngx_current_msec);
    auto* ch = static_cast<ngx_http_aigw_channel_t*>(amcf->channels.channels.elts);
    ngx_uint_t n = amcf->channels.channels.nelts;
    std::uint32_t cap = z.header->caps.channels;
    s.channels.resize(n);

    // The window's base sample and the channels' counts, copied under the lock so that no
    // other reader moves the ring meanwhile (writers do not take it).
    ngx_shmtx_lock(&ngx_http_aigw_metrics_pool->mutex);
    std::optional<std::uint32_t> base = st::window_base(z, now);
    if (base) {
        std::uint64_t t = z.header->window_time_ms[*base];
        s.window_s = now > t ? (now - t) / 1000 : 0;
    }
    for (ngx_uint_t i = 0; i < n; i++) {
        st::channel_view& v = s.channels[i];
        if (ch[i].metrics_slot >= cap) {
            continue;
        }
        v.counters = st::copy_counters(z.channels[ch[i].metrics_slot]);
        if (base) {
            v.window = st::window_since(v.counters, z.window[*base * cap + ch[i].metrics_slot]);
        }
    }
    ngx_shmtx_unlock(&ngx_http_aigw_metrics_pool->mutex);

    for (ngx_uint_t i = 0; i < n; i++) {
        st::channel_view& v = s.channels[i];
        v.name.assign(reinterpret_cast<const char*>(ch[i].name.data), ch[i].name.len);
        v.provider = provider_name(ch[i].dialect);
        v.location.assign(reinterpret_cast<const char*>(ch[i].location.data), ch[i].location.len);
        aigw::channel_state state{};
        if (ngx_http_aigw_channels_state(&amcf->channels, static_cast<uint32_t>(i), &state)) {
            v.state = st::channel_health(ch[i].conf, state, now, v.set_aside_ms);
            v.consecutive_failures = state.fails;
        }
    }
    st::read_names(z, s);
    return s;
}

ngx_int_t send_text(ngx_http_request_t* r, std::string_view type, std::string_view body) {
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }
    if (ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r)) {
        ctx->response.own_response = 1;
    }
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type.data = reinterpret_cast<u_char*>(const_cast<char*>(type.data()));
    r->headers_out.content_type.len = type.size();
    r->headers_out.content_type_len = type.size();
    r->headers_out.content_type_lowcase = nullptr;
    r->headers_out.content_length_n = static_cast<off_t>(body.size());
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);
    static ngx_str_t no_store = ngx_string("no-store");
    if (ngx_http_aigw_set_header(r, "Cache-Control", no_store) != NGX_OK) {
        return NGX_ERROR;
    }
    ngx_int_t rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }
    return ngx_http_aigw_output_string(r, body, true);
}

ngx_int_t handle(ngx_http_request_t* r) {
    if (!(r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD))) {
        static ngx_str_t allow = ngx_string("GET, HEAD");
        if (ngx_http_aigw_set_header(r, "Allow", allow) != NGX_OK) {
            return NGX_ERROR;
        }
        return ngx_http_aigw_send_error(
            r, aigw::method_not_allowed_error(aigw::ngx::view(r->method_name),
                                              aigw::ngx::view(r->uri)));
    }
    format f = choose_format(r);
    if (f == format::html) {
        std::string_view page(reinterpret_cast<const char*>(aigw_status_page),
                              static_cast<size_t>(aigw_status_page_end - aigw_status_page));
        return send_text(r, "text/html; charset=utf-8", page);
    }
    st::zone* z = ngx_http_aigw_metrics_zone;
    if (z == nullptr) {
        return ngx_http_aigw_send_error(r, aigw::api_error{503, "server_error", "metrics_off", {},
                                                           "The metrics zone is off."});
    }
    st::snapshot s = take_snapshot(r, *z);
    if (f == format::prometheus) {
        return send_text(r, "text/plain; version=0.0.4; charset=utf-8",
                         st::render_prometheus(s));
    }
    return send_text(r, "application/json", st::render_json(s));
}

}  // namespace

ngx_int_t ngx_http_aigw_status_handler(ngx_http_request_t* r) noexcept {
    ngx_int_t rc = NGX_ERROR;
    if (!aigw::ngx::guard(r->connection->log, "status", [&] { rc = handle(r); })) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return rc;
}
