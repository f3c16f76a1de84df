// The per-request context: one object shared by the main request and its upstream
// subrequests (each attempt's subrequest points to the same object). It is made of parts,
// each written by one phase of the request (the folder named on it) and read by the later
// ones. It lives in the request pool and is trivially destructible: what needs a destructor
// (the response's C++ state, the key record) is held by pool cleanups.
#pragma once

#include <cstdint>
#include <type_traits>

#include "aigw/accounting/pricing.hpp"
#include "aigw/dialects/dialect_id.hpp"
#include "ngx/ngx.hpp"

namespace aigw {
class dialect;
struct endpoint_info;
struct key_record;
struct model_entry;
namespace api {
struct request;
}
}
struct ngx_http_aigw_billing_t;
struct ngx_http_aigw_body_t;
struct ngx_http_aigw_channel_t;
struct ngx_http_aigw_redis_call_t;
struct ngx_http_aigw_task_t;
struct ngx_http_aigw_translation_t;

enum class ngx_http_aigw_auth_state : unsigned { none, waiting, done };

// access/: the client key.
struct ngx_http_aigw_access_part_t {
    ngx_http_aigw_auth_state auth_state;
    ngx_int_t auth_rc;                       // the access phase's answer once done
    ngx_http_aigw_redis_call_t* redis_call;  // pending HGETALL, cancelled by a pool cleanup
    const aigw::key_record* key;             // the valid key's record (held by a pool cleanup)
    ngx_str_t key_masked;                    // "sk-aigw-…abcd", never the key itself
    ngx_str_t query_key;                     // a ?key= credential, taken out of the query
    u_char key_digest[32];                   // sha256 of the key: the cache's and Redis's id
};

// content/: the request as the client sent it, and what the content phase decided about it:
// its endpoint, its route and its price.
struct ngx_http_aigw_content_part_t {
    const aigw::endpoint_info* endpoint;
    aigw::dialect_id dialect;                // what the client speaks: its endpoint's (zero:
                                             // OpenAI's until the endpoint is known)
    ngx_str_t model;                         // as the client named it
    u_char* client_body;                     // the body as the client sent it (padded)
    size_t client_body_len;
    size_t model_token_begin;                // parse_request's offsets in client_body
    size_t model_token_end;
    size_t stream_options_begin;
    // Routing (aigw_model): the entry serving the model and its channels in order.
    const aigw::model_entry* route;          // nullptr: aigw_pass, a single fixed location
    uint32_t* candidates;                    // channel indexes, the entry's targets in order
    size_t ncandidates;
    const aigw::model_price* price;          // the model's price, if any: &price_value
    aigw::model_price price_value;           // as it was when the request came
    int64_t prompt_tokens;                   // tokens of client_body, once prompt_counted
    // The request as the pivot, read once when a candidate channel speaks another dialect
    // than the client (held by a pool cleanup); nullptr otherwise.
    ngx_http_aigw_translation_t* translation;
    const aigw::api::request* pivot;         // translation's request, which accounting/ counts
                                             // the prompt of rather than read the body again

    unsigned classified:1;                   // endpoint and dialect are set (for_path)
    unsigned in_content:1;                   // the content handler ran: the request gets a record
    unsigned stream:1;                       // request asked for stream:true
    unsigned has_stream_options:1;
    unsigned filter_models:1;                // /v1/models: keep only the key's models
    unsigned prompt_counted:1;               // accounting/ counted prompt_tokens ...
    unsigned prompt_exact:1;                 // ... with the model's tokenizer, not the estimate
};

// One attempt that ended (routed requests only: an aigw_pass request has no channel).
struct ngx_http_aigw_try_t {
    uint32_t channel;          // index into amcf->channels.channels
    uint32_t header_ms;        // from the pick to the upstream's response head; UINT32_MAX: no head
    uint32_t duration_ms;      // from the pick to the attempt's end
    uint16_t upstream_status;  // 0: no head
    uint8_t outcome;           // aigw::attempt_outcome
    uint8_t swallowed;         // 1: it failed and another channel was tried; the client never saw it
};

// proxy/: the current attempt (a channel, its body and its subrequest) and the tries so far.
struct ngx_http_aigw_attempt_part_t {
    ngx_http_request_t* sr;                  // the current attempt's subrequest
    ngx_chain_t* upstream_body;              // what the subrequest sends
    off_t upstream_body_len;
    ngx_int_t sr_rc;                         // what finalized the subrequest
    uint64_t tried;                          // bit i: content.candidates[i] was tried
    uint64_t excluded;                       // bit i: content.candidates[i] cannot serve it
    ngx_http_aigw_channel_t* channel;        // the current attempt's channel
    size_t target;                           // its index in content.route->targets
    ngx_str_t upstream_model;                // the model name the current attempt sends
    ngx_msec_t started;                      // when the first attempt started
    ngx_msec_t picked_at;
    ngx_uint_t attempts;
    uint64_t retry_after_ms;                 // from the current attempt's 429, 0 if none
    ngx_http_aigw_try_t* tries;              // the attempts in order (request pool, ncandidates long)
    ngx_uint_t ntries;                       // attempts that ended

    unsigned sr_done:1;                      // subrequest finished, main may resume
    unsigned retryable:1;                    // this attempt failed in a way another may fix
    unsigned rename_model:1;                 // name the public model in the response
    unsigned inject_usage:1;                 // stream_options.include_usage added for us
    unsigned client_asked_usage:1;           // the client set include_usage itself
    unsigned translate:1;                    // the channel speaks another dialect than the
                                             // client: request and answer go through the pivot
    unsigned try_open:1;                     // tries[ntries] is the running attempt (tries.cpp)
};

// filters/: the response as it passes the filters. The upstream's head decides what happens
// to its body; a stream passes whole events only, an unfinished one waiting in `hold`.
struct ngx_http_aigw_response_part_t {
    ngx_uint_t upstream_status;              // status line the upstream sent, 0 if none
    ngx_uint_t swallowed_status;             // upstream error whose non-JSON body we dropped
    ngx_chain_t* hold;                       // the unfinished event's bytes (our buffer)
    ngx_chain_t* free;                       // our buffers, sent and reusable
    ngx_chain_t* busy;                       // our buffers still being sent

    unsigned own_response:1;                 // main's headers come from us, not an NGINX page
    unsigned header_sent:1;                  // main's headers went to the client
    unsigned swallow:1;                      // drop the subrequest's body
    unsigned keep_swallowed:1;               // ... but keep it in `hold` (bounded): a 429
                                             // whose wait is in its body (Google's)
    unsigned body_started:1;                 // a body byte went to the client
    unsigned upstream_complete:1;            // the upstream's body ended cleanly
    unsigned sse:1;                          // response is text/event-stream
    unsigned sse_passthrough:1;              // an event outgrew the hold limit: pass bytes
    unsigned json_rename:1;                  // JSON body held whole to rename its model
    unsigned json_keep:1;                    // JSON body kept (bounded) to read its usage
    unsigned json_translate:1;               // JSON body held whole, translated at its end;
                                             // main's headers wait for it
    unsigned json_task:1;                    // JSON body held whole for a video task's record
                                             // (media/tasks.cpp answers the client)
    unsigned replace_body:1;                 // replace an NGINX error page's body
    unsigned replacement_sent:1;
};

// respond.cpp: an error the gateway answered itself.
struct ngx_http_aigw_reply_part_t {
    ngx_str_t error_code;                    // code of the error the client got, if any
    ngx_str_t replacement;                   // OpenAI JSON replacing an NGINX error page
    unsigned prepared_error:1;               // `replacement` holds the error to send
};

// Who counted a request's tokens: the upstream (its own usage; also a request that got no
// answer to bill, whose counts are zero), the gateway's tokenizer (exact, for a model whose
// encoding is known), or its estimate.
enum ngx_http_aigw_counted_by : unsigned {
    NGX_HTTP_AIGW_COUNTED_BY_UPSTREAM = 0,
    NGX_HTTP_AIGW_COUNTED_BY_TOKENIZER = 1,
    NGX_HTTP_AIGW_COUNTED_BY_ESTIMATE = 2,
};

// accounting/: usage, cost and billing. The counts are final once usage_final is set.
struct ngx_http_aigw_usage_part_t {
    ngx_http_aigw_body_t* body;              // the response's C++ state (a pool cleanup frees it)
    ngx_msec_t t_first_token;                // first content-bearing event; 0: none yet
    ngx_msec_t t_end;                        // when the response ended (usage_final)
    int64_t prompt_tokens;
    int64_t completion_tokens;
    int64_t total_tokens;
    int64_t cached_tokens;
    int64_t cache_write_tokens;              // prompt tokens written to the provider's cache
    int64_t reasoning_tokens;
    int64_t cost;                            // micro-USD, set with the counts
    ngx_http_aigw_billing_t* billing;        // quota and rate-limit state

    unsigned counted_by:2;                   // ngx_http_aigw_counted_by: who counted them
    unsigned usage_final:1;
    unsigned ratelimit_headers:1;            // ours are set: the upstream's are not forwarded
};

struct ngx_http_aigw_ctx_t;

// media/: what prices an images or video request, and a video request's task.
struct ngx_http_aigw_media_part_t {
    int64_t n;                               // images asked for (1 when not said)
    int64_t seconds;                         // video seconds asked for (0: not said)
    ngx_str_t size;                          // as asked ("" when not said)
    ngx_str_t quality;
    int64_t images;                          // images answered: data items, completed events
    ngx_str_t answered_size;                 // what a gpt-image answer says it made
    ngx_str_t answered_quality;
    int64_t reserve;                         // micro-USD reserved beyond the tokens
    int64_t cost;                            // a video task's cost, once its answer is read
    ngx_http_aigw_task_t* task;              // a video request's task state (tasks.cpp)
    // What takes a held task answer once the attempt ended (media/tasks.cpp sets it, so the
    // attempt's end calls it without depending on the task code).
    void (*task_answered)(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);
    // multipart/form-data bodies are not copied: the model's value is at these offsets of
    // the request body, which the upstream body is cut around.
    off_t model_begin;
    off_t model_end;
    ngx_str_t upstream_path;                 // a task's path at its channel (its upstream id)
    ngx_str_t callback_url;                  // where a new task's end is posted (callbacks.cpp)
    void* delivery;                          // a poll's callback delivery (callbacks.cpp)

    unsigned multipart:1;
    unsigned raw_body:1;                     // the attempt sends the client's buffers as they are
    unsigned cost_set:1;                     // cost is final (a video task's)
};

struct ngx_http_aigw_ctx_t {
    ngx_http_request_t* main;
    ngx_msec_t t0;                           // when the gateway first saw the request
    ngx_str_t request_id;                    // request_id.cpp
    unsigned client_request_id:1;            // request_id is the client's X-Request-Id

    ngx_http_aigw_access_part_t access;
    ngx_http_aigw_content_part_t content;
    ngx_http_aigw_attempt_part_t attempt;
    ngx_http_aigw_response_part_t response;
    ngx_http_aigw_reply_part_t reply;
    ngx_http_aigw_usage_part_t usage;
    ngx_http_aigw_media_part_t media;
};

static_assert(std::is_trivially_destructible_v<ngx_http_aigw_ctx_t>,
              "ctx lives in the request pool without a cleanup");

// The main request's context, created (zeroed) at the first call.
ngx_http_aigw_ctx_t* ngx_http_aigw_get_ctx(ngx_http_request_t* r);

// Sets ctx->content.endpoint (nullptr for a path the gateway does not serve) and dialect from
// the request's path and headers, once: the rewrite phase does it, so the access phase's
// errors are in the client's dialect already.
void ngx_http_aigw_classify(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// The dialect the client speaks: its endpoint's (Anthropic's for a model list asked for with
// anthropic-version), or OpenAI's before the endpoint is known (an unknown path, the access
// phase) or without a context. Errors, model lists, usage and the
// model rename go through it; the glue never names a wire format itself.
const aigw::dialect& ngx_http_aigw_client_dialect(const ngx_http_aigw_ctx_t* ctx) noexcept;

// The dialect the upstream of the current attempt speaks: its channel's (provider=), or the
// client's for aigw_pass (one fixed location, no channel). Its usage reader reads the answer.
const aigw::dialect& ngx_http_aigw_upstream_dialect(const ngx_http_aigw_ctx_t* ctx) noexcept;

// The dialect `channel` is spoken to in for a client of `client`: its provider's, or OpenAI's
// Responses API for a Responses client of a channel with responses=on.
aigw::dialect_id ngx_http_aigw_channel_dialect(const ngx_http_aigw_channel_t* channel,
                                               aigw::dialect_id client) noexcept;

// The context if the request (main or subrequest) has one; nullptr otherwise.
inline ngx_http_aigw_ctx_t* ngx_http_aigw_find_ctx(ngx_http_request_t* r) {
    return static_cast<ngx_http_aigw_ctx_t*>(ngx_http_get_module_ctx(r, ngx_http_aigw_module));
}
