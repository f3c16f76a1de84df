// OpenAI Chat Completions to and from the pivot (api/request.hpp, api/stream.hpp): what the
// dialect interface's translation half calls. Passthrough never comes here.
//
// Malformed or hostile input (bad JSON, wrong types, nesting deeper than passthrough accepts)
// is an answer, never an exception: false, or an error. The only exception any of these throws
// is std::bad_alloc; a result (`out`, what `decode` appends) is written only on success.
// What the pivot does not carry (logprobs, service_tier, system_fingerprint, usage details
// beyond cached and reasoning tokens, a developer role as such) does not come out.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aigw/api/error.hpp"
#include "aigw/api/request.hpp"
#include "aigw/api/stream.hpp"

namespace aigw {

// A chat.completions request body -> the pivot. False with `err` (400, OpenAI's words, `param`
// naming the member) for malformed JSON, a body that is not an object, wrong types, or what
// the pivot cannot carry (n > 1, an audio or file content part).
bool openai_chat_request_to_pivot(std::string_view body, api::request& out, api_error& err);

// The pivot -> a chat.completions request body (compact JSON), for a channel: unset optionals
// left out, the limit as max_tokens, an assistant's reasoning as reasoning_content,
// stream_options.include_usage only when req.stream and req.include_usage. Reading it back
// gives `req` again.
std::string openai_chat_request_from_pivot(const api::request& req);

// A chat.completion body -> the pivot (the first choice). False when it is not one.
bool openai_chat_response_to_pivot(std::string_view body, api::response& out);

// The pivot -> a chat.completion body, for a client. What another dialect left empty is made
// here: an id "chatcmpl-" + 32 random hex digits (a caller that wants its own, the request id
// say, sets resp.id), tool call ids "call_" + 32, created the current time, the finish reason
// "tool_calls" or "stop".
std::string openai_chat_response_from_pivot(const api::response& resp);

// chat.completion.chunk events -> pivot events. `decode` appends only when it returns true.
// It reads the first choice, takes tool calls by their index (or by id, for servers that give
// every call index 0), a finish reason once, DeepSeek's reasoning_content and the reasoning
// of others, an {"error":...} payload as an error event.
std::unique_ptr<api::stream_decoder> openai_chat_stream_decoder();

// Pivot events -> chat.completion.chunk events ("data: {...}\n\n", then "data: [DONE]\n\n"),
// for a client that sent `req` (its include_usage decides whether usage gets a chunk). In
// OpenAI's order whatever the events' order: one first chunk (made up, with req.model, if
// content comes before any start), a finish once, usage held for the chunk before [DONE]
// (the last usage event counts), nothing after done. An error event is OpenAI's
// "event: error" (error_sse_event).
std::unique_ptr<api::stream_encoder> openai_chat_stream_encoder(const api::request& req);

// An upstream's {"error":{"message","type","param","code"}} answer (HTTP `status`) as the
// canonical error: its message and param as they came, its type and code where they are
// OpenAI's known words (else in general terms), and the HTTP status when it is an error
// status (else the type's). upstream_bad_response_error(status) for another body.
api_error openai_chat_read_error(int status, std::string_view body);

}  // namespace aigw
