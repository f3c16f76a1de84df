// Reading multipart/form-data bodies; see multipart_read.hpp.
#include "ngx/media/multipart_read.hpp"

#include <charconv>
#include <optional>
#include <string>

#include "aigw/api/error.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/text/log_value.hpp"
#include "aigw/text/multipart.hpp"
#include "ngx/content/body.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/log_value.hpp"
#include "ngx/util/pool.hpp"

namespace {

// How much of NGINX's temp file is read at a time while scanning it.
constexpr size_t file_chunk = 64 * 1024;

std::string_view content_type(ngx_http_request_t* r) {
    return r->headers_in.content_type ? aigw::ngx::view(r->headers_in.content_type->value)
                                      : std::string_view();
}

// Feeds the whole body to the scanner: memory buffers as they are, the temp file in chunks.
bool scan_body(ngx_http_request_t* r, aigw::multipart_scanner& scan) {
    ngx_http_request_body_t* rb = r->request_body;
    if (rb == nullptr) {
        return true;
    }
    u_char* chunk = nullptr;
    for (ngx_chain_t* cl = rb->bufs; cl; cl = cl->next) {
        ngx_buf_t* b = cl->buf;
        if (!b->in_file) {
            scan.feed({reinterpret_cast<const char*>(b->pos),
                       static_cast<size_t>(b->last - b->pos)});
            continue;
        }
        if (chunk == nullptr) {
            chunk = static_cast<u_char*>(ngx_pnalloc(r->pool, file_chunk));
            if (chunk == nullptr) {
                return false;
            }
        }
        for (off_t at = b->file_pos; at < b->file_last;) {
            size_t n = static_cast<size_t>(std::min<off_t>(b->file_last - at, file_chunk));
            ssize_t got = ngx_read_file(b->file, chunk, n, at);
            if (got != static_cast<ssize_t>(n)) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "aigw: short read of the request body file \"%V\"",
                              &b->file->name);
                return false;
            }
            scan.feed({reinterpret_cast<const char*>(chunk), n});
            at += static_cast<off_t>(n);
        }
    }
    return true;
}

// A whole decimal number from a form field; nullopt if it is not one.
std::optional<int64_t> form_integer(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.back() == ' ')) {
        v = v.front() == ' ' ? v.substr(1) : v.substr(0, v.size() - 1);
    }
    int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || v.empty()) {
        return std::nullopt;
    }
    return n;
}

ngx_int_t refuse(ngx_http_request_t* r, const aigw::api_error& e) {
    // The message may quote the client's value: escaped, as any client value in a log line.
    aigw::ngx::log_value m(e.message);
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "aigw: rejected request: %*s", m.len,
                  m.data);
    return ngx_http_aigw_send_error(r, e);
}

ngx_int_t copy_field(ngx_http_request_t* r, const aigw::multipart_scanner& scan,
                     std::string_view name, ngx_str_t* to) {
    const aigw::multipart_field* f = scan.find(name);
    if (f != nullptr && !aigw::ngx::pool_copy(r->pool, f->value, to)) {
        return NGX_ERROR;
    }
    return NGX_OK;
}

// The form is in: its fields, then on as a parsed JSON body goes.
void multipart_read(ngx_http_request_t* r) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    std::optional<std::string> boundary = aigw::multipart_boundary(content_type(r));
    if (ctx == nullptr || !boundary) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
    aigw::multipart_scanner scan(std::move(*boundary));
    if (!scan_body(r, scan)) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
    if (!scan.finish()) {
        ngx_http_finalize_request(r, refuse(r, aigw::multipart_error(scan.error())));
        return;
    }
    ctx->media.multipart = 1;
    // A field read here given twice: the upstream might read the other one than the gateway
    // priced (a server that keeps the last value).
    for (std::string_view name : {"model", "n", "size", "quality", "seconds", "stream"}) {
        if (scan.count(name) > 1) {
            ngx_http_finalize_request(r, refuse(r, aigw::duplicate_member_error(name)));
            return;
        }
    }
    const aigw::endpoint_info& ep = *ctx->content.endpoint;
    aigw::request_fields f;
    f.status = aigw::request_parse_status::ok;
    const aigw::multipart_field* model = scan.find("model");
    if (model == nullptr) {
        ngx_http_finalize_request(r, refuse(r, aigw::missing_model_error()));
        return;
    }
    if (model->value.size() > aigw::model_name_max) {
        ngx_http_finalize_request(
            r, refuse(r, aigw::string_too_long_error("model", aigw::model_name_max,
                                                     model->value.size())));
        return;
    }
    f.has_model = true;
    f.model = model->value;
    ctx->media.model_begin = static_cast<off_t>(model->value_begin);
    ctx->media.model_end = static_cast<off_t>(model->value_end);
    if (const aigw::multipart_field* s = scan.find("stream")) {
        f.stream = s->value == "true" || s->value == "1";
    }

    ngx_http_aigw_media_part_t& m = ctx->media;
    if (const aigw::multipart_field* n = scan.find("n")) {
        std::optional<int64_t> v = form_integer(n->value);
        if (!v || *v < 1 || *v > 10) {
            ngx_http_finalize_request(
                r, refuse(r, aigw::media_parameter_error(
                                 "Invalid 'n': expected an integer from 1 to 10.", "n")));
            return;
        }
        m.n = *v;
        f.choices = *v;
    }
    if (ep.id == aigw::endpoint_id::videos) {
        if (const aigw::multipart_field* s = scan.find("seconds")) {
            std::optional<int64_t> v = form_integer(s->value);
            if (!v || *v < 1 || *v > 3600) {
                ngx_http_finalize_request(
                    r, refuse(r, aigw::media_parameter_error(
                                     "Invalid 'seconds': expected a whole number of seconds.",
                                     "seconds")));
                return;
            }
            m.seconds = *v;
        }
    }
    if (copy_field(r, scan, "size", &m.size) != NGX_OK ||
        copy_field(r, scan, "quality", &m.quality) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
    ngx_http_aigw_body_parsed(r, ctx, f);
}

void multipart_ready(ngx_http_request_t* r) noexcept {
    if (!aigw::ngx::guard(r->connection->log, "multipart body handler",
                          [r] { multipart_read(r); })) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

}  // namespace

bool ngx_http_aigw_is_multipart(ngx_http_request_t* r) {
    std::string_view ct = content_type(r);
    constexpr std::string_view type = "multipart/form-data";
    return ct.size() >= type.size() &&
           ngx_strncasecmp((u_char*)ct.data(), (u_char*)type.data(), type.size()) == 0;
}

ngx_int_t ngx_http_aigw_read_multipart(ngx_http_request_t* r) {
    ngx_int_t rc = ngx_http_read_client_request_body(r, multipart_ready);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }
    return NGX_DONE;
}

