// Usage accounting of one response; see response_usage.hpp.
#include "ngx/accounting/response_usage.hpp"

#include <optional>
#include <stdexcept>

#include "aigw/accounting/prompt_count.hpp"
#include "aigw/accounting/token_estimate.hpp"
#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/dialects/openai_chat/response.hpp"
#include "aigw/dialects/openai_responses/usage.hpp"
#include "aigw/media/video_object.hpp"
#include "aigw/routing/model_map.hpp"
#include "aigw/text/json_splice.hpp"
#include "aigw/text/sse_data.hpp"
#include "aigw/accounting/encoding_table.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/util/pool.hpp"

// The reader of the answer's usage: the upstream dialect's, or for images the Responses API's
// form ("input_tokens", "output_tokens"), which gpt-image answers and their streams' completed
// events carry at their top level.
static const aigw::usage_parser& ngx_http_aigw_usage_reader(const ngx_http_aigw_ctx_t* ctx) {
    if (ctx->content.endpoint != nullptr && aigw::is_image_endpoint(ctx->content.endpoint->id)) {
        return aigw::responses::usage_reader();
    }
    return ngx_http_aigw_upstream_dialect(ctx).usage_reader();
}

// An images answer: how many images it holds, and the size and quality a gpt-image answer
// says it made (what per-image prices are looked up by).
static void ngx_http_aigw_count_images(ngx_http_aigw_ctx_t* ctx, const ngx_http_aigw_body_t* st) {
    if (ctx->content.endpoint == nullptr || !aigw::is_image_endpoint(ctx->content.endpoint->id) ||
        st->json_overflow) {
        return;
    }
    aigw::image_response a = aigw::read_image_response(st->json);
    if (!a.ok) {
        return;
    }
    ctx->media.images = a.count;
    ngx_pool_t* pool = ctx->main->pool;
    if (!aigw::ngx::pool_copy(pool, a.size, &ctx->media.answered_size) ||
        !aigw::ngx::pool_copy(pool, a.quality, &ctx->media.answered_quality)) {
        ctx->media.answered_size.len = 0;
        ctx->media.answered_quality.len = 0;
    }
}

ngx_http_aigw_body_t* ngx_http_aigw_body_create(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    r = r->main;
    if (ctx->usage.body != nullptr) {
        // A previous attempt's state (its response was swallowed): start over in place.
        ctx->usage.body->~ngx_http_aigw_body_t();
        new (ctx->usage.body) ngx_http_aigw_body_t();
    } else {
        ctx->usage.body = aigw::ngx::pool_new<ngx_http_aigw_body_t>(r->pool);
        if (ctx->usage.body == nullptr) {
            return nullptr;
        }
    }
    ngx_http_aigw_body_t* st = ctx->usage.body;
    st->stream_usage = ngx_http_aigw_usage_reader(ctx).stream_reader();
    // An images stream is not deferred: its events carry whole images, and are few.
    st->defer_ok = ngx_http_aigw_usage_reader(ctx).defers_unreported_chunks() &&
                   (ctx->content.endpoint == nullptr ||
                    !aigw::is_image_endpoint(ctx->content.endpoint->id));
    return st;
}

static void ngx_http_aigw_take_usage(ngx_http_aigw_body_t* st, const aigw::usage& u) {
    if (u.present) {
        st->reported = u;
    }
}

// A chunk's text into st->generated, up to the bound; past it, estimated as it passes.
static void ngx_http_aigw_keep_text(ngx_http_aigw_body_t* st, size_t kept) {
    if (st->generated.size() > ngx_http_aigw_json_keep_max) {
        // Past the bound this chunk's text (whole characters) is estimated, not kept.
        st->generated_overflow.add(std::string_view(st->generated).substr(kept));
        st->generated.resize(kept);
    }
}

// The deferred chunks' text, read now in their order, as each would have been read as it came.
static void ngx_http_aigw_read_deferred(ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st) {
    const aigw::usage_parser& reader = ngx_http_aigw_usage_reader(ctx);
    size_t at = 0;
    for (uint32_t n : st->deferred_sizes) {
        size_t kept = st->generated.size();
        aigw::chunk_info ci = reader.read_chunk(std::string_view(st->deferred).substr(at, n),
                                                &st->generated);
        if (!ci.json_object) {
            st->generated.resize(kept);
        } else {
            ngx_http_aigw_keep_text(st, kept);
        }
        at += n;
    }
    std::string().swap(st->deferred);
    std::vector<uint32_t>().swap(st->deferred_sizes);
}

// The chunk's model renamed at the token its read found (usage_parser::read_chunk_model) in
// `cur`, the event as it goes on so far (`raw`, or st->out when only its end was cut): into
// st->out, and `changed` set when that renamed it. False when it cannot be done here (not one
// data line, not the same bytes there, a model name that is not UTF-8): the client's dialect
// renames the event then, parsing it.
static bool ngx_http_aigw_rename_at_token(ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st,
                                          std::string_view data, std::string_view cur,
                                          aigw::model_token token, bool* changed) {
    std::optional<std::string_view> payload = aigw::single_data_payload(cur);
    size_t n = token.end - token.begin;
    if (!payload || token.end > payload->size() || token.end > data.size() ||
        payload->substr(token.begin, n) != data.substr(token.begin, n)) {
        return false;
    }
    if (st->quoted_model_state == 0) {
        try {
            st->quoted_model = aigw::json_quote(aigw::ngx::view(ctx->content.model));
            st->quoted_model_state = 1;
        } catch (const std::invalid_argument&) {
            st->quoted_model_state = 2;
        }
    }
    if (st->quoted_model_state != 1) {
        return false;
    }
    if (data.substr(token.begin, n) == st->quoted_model) {
        return true;  // already the public name
    }
    size_t at = static_cast<size_t>(payload->data() - cur.data()) + token.begin;
    if (*changed) {
        st->out.replace(at, n, st->quoted_model);  // cur is st->out
    } else {
        st->out.assign(cur.data(), at);
        st->out += st->quoted_model;
        st->out.append(cur.substr(at + n));
    }
    *changed = true;
    return true;
}

ngx_http_aigw_event_action ngx_http_aigw_account_event(ngx_http_aigw_ctx_t* ctx,
                                                       ngx_http_aigw_body_t* st,
                                                       const aigw::sse_event& e,
                                                       std::string_view raw) {
    if (!e.has_data || e.is_done) {
        return ngx_http_aigw_event_action::pass;
    }
    // A passthrough stream whose model is renamed, read by a reader that finds the model: each
    // chunk is read whole, and renamed where that read found its model (no second parse).
    bool rename_by_token = ctx->attempt.rename_model && !ctx->attempt.translate &&
                           ngx_http_aigw_usage_reader(ctx).reads_model_token();
    aigw::model_token token;
    aigw::chunk_info ci;
    if (st->defer_ok && ctx->usage.t_first_token != 0 &&
        st->deferred.size() + e.data.size() <= ngx_http_aigw_json_keep_max) {
        // Past the first output: what the client gets does not depend on this chunk's text,
        // and its usage is read only when it may have some (or its model is renamed).
        if (rename_by_token) {
            ci = st->stream_usage->read_chunk_model(e.data, nullptr, &token);
        } else if (aigw::chunk_may_report_usage(e.data)) {
            ci = st->stream_usage->read_chunk(e.data, nullptr);
        } else {
            ci.json_object = true;
        }
        if (ci.json_object) {
            st->deferred.append(e.data);
            st->deferred_sizes.push_back(static_cast<uint32_t>(e.data.size()));
        }
    } else {
        if (!st->deferred.empty()) {
            ngx_http_aigw_read_deferred(ctx, st);  // the bound is near: in order, from here on
            st->defer_ok = false;
        }
        // The chunk's text is appended where it is kept: no copy, nothing counted here.
        size_t kept = st->generated.size();
        ci = st->stream_usage->read_chunk_model(e.data, &st->generated, &token);
        if (!ci.json_object) {
            st->generated.resize(kept);
        } else {
            ngx_http_aigw_keep_text(st, kept);
        }
    }
    if (!ci.json_object) {
        return ngx_http_aigw_event_action::pass;
    }
    if (aigw::is_image_endpoint(ctx->content.endpoint->id)) {
        // image_generation.completed / image_edit.completed: one per image made; a partial
        // image is the first output.
        std::string_view type = e.type;
        bool completed = type.size() > 10 && type.substr(type.size() - 10) == ".completed";
        if (completed) {
            ctx->media.images++;
        }
        ci.content_bearing = completed || type.find("partial_image") != std::string_view::npos;
    }
    if (ci.content_bearing && ctx->usage.t_first_token == 0) {
        ctx->usage.t_first_token = ngx_current_msec;
        if (ctx->usage.t_first_token == 0) {
            ctx->usage.t_first_token = 1;
        }
    }
    ngx_http_aigw_take_usage(st, st->stream_usage->total());
    if (ctx->attempt.translate) {
        return ngx_http_aigw_event_action::pass;  // the filters translate it (translate.hpp)
    }
    if (ci.usage_only && ctx->attempt.inject_usage && !ctx->attempt.client_asked_usage) {
        // The chunk exists only because the gateway asked for it.
        return ngx_http_aigw_event_action::drop;
    }
    bool changed = false;
    bool tail_only = true;  // what changed so far is the chunk's end: token offsets still hold
    if (ctx->attempt.inject_usage && !ctx->attempt.client_asked_usage) {
        // OpenAI chat streams only (the one passthrough change besides the model): with
        // include_usage OpenAI adds "usage":null to every chunk; without it, which is
        // what this client asked for, chunks have no usage member at all.
        // The chunk read as an object above, or began with '{' and may report no usage
        // (a chunk whose text waits is not read): the parse-free form needs an object.
        if (aigw::strip_event_trailing_null_usage(raw, e.data, st->out)) {
            changed = true;
        } else if (std::optional<std::string> s = aigw::strip_event_null_usage(raw)) {
            st->out = std::move(*s);
            changed = true;
            tail_only = false;
        }
    }
    if (ctx->attempt.rename_model && token.found() && tail_only &&
        ngx_http_aigw_rename_at_token(ctx, st, e.data, changed ? std::string_view(st->out) : raw,
                                      token, &changed)) {
        return changed ? ngx_http_aigw_event_action::replace : ngx_http_aigw_event_action::pass;
    }
    if (ctx->attempt.rename_model) {
        std::string_view cur = changed ? std::string_view(st->out) : raw;
        std::optional<std::string> renamed = ngx_http_aigw_client_dialect(ctx).rename_event_model(
            cur, aigw::ngx::view(ctx->content.model));
        if (renamed) {
            st->out = std::move(*renamed);
            changed = true;
        }
    }
    return changed ? ngx_http_aigw_event_action::replace : ngx_http_aigw_event_action::pass;
}

void ngx_http_aigw_json_bytes(ngx_http_aigw_body_t* st, const u_char* p, size_t n) {
    const char* bytes = reinterpret_cast<const char*>(p);
    if (!st->json_overflow && st->json.size() + n <= ngx_http_aigw_json_keep_max) {
        st->json.append(bytes, n);
        return;
    }
    if (!st->json_overflow) {
        // Past the bound: what was kept is scanned first, and no longer kept.
        st->json_overflow = true;
        st->json_scan.feed(st->json);
        std::string().swap(st->json);
    }
    st->json_scan.feed({bytes, n});
}

void ngx_http_aigw_account_json(ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st) {
    if (st->json_overflow) {
        // No generated text is collected past the bound (the scanner reads only the usage):
        // without usage such an answer's completion counts 0.
        ngx_http_aigw_take_usage(
            st, st->json_scan.finish(ngx_http_aigw_usage_reader(ctx)));
        return;
    }
    st->generated.clear();
    // A model to rename is found by this parse too (json_body.cpp).
    aigw::usage u = ngx_http_aigw_usage_reader(ctx).read_response_model(st->json, &st->generated,
                                                                         &st->json_model);
    ngx_http_aigw_take_usage(st, u);
    ngx_http_aigw_count_images(ctx, st);
    if (!st->generated.empty()) {
        if (ctx->usage.t_first_token == 0) {
            ctx->usage.t_first_token = ngx_current_msec;
        }
    }
}

const aigw::tokenizer::encoder* ngx_http_aigw_encoder(const ngx_http_aigw_ctx_t* ctx) {
    std::string_view upstream = aigw::ngx::view(ctx->attempt.upstream_model);
    const aigw::model_entry* route = ctx->content.route;
    if (upstream.empty() && route != nullptr && !route->targets.empty()) {
        upstream = route->targets.front().upstream_model;  // empty: the public name
    }
    return aigw::tokenizer::encoder::get(aigw::tokenizer::resolve_encoding(
        ngx_http_aigw_main_conf(ctx->main)->tokenizers, aigw::ngx::view(ctx->content.model),
        upstream));
}

int64_t ngx_http_aigw_prompt_tokens(ngx_http_aigw_ctx_t* ctx) {
    ngx_http_aigw_content_part_t& c = ctx->content;
    if (!c.prompt_counted) {
        const aigw::tokenizer::encoder* enc = ngx_http_aigw_encoder(ctx);
        c.prompt_tokens =
            c.client_body == nullptr
                ? 0
                : aigw::count_request_prompt(
                      enc, c.dialect,
                      {reinterpret_cast<const char*>(c.client_body), c.client_body_len}, c.pivot,
                      true);
        c.prompt_exact = enc != nullptr;
        c.prompt_counted = 1;
    }
    return c.prompt_tokens;
}

bool ngx_http_aigw_billable(const ngx_http_aigw_ctx_t* ctx) {
    return ctx->response.header_sent && ctx->response.upstream_status < NGX_HTTP_BAD_REQUEST;
}

// The tokens of the text the client was sent: exact with an encoder, unless part of it was past
// the kept bound (then `exact` is false).
static int64_t ngx_http_aigw_generated_tokens(const ngx_http_aigw_body_t* st,
                                              const aigw::tokenizer::encoder* enc, bool& exact) {
    int64_t past = st->generated_overflow.tokens();
    exact = enc != nullptr && past == 0;
    return aigw::saturating_add(aigw::count_tokens(enc, st->generated), past);
}

std::string_view ngx_http_aigw_counted_by_name(unsigned counted_by) noexcept {
    switch (counted_by) {
    case NGX_HTTP_AIGW_COUNTED_BY_TOKENIZER:
        return "tokenizer";
    case NGX_HTTP_AIGW_COUNTED_BY_ESTIMATE:
        return "estimate";
    default:
        return "upstream";
    }
}

void ngx_http_aigw_count_tokens(ngx_http_aigw_ctx_t* ctx) {
    ctx->usage.t_end = ngx_current_msec;
    ctx->usage.counted_by = NGX_HTTP_AIGW_COUNTED_BY_UPSTREAM;
    ngx_http_aigw_body_t* st = ctx->usage.body;
    if (st == nullptr || !ngx_http_aigw_billable(ctx)) {
        return;  // nothing produced: zero tokens
    }
    if (!st->deferred_sizes.empty() &&
        (!st->reported.present || (ctx->response.sse && !ctx->response.upstream_complete))) {
        // The text counts: no usage, or a stream cut short.
        ngx_http_aigw_read_deferred(ctx, st);
    }
    if (st->reported.present) {
        // The common path: the upstream's counts, and no tokenizer.
        const aigw::usage& u = st->reported;
        ctx->usage.prompt_tokens = u.prompt_tokens;
        ctx->usage.completion_tokens = u.completion_tokens;
        ctx->usage.total_tokens = u.total_tokens;
        ctx->usage.cached_tokens = u.cached_tokens;
        ctx->usage.cache_write_tokens = u.cache_write_tokens;
        ctx->usage.reasoning_tokens = u.reasoning_tokens;
        // A stream cut before its last usage (Anthropic reports the input counts first and the
        // output at the end; Gemini's chunks carry the counts so far) is charged what it
        // produced, when that is more than the counts said. A token is at least one byte of
        // valid UTF-8, so text no longer than the reported count cannot be more: not counted.
        if (ctx->response.sse && !ctx->response.upstream_complete &&
            (static_cast<int64_t>(st->generated.size()) > u.completion_tokens ||
             st->generated_overflow.tokens() != 0)) {
            bool exact;
            int64_t produced = ngx_http_aigw_generated_tokens(st, ngx_http_aigw_encoder(ctx), exact);
            if (produced > u.completion_tokens) {
                ctx->usage.completion_tokens = produced;
                ctx->usage.total_tokens = aigw::saturating_add(u.prompt_tokens, produced);
                ctx->usage.counted_by = exact ? NGX_HTTP_AIGW_COUNTED_BY_TOKENIZER
                                              : NGX_HTTP_AIGW_COUNTED_BY_ESTIMATE;
            }
        }
        return;
    }
    // The upstream reported nothing (an OpenAI-compatible server without usage, a stream cut or
    // left before its last chunk): the gateway counts the prompt and the text it passed on.
    bool exact;
    int64_t completion = ngx_http_aigw_generated_tokens(st, ngx_http_aigw_encoder(ctx), exact);
    aigw::usage u = aigw::estimated_usage(ngx_http_aigw_prompt_tokens(ctx), completion);
    ctx->usage.prompt_tokens = u.prompt_tokens;
    ctx->usage.completion_tokens = u.completion_tokens;
    ctx->usage.total_tokens = u.total_tokens;
    ctx->usage.counted_by = exact && ctx->content.prompt_exact
                                ? NGX_HTTP_AIGW_COUNTED_BY_TOKENIZER
                                : NGX_HTTP_AIGW_COUNTED_BY_ESTIMATE;
}
