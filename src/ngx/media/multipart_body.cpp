// The upstream body of a multipart/form-data request; see multipart_body.hpp.
#include "ngx/media/multipart_body.hpp"

#include <algorithm>

#include "ngx/util/pool.hpp"

namespace {

// A buffer referring to [from, to) of `b`'s bytes (memory or file), no copy.
ngx_buf_t* slice(ngx_pool_t* pool, const ngx_buf_t* b, off_t from, off_t to) {
    auto* s = static_cast<ngx_buf_t*>(ngx_calloc_buf(pool));
    if (s == nullptr) {
        return nullptr;
    }
    if (b->in_file) {
        s->in_file = 1;
        s->file = b->file;
        s->file_pos = b->file_pos + from;
        s->file_last = b->file_pos + to;
    } else {
        s->memory = 1;
        s->pos = b->pos + from;
        s->last = b->pos + to;
        s->start = s->pos;
        s->end = s->last;
    }
    return s;
}

}  // namespace

ngx_int_t ngx_http_aigw_multipart_upstream_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                                std::optional<std::string_view> upstream_model) {
    ngx_chain_t* head = nullptr;
    ngx_chain_t** tail = &head;
    off_t total = 0;
    auto add = [&](ngx_buf_t* b) {
        ngx_chain_t* cl = ngx_alloc_chain_link(r->pool);
        if (b == nullptr || cl == nullptr) {
            return false;
        }
        cl->buf = b;
        cl->next = nullptr;
        *tail = cl;
        tail = &cl->next;
        total += ngx_buf_size(b);
        return true;
    };
    off_t cut_from = upstream_model ? ctx->media.model_begin : -1;
    off_t cut_to = upstream_model ? ctx->media.model_end : -1;
    bool inserted = !upstream_model;
    auto insert = [&]() {
        ngx_str_t name;
        auto* nb = static_cast<ngx_buf_t*>(ngx_calloc_buf(r->pool));
        if (nb == nullptr || !aigw::ngx::pool_copy(r->pool, *upstream_model, &name)) {
            return false;
        }
        nb->memory = 1;
        nb->pos = nb->start = name.data;
        nb->last = nb->end = name.data + name.len;
        inserted = true;
        return add(nb);
    };
    off_t at = 0;  // body offset of the current buffer's first byte
    ngx_http_request_body_t* rb = r->request_body;
    for (ngx_chain_t* cl = rb ? rb->bufs : nullptr; cl; cl = cl->next) {
        ngx_buf_t* b = cl->buf;
        off_t size = ngx_buf_size(b);
        off_t lo = 0;
        while (lo < size) {
            off_t abs = at + lo;
            if (!inserted && abs == cut_from && !insert()) {
                return NGX_ERROR;
            }
            if (cut_from >= 0 && abs >= cut_from && abs < cut_to) {
                lo = std::min(size, cut_to - at);  // the old name is left out
                continue;
            }
            off_t hi = cut_from >= 0 && abs < cut_from ? std::min(size, cut_from - at) : size;
            if (!add(slice(r->pool, b, lo, hi))) {
                return NGX_ERROR;
            }
            lo = hi;
        }
        at += size;
    }
    if (!inserted && at == cut_from && !insert()) {
        return NGX_ERROR;
    }
    if (head == nullptr) {
        if (!add(static_cast<ngx_buf_t*>(ngx_calloc_buf(r->pool)))) {
            return NGX_ERROR;
        }
    }
    for (ngx_chain_t* cl = head; cl; cl = cl->next) {
        cl->buf->last_buf = cl->next == nullptr;
    }
    ctx->attempt.upstream_body = head;
    ctx->attempt.upstream_body_len = total;
    return NGX_OK;
}
