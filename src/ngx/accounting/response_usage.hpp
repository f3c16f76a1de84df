// Usage accounting of one response, as its bytes pass the body filters: the SSE framer and
// the usage reader for streams, the kept body for JSON (the usage scanner past the keep bound).
// The per-request state is C++ (strings, vectors) and lives behind a pointer in the context,
// deleted by a request pool cleanup.
//
// The text the model produced is kept as it passes, not counted: counting (the tokenizer, some
// 1 us per 50 to 100 bytes) runs once, as the request ends, and only when the upstream's usage
// does not say it already: none came, or a stream was cut before its last counts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aigw/text/sse_framer.hpp"
#include "aigw/accounting/token_estimate.hpp"
#include "aigw/accounting/tokenizer.hpp"
#include "aigw/api/stream.hpp"
#include "aigw/api/usage.hpp"
#include "aigw/text/usage_scanner.hpp"
#include "ngx/ngx.hpp"

struct ngx_http_aigw_ctx_t;

// The most of a JSON response kept whole for reading its usage (and the generated text, counted
// when there is none) and for renaming its model. A larger one is read by the usage scanner as
// it passes, so its usage is still exact; no text is collected from it.
inline constexpr size_t ngx_http_aigw_json_keep_max = 16 * 1024 * 1024;

struct ngx_http_aigw_body_t {
    // Streams.
    aigw::sse_framer framer;
    std::vector<aigw::sse_event> events;
    uint64_t pos = 0;        // stream offset of the next byte fed to the framer
    uint64_t decided = 0;    // stream offset up to which bytes went out or were dropped
    std::string out;         // scratch for rewritten output
    // The output's text as the usage reader found it (content, reasoning, tool-call names and
    // arguments), appended chunk by chunk or from the whole JSON answer: counted at the end
    // only when the upstream's usage does not cover it. Freed with the request.
    std::string generated;
    // A stream's text past ngx_http_aigw_json_keep_max bytes is not kept: it is estimated as it
    // passes (a bound on the memory one request holds, far above any model's output).
    aigw::token_counter generated_overflow;
    bool framing_failed = false;
    // A stream whose reader allows it (usage_parser::defers_unreported_chunks: OpenAI chat,
    // Anthropic, Responses; not an images stream) reads only the chunks that may report usage
    // once its first output was seen, translated or not: the others' text is needed only when
    // the stream ends without usage, or cut short. Their data waits here in order (sizes in deferred_sizes), up to
    // ngx_http_aigw_json_keep_max bytes, and is read when needed (or when the bound is near,
    // and then every chunk is read as it comes again).
    bool defer_ok = false;
    std::string deferred;
    std::vector<uint32_t> deferred_sizes;
    // The upstream dialect's reader of this stream's usage, which may come in pieces.
    std::unique_ptr<aigw::stream_usage> stream_usage;
    // The public model as a JSON string, made once for the chunks renamed where their read
    // found the model (quoted_model_state: 0 not made yet, 1 made, 2 not UTF-8: not renamed).
    std::string quoted_model;
    int quoted_model_state = 0;

    // Translation (attempt.translate): the upstream's events -> the pivot -> the client's.
    std::unique_ptr<aigw::api::stream_decoder> decoder;
    std::unique_ptr<aigw::api::stream_encoder> encoder;
    std::vector<aigw::api::event> decoded;
    bool translated_done = false;    // the client got the end of its stream

    // JSON responses: kept whole up to the bound, then scanned.
    std::string json;
    bool json_overflow = false;
    // Where the kept answer's top-level model is, when its usage read found it (the model
    // renamed from there, without parsing the answer again).
    aigw::usage_parser::model_token json_model;
    aigw::usage_scanner json_scan;

    aigw::usage reported;    // the upstream's own counts, when it gave them
};

enum class ngx_http_aigw_event_action { pass, drop, replace };

// Creates the state for the current attempt's response (replacing a previous one), with the
// usage reader of the upstream's dialect. May throw std::bad_alloc.
ngx_http_aigw_body_t* ngx_http_aigw_body_create(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// Reads one whole SSE event: usage, time to first token, the generated text. Says what
// the client gets: the event as it came, nothing (the usage-only chunk the client did not ask
// for), or `st->out` (the event with the public model name). A translated stream's events are
// only read here: the filters translate them (filters/translate.hpp).
ngx_http_aigw_event_action ngx_http_aigw_account_event(ngx_http_aigw_ctx_t* ctx,
                                                       ngx_http_aigw_body_t* st,
                                                       const aigw::sse_event& e,
                                                       std::string_view raw);

// The next bytes of a JSON response: kept while it fits the bound, scanned past it.
void ngx_http_aigw_json_bytes(ngx_http_aigw_body_t* st, const u_char* p, size_t n);

// A JSON response ended: reads its usage (from the kept body, or from the scanner).
void ngx_http_aigw_account_json(ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st);

// The client got a response to bill: the upstream's answer, whole or until either side broke
// it off (not an error before any upstream answer, not the upstream's own error).
bool ngx_http_aigw_billable(const ngx_http_aigw_ctx_t* ctx);

// The encoder a request's tokens are counted with, null for the estimate: aigw_tokenizer's
// entry for the public model, else OpenAI's table on the public model, else on the upstream
// model name (the current attempt's; before any, the route's first target's).
const aigw::tokenizer::encoder* ngx_http_aigw_encoder(const ngx_http_aigw_ctx_t* ctx);

// The prompt's tokens in the client's body (0 without one), exact where the model's encoding
// is known (content.prompt_exact): counted once per request, when the first thing needs it (a
// reservation, counts the upstream did not report, a token count the gateway answers).
int64_t ngx_http_aigw_prompt_tokens(ngx_http_aigw_ctx_t* ctx);

// The request's token counts into the context: the upstream's, else counted (finish.cpp
// calls it once, as the request ends), and usage.counted_by.
void ngx_http_aigw_count_tokens(ngx_http_aigw_ctx_t* ctx);

// "upstream", "tokenizer", "estimate": the usage record's counted_by.
std::string_view ngx_http_aigw_counted_by_name(unsigned counted_by) noexcept;
