// Memory in NGINX pools: copies of C++ strings, C++ objects a pool owns, and large buffers a
// pool holds from the few the worker keeps.
#pragma once

#include <cstddef>
#include <new>
#include <string_view>
#include <utility>

#include "ngx/ngx.hpp"
#include "ngx/util/guard.hpp"

namespace aigw::ngx {

// `s` copied into `pool` (freed with it) as *to; false when the pool is out of memory.
inline bool pool_copy(ngx_pool_t* pool, std::string_view s, ngx_str_t* to) {
    auto* p = static_cast<u_char*>(ngx_pnalloc(pool, s.empty() ? 1 : s.size()));
    if (p == nullptr) {
        return false;
    }
    if (!s.empty()) {
        ngx_memcpy(p, s.data(), s.size());
    }
    to->data = p;
    to->len = s.size();
    return true;
}

template <typename T>
void pool_delete(void* data) noexcept {
    guard(ngx_cycle->log, "pool cleanup", [data] { static_cast<T*>(data)->~T(); });
}

// A T built in `pool`'s memory and destroyed by a pool cleanup when the pool goes: for
// objects with members of their own (strings, maps, shared pointers) that NGINX would not
// free. nullptr when the pool is out of memory; an exception from T's constructor
// propagates, and leaves nothing to destroy.
template <typename T, typename... Args>
T* pool_new(ngx_pool_t* pool, Args&&... args) {
    static_assert(alignof(T) <= NGX_ALIGNMENT, "pool memory is aligned to NGX_ALIGNMENT");
    ngx_pool_cleanup_t* cln = ngx_pool_cleanup_add(pool, sizeof(T));
    if (cln == nullptr) {
        return nullptr;
    }
    T* obj = new (cln->data) T(std::forward<Args>(args)...);
    cln->handler = pool_delete<T>;
    return obj;
}

// Large buffers a request holds until its pool goes (a body's padded copy), taken from a few
// the worker keeps and given back to them. Allocating and freeing 64 KB or more with every
// request makes glibc give the top of its heap back to the kernel and take it again (freed
// beside NGINX's own body buffer, the top passes its 128 KB trim threshold): a brk and fresh,
// zeroed pages for every request, which cost an agent's 64 KB request more than its parse.
namespace large_buffer {

constexpr std::size_t pool_below = 16 * 1024;            // smaller ones are the pool's own
constexpr std::size_t keep_bytes = std::size_t{16} << 20;  // kept at most, a worker
constexpr std::size_t keep_count = 64;

struct kept {
    void* buf[keep_count];
    std::size_t size[keep_count];
    std::size_t n = 0;
    std::size_t bytes = 0;
};

inline kept& worker_kept() {
    static kept k;  // a worker's: NGINX runs its requests on one thread
    return k;
}

struct held {
    void* buf;
    std::size_t size;
};

inline void give_back(void* data) noexcept {
    auto* h = static_cast<held*>(data);
    kept& k = worker_kept();
    if (k.n < keep_count && h->size <= keep_bytes - k.bytes) {
        k.buf[k.n] = h->buf;
        k.size[k.n] = h->size;
        ++k.n;
        k.bytes += h->size;
        return;
    }
    ngx_free(h->buf);
}

}  // namespace large_buffer

// `size` bytes that `pool` holds until it goes, not zeroed; nullptr when out of memory. From
// `size` of pool_below on, the smallest buffer the worker keeps that fits, else a new one.
inline void* pool_large_buffer(ngx_pool_t* pool, std::size_t size) {
    namespace lb = large_buffer;
    if (size < lb::pool_below) {
        return ngx_pnalloc(pool, size);
    }
    ngx_pool_cleanup_t* cln = ngx_pool_cleanup_add(pool, sizeof(lb::held));
    if (cln == nullptr) {
        return nullptr;
    }
    lb::kept& k = lb::worker_kept();
    std::size_t best = k.n;
    for (std::size_t i = 0; i < k.n; ++i) {
        if (k.size[i] >= size && (best == k.n || k.size[i] < k.size[best])) best = i;
    }
    lb::held h{nullptr, 0};
    if (best != k.n) {
        h = {k.buf[best], k.size[best]};
        k.bytes -= h.size;
        --k.n;
        k.buf[best] = k.buf[k.n];
        k.size[best] = k.size[k.n];
    } else {
        h.size = (size + 4095) & ~std::size_t{4095};
        h.buf = ngx_alloc(h.size, pool->log);
        if (h.buf == nullptr) {
            return nullptr;  // the cleanup's handler stays NULL: nothing to give back
        }
    }
    *static_cast<lb::held*>(cln->data) = h;
    cln->handler = lb::give_back;
    return h.buf;
}

}  // namespace aigw::ngx
