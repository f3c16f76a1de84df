// Response headers; see headers.hpp.
#include "ngx/util/headers.hpp"

#include "ngx/util/pool.hpp"

ngx_int_t ngx_http_aigw_set_header(ngx_http_request_t* r, std::string_view name,
                                   const ngx_str_t& value) {
    auto* h = static_cast<ngx_table_elt_t*>(ngx_list_push(&r->headers_out.headers));
    if (h == nullptr) {
        return NGX_ERROR;
    }
    h->hash = 1;
    h->key.data = reinterpret_cast<u_char*>(const_cast<char*>(name.data()));
    h->key.len = name.size();
    h->value = value;
    h->lowcase_key = nullptr;
#if defined(nginx_version) && nginx_version >= 1023000
    h->next = nullptr;
#endif
    return NGX_OK;
}

ngx_int_t ngx_http_aigw_set_header_copy(ngx_http_request_t* r, std::string_view name,
                                        std::string_view value) {
    ngx_str_t v;
    if (!aigw::ngx::pool_copy(r->pool, value, &v)) {
        return NGX_ERROR;
    }
    return ngx_http_aigw_set_header(r, name, v);
}

ngx_int_t ngx_http_aigw_set_retry_after(ngx_http_request_t* r, uint64_t ms) {
    auto* p = static_cast<u_char*>(ngx_pnalloc(r->pool, NGX_INT64_LEN));
    if (p == nullptr) {
        return NGX_ERROR;
    }
    uint64_t secs = (ms + 999) / 1000;
    ngx_str_t v = {0, p};
    v.len = ngx_sprintf(p, "%uL", secs < 1 ? 1 : secs) - p;
    return ngx_http_aigw_set_header(r, "Retry-After", v);
}
