// Buffers of the body filters; see buffers.hpp.
#include "ngx/filters/buffers.hpp"

#include "ngx/util/pool.hpp"

void ngx_http_aigw_consume(ngx_chain_t* in) {
    for (ngx_chain_t* cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }
}

ngx_int_t ngx_http_aigw_keep_error(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                   ngx_chain_t* in) {
    for (ngx_chain_t* cl = in; cl; cl = cl->next) {
        ngx_buf_t* b = cl->buf;
        size_t have = ngx_http_aigw_held(ctx).size();
        if (!ngx_buf_in_memory(b) || have >= ngx_http_aigw_error_keep_max) {
            continue;
        }
        size_t n = static_cast<size_t>(b->last - b->pos);
        if (n > ngx_http_aigw_error_keep_max - have) {
            n = ngx_http_aigw_error_keep_max - have;
        }
        if (n && ngx_http_aigw_hold_append(r, ctx, b->pos, n) != NGX_OK) {
            return NGX_ERROR;
        }
    }
    return NGX_OK;
}

std::string_view ngx_http_aigw_held(const ngx_http_aigw_ctx_t* ctx) {
    if (ctx->response.hold == nullptr) {
        return {};
    }
    const ngx_buf_t* h = ctx->response.hold->buf;
    return {reinterpret_cast<const char*>(h->pos), static_cast<size_t>(h->last - h->pos)};
}

// Appends bytes to the held, unfinished event, growing our buffer as needed.
ngx_int_t ngx_http_aigw_hold_append(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
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
ngx_chain_t* ngx_http_aigw_own_buf(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
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
void ngx_http_aigw_release_hold(ngx_http_aigw_ctx_t* ctx) {
    if (ctx->response.hold == nullptr) {
        return;
    }
    ngx_chain_t* h = ctx->response.hold;
    ctx->response.hold = nullptr;
    h->buf->pos = h->buf->last = h->buf->start;
    h->next = ctx->response.free;
    ctx->response.free = h;
}

ngx_int_t ngx_http_aigw_whole_body(ngx_http_request_t* sr, const std::string& body,
                                   ngx_chain_t* last, ngx_chain_t** out) {
    if (body.empty()) {
        *out = last;  // an empty memory buffer must not travel
        return NGX_OK;
    }
    ngx_str_t copy;
    if (!aigw::ngx::pool_copy(sr->pool, body, &copy)) {
        return NGX_ERROR;
    }
    auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(sr->pool));
    ngx_chain_t* first = ngx_alloc_chain_link(sr->pool);
    ngx_chain_t* end = ngx_alloc_chain_link(sr->pool);
    if (b == nullptr || first == nullptr || end == nullptr) {
        return NGX_ERROR;
    }
    b->pos = copy.data;
    b->last = copy.data + copy.len;
    b->memory = 1;
    first->buf = b;
    first->next = end;
    end->buf = last->buf;
    end->next = nullptr;
    *out = first;
    return NGX_OK;
}
