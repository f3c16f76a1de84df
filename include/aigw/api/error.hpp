// The canonical error: every failure a client can meet is built here, so the wording and the
// type/code pairs live in one place. The words are OpenAI's (type, code, param, message); each
// dialect writes them in its own error shape (dialect::error_body).
//
// A value of the client's that a message quotes (a path, a method, a model name, a parameter's
// value) is quoted as a bounded prefix: at most 256 bytes of a path, a model name or an id,
// 64 of a shorter value, never half a UTF-8 character, and "..." after it when it was cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aigw {

struct api_error {
    int status = 500;
    std::string_view type;      // invalid_request_error, authentication_error, ...
    std::string_view code;      // empty -> JSON null
    std::string param;          // empty -> JSON null
    std::string message;
};

// Request errors found by the gateway itself.
api_error invalid_json_error(std::string_view detail);
api_error not_an_object_error();
api_error missing_model_error();
api_error invalid_type_error(std::string_view param, std::string_view expected,
                             std::string_view got_phrase);
// OpenAI's answer to a string parameter over its bound ("string_above_max_length"); the value
// itself is not quoted.
api_error string_too_long_error(std::string_view param, std::size_t max, std::size_t got);
// A member the gateway reads or rewrites was given more than once.
api_error duplicate_member_error(std::string_view member);
// OpenAI's answers to a request it cannot read, with `param` the member's path
// ("messages[0].role"): a required member absent, a value outside the ones allowed (quoted, cut
// to 64 bytes; `supported` lists them: "'a', 'b' and 'c'"), an array that must not be empty.
api_error missing_parameter_error(std::string_view param);
api_error invalid_value_error(std::string_view param, std::string_view value,
                              std::string_view supported);
api_error empty_array_error(std::string_view param);
// OpenAI's answers to an integer parameter outside its range ("integer_below_min_value",
// "integer_above_max_value"); `got` is the value as the client wrote it (cut to 64 bytes).
api_error integer_below_min_error(std::string_view param, std::int64_t min, std::string_view got);
api_error integer_above_max_error(std::string_view param, std::int64_t max, std::string_view got);
// A media request's parameter the gateway prices by (n, size, quality, seconds) is wrong;
// `message` names it and quotes no more than a bounded prefix of the client's value.
api_error media_parameter_error(std::string message, std::string_view param = {});
// A multipart/form-data body that does not parse, or names no model.
api_error multipart_error(std::string_view why);
// A request valid in the client's dialect that the pivot cannot carry to a channel speaking
// another one (several choices, an audio part): `what` names it ("Several choices ('n' above
// 1)"), and the message says it cannot be translated. 400, code untranslatable_parameter.
api_error untranslatable_error(std::string_view param, std::string_view what);
api_error unknown_endpoint_error(std::string_view method, std::string_view path);
// The model is served only by upstreams of another API, and `path` is an endpoint that is not
// translated (completions, embeddings): 400 with param "model".
api_error model_endpoint_error(std::string_view model, std::string_view path);
// The key's `endpoints` allow-list leaves out the endpoint's family ("images"): 403
// endpoint_not_allowed, a permission_error like the key's other allow-lists.
api_error endpoint_not_allowed_error(std::string_view family);
api_error method_not_allowed_error(std::string_view method, std::string_view path);
// A WebSocket upgrade of the Responses API (Codex's first try): 426, which makes Codex use
// HTTP at once (any other refusal it retries as a broken stream for seconds).
api_error websocket_unsupported_error();
// A stored response asked for (GET or DELETE /v1/responses/{id}) where no channel stores them
// (none has responses=on): OpenAI's 404 for an unknown response.
api_error stored_response_not_found_error(std::string_view path);
// The upstream refused the prompt itself (Gemini's promptFeedback.blockReason): 400 with code
// content_filter and param prompt, as OpenAI answers a request its content filter caught.
// `reason` is the upstream's word for why ("SAFETY"), quoted cut to 64 bytes.
// Video tasks (the gateway's task records): an id no task of this key has (404, as for an id
// that never was, so another key's task is not revealed), Redis unable to read or write task
// records (503), a task endpoint without keys and Redis (400), and an upstream answer that is
// not the video object it should be (502).
api_error video_not_found_error(std::string_view id);
api_error tasks_unavailable_error();
api_error tasks_need_keys_error();
api_error upstream_bad_answer_error();
// A new task's X-Aigw-Callback-Url the gateway will not call (400; `why` says which rule).
api_error callback_refused_error(std::string_view why);
api_error content_filter_error(std::string_view reason);
// A Gemini stream asked for without ?alt=sse (a JSON array stream, which the gateway does not
// read): 400.
api_error stream_format_error();

// Upstream failures (the channel behind the gateway).
api_error upstream_unreachable_error();           // 502: connect refused, reset, DNS
api_error upstream_timeout_error();               // 504
api_error upstream_bad_response_error(int status);  // non-JSON error page from upstream
api_error upstream_interrupted_error();           // stream cut after the first byte

// Routing (aigw_model). No channel names here: they are internal and go to error_log.
api_error model_not_found_error(std::string_view model);  // 404, not in the model table
api_error model_price_missing_error(std::string_view model);  // 500, aigw_price_missing deny

// How the last attempt of a routed request failed.
enum class attempt_failure { unreachable, timeout, status };

// Every channel tried for `model` failed with a retryable failure (429, 5xx, connect error,
// timeout): the last one's class decides the status. 429 -> 429 rate_limit_exceeded (the
// client may retry later); timeout -> 504; 503 -> 503; 529 (Anthropic's overloaded) -> 529;
// anything else -> 502.
api_error all_channels_failed_error(std::string_view model, unsigned tried, attempt_failure last,
                                    int last_status);

// Generic mapping for statuses NGINX itself produced (413 from client_max_body_size,
// 400 bad chunked body, 408, 500 ...), used to replace NGINX's HTML error pages. Also 494,
// NGINX's own code for a request head too large (which it answers as 400, and so does this:
// code request_header_too_large), and 501, which NGINX answers for a Transfer-Encoding other
// than chunked (code not_implemented).
api_error error_for_status(int status);

// Client key checks in the access phase (see keys.hpp). Messages name the key only masked.
api_error missing_api_key_error();                      // 401, no key in any header
api_error invalid_api_key_error(std::string_view masked);  // 401, unknown key
// 401 invalid_api_key for a value that cannot be a key of this gateway (wrong prefix, length or
// characters): says so, and what a key looks like; the masked form only when it shows a tail.
api_error malformed_api_key_error(std::string_view masked);
api_error key_disabled_error();                         // 401
api_error key_expired_error();                          // 401
api_error ip_not_allowed_error();                       // 403, client address not in ip_allow
api_error model_not_allowed_error(std::string_view model);  // 403
api_error keys_unavailable_error();                     // 503, Redis down and nothing cached

// Billing. `scope` is "key" or "group": whose limit it was.
api_error insufficient_quota_error(std::string_view scope);                // 402
// 429, type "requests" or "tokens" (`what`), code rate_limit_exceeded; retry in whole seconds.
api_error rate_limit_error(std::string_view what, std::int64_t limit, std::int64_t retry_ms,
                           std::string_view scope);
api_error billing_unavailable_error();                  // 503, Redis down, no lease to spend

}  // namespace aigw
