// Content phase: route the OpenAI path, read and check the body, run the upstream subrequest,
// and finish the main request once the subrequest is done.
#include <exception>
#include <optional>
#include <string>

#include "aigw/dialects/openai_chat/request.hpp"
#include "aigw/text/json_splice.hpp"
#include "aigw/routing/model_map.hpp"
#include "aigw/dialects/openai_chat/models.hpp"
#include "aigw/accounting/pricing.hpp"
#include "aigw/routing/router.hpp"
#include "ngx/aigw_module.hpp"
#include "ngx/accounting/finish.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/log_limit.hpp"
#include "ngx/util/log_value.hpp"
#include "ngx/util/pool.hpp"

static void ngx_http_aigw_body_ready(ngx_http_request_t* r) noexcept;
static void ngx_http_aigw_admitted(ngx_http_request_t* r, bool go, ngx_int_t rc);
static ngx_int_t ngx_http_aigw_start_upstream(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);
static ngx_int_t ngx_http_aigw_set_upstream_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                                 u_char* data, size_t len);
static ngx_int_t ngx_http_aigw_prepare_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                            std::optional<std::string_view> upstream_model);
static ngx_int_t ngx_http_aigw_upstream_done(ngx_http_request_t* sr, void* data,
                                             ngx_int_t rc) noexcept;
static void ngx_http_aigw_resume(ngx_http_request_t* r) noexcept;
static ngx_int_t ngx_http_aigw_next_attempt(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// Request headers the upstream must never see: the client's gateway credentials (each
// channel location sets its own), compression (we read the response), and the request id
// (replaced by ours).
static const std::string_view ngx_http_aigw_dropped_headers[] = {
    "authorization", "x-api-key", "x-goog-api-key", "accept-encoding", "x-request-id",
};

static ngx_int_t ngx_http_aigw_reject_model(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                             std::string_view model) {
    aigw::ngx::log_value m(model);
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "aigw: key %V rejected: model_not_allowed (\"%*s\")", &ctx->access.key_masked, m.len,
                  m.data);
    return ngx_http_aigw_send_error(r, aigw::model_not_allowed_error(model));
}

static void ngx_http_aigw_log_exception(ngx_http_request_t* r, const char* where) noexcept {
    const char* what = "unknown exception";
    try {
        throw;
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "aigw: %s failed: %s", where, what);
}

// With a model table the gateway names the models itself: its public names, narrowed to the
// key's, in OpenAI's list shape. Patterns ("deepseek-*") name no model, so they are not listed,
// but a name they serve can be retrieved.
static ngx_int_t ngx_http_aigw_local_models(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                            ngx_http_aigw_loc_conf_t* alcf,
                                            std::string_view path) {
    static constexpr std::string_view owned_by = "system";
    if (ctx->content.endpoint->id == aigw::endpoint_id::models) {
        std::string list = aigw::model_list_json(
            alcf->models->public_names(),
            [ctx](std::string_view id) { return ngx_http_aigw_model_allowed(ctx, id); },
            static_cast<long long>(alcf->models_created), owned_by);
        return ngx_http_aigw_send_json(r, NGX_HTTP_OK, list);
    }
    std::string_view id = aigw::model_id_from_path(path);
    if (!ngx_http_aigw_model_allowed(ctx, id)) {
        return ngx_http_aigw_reject_model(r, ctx, id);
    }
    if (alcf->models->find(id) == nullptr) {
        return ngx_http_aigw_send_error(r, aigw::model_not_found_error(id));
    }
    return ngx_http_aigw_send_json(
        r, NGX_HTTP_OK,
        aigw::model_object_json(id, static_cast<long long>(alcf->models_created), owned_by));
}

ngx_int_t ngx_http_aigw_handler(ngx_http_request_t* r) noexcept {
    try {
        if (r != r->main) {
            // A subrequest landed in a gateway location: aigw_pass names a location that
            // does not exist, so the prefix fell through to this one.
            aigw::ngx::log_value uri(r->uri);
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "aigw: subrequest \"%*s\" reached a gateway location; "
                          "check that aigw_pass names an existing location",
                          uri.len, uri.data);
            return NGX_HTTP_NOT_FOUND;
        }
        ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
        if (ctx == nullptr || ngx_http_aigw_request_id(r) == nullptr) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->content.in_content = 1;
        // Settles the token counts when the request ends, however it ends (NGINX runs these
        // cleanups just before the log phase, so $aigw_* variables see final values).
        if (ngx_http_aigw_finish_at_end(r, ctx) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        std::string_view path = aigw::api_path(aigw::ngx::view(r->uri));
        const aigw::endpoint_info* ep = aigw::find_endpoint(path);
        if (ep == nullptr) {
            return ngx_http_aigw_send_error(
                r, aigw::unknown_endpoint_error(aigw::ngx::view(r->method_name),
                                                aigw::ngx::view(r->uri)));
        }
        ctx->content.endpoint = ep;

        // HEAD goes wherever GET does (RFC 9110 9.3.2).
        ngx_uint_t want = ep->method == aigw::http_method::post ? NGX_HTTP_POST
                                                                : (NGX_HTTP_GET | NGX_HTTP_HEAD);
        if (!(r->method & want)) {
            return ngx_http_aigw_send_error(
                r, aigw::method_not_allowed_error(aigw::ngx::view(r->method_name),
                                                  aigw::ngx::view(r->uri)));
        }

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0, "aigw: %V %V",
                       &r->method_name, &r->uri);

        auto* alcf = static_cast<ngx_http_aigw_loc_conf_t*>(
            ngx_http_get_module_loc_conf(r, ngx_http_aigw_module));
        if (alcf->models != nullptr && (ep->id == aigw::endpoint_id::models ||
                                        ep->id == aigw::endpoint_id::model_retrieve)) {
            ngx_int_t rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            return ngx_http_aigw_local_models(r, ctx, alcf, path);
        }

        if (ep->id == aigw::endpoint_id::model_retrieve) {
            std::string_view id = aigw::model_id_from_path(path);
            if (!ngx_http_aigw_model_allowed(ctx, id)) {
                return ngx_http_aigw_reject_model(r, ctx, id);
            }
        }
        ctx->content.filter_models =
            ep->id == aigw::endpoint_id::models && ngx_http_aigw_key_restricts_models(ctx);

        if (ep->has_json_body) {
            r->request_body_in_single_buf = 1;
            ngx_int_t rc = ngx_http_read_client_request_body(r, ngx_http_aigw_body_ready);
            if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
                return rc;
            }
            return NGX_DONE;
        }

        ngx_int_t rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        rc = ngx_http_aigw_start_upstream(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }
        // Hold the request for ngx_http_aigw_resume, as a body read would.
        r->main->count++;
        return NGX_DONE;
    } catch (...) {
        ngx_http_aigw_log_exception(r, "content handler");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}

// The body as one contiguous buffer with simdjson's padding after it, read from memory
// buffers or from the temp file NGINX spooled it to.
static u_char* ngx_http_aigw_body_bytes(ngx_http_request_t* r, size_t* len) {
    ngx_http_request_body_t* rb = r->request_body;
    size_t total = 0;
    if (rb != nullptr) {
        for (ngx_chain_t* cl = rb->bufs; cl; cl = cl->next) {
            total += static_cast<size_t>(ngx_buf_size(cl->buf));
        }
    }
    auto* data = static_cast<u_char*>(ngx_pnalloc(r->pool, total + aigw::json_padding));
    if (data == nullptr) {
        return nullptr;
    }
    u_char* p = data;
    if (rb != nullptr) {
        for (ngx_chain_t* cl = rb->bufs; cl; cl = cl->next) {
            ngx_buf_t* b = cl->buf;
            if (b->in_file) {
                size_t n = static_cast<size_t>(b->file_last - b->file_pos);
                ssize_t got = ngx_read_file(b->file, p, n, b->file_pos);
                if (got != static_cast<ssize_t>(n)) {
                    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                                  "aigw: short read of the request body file \"%V\"",
                                  &b->file->name);
                    return nullptr;
                }
                p += n;
            } else {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
            }
        }
    }
    ngx_memzero(p, aigw::json_padding);
    *len = total;
    return data;
}

static void ngx_http_aigw_body_ready(ngx_http_request_t* r) noexcept {
    try {
        ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
        if (ctx == nullptr) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
        size_t len = 0;
        u_char* data = ngx_http_aigw_body_bytes(r, &len);
        if (data == nullptr) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        aigw::request_fields f =
            aigw::parse_request(reinterpret_cast<const char*>(data), len,
                                len + aigw::json_padding, ctx->content.endpoint->model_required);
        aigw::api_error err;
        bool bad = true;
        switch (f.status) {
        case aigw::request_parse_status::ok:
            bad = false;
            break;
        case aigw::request_parse_status::invalid_json:
            err = aigw::invalid_json_error(f.error_detail);
            break;
        case aigw::request_parse_status::not_an_object:
            err = aigw::not_an_object_error();
            break;
        case aigw::request_parse_status::model_missing:
            err = aigw::missing_model_error();
            break;
        case aigw::request_parse_status::model_not_string:
            err = aigw::invalid_type_error("model", "a string", f.wrong_type);
            break;
        case aigw::request_parse_status::stream_not_bool:
            err = aigw::invalid_type_error("stream", "a boolean", f.wrong_type);
            break;
        case aigw::request_parse_status::model_too_long: {
            err = aigw::string_too_long_error("model", aigw::model_name_max, f.model_size);
            // The record and $aigw_model show what was refused, bounded and marked as cut.
            aigw::ngx::log_value shown(f.model, f.model_size);
            if (!aigw::ngx::pool_copy(r->pool, {shown.data, shown.len}, &ctx->content.model)) {
                ctx->content.model = ngx_null_string;
            }
            break;
        }
        case aigw::request_parse_status::duplicate_member:
            err = aigw::duplicate_member_error(f.duplicate);
            break;
        }
        if (bad) {
            // Messages of the parse errors quote no client bytes.
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "aigw: rejected request: %s",
                          err.message.c_str());
            ngx_http_finalize_request(r, ngx_http_aigw_send_error(r, err));
            return;
        }

        if (f.has_model) {
            if (!aigw::ngx::pool_copy(r->pool, f.model, &ctx->content.model)) {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }
        }
        ctx->content.stream = f.stream && ctx->content.endpoint->streamable;
        if (f.has_model && !ngx_http_aigw_model_allowed(ctx, f.model)) {
            ngx_http_finalize_request(r, ngx_http_aigw_reject_model(r, ctx, f.model));
            return;
        }

        ctx->content.client_body = data;
        ctx->content.client_body_len = len;
        ctx->content.model_token_begin = f.model_token_begin;
        ctx->content.model_token_end = f.model_token_end;
        ctx->content.has_stream_options = f.has_stream_options;
        ctx->content.stream_options_begin = f.stream_options_begin;
        auto* alcf = static_cast<ngx_http_aigw_loc_conf_t*>(
            ngx_http_get_module_loc_conf(r, ngx_http_aigw_module));
        if (alcf->models == nullptr) {
            ctx->attempt.upstream_model = ctx->content.model;  // aigw_pass: no mapping
        } else {
            const aigw::model_entry* entry = alcf->models->find(f.model);
            if (!f.has_model || entry == nullptr) {
                aigw::ngx::log_value m(ctx->content.model);
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "aigw: no aigw_model serves model \"%*s\"", m.len, m.data);
                ngx_http_finalize_request(
                    r, ngx_http_aigw_send_error(r, aigw::model_not_found_error(f.model)));
                return;
            }
            ctx->content.route = entry;
            ctx->content.ncandidates = entry->targets.size();
            ctx->content.candidates = static_cast<uint32_t*>(
                ngx_palloc(r->pool, ctx->content.ncandidates * sizeof(uint32_t)));
            if (ctx->content.candidates == nullptr) {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }
            for (size_t i = 0; i < ctx->content.ncandidates; i++) {
                ctx->content.candidates[i] = entry->targets[i].channel;
            }
        }

        auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
            ngx_http_get_module_main_conf(r, ngx_http_aigw_module));
        if (f.has_model && ngx_http_aigw_price_find(&amcf->prices, f.model, &ctx->content.price_value)) {
            ctx->content.price = &ctx->content.price_value;
        }
        // Pricing is on once any aigw_price is configured; a model without one is then
        // refused or free, as aigw_price_missing says. After routing: a model no route serves
        // is the client's mistake (404), not a missing price (500).
        if (f.has_model && ctx->content.price == nullptr && amcf->prices.table != nullptr) {
            if (amcf->price_missing == NGX_HTTP_AIGW_PRICE_MISSING_DENY) {
                aigw::ngx::log_value m(ctx->content.model);
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "aigw: no aigw_price for model \"%*s\" (aigw_price_missing deny)",
                              m.len, m.data);
                ctx->attempt.upstream_model = ngx_null_string;  // nothing goes upstream
                ngx_http_finalize_request(
                    r, ngx_http_aigw_send_error(r, aigw::model_price_missing_error(f.model)));
                return;
            }
        }

        ngx_http_aigw_billing_admit(r, ctx, f.max_tokens, f.choices, ngx_http_aigw_admitted);
    } catch (...) {
        ngx_http_aigw_log_exception(r, "request body handler");
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

// Billing let the request through (go), or answered it (finalize with rc).
static void ngx_http_aigw_admitted(ngx_http_request_t* r, bool go, ngx_int_t rc) {
    if (!go) {
        ngx_http_finalize_request(r, rc);
        return;
    }
    try {
        ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
        if (ctx == nullptr) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        } else if (ctx->content.route == nullptr) {
            rc = ngx_http_aigw_prepare_body(r, ctx, std::nullopt);
            if (rc == NGX_OK) {
                rc = ngx_http_aigw_start_upstream(r, ctx);
            }
        } else {
            ctx->attempt.started = ngx_current_msec;
            rc = ngx_http_aigw_next_attempt(r, ctx);
            if (rc == NGX_DECLINED) {
                // Cannot happen: a first pick always finds a channel (a forced one if need be).
                rc = ngx_http_aigw_send_error(r, aigw::upstream_unreachable_error());
            }
        }
    } catch (...) {
        ngx_http_aigw_log_exception(r, "admitted");
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
    }
}

// The body the next subrequest sends: `data` as one memory buffer.
static ngx_int_t ngx_http_aigw_set_upstream_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                                 u_char* data, size_t len) {
    auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(r->pool));
    ngx_chain_t* cl = ngx_alloc_chain_link(r->pool);
    if (b == nullptr || cl == nullptr) {
        return NGX_ERROR;
    }
    b->pos = data;
    b->last = data + len;
    b->start = b->pos;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;
    cl->buf = b;
    cl->next = nullptr;
    ctx->attempt.upstream_body = cl;
    ctx->attempt.upstream_body_len = static_cast<off_t>(len);
    return NGX_OK;
}

// The body of the next attempt: the client's bytes, with the model spliced to `upstream_model`
// when given, and stream_options.include_usage added to a stream so the upstream reports the
// usage (the filters strip that chunk again when the client did not ask for it).
static ngx_int_t ngx_http_aigw_prepare_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                            std::optional<std::string_view> upstream_model) {
    bool usage = ctx->content.stream && ctx->content.endpoint->streamable;
    if (!upstream_model && !usage) {
        return ngx_http_aigw_set_upstream_body(r, ctx, ctx->content.client_body, ctx->content.client_body_len);
    }
    aigw::request_fields f;
    f.status = aigw::request_parse_status::ok;
    f.has_model = upstream_model.has_value();
    f.model_token_begin = ctx->content.model_token_begin;
    f.model_token_end = ctx->content.model_token_end;
    f.has_stream_options = ctx->content.has_stream_options;
    f.stream_options_begin = ctx->content.stream_options_begin;
    aigw::rewritten_request rw = aigw::rewrite_request(
        {reinterpret_cast<const char*>(ctx->content.client_body), ctx->content.client_body_len}, f,
        upstream_model, usage);
    ctx->attempt.client_asked_usage = rw.client_asked_usage;
    ctx->attempt.inject_usage = usage && !rw.client_asked_usage;
    if (!rw.changed) {
        return ngx_http_aigw_set_upstream_body(r, ctx, ctx->content.client_body, ctx->content.client_body_len);
    }
    ngx_str_t body;
    if (!aigw::ngx::pool_copy(r->pool, rw.body, &body)) {
        return NGX_ERROR;
    }
    return ngx_http_aigw_set_upstream_body(r, ctx, body.data, body.len);
}

// The next channel for a routed request, its body (the model spliced to the channel's
// upstream name; every other byte as the client sent it) and its subrequest. NGX_DECLINED
// when no attempt is left: every candidate tried, aigw_fallback_attempts reached, or
// aigw_fallback_timeout passed.
static ngx_int_t ngx_http_aigw_next_attempt(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    auto* alcf = static_cast<ngx_http_aigw_loc_conf_t*>(
        ngx_http_get_module_loc_conf(r, ngx_http_aigw_module));
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_get_module_main_conf(r, ngx_http_aigw_module));
    size_t limit = ctx->content.ncandidates;
    if (alcf->fallback_attempts && alcf->fallback_attempts < limit) {
        limit = alcf->fallback_attempts;
    }
    if (ctx->attempt.attempts >= limit) {
        return NGX_DECLINED;
    }
    if (ctx->attempt.attempts && alcf->fallback_timeout &&
        ngx_current_msec - ctx->attempt.started >= alcf->fallback_timeout) {
        aigw::ngx::log_value m(ctx->content.model);
        ngx_http_aigw_log_limited(NGX_LOG_WARN, r->connection->log,
                                  ngx_http_aigw_log_kind("fallback_timeout", ctx->attempt.channel->name),
                                  "aigw: aigw_fallback_timeout passed for model \"%*s\" after %ui "
                                  "attempts",
                                  m.len, m.data, ctx->attempt.attempts);
        return NGX_DECLINED;
    }
    aigw::pick_result pick = ngx_http_aigw_channels_pick(&amcf->channels, ctx->content.candidates,
                                                         ctx->content.ncandidates, ctx->attempt.tried);
    if (!pick.found) {
        return NGX_DECLINED;
    }
    ctx->attempt.tried |= uint64_t{1} << pick.position;
    ctx->attempt.target = pick.position;
    ctx->attempt.picked_at = ngx_current_msec;
    ctx->attempt.channel = static_cast<ngx_http_aigw_channel_t*>(amcf->channels.channels.elts) + pick.channel;

    const std::string& up = ctx->content.route->targets[pick.position].upstream_model;
    std::string_view client_model = aigw::ngx::view(ctx->content.model);
    bool renamed = !up.empty() && up != client_model;
    if (renamed) {
        ctx->attempt.upstream_model.data = reinterpret_cast<u_char*>(const_cast<char*>(up.data()));
        ctx->attempt.upstream_model.len = up.size();
    } else {
        ctx->attempt.upstream_model = ctx->content.model;
    }
    ctx->attempt.rename_model = renamed && alcf->response_model == NGX_HTTP_AIGW_RESPONSE_MODEL_PUBLIC;
    if (pick.forced) {
        aigw::ngx::log_value m(ctx->content.model);
        ngx_http_aigw_log_limited(NGX_LOG_WARN, r->connection->log,
                                  ngx_http_aigw_log_kind("set_aside", ctx->attempt.channel->name),
                                  "aigw: every channel for model \"%*s\" is set aside; trying "
                                  "\"%V\" anyway",
                                  m.len, m.data, &ctx->attempt.channel->name);
    }
    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "aigw: attempt %ui: channel \"%V\", upstream model \"%V\"", ctx->attempt.attempts + 1,
                   &ctx->attempt.channel->name, &ctx->attempt.upstream_model);

    ngx_int_t rc = ngx_http_aigw_prepare_body(r, ctx, renamed ? std::optional<std::string_view>(up)
                                                              : std::nullopt);
    if (rc != NGX_OK) {
        return rc;
    }
    return ngx_http_aigw_start_upstream(r, ctx);
}

static bool ngx_http_aigw_dropped_header(const ngx_table_elt_t& h) {
    for (std::string_view name : ngx_http_aigw_dropped_headers) {
        if (aigw::ngx::name_is(h.key, name)) {
            return true;
        }
    }
    return false;
}

// The subrequest's own copy of the request headers, without what the upstream must not see,
// plus X-Request-Id so the upstream's logs carry the gateway's id.
static ngx_int_t ngx_http_aigw_upstream_headers(ngx_http_request_t* r, ngx_http_request_t* sr,
                                                const ngx_str_t& request_id) {
    // Sized for all of the client's headers plus ours, so the list is one allocation.
    ngx_uint_t n = 1;
    aigw::ngx::for_each_header(r->headers_in.headers, [&n](ngx_table_elt_t&) {
        n++;
        return true;
    });
    ngx_list_t* list = &sr->headers_in.headers;
    if (ngx_list_init(list, r->pool, n, sizeof(ngx_table_elt_t)) != NGX_OK) {
        return NGX_ERROR;
    }
    bool ok = true;
    aigw::ngx::for_each_header(r->headers_in.headers, [&](ngx_table_elt_t& h) {
        if (ngx_http_aigw_dropped_header(h)) {
            return true;
        }
        auto* copy = static_cast<ngx_table_elt_t*>(ngx_list_push(list));
        if (copy == nullptr) {
            ok = false;
            return false;
        }
        *copy = h;
        return true;
    });
    if (!ok) {
        return NGX_ERROR;
    }

    auto* id = static_cast<ngx_table_elt_t*>(ngx_list_push(list));
    if (id == nullptr) {
        return NGX_ERROR;
    }
    ngx_str_set(&id->key, "X-Request-Id");
    id->lowcase_key = (u_char*)"x-request-id";
    id->hash = ngx_hash_key(id->lowcase_key, id->key.len);
    id->value = request_id;
#if defined(nginx_version) && nginx_version >= 1023000
    id->next = nullptr;
#endif

    sr->headers_in.authorization = nullptr;
#if (NGX_HTTP_GZIP)
    sr->headers_in.accept_encoding = nullptr;
#endif
    return NGX_OK;
}

static ngx_int_t ngx_http_aigw_start_upstream(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    auto* alcf = static_cast<ngx_http_aigw_loc_conf_t*>(
        ngx_http_get_module_loc_conf(r, ngx_http_aigw_module));

    // The channel location sees its own prefix + the API path; its proxy_pass with a URI
    // part maps that back to the upstream's "/v1/...".
    const ngx_str_t& prefix = ctx->attempt.channel ? ctx->attempt.channel->location : alcf->pass;
    std::string_view path = aigw::api_path(aigw::ngx::view(r->uri));
    ngx_str_t uri;
    uri.len = prefix.len + path.size();
    uri.data = static_cast<u_char*>(ngx_pnalloc(r->pool, uri.len));
    if (uri.data == nullptr) {
        return NGX_ERROR;
    }
    ngx_memcpy(ngx_cpymem(uri.data, prefix.data, prefix.len), path.data(), path.size());

    auto* ps = static_cast<ngx_http_post_subrequest_t*>(
        ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t)));
    if (ps == nullptr) {
        return NGX_ERROR;
    }
    ps->handler = ngx_http_aigw_upstream_done;
    ps->data = ctx;

    ngx_http_request_t* sr = nullptr;
    if (ngx_http_subrequest(r, &uri, &r->args, &sr, ps, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ctx->content.endpoint->has_json_body) {
        sr->method = NGX_HTTP_POST;
        ngx_str_set(&sr->method_name, "POST");
        auto* rb = static_cast<ngx_http_request_body_t*>(
            ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t)));
        if (rb == nullptr) {
            return NGX_ERROR;
        }
        rb->bufs = ctx->attempt.upstream_body;
        sr->request_body = rb;
        sr->headers_in.content_length_n = ctx->attempt.upstream_body_len;
    } else {
        sr->request_body = nullptr;
        sr->headers_in.content_length_n = -1;
        if (r->method == NGX_HTTP_HEAD) {
            sr->method = NGX_HTTP_HEAD;
            ngx_str_set(&sr->method_name, "HEAD");
        }
    }
    sr->headers_in.chunked = 0;
    if (ngx_http_aigw_upstream_headers(r, sr, ctx->request_id) != NGX_OK) {
        return NGX_ERROR;
    }
    // Body filters parse what passes, so file buffers are read into memory first.
    sr->filter_need_in_memory = 1;
    ngx_http_set_ctx(sr, ctx, ngx_http_aigw_module);

    ctx->attempt.sr = sr;
    ctx->attempt.attempts++;
    ctx->attempt.sr_done = 0;
    ctx->attempt.sr_rc = NGX_OK;
    ctx->response.upstream_status = 0;
    ctx->response.swallow = 0;
    ctx->response.swallowed_status = 0;
    ctx->response.upstream_complete = 0;
    ctx->attempt.retryable = 0;
    ctx->attempt.retry_after_ms = 0;
    ctx->response.hold = nullptr;
    r->write_event_handler = ngx_http_aigw_resume;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0, "aigw: upstream subrequest \"%V\"",
                   &uri);
    return NGX_OK;
}

// Called as the subrequest finalizes (possibly more than once if its output was still
// buffered). Errors are kept for ngx_http_aigw_resume and swallowed here, so NGINX never
// renders its own error page for the subrequest.
static ngx_int_t ngx_http_aigw_upstream_done(ngx_http_request_t* sr, void* data,
                                             ngx_int_t rc) noexcept {
    auto* ctx = static_cast<ngx_http_aigw_ctx_t*>(data);
    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "aigw: upstream subrequest done rc:%i status:%ui", rc, ctx->response.upstream_status);
    if (ctx->attempt.sr != sr) {
        return rc;
    }
    ctx->attempt.sr_done = 1;
    if (rc != NGX_OK && rc != NGX_AGAIN) {
        ctx->attempt.sr_rc = rc;
    }
    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST || rc == NGX_HTTP_REQUEST_TIME_OUT ||
        sr->connection->error) {
        return rc;  // the client is gone: let NGINX terminate the whole request
    }
    return NGX_OK;
}

// The error a client gets when the upstream attempt failed before any byte was sent.
static aigw::api_error ngx_http_aigw_attempt_error(ngx_http_request_t* r,
                                                   ngx_http_aigw_ctx_t* ctx) {
    if (ctx->response.swallowed_status) {
        return aigw::upstream_bad_response_error(static_cast<int>(ctx->response.swallowed_status));
    }
    if (ctx->attempt.sr_rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        return aigw::upstream_timeout_error();
    }
    if (ctx->attempt.sr_rc == NGX_HTTP_NOT_FOUND || ctx->attempt.sr_rc == NGX_OK) {
        aigw::ngx::log_value uri(r->uri);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: the channel location for \"%*s\" produced no upstream response "
                      "(rc %i); check aigw_pass and the location's proxy_pass",
                      uri.len, uri.data, ctx->attempt.sr_rc);
    }
    return aigw::upstream_unreachable_error();
}

// Milliseconds a 429 or 503 asks the client to wait: retry-after-ms, or Retry-After as
// seconds or as an HTTP date. 0 when absent or unusable.
static uint64_t ngx_http_aigw_retry_after(ngx_http_request_t* sr) {
    std::string_view ra, ra_ms;
    aigw::ngx::for_each_header(sr->headers_out.headers, [&](ngx_table_elt_t& h) {
        if (h.hash == 0) {
            return true;
        }
        if (aigw::ngx::name_is(h.key, "retry-after")) {
            ra = aigw::ngx::view(h.value);
        } else if (aigw::ngx::name_is(h.key, "retry-after-ms")) {
            ra_ms = aigw::ngx::view(h.value);
        }
        return true;
    });
    if (std::optional<uint64_t> ms = aigw::parse_retry_after(ra, ra_ms)) {
        return *ms;
    }
    if (!ra.empty()) {
        time_t when = ngx_parse_http_time(reinterpret_cast<u_char*>(const_cast<char*>(ra.data())),
                                          ra.size());
        if (when != NGX_ERROR && when > ngx_time()) {
            return static_cast<uint64_t>(when - ngx_time()) * 1000;
        }
    }
    return 0;
}

bool ngx_http_aigw_attempt_answered(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                    ngx_uint_t status) {
    if (ctx->content.route == nullptr) {
        return false;
    }
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_get_module_main_conf(sr, ngx_http_aigw_module));
    if (status != NGX_HTTP_TOO_MANY_REQUESTS && status < NGX_HTTP_INTERNAL_SERVER_ERROR) {
        // An answer, even a 4xx that is the client's fault: the channel works.
        ngx_http_aigw_channels_succeeded(&amcf->channels, ctx->content.candidates[ctx->attempt.target],
                                         ctx->attempt.picked_at);
        return false;
    }
    if (status == NGX_HTTP_TOO_MANY_REQUESTS || status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        ctx->attempt.retry_after_ms = ngx_http_aigw_retry_after(sr);
    }
    ctx->attempt.retryable = 1;
    return true;
}

// The current attempt failed before any byte reached the client. Reports it to the router
// and starts the next attempt: NGX_OK when one started, NGX_DECLINED when none is left.
static ngx_int_t ngx_http_aigw_fallback(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                        aigw::attempt_failure failure) {
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_get_module_main_conf(r, ngx_http_aigw_module));
    if (failure == aigw::attempt_failure::status &&
        ctx->response.upstream_status == NGX_HTTP_TOO_MANY_REQUESTS) {
        ngx_http_aigw_channels_rate_limited(&amcf->channels, ctx->content.candidates[ctx->attempt.target],
                                            ctx->attempt.retry_after_ms);
    } else {
        ngx_http_aigw_channels_failed(&amcf->channels, ctx->content.candidates[ctx->attempt.target],
                                      ctx->attempt.retry_after_ms);
    }
    const char* what = failure == aigw::attempt_failure::timeout       ? "timed out"
                       : failure == aigw::attempt_failure::unreachable ? "could not be reached"
                                                                       : "answered";
    // One line a second per channel and failure class, with the count of the others.
    std::string kind = ngx_http_aigw_log_kind(what, ctx->attempt.channel->name);
    aigw::ngx::log_value m(ctx->content.model);
    if (failure == aigw::attempt_failure::status) {
        kind += '|' + std::to_string(ctx->response.upstream_status);
        ngx_http_aigw_log_limited(NGX_LOG_WARN, r->connection->log, kind,
                                  "aigw: channel \"%V\" %s HTTP %ui for model \"%*s\" (attempt "
                                  "%ui, retry after %uLms)",
                                  &ctx->attempt.channel->name, what, ctx->response.upstream_status, m.len, m.data,
                                  ctx->attempt.attempts, ctx->attempt.retry_after_ms);
    } else {
        ngx_http_aigw_log_limited(NGX_LOG_WARN, r->connection->log, kind,
                                  "aigw: channel \"%V\" %s for model \"%*s\" (attempt %ui, rc "
                                  "%i)",
                                  &ctx->attempt.channel->name, what, m.len, m.data, ctx->attempt.attempts,
                                  ctx->attempt.sr_rc);
    }
    ngx_int_t rc = ngx_http_aigw_next_attempt(r, ctx);
    if (rc == NGX_OK) {
        // A fresh attempt: what the failed one left behind does not carry over.
        ctx->response.own_response = 0;
        ctx->response.body_started = 0;
        ctx->response.sse = 0;
        ctx->response.sse_passthrough = 0;
    }
    return rc;
}

// Every attempt failed: the client gets the last one's status class, no channel names.
static ngx_int_t ngx_http_aigw_all_failed(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                          aigw::attempt_failure failure) {
    aigw::ngx::log_value m(ctx->content.model);
    ngx_http_aigw_log_limited(NGX_LOG_ERR, r->connection->log,
                              ngx_http_aigw_log_kind("all_failed", ctx->attempt.channel->name),
                              "aigw: all %ui attempts for model \"%*s\" failed; the last was "
                              "channel \"%V\"",
                              ctx->attempt.attempts, m.len, m.data, &ctx->attempt.channel->name);
    aigw::api_error e = aigw::all_channels_failed_error(
        aigw::ngx::view(ctx->content.model), static_cast<unsigned>(ctx->attempt.attempts), failure,
        static_cast<int>(ctx->response.upstream_status));
    if (e.status == NGX_HTTP_TOO_MANY_REQUESTS && ctx->attempt.retry_after_ms) {
        uint64_t ms = ctx->attempt.retry_after_ms < aigw::max_retry_after_ms ? ctx->attempt.retry_after_ms
                                                                      : aigw::max_retry_after_ms;
        if (ngx_http_aigw_set_retry_after(r, ms) != NGX_OK) {
            return NGX_ERROR;
        }
    }
    return ngx_http_aigw_send_error(r, e);
}

static void ngx_http_aigw_resume(ngx_http_request_t* r) noexcept {
    try {
        auto* ctx =
            static_cast<ngx_http_aigw_ctx_t*>(ngx_http_get_module_ctx(r, ngx_http_aigw_module));
        if (ctx == nullptr || ctx->attempt.sr == nullptr || !ctx->attempt.sr_done) {
            return;  // woken before the subrequest finished
        }
        ctx->attempt.sr = nullptr;
        r->write_event_handler = ngx_http_request_empty_handler;

        if (r->connection->error) {
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }

        if (!ctx->response.header_sent) {
            if (ctx->content.route != nullptr && (ctx->attempt.retryable || ctx->response.upstream_status == 0)) {
                // Nothing reached the client yet: another channel may still answer.
                aigw::attempt_failure failure =
                    ctx->attempt.retryable                            ? aigw::attempt_failure::status
                    : ctx->attempt.sr_rc == NGX_HTTP_GATEWAY_TIME_OUT ? aigw::attempt_failure::timeout
                                                              : aigw::attempt_failure::unreachable;
                if (failure == aigw::attempt_failure::unreachable &&
                    (ctx->attempt.sr_rc == NGX_HTTP_NOT_FOUND || ctx->attempt.sr_rc == NGX_OK)) {
                    ngx_http_aigw_log_limited(
                        NGX_LOG_ERR, r->connection->log,
                        ngx_http_aigw_log_kind("no_response", ctx->attempt.channel->name),
                        "aigw: channel \"%V\" (location \"%V\") produced no upstream "
                        "response (rc %i); check the location and its proxy_pass",
                        &ctx->attempt.channel->name, &ctx->attempt.channel->location, ctx->attempt.sr_rc);
                }
                ngx_int_t rc = ngx_http_aigw_fallback(r, ctx, failure);
                if (rc == NGX_OK) {
                    return;
                }
                if (rc != NGX_DECLINED) {
                    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                    return;
                }
                ngx_http_finalize_request(r, ngx_http_aigw_all_failed(r, ctx, failure));
                return;
            }
            ngx_http_finalize_request(
                r, ngx_http_aigw_send_error(r, ngx_http_aigw_attempt_error(r, ctx)));
            return;
        }

        if (!ctx->response.upstream_complete || ctx->attempt.sr_rc == NGX_ERROR ||
            ctx->attempt.sr_rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            aigw::ngx::log_value uri(r->uri);
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "aigw: upstream response for \"%*s\" was interrupted (rc %i)",
                          uri.len, uri.data, ctx->attempt.sr_rc);
            if (!ctx->response.sse) {
                // A truncated JSON body cannot be repaired: close so the client notices.
                r->keepalive = 0;
                ngx_http_finalize_request(r, NGX_ERROR);
                return;
            }
            ngx_http_finalize_request(
                r, ngx_http_aigw_send_sse_error(r, aigw::upstream_interrupted_error()));
            return;
        }
        ngx_http_finalize_request(r, ngx_http_send_special(r, NGX_HTTP_LAST));
    } catch (...) {
        ngx_http_aigw_log_exception(r, "resume");
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}
