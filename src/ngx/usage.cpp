// Usage accounting of one response; see usage.hpp.
#include "ngx/usage.hpp"

#include <new>
#include <optional>

#include "aigw/pricing.hpp"
#include "aigw/response_model.hpp"
#include "aigw/token_estimate.hpp"
#include "ngx/aigw_module.hpp"

static void ngx_http_aigw_body_delete(void* data) noexcept {
    delete static_cast<ngx_http_aigw_body_t*>(data);
}

ngx_http_aigw_body_t* ngx_http_aigw_body_create(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    r = r->main;
    if (ctx->body != nullptr) {
        // A previous attempt's state (its response was swallowed): start over in place.
        ctx->body->~ngx_http_aigw_body_t();
        new (ctx->body) ngx_http_aigw_body_t();
        return ctx->body;
    }
    ngx_pool_cleanup_t* cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == nullptr) {
        return nullptr;
    }
    auto* st = new (std::nothrow) ngx_http_aigw_body_t();
    if (st == nullptr) {
        return nullptr;
    }
    cln->handler = ngx_http_aigw_body_delete;
    cln->data = st;
    ctx->body = st;
    return st;
}

static void ngx_http_aigw_take_usage(ngx_http_aigw_body_t* st, const aigw::usage& u) {
    if (u.present) {
        st->reported = u;
    }
}

// OpenAI's chunks end in ,"usage":null}. When a chunk read as a JSON object (so its last '}'
// closes the top level) ends that way, that member is the top level's last one and goes
// without a second parse. Only for one-line data; anything else takes the full path.
static bool ngx_http_aigw_strip_trailing_null_usage(std::string_view raw, std::string_view data,
                                                    std::string* out) {
    static constexpr std::string_view tail = ",\"usage\":null}";
    while (!data.empty() && (data.back() == ' ' || data.back() == '\t')) {
        data.remove_suffix(1);
    }
    if (data.size() < tail.size() || data.substr(data.size() - tail.size()) != tail ||
        data.find('\n') != std::string_view::npos) {
        return false;
    }
    size_t at = raw.rfind(tail);
    if (at == std::string_view::npos) {
        return false;
    }
    out->assign(raw.data(), at);
    out->append(raw.substr(at + tail.size() - 1));  // from the closing brace on
    return true;
}

ngx_http_aigw_event_action ngx_http_aigw_account_event(ngx_http_aigw_ctx_t* ctx,
                                                       ngx_http_aigw_body_t* st,
                                                       const aigw::sse_event& e,
                                                       std::string_view raw) {
    if (!e.has_data || e.is_done) {
        return ngx_http_aigw_event_action::pass;
    }
    const aigw::usage_parser& parser = aigw::openai_usage_parser();
    st->text.clear();
    aigw::chunk_info ci = parser.read_chunk(e.data, &st->text);
    if (!ci.json_object) {
        return ngx_http_aigw_event_action::pass;
    }
    if (!st->text.empty()) {
        st->completion.add(st->text);
    }
    if (ci.content_bearing && ctx->t_first_token == 0) {
        ctx->t_first_token = ngx_current_msec;
        if (ctx->t_first_token == 0) {
            ctx->t_first_token = 1;
        }
    }
    ngx_http_aigw_take_usage(st, ci.tokens);
    if (ci.usage_only && ctx->inject_usage && !ctx->client_asked_usage) {
        // The chunk exists only because the gateway asked for it.
        return ngx_http_aigw_event_action::drop;
    }
    bool changed = false;
    if (ctx->inject_usage && !ctx->client_asked_usage) {
        // With include_usage OpenAI adds "usage":null to every chunk; without it, which is
        // what this client asked for, chunks have no usage member at all.
        if (ngx_http_aigw_strip_trailing_null_usage(raw, e.data, &st->out)) {
            changed = true;
        } else if (std::optional<std::string> s = aigw::strip_event_null_usage(raw)) {
            st->out = std::move(*s);
            changed = true;
        }
    }
    if (ctx->rename_model) {
        std::string_view cur = changed ? std::string_view(st->out) : raw;
        std::string renamed = aigw::rename_event_model(cur, aigw::ngx::view(ctx->model));
        if (renamed != cur) {
            st->out = std::move(renamed);
            changed = true;
        }
    }
    return changed ? ngx_http_aigw_event_action::replace : ngx_http_aigw_event_action::pass;
}

void ngx_http_aigw_account_json(ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st) {
    if (st->json_overflow) {
        return;
    }
    st->text.clear();
    aigw::usage u = aigw::openai_usage_parser().read_response(st->json, &st->text);
    ngx_http_aigw_take_usage(st, u);
    if (!st->text.empty()) {
        st->completion.add(st->text);
        if (ctx->t_first_token == 0) {
            ctx->t_first_token = ngx_current_msec;
        }
    }
}

static void ngx_http_aigw_count_tokens(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

void ngx_http_aigw_usage_final(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (ctx->usage_final) {
        return;
    }
    ctx->usage_final = 1;
    ngx_http_aigw_count_tokens(r, ctx);
    // A response the client got (whole, or until either side broke it off) is billed; an
    // error before any upstream answer, or the upstream's own error, is not.
    bool billable = ctx->header_sent && ctx->upstream_status < NGX_HTTP_BAD_REQUEST;
    if (billable && ctx->price != nullptr) {
        aigw::usage u;
        u.prompt_tokens = ctx->prompt_tokens;
        u.completion_tokens = ctx->completion_tokens;
        u.cached_tokens = ctx->cached_tokens;
        ctx->cost = aigw::request_cost(*ctx->price, u);
    }
}

static void ngx_http_aigw_count_tokens(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    ctx->t_end = ngx_current_msec;
    ngx_http_aigw_body_t* st = ctx->body;
    if (st == nullptr || !ctx->header_sent || ctx->upstream_status >= NGX_HTTP_BAD_REQUEST) {
        return;  // nothing produced: zero tokens
    }
    if (st->reported.present) {
        const aigw::usage& u = st->reported;
        ctx->prompt_tokens = u.prompt_tokens;
        ctx->completion_tokens = u.completion_tokens;
        ctx->total_tokens = u.total_tokens;
        ctx->cached_tokens = u.cached_tokens;
        ctx->reasoning_tokens = u.reasoning_tokens;
        return;
    }
    // The upstream reported nothing (an OpenAI-compatible server without usage, or a stream
    // cut before its last chunk): the record says estimated.
    int64_t prompt = 0;
    if (ctx->client_body != nullptr) {
        try {
            prompt = aigw::estimate_prompt_tokens(
                {reinterpret_cast<const char*>(ctx->client_body), ctx->client_body_len});
        } catch (...) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "aigw: prompt estimate failed");
        }
    }
    aigw::usage u = aigw::estimated_usage(prompt, st->completion.tokens());
    ctx->prompt_tokens = u.prompt_tokens;
    ctx->completion_tokens = u.completion_tokens;
    ctx->total_tokens = u.total_tokens;
    ctx->usage_estimated = 1;
}
