// The body filter of a stream; see stream.hpp.
#include "ngx/filters/stream.hpp"

#include <string>
#include <string_view>

#include "ngx/accounting/response_usage.hpp"
#include "ngx/filters/buffers.hpp"
#include "ngx/filters/translate.hpp"
#include "ngx/util/log_value.hpp"

// Passes on only whole events, each read for usage on the way. The upstream's buffers are
// passed through our own chain links (the upstream module keeps its links), cut short at the
// last event end; the tail is copied into `hold` and sent in front of the next bytes. When an
// event in a buffer is dropped (the usage chunk the client did not ask for) or rewritten (the
// public model name), that buffer's whole events are copied into a buffer of ours instead.
// Nothing held is ever sent after a cut: the attempt's end then sends the error event.
ngx_int_t ngx_http_aigw_stream_body(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                   ngx_chain_t* in, ngx_chain_t** pass) {
    ngx_http_aigw_body_t* st = ctx->usage.body;
    bool translate = ctx->attempt.translate && st != nullptr;
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
    // The buffer that ends the body, its bytes consumed: one in memory would be an empty
    // buffer, which must not travel on, so its flags go on a buffer of no memory.
    auto emit_last = [&](ngx_chain_t* link) -> bool {
        if (!ngx_buf_in_memory(link->buf)) {
            return emit(link);
        }
        auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(sr->pool));
        if (b == nullptr) {
            return false;
        }
        b->last_buf = link->buf->last_buf;
        b->last_in_chain = link->buf->last_in_chain;
        b->flush = 1;
        ngx_chain_t end = {b, nullptr};
        return emit(&end);
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
            // still read for usage. A translated stream gets the last events translated, and
            // its dialect's end if the upstream's never came.
            std::string tail;
            if (st != nullptr && !st->framing_failed) {
                st->framer.recycle(st->events);
                if (size) {
                    st->framer.feed({reinterpret_cast<const char*>(b->pos), size}, st->events);
                }
                st->framer.finish(st->events);
                for (const aigw::sse_event& e : st->events) {
                    ngx_http_aigw_account_event(ctx, st, e, {});
                    if (translate && ngx_http_aigw_translate_event(ctx, st, e) ==
                                         ngx_http_aigw_event_action::replace) {
                        tail += st->out;
                    }
                }
                if (translate) {
                    tail += ngx_http_aigw_translate_stream_end(ctx, st);
                }
            }
            if (!translate) {
                if (!emit_hold() || !emit(cl)) {
                    return NGX_ERROR;
                }
                continue;
            }
            ngx_http_aigw_release_hold(ctx);
            b->pos = b->last;
            if (!tail.empty()) {
                ngx_chain_t* own = ngx_http_aigw_own_buf(sr, ctx, tail.data(), tail.size());
                if (own == nullptr) {
                    return NGX_ERROR;
                }
                *ll = own;
                ll = &own->next;
            }
            if (!emit_last(cl)) {
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
        if (translate && (ctx->response.sse_passthrough || b->in_file)) {
            return NGX_ERROR;  // another dialect's bytes must not reach the client
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
        st->framer.recycle(st->events);
        if (st->framer.feed(bytes, st->events) != aigw::sse_status::ok) {
            aigw::ngx::log_value uri(sr->uri);
            ngx_log_error(NGX_LOG_WARN, sr->connection->log, 0,
                          "aigw: a line of over %uz bytes in the stream of \"%*s\"; %s",
                          aigw::sse_limits{}.max_line, uri.len, uri.data,
                          translate ? "cutting the stream, which cannot be translated unread"
                                    : "passing bytes on without reading events");
            st->framing_failed = true;
            if (translate) {
                return NGX_ERROR;  // another dialect's bytes must not reach the client
            }
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
                              "aigw: an event of over %uz bytes in the stream of \"%*s\"; %s",
                              ngx_http_aigw_sse_hold_max, uri.len, uri.data,
                              translate ? "cutting the stream, which cannot be translated unread"
                                        : "passing bytes on without waiting for event ends");
                if (translate) {
                    return NGX_ERROR;
                }
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
        bool rewrites = ctx->attempt.rename_model ||
                        (ctx->attempt.inject_usage && !ctx->attempt.client_asked_usage);
        bool modified = false;
        std::string rebuilt;
        std::string event_raw;
        uint64_t unit_begin = st->decided;
        for (const aigw::sse_event& e : st->events) {
            // The event's bytes: a view of this buffer or of the held bytes when it lies in
            // one of them (nearly always), else gathered from both.
            std::string_view event_bytes;
            if (rewrites) {
                if (e.begin >= base) {
                    event_bytes = bytes.substr(static_cast<size_t>(e.begin - base),
                                               static_cast<size_t>(e.end - e.begin));
                } else if (e.end <= base) {
                    event_bytes = hold_bytes.substr(static_cast<size_t>(e.begin - st->decided),
                                                    static_cast<size_t>(e.end - e.begin));
                } else {
                    event_raw.clear();
                    raw(e.begin, e.end, &event_raw);
                    event_bytes = event_raw;
                }
            }
            ngx_http_aigw_event_action act = ngx_http_aigw_account_event(ctx, st, e, event_bytes);
            if (translate) {
                act = ngx_http_aigw_translate_event(ctx, st, e);
            }
            if (act != ngx_http_aigw_event_action::pass && !modified) {
                modified = true;
                rebuilt.reserve(hold_bytes.size() + bytes.size() + st->out.size());
                raw(st->decided, unit_begin, &rebuilt);  // the events before, unchanged
            }
            if (modified) {
                // Bytes between events go with the event after them; a translated stream
                // has none of the upstream's (the LF of a CRLF blank line, Gemini's, would
                // be a stray line in the client's dialect).
                switch (act) {
                case ngx_http_aigw_event_action::pass:
                    raw(unit_begin, e.end, &rebuilt);
                    break;
                case ngx_http_aigw_event_action::drop:
                    break;
                case ngx_http_aigw_event_action::replace:
                    if (!translate) {
                        raw(unit_begin, e.begin, &rebuilt);
                    }
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
        return NGX_DONE;
    }
    *pass = out;
    return NGX_OK;
}

void ngx_http_aigw_stream_sent(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                               ngx_chain_t* out) {
    ngx_chain_update_chains(sr->pool, &ctx->response.free, &ctx->response.busy, &out,
                            (ngx_buf_tag_t)&ngx_http_aigw_module);
}
