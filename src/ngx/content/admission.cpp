// Admission; see admission.hpp.
#include "ngx/content/admission.hpp"

#include "ngx/accounting/spend.hpp"
#include "ngx/proxy/attempt.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"

namespace {

ngx_int_t start(ngx_http_request_t* r) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ngx_int_t rc = ngx_http_aigw_first_attempt(r, ctx);
    if (rc == NGX_DECLINED) {
        // Cannot happen: a first pick always finds a channel (a forced one if need be).
        rc = ngx_http_aigw_send_error(r, aigw::upstream_unreachable_error());
    }
    return rc;
}

// Billing let the request through (go), or answered it (finalize with rc).
void admitted(ngx_http_request_t* r, bool go, ngx_int_t rc) {
    if (go) {
        rc = aigw::ngx::guard(r->connection->log, "admitted", NGX_HTTP_INTERNAL_SERVER_ERROR,
                              [r] { return start(r); });
        if (rc == NGX_OK) {
            return;
        }
    }
    ngx_http_finalize_request(r, rc);
}

}  // namespace

void ngx_http_aigw_admit(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, int64_t max_tokens,
                         int64_t choices) {
    ngx_http_aigw_billing_admit(r, ctx, max_tokens, choices, admitted);
}
