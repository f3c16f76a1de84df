// Header and body filters. On our upstream subrequest they move the upstream's status and
// headers onto the main request and pass the body through as it arrives. On the main request
// of a gateway location they add X-Request-Id and replace NGINX's own HTML error pages with
// the OpenAI error body, so a client never sees HTML.
#include <exception>
#include <optional>
#include <string>

#include "aigw/dialects/openai_chat/models.hpp"
#include "aigw/dialects/openai_chat/response.hpp"
#include "ngx/aigw_module.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/log_value.hpp"
#include "ngx/util/pool.hpp"

// An event larger than this is passed on as it comes rather than held whole.
static constexpr size_t ngx_http_aigw_sse_hold_max = 1024 * 1024;

static ngx_http_output_header_filter_pt ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt ngx_http_next_body_filter;

// Hop-by-hop headers (RFC 9110 7.6.1) and those NGINX writes itself.
static const std::string_view ngx_http_aigw_unforwarded_headers[] = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "content-length", "x-request-id",
};

static bool ngx_http_aigw_media_type_is(const ngx_str_t& ct, std::string_view type) {
    if (ct.len < type.size() || ngx_strncasecmp(ct.data, (u_char*)type.data(), type.size()) != 0) {
        return false;
    }
    return ct.len == type.size() || ct.data[type.size()] == ';' || ct.data[type.size()] == ' ';
}

static void ngx_http_aigw_consume(ngx_chain_t* in) {
    for (ngx_chain_t* cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }
}

static ngx_int_t ngx_http_aigw_add_request_id(ngx_http_request_t* r) {
    ngx_str_t* id = ngx_http_aigw_request_id(r);
    if (id == nullptr) {
        return NGX_ERROR;
    }
    return ngx_http_aigw_set_header(r, "X-Request-Id", *id);
}

// Copies the upstream's response head onto the main request and sends it.
static ngx_int_t ngx_http_aigw_upstream_header(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx) {
    ngx_http_request_t* m = sr->main;
    ngx_uint_t status = sr->headers_out.status;
    const ngx_str_t& ct = sr->headers_out.content_type;
    bool json = ngx_http_aigw_media_type_is(ct, "application/json");
    bool sse = ngx_http_aigw_media_type_is(ct, "text/event-stream");
    ctx->response.upstream_status = status;

    if (ngx_http_aigw_attempt_answered(sr, ctx, status)) {
        // 429 or 5xx before any byte reached the client: ngx_http_aigw_resume tries the next
        // channel. The body is not read.
        ctx->response.swallow = 1;
        sr->header_only = 1;
        return NGX_OK;
    }

    if (status >= NGX_HTTP_BAD_REQUEST && !json) {
        // An HTML or empty error page from the upstream (or a proxy before it): the client
        // gets our JSON error instead, from ngx_http_aigw_resume. Stop reading the body.
        aigw::ngx::log_value uri(sr->uri);
        aigw::ngx::log_value type(ct);
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "aigw: upstream answered \"%*s\" with HTTP %ui and content type \"%*s\", "
                      "not a JSON error",
                      uri.len, uri.data, status, type.len, type.data);
        ctx->response.swallow = 1;
        ctx->response.swallowed_status = status;
        sr->header_only = 1;
        return NGX_OK;
    }

    if (ctx->content.filter_models && !(status == NGX_HTTP_OK && json)) {
        ctx->content.filter_models = 0;  // an error passes as it is; only a list is narrowed
    }

    m->headers_out.status = status;
    m->headers_out.content_type = ct;
    m->headers_out.content_type_len = sr->headers_out.content_type_len;
    m->headers_out.content_type_lowcase = nullptr;
    m->headers_out.charset = sr->headers_out.charset;
    m->headers_out.content_length = nullptr;
    m->headers_out.content_length_n =
        (sse || ctx->content.filter_models) ? -1 : sr->headers_out.content_length_n;
    m->headers_out.last_modified_time = -1;

    bool ok = true;
    aigw::ngx::for_each_header(sr->headers_out.headers, [&](ngx_table_elt_t& h) {
        if (h.hash == 0) {
            return true;  // deleted
        }
        // The gateway's own limits replace the provider account's, which the client shares
        // with everyone behind the gateway.
        if (ctx->usage.ratelimit_headers && h.key.len > 12 &&
            ngx_strncasecmp(h.key.data, (u_char*)"x-ratelimit-", 12) == 0) {
            return true;
        }
        for (std::string_view name : ngx_http_aigw_unforwarded_headers) {
            if (!aigw::ngx::name_is(h.key, name)) {
                continue;
            }
            // The upstream's own id stays visible next to the gateway's.
            if (name == "x-request-id") {
                ok = ngx_http_aigw_set_header(m, "X-Upstream-Request-Id", h.value) == NGX_OK;
            }
            return ok;
        }
        ok = ngx_http_aigw_set_header(m, aigw::ngx::view(h.key), h.value) == NGX_OK;
        return ok;
    });
    if (!ok) {
        return NGX_ERROR;
    }

    // Usage is read from successful answers of the endpoints that report it.
    bool account = status == NGX_HTTP_OK && ctx->content.endpoint != nullptr &&
                   ctx->content.endpoint->has_json_body && (sse || json) && !m->header_only;
    if (account && ngx_http_aigw_body_create(sr, ctx) == nullptr) {
        return NGX_ERROR;
    }
    if (account && !sse) {
        ctx->response.json_keep = 1;
        ctx->response.json_rename = ctx->attempt.rename_model;
        if (ctx->response.json_rename) {
            m->headers_out.content_length_n = -1;
        }
    }

    if (sse) {
        ctx->response.sse = 1;
        // Events must reach the client as they come: no buffering here, in a proxy in
        // front of us, or in gzip.
        static ngx_str_t no = ngx_string("no");
        if (ngx_http_aigw_set_header(m, "X-Accel-Buffering", no) != NGX_OK) {
            return NGX_ERROR;
        }
        m->gzip_tested = 1;
        m->gzip_ok = 0;
        if (sr->upstream != nullptr) {
            sr->upstream->buffering = 0;
        }
    }

    ctx->response.own_response = 1;
    ngx_int_t rc = ngx_http_send_header(m);
    ctx->response.header_sent = 1;
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return NGX_ERROR;
    }
    return ngx_http_next_header_filter(sr);
}

// An NGINX error page (413 from client_max_body_size, 400, 408, 500 ...) in a gateway
// location: same status, OpenAI JSON body.
// A phase that answered by returning a status may have prepared the exact error
// (ngx_http_aigw_prepare_error); otherwise the status's generic one is used.
static ngx_int_t ngx_http_aigw_replace_error_page(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (!ctx->reply.prepared_error) {
        aigw::api_error e = aigw::error_for_status(static_cast<int>(r->headers_out.status));
        if (!aigw::ngx::pool_copy(r->pool, aigw::error_json(e), &ctx->reply.replacement)) {
            return NGX_ERROR;
        }
    }
    ctx->response.replace_body = 1;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = nullptr;
    r->headers_out.charset.len = 0;
    r->headers_out.content_length = nullptr;
    r->headers_out.content_length_n = static_cast<off_t>(ctx->reply.replacement.len);
    return NGX_OK;
}

static ngx_int_t ngx_http_aigw_header_filter(ngx_http_request_t* r) noexcept {
    try {
        auto* ctx =
            static_cast<ngx_http_aigw_ctx_t*>(ngx_http_get_module_ctx(r, ngx_http_aigw_module));
        if (r != r->main) {
            if (ctx != nullptr && ctx->attempt.sr == r) {
                return ngx_http_aigw_upstream_header(r, ctx);
            }
            return ngx_http_next_header_filter(r);
        }

        auto* alcf = static_cast<ngx_http_aigw_loc_conf_t*>(
            ngx_http_get_module_loc_conf(r, ngx_http_aigw_module));
        if (!alcf->enable) {
            return ngx_http_next_header_filter(r);
        }
        ctx = ngx_http_aigw_get_ctx(r);
        if (ctx == nullptr || ngx_http_aigw_add_request_id(r) != NGX_OK) {
            return NGX_ERROR;
        }
        if (!ctx->response.own_response && r->headers_out.status >= NGX_HTTP_BAD_REQUEST &&
            ngx_http_aigw_replace_error_page(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }
        return ngx_http_next_header_filter(r);
    } catch (...) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "aigw: header filter failed");
        return NGX_ERROR;
    }
}

// Appends bytes to the held, unfinished event, growing our buffer as needed.
static ngx_int_t ngx_http_aigw_hold_append(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                           const u_char* data, size_t len) {
    if (ctx->response.hold == nullptr) {
        ctx->response.hold = ngx_chain_get_free_buf(r->pool, &ctx->response.free);
        if (ctx->response.hold == nullptr) {
            return NGX_ERROR;
        }
        ngx_buf_t* b = ctx->response.hold->buf;
        b->pos = b->last = b->start;
        b->tag = (ngx_buf_tag_t)&ngx_http_aigw_module;
        b->memory = 1;
        b->flush = 1;
        b->last_buf = 0;
        b->last_in_chain = 0;
    }
    ngx_buf_t* b = ctx->response.hold->buf;
    size_t have = b->start ? static_cast<size_t>(b->last - b->pos) : 0;
    if (b->start == nullptr || static_cast<size_t>(b->end - b->last) < len) {
        size_t cap = have + len < 4096 ? 4096 : 2 * (have + len);
        auto* p = static_cast<u_char*>(ngx_palloc(r->pool, cap));
        if (p == nullptr) {
            return NGX_ERROR;
        }
        if (have) {
            ngx_memcpy(p, b->pos, have);
        }
        b->start = p;
        b->end = p + cap;
        b->pos = p;
        b->last = p + have;
    }
    b->last = ngx_cpymem(b->last, data, len);
    return NGX_OK;
}

// A buffer of ours (recycled through ctx->response.free/busy) holding `len` bytes of `data`.
static ngx_chain_t* ngx_http_aigw_own_buf(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                          const char* data, size_t len) {
    ngx_chain_t* cl = ngx_chain_get_free_buf(r->pool, &ctx->response.free);
    if (cl == nullptr) {
        return nullptr;
    }
    ngx_buf_t* b = cl->buf;
    if (b->start == nullptr || static_cast<size_t>(b->end - b->start) < len) {
        size_t cap = len < 4096 ? 4096 : len;
        b->start = static_cast<u_char*>(ngx_palloc(r->pool, cap));
        if (b->start == nullptr) {
            return nullptr;
        }
        b->end = b->start + cap;
    }
    b->pos = b->start;
    b->last = ngx_cpymem(b->start, data, len);
    b->tag = (ngx_buf_tag_t)&ngx_http_aigw_module;
    b->memory = 1;
    b->temporary = 0;
    b->flush = 1;
    b->last_buf = 0;
    b->last_in_chain = 0;
    cl->next = nullptr;
    return cl;
}

// A held buffer that will not be sent goes back to the free list.
static void ngx_http_aigw_release_hold(ngx_http_aigw_ctx_t* ctx) {
    if (ctx->response.hold == nullptr) {
        return;
    }
    ngx_chain_t* h = ctx->response.hold;
    ctx->response.hold = nullptr;
    h->buf->pos = h->buf->last = h->buf->start;
    h->next = ctx->response.free;
    ctx->response.free = h;
}

// Passes on only whole events, each read for usage on the way. The upstream's buffers are
// passed through our own chain links (the upstream module keeps its links), cut short at the
// last event end; the tail is copied into `hold` and sent in front of the next bytes. When an
// event in a buffer is dropped (the usage chunk the client did not ask for) or rewritten (the
// public model name), that buffer's whole events are copied into a buffer of ours instead.
// Nothing held is ever sent after a cut: ngx_http_aigw_resume then sends the error event.
static ngx_int_t ngx_http_aigw_sse_filter(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                          ngx_chain_t* in) {
    ngx_http_aigw_body_t* st = ctx->usage.body;
    ngx_chain_t* out = nullptr;
    ngx_chain_t** ll = &out;
    auto emit = [&](ngx_chain_t* link) -> bool {
        ngx_chain_t* cl = ngx_alloc_chain_link(sr->pool);
        if (cl == nullptr) {
            return false;
        }
        cl->buf = link->buf;
        cl->next = nullptr;
        *ll = cl;
        ll = &cl->next;
        return true;
    };
    auto emit_hold = [&]() -> bool {
        if (ctx->response.hold == nullptr) {
            return true;
        }
        ngx_chain_t* h = ctx->response.hold;
        ctx->response.hold = nullptr;
        return emit(h);
    };
    auto held = [&]() -> std::string_view {
        if (ctx->response.hold == nullptr) {
            return {};
        }
        ngx_buf_t* h = ctx->response.hold->buf;
        return {reinterpret_cast<const char*>(h->pos), static_cast<size_t>(h->last - h->pos)};
    };

    for (ngx_chain_t* cl = in; cl; cl = cl->next) {
        ngx_buf_t* b = cl->buf;
        size_t size = b->in_file ? 0 : static_cast<size_t>(b->last - b->pos);
        if (b->last_in_chain || b->last_buf) {
            // A clean end: an unterminated last event goes as the upstream sent it, and is
            // still read for usage.
            if (st != nullptr && !st->framing_failed) {
                st->events.clear();
                if (size) {
                    st->framer.feed({reinterpret_cast<const char*>(b->pos), size}, st->events);
                }
                st->framer.finish(st->events);
                for (const aigw::sse_event& e : st->events) {
                    ngx_http_aigw_account_event(ctx, st, e, {});
                }
            }
            if (!emit_hold() || !emit(cl)) {
                return NGX_ERROR;
            }
            continue;
        }
        if (size == 0) {
            if (!emit(cl)) {  // a flush; a held unfinished event stays held
                return NGX_ERROR;
            }
            continue;
        }
        if (ctx->response.sse_passthrough || st == nullptr || b->in_file) {
            if (!emit_hold() || !emit(cl)) {
                return NGX_ERROR;
            }
            continue;
        }

        std::string_view bytes{reinterpret_cast<const char*>(b->pos), size};
        uint64_t base = st->pos;
        st->pos += size;
        st->events.clear();
        if (st->framer.feed(bytes, st->events) != aigw::sse_status::ok) {
            aigw::ngx::log_value uri(sr->uri);
            ngx_log_error(NGX_LOG_WARN, sr->connection->log, 0,
                          "aigw: a line of over %uz bytes in the stream of \"%*s\"; passing bytes "
                          "on without reading events",
                          aigw::sse_limits{}.max_line, uri.len, uri.data);
            st->framing_failed = true;
            ctx->response.sse_passthrough = 1;
            if (!emit_hold() || !emit(cl)) {
                return NGX_ERROR;
            }
            continue;
        }
        if (st->events.empty()) {
            size_t have = held().size();
            if (have + size > ngx_http_aigw_sse_hold_max) {
                aigw::ngx::log_value uri(sr->uri);
                ngx_log_error(NGX_LOG_WARN, sr->connection->log, 0,
                              "aigw: an event of over %uz bytes in the stream of \"%*s\"; "
                              "passing bytes on without waiting for event ends",
                              ngx_http_aigw_sse_hold_max, uri.len, uri.data);
                ctx->response.sse_passthrough = 1;
                if (!emit_hold() || !emit(cl)) {
                    return NGX_ERROR;
                }
                continue;
            }
            // Consumed into `hold`; an empty memory buffer must not travel on (the writer
            // takes it for a bug), and the upstream reclaims it by its pos == last.
            if (ngx_http_aigw_hold_append(sr, ctx, b->pos, size) != NGX_OK) {
                return NGX_ERROR;
            }
            b->pos = b->last;
            continue;
        }

        // The bytes of [from, to) of the stream: the held ones come before `base`.
        std::string_view hold_bytes = held();
        auto raw = [&](uint64_t from, uint64_t to, std::string* dst) {
            if (from < base) {
                size_t off = static_cast<size_t>(from - st->decided);
                size_t end = static_cast<size_t>((to < base ? to : base) - st->decided);
                dst->append(hold_bytes.substr(off, end - off));
                from = base;
            }
            if (to > from) {
                dst->append(bytes.substr(static_cast<size_t>(from - base),
                                         static_cast<size_t>(to - from)));
            }
        };

        // Events may be rewritten: the model renamed, "usage":null removed.
        bool rewrites = ctx->attempt.rename_model || (ctx->attempt.inject_usage && !ctx->attempt.client_asked_usage);
        bool modified = false;
        std::string rebuilt;
        std::string event_raw;
        uint64_t unit_begin = st->decided;
        for (const aigw::sse_event& e : st->events) {
            event_raw.clear();
            if (rewrites) {
                raw(e.begin, e.end, &event_raw);
            }
            ngx_http_aigw_event_action act = ngx_http_aigw_account_event(ctx, st, e, event_raw);
            if (act != ngx_http_aigw_event_action::pass && !modified) {
                modified = true;
                raw(st->decided, unit_begin, &rebuilt);  // the events before, unchanged
            }
            if (modified) {
                // Bytes between events go with the event after them.
                switch (act) {
                case ngx_http_aigw_event_action::pass:
                    raw(unit_begin, e.end, &rebuilt);
                    break;
                case ngx_http_aigw_event_action::drop:
                    break;
                case ngx_http_aigw_event_action::replace:
                    raw(unit_begin, e.begin, &rebuilt);
                    rebuilt += st->out;
                    break;
                }
            }
            unit_begin = e.end;
        }
        size_t end = static_cast<size_t>(unit_begin - base);  // just past the last event
        st->decided = unit_begin;

        if (!modified) {
            if (!emit_hold()) {
                return NGX_ERROR;
            }
            if (end < size) {
                if (ngx_http_aigw_hold_append(sr, ctx, b->pos + end, size - end) != NGX_OK) {
                    return NGX_ERROR;
                }
                b->last = b->pos + end;
            }
            if (end == 0) {
                b->pos = b->last;  // all of it is held: an empty buffer must not travel on
                continue;
            }
            if (!emit(cl)) {
                return NGX_ERROR;
            }
            continue;
        }

        ngx_http_aigw_release_hold(ctx);
        if (!rebuilt.empty()) {
            ngx_chain_t* own = ngx_http_aigw_own_buf(sr, ctx, rebuilt.data(), rebuilt.size());
            if (own == nullptr) {
                return NGX_ERROR;
            }
            *ll = own;
            ll = &own->next;
        }
        if (end < size && ngx_http_aigw_hold_append(sr, ctx, b->pos + end, size - end) != NGX_OK) {
            return NGX_ERROR;
        }
        b->pos = b->last;
    }

    if (out == nullptr) {
        return NGX_OK;
    }
    ngx_int_t rc = ngx_http_next_body_filter(sr, out);
    ngx_chain_update_chains(sr->pool, &ctx->response.free, &ctx->response.busy, &out,
                            (ngx_buf_tag_t)&ngx_http_aigw_module);
    return rc;
}

// Sends a body held whole and rewritten (`body`), followed by the buffer that ended the
// upstream's body (its last_in_chain / last_buf flags, its bytes already consumed).
static ngx_int_t ngx_http_aigw_send_whole(ngx_http_request_t* sr, const std::string& body,
                                          ngx_chain_t* last) {
    if (body.empty()) {
        return ngx_http_next_body_filter(sr, last);  // an empty memory buffer must not travel
    }
    ngx_str_t copy;
    if (!aigw::ngx::pool_copy(sr->pool, body, &copy)) {
        return NGX_ERROR;
    }
    auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(sr->pool));
    ngx_chain_t* out = ngx_alloc_chain_link(sr->pool);
    ngx_chain_t* end = ngx_alloc_chain_link(sr->pool);
    if (b == nullptr || out == nullptr || end == nullptr) {
        return NGX_ERROR;
    }
    b->pos = copy.data;
    b->last = copy.data + copy.len;
    b->memory = 1;
    out->buf = b;
    out->next = end;
    end->buf = last->buf;
    end->next = nullptr;
    return ngx_http_next_body_filter(sr, out);
}

// A JSON response: kept (bounded) as it passes, to read its usage at the end; past the bound
// its usage is read by the usage scanner instead. When the model is renamed the body is held
// whole and sent renamed at the end; one too large to hold goes on unrenamed (its usage still
// read).
static ngx_int_t ngx_http_aigw_json_filter(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                           ngx_chain_t* in) {
    ngx_http_aigw_body_t* st = ctx->usage.body;
    ngx_chain_t* last = nullptr;
    ngx_chain_t* out = in;  // what goes on now when the body is not held
    for (ngx_chain_t* cl = in; cl; cl = cl->next) {
        ngx_buf_t* b = cl->buf;
        size_t size = b->in_file ? 0 : static_cast<size_t>(b->last - b->pos);
        if (ctx->response.json_rename && st->json.size() + size > ngx_http_aigw_json_keep_max) {
            aigw::ngx::log_value uri(sr->uri);
            ngx_log_error(NGX_LOG_WARN, sr->connection->log, 0,
                          "aigw: response of \"%*s\" is larger than %uz bytes: its model is not "
                          "renamed",
                          uri.len, uri.data, ngx_http_aigw_json_keep_max);
            ctx->response.json_rename = 0;
            // What was held goes first (the links before cl were consumed into it), then
            // the rest as it comes.
            out = cl;
            if (!st->json.empty()) {
                out = ngx_http_aigw_own_buf(sr, ctx, st->json.data(), st->json.size());
                if (out == nullptr) {
                    return NGX_ERROR;
                }
                out->next = cl;
            }
        }
        if (size) {
            ngx_http_aigw_json_bytes(st, b->pos, size);
        }
        if (ctx->response.json_rename) {
            b->pos = b->last;
        }
        if (b->last_in_chain || b->last_buf) {
            last = cl;
        }
    }
    if (last != nullptr) {
        ngx_http_aigw_account_json(ctx, st);
    }
    if (!ctx->response.json_rename) {
        return ngx_http_next_body_filter(sr, out);
    }
    if (last == nullptr) {
        return NGX_OK;
    }
    return ngx_http_aigw_send_whole(
        sr, aigw::rename_response_model(st->json, aigw::ngx::view(ctx->content.model)), last);
}

// /v1/models for a key limited to some models: the upstream's list is read whole (it is
// small; the hold limit bounds it) and only the allowed entries are sent on.
static ngx_int_t ngx_http_aigw_models_filter(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                             ngx_chain_t* in) {
    if (sr->main->header_only) {
        return ngx_http_next_body_filter(sr, in);  // HEAD: there is no list to narrow
    }
    ngx_chain_t* last = nullptr;
    for (ngx_chain_t* cl = in; cl; cl = cl->next) {
        ngx_buf_t* b = cl->buf;
        size_t size = static_cast<size_t>(b->last - b->pos);
        if (size) {
            size_t held = ctx->response.hold ? static_cast<size_t>(ngx_buf_size(ctx->response.hold->buf)) : 0;
            if (held + size > ngx_http_aigw_sse_hold_max) {
                ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                              "aigw: the upstream's model list is larger than %uz bytes",
                              ngx_http_aigw_sse_hold_max);
                return NGX_ERROR;
            }
            if (ngx_http_aigw_hold_append(sr, ctx, b->pos, size) != NGX_OK) {
                return NGX_ERROR;
            }
            b->pos = b->last;
        }
        if (b->last_in_chain || b->last_buf) {
            last = cl;
        }
    }
    if (last == nullptr) {
        return NGX_OK;
    }

    std::string_view list;
    if (ctx->response.hold != nullptr) {
        list = {reinterpret_cast<const char*>(ctx->response.hold->buf->pos),
                static_cast<size_t>(ngx_buf_size(ctx->response.hold->buf))};
    }
    std::optional<std::string> filtered = aigw::filter_model_list(
        list, [ctx](std::string_view id) { return ngx_http_aigw_model_allowed(ctx, id); });
    if (!filtered) {
        aigw::ngx::log_value uri(sr->uri);
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "aigw: the upstream's answer to \"%*s\" is not a model list; "
                      "the client gets an empty one",
                      uri.len, uri.data);
        filtered = R"({"object":"list","data":[]})";
    }
    return ngx_http_aigw_send_whole(sr, *filtered, last);
}

static ngx_int_t ngx_http_aigw_body_filter(ngx_http_request_t* r, ngx_chain_t* in) noexcept {
    auto* ctx = static_cast<ngx_http_aigw_ctx_t*>(ngx_http_get_module_ctx(r, ngx_http_aigw_module));
    if (ctx == nullptr) {
        return ngx_http_next_body_filter(r, in);
    }

    if (r != r->main) {
        if (ctx->attempt.sr != r) {
            return ngx_http_next_body_filter(r, in);
        }
        if (ctx->response.swallow) {
            ngx_http_aigw_consume(in);
            return NGX_OK;
        }
        for (ngx_chain_t* cl = in; cl; cl = cl->next) {
            if (ngx_buf_size(cl->buf) > 0) {
                ctx->response.body_started = 1;
            }
            // The upstream module ends a clean response with last_in_chain; after a cut
            // it only flushes, so this is how a truncated body is told apart.
            if (cl->buf->last_in_chain || cl->buf->last_buf) {
                ctx->response.upstream_complete = 1;
            }
        }
        try {
            if (ctx->response.sse && r->upstream != nullptr && !r->upstream->buffering) {
                return ngx_http_aigw_sse_filter(r, ctx, in);
            }
            if (ctx->response.json_keep) {
                return ngx_http_aigw_json_filter(r, ctx, in);
            }
        } catch (const std::exception& e) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "aigw: body filter failed: %s",
                          e.what());
            return NGX_ERROR;
        }
        if (ctx->content.filter_models) {
            try {
                return ngx_http_aigw_models_filter(r, ctx, in);
            } catch (const std::exception& e) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "aigw: model list filter failed: %s", e.what());
                return NGX_ERROR;
            }
        }
        return ngx_http_next_body_filter(r, in);
    }

    if (!ctx->response.replace_body) {
        return ngx_http_next_body_filter(r, in);
    }
    ngx_http_aigw_consume(in);
    if (ctx->response.replacement_sent || r->header_only) {
        return NGX_OK;
    }
    ctx->response.replacement_sent = 1;
    auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(r->pool));
    if (b == nullptr) {
        return NGX_ERROR;
    }
    b->pos = ctx->reply.replacement.data;
    b->last = ctx->reply.replacement.data + ctx->reply.replacement.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;
    ngx_chain_t out = {b, nullptr};
    return ngx_http_next_body_filter(r, &out);
}

ngx_int_t ngx_http_aigw_filter_init(ngx_conf_t* cf) {
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_aigw_header_filter;
    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_aigw_body_filter;
    return NGX_OK;
}
