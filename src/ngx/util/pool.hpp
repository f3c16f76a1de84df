// Memory in NGINX pools: copies of C++ strings, and C++ objects a pool owns.
#pragma once

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

}  // namespace aigw::ngx
