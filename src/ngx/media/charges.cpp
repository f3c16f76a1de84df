// Media requests' prices; see charges.hpp.
#include "ngx/media/charges.hpp"

#include <algorithm>

#include "aigw/accounting/pricing.hpp"
#include "aigw/api/request.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/media/video_object.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/log_value.hpp"
#include "ngx/util/pool.hpp"

namespace {

bool is_images(const ngx_http_aigw_ctx_t* ctx) {
    return ctx->content.endpoint != nullptr && aigw::is_image_endpoint(ctx->content.endpoint->id);
}

bool creates_video(const ngx_http_aigw_ctx_t* ctx) {
    return ctx->content.endpoint != nullptr &&
           (ctx->content.endpoint->id == aigw::endpoint_id::videos ||
            ctx->content.endpoint->id == aigw::endpoint_id::video_remix);
}

ngx_int_t refuse(ngx_http_request_t* r, const aigw::api_error& e) {
    // The message may quote the client's value: escaped, as any client value in a log line.
    aigw::ngx::log_value m(e.message);
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "aigw: rejected request: %*s", m.len,
                  m.data);
    return ngx_http_aigw_send_error(r, e);
}

}  // namespace

ngx_int_t ngx_http_aigw_media_json_fields(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    const char* body = reinterpret_cast<const char*>(ctx->content.client_body);
    size_t len = ctx->content.client_body_len;
    size_t capacity = len + aigw::json_padding;
    ngx_http_aigw_media_part_t& m = ctx->media;
    if (ctx->content.endpoint->id == aigw::endpoint_id::images_generations) {
        aigw::image_request q = aigw::read_image_request(body, len, capacity);
        if (!q.ok) {
            return refuse(r, q.rejection);
        }
        m.n = q.n;
        if (!aigw::ngx::pool_copy(r->pool, q.size, &m.size) ||
            !aigw::ngx::pool_copy(r->pool, q.quality, &m.quality)) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    } else if (ctx->content.endpoint->id == aigw::endpoint_id::videos) {
        aigw::video_request q = aigw::read_video_request(body, len, capacity);
        if (!q.ok) {
            return refuse(r, q.rejection);
        }
        m.seconds = q.seconds;
        if (!aigw::ngx::pool_copy(r->pool, q.size, &m.size)) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return NGX_DECLINED;
}

void ngx_http_aigw_media_reserve(ngx_http_aigw_ctx_t* ctx) {
    ngx_http_aigw_media_part_t& m = ctx->media;
    m.reserve = 0;
    const aigw::model_price* price = ctx->content.price;
    if (price == nullptr) {
        return;
    }
    if (is_images(ctx) && aigw::has_image_price(*price)) {
        m.reserve = aigw::images_cost(*price, std::max<int64_t>(m.n, 1), aigw::ngx::view(m.size),
                                      aigw::ngx::view(m.quality));
    } else if (creates_video(ctx) && aigw::has_video_price(*price)) {
        m.reserve = aigw::video_cost(*price, m.seconds > 0 ? m.seconds : aigw::video_default_seconds,
                                     aigw::ngx::view(m.size));
    }
    m.reserve = std::max<int64_t>(m.reserve, 0);
}

void ngx_http_aigw_media_cost(ngx_http_aigw_ctx_t* ctx) {
    ngx_http_aigw_media_part_t& m = ctx->media;
    if (m.cost_set) {
        ctx->usage.cost = m.cost;
        return;
    }
    const aigw::model_price* price = ctx->content.price;
    if (price == nullptr || !is_images(ctx) || !aigw::has_image_price(*price) ||
        !ngx_http_aigw_billable(ctx)) {
        return;
    }
    bool token_priced = price->input > 0 || price->output > 0;
    if (token_priced && ctx->usage.counted_by == NGX_HTTP_AIGW_COUNTED_BY_UPSTREAM &&
        ctx->usage.total_tokens > 0) {
        return;  // a gpt-image model's own counts: the token cost stands
    }
    int64_t n = m.images > 0 ? m.images : std::max<int64_t>(m.n, 1);
    std::string_view size = m.answered_size.len ? aigw::ngx::view(m.answered_size)
                                                : aigw::ngx::view(m.size);
    std::string_view quality = m.answered_quality.len ? aigw::ngx::view(m.answered_quality)
                                                      : aigw::ngx::view(m.quality);
    aigw::micro_usd c = aigw::images_cost(*price, n, size, quality);
    if (c >= 0) {
        ctx->usage.cost = std::min(aigw::max_micro_usd, c + price->request);
    }
}
