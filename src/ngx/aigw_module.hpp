// Declarations shared by the module's glue files: configuration, per-request context and
// the functions one file calls in another.
#pragma once

#include <string>
#include <type_traits>

#include "aigw/dialects/endpoints.hpp"
#include "aigw/api/error.hpp"
#include "ngx/billing.hpp"
#include "ngx/channels.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/key_cache.hpp"
#include "ngx/prices.hpp"
#include "ngx/ngx.hpp"
#include "ngx/redis.hpp"
#include "ngx/settle.hpp"

namespace aigw {
struct key_record;
class model_map;
struct model_entry;
class price_table;
struct model_price;
}
struct ngx_http_aigw_body_t;

enum class ngx_http_aigw_auth_state : unsigned { none, waiting, done };

// Per-request state, shared by the main request and its upstream subrequest (both point to
// the same object). It lives in the request pool and is trivially destructible.
struct ngx_http_aigw_ctx_t {
    ngx_http_request_t* main;
    ngx_http_request_t* sr;                  // the current upstream attempt
    const aigw::endpoint_info* endpoint;

    ngx_str_t request_id;
    ngx_str_t model;                         // as the client named it
    ngx_chain_t* upstream_body;              // what the subrequest sends
    off_t upstream_body_len;

    // Access phase: the client key.
    ngx_http_aigw_auth_state auth_state;
    ngx_int_t auth_rc;                       // the access phase's answer once done
    ngx_http_aigw_redis_call_t* redis_call;  // pending HGETALL, cancelled by a pool cleanup
    const aigw::key_record* key;             // the valid key's record (held by a pool cleanup)
    ngx_str_t key_masked;                    // "sk-aigw-…abcd", never the key itself
    u_char key_digest[32];                   // sha256 of the key: the cache's and Redis's id

    // Streams: only whole events go to the client; an unfinished one waits in `hold`.
    ngx_chain_t* hold;                       // the unfinished event's bytes (our buffer)
    ngx_chain_t* free;                       // our buffers, sent and reusable
    ngx_chain_t* busy;                       // our buffers still being sent

    ngx_str_t replacement;                   // OpenAI JSON replacing an NGINX error page
    ngx_str_t error_code;                    // code of the error the client got, if any
    ngx_int_t sr_rc;                         // what finalized the subrequest
    ngx_uint_t upstream_status;              // status line the upstream sent, 0 if none
    ngx_uint_t swallowed_status;             // upstream error whose non-JSON body we dropped

    // Routing (aigw_model): the entry serving the model, its channels and this request's tries.
    const aigw::model_entry* route;          // nullptr: aigw_pass, a single fixed location
    uint32_t* candidates;                    // channel indexes, the entry's targets in order
    size_t ncandidates;
    uint64_t tried;                          // bit i: candidates[i] was tried
    ngx_http_aigw_channel_t* channel;        // the current attempt's channel
    size_t target;                           // its index in route->targets
    ngx_str_t upstream_model;                // the model name the current attempt sends
    ngx_msec_t started;                      // when the first attempt started
    ngx_msec_t picked_at;
    ngx_uint_t attempts;
    uint64_t retry_after_ms;                 // from the current attempt's 429, 0 if none
    u_char* client_body;                     // the body as the client sent it (padded)
    size_t client_body_len;
    size_t model_token_begin;                // parse_request's offsets in client_body
    size_t model_token_end;
    size_t stream_options_begin;

    // Usage accounting (usage.hpp). The counts are final once usage_final is set.
    ngx_http_aigw_body_t* body;              // the response's C++ state (a pool cleanup frees it)
    ngx_msec_t t0;                           // when the gateway first saw the request
    ngx_msec_t t_first_token;                // first content-bearing event; 0: none yet
    ngx_msec_t t_end;                        // when the response ended (usage_final)
    int64_t prompt_tokens;
    int64_t completion_tokens;
    int64_t total_tokens;
    int64_t cached_tokens;
    int64_t reasoning_tokens;
    const aigw::model_price* price;          // the model's price, if any: &price_value
    aigw::model_price price_value;           // as it was when the request came
    int64_t cost;                            // micro-USD, set with the counts
    ngx_http_aigw_billing_t* billing;        // quota and rate-limit state (billing.hpp)

    unsigned stream:1;                       // request asked for stream:true
    unsigned sr_done:1;                      // subrequest finished, main may resume
    unsigned own_response:1;                 // main's headers come from us, not an NGINX page
    unsigned header_sent:1;                  // main's headers went to the client
    unsigned sse:1;                          // response is text/event-stream
    unsigned swallow:1;                      // drop the subrequest's body
    unsigned body_started:1;                 // a body byte went to the client
    unsigned upstream_complete:1;            // the upstream's body ended cleanly
    unsigned replace_body:1;                 // replace an NGINX error page's body
    unsigned replacement_sent:1;
    unsigned prepared_error:1;               // `replacement` holds the error to send
    unsigned filter_models:1;                // /v1/models: keep only the key's models
    unsigned sse_passthrough:1;              // an event outgrew the hold limit: pass bytes
    unsigned has_stream_options:1;
    unsigned retryable:1;                    // this attempt failed in a way another may fix
    unsigned rename_model:1;                 // name the public model in the response
    unsigned inject_usage:1;                 // stream_options.include_usage added for us
    unsigned client_asked_usage:1;           // the client set include_usage itself
    unsigned usage_estimated:1;              // no usage from the upstream: counts estimated
    unsigned usage_final:1;
    unsigned json_rename:1;                  // JSON body held whole to rename its model
    unsigned json_keep:1;                    // JSON body kept (bounded) to read its usage
    unsigned in_content:1;                   // the content handler ran: the request gets a record
    unsigned ratelimit_headers:1;            // ours are set: the upstream's are not forwarded
    unsigned client_request_id:1;            // request_id is the client's X-Request-Id
};

static_assert(std::is_trivially_destructible_v<ngx_http_aigw_ctx_t>,
              "ctx lives in the request pool without a cleanup");

// module.cpp
ngx_http_aigw_ctx_t* ngx_http_aigw_get_ctx(ngx_http_request_t* r);  // main's ctx, created once
ngx_str_t* ngx_http_aigw_request_id(ngx_http_request_t* r);

// content.cpp
ngx_int_t ngx_http_aigw_handler(ngx_http_request_t* r) noexcept;

// access.cpp
ngx_int_t ngx_http_aigw_access_handler(ngx_http_request_t* r) noexcept;
ngx_int_t ngx_http_aigw_rewrite_handler(ngx_http_request_t* r) noexcept;
void ngx_http_aigw_key_invalidated(const char* data, size_t len);
// For the content phase: 403 unless the key (if any) may use the model.
bool ngx_http_aigw_model_allowed(ngx_http_aigw_ctx_t* ctx, std::string_view model);
bool ngx_http_aigw_key_restricts_models(ngx_http_aigw_ctx_t* ctx);

// content.cpp, for the filters: the current attempt answered with `status` (headers known).
// Returns true when the answer is a retryable failure that is swallowed so the next channel
// can be tried.
bool ngx_http_aigw_attempt_answered(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                    ngx_uint_t status);

// filter.cpp
ngx_int_t ngx_http_aigw_filter_init(ngx_conf_t* cf);

// respond.cpp
void ngx_http_aigw_note_error(ngx_http_aigw_ctx_t* ctx, const aigw::api_error& e);
ngx_int_t ngx_http_aigw_send_json(ngx_http_request_t* r, ngx_uint_t status,
                                  const std::string& body);
ngx_int_t ngx_http_aigw_send_error(ngx_http_request_t* r, const aigw::api_error& e);
// Keeps `e` as the body of the error page NGINX will send for the returned status (for
// phases that answer by returning a status, like access).
ngx_int_t ngx_http_aigw_prepare_error(ngx_http_request_t* r, const aigw::api_error& e);
ngx_int_t ngx_http_aigw_send_sse_error(ngx_http_request_t* r, const aigw::api_error& e);

// variables.cpp
ngx_int_t ngx_http_aigw_add_variables(ngx_conf_t* cf);
