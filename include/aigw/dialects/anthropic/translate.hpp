// Anthropic Messages to and from the pivot (api/request.hpp, api/stream.hpp): what the
// dialect interface's translation half calls. Passthrough never comes here.
//
// What the pivot cannot carry is dropped, or refused when dropping it would change the answer:
// - request_to_pivot refuses document blocks (PDFs), image and tool_result content other than
//   text and images, server tools (a tool with a type other than "custom"), and unknown block
//   types; it drops cache_control, citations, redacted_thinking, tool_result's is_error and
//   container/mcp/service-tier options.
// - request_from_pivot drops seed and a message's name; response_format (Anthropic has no
//   JSON mode) becomes an instruction at the end of system, with the schema; an assistant's
//   reasoning goes back as a thinking block only with its signature (Anthropic refuses it
//   otherwise).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "aigw/api/error.hpp"
#include "aigw/api/request.hpp"
#include "aigw/api/stream.hpp"

namespace aigw::anthropic {

// Anthropic requires max_tokens; a request from a dialect where it is optional gets this: the
// largest output every Claude model accepts (Claude 3 Haiku and Opus stop at 4096).
inline constexpr std::int64_t default_max_tokens = 4096;

// Anthropic's smallest thinking budget.
inline constexpr std::int64_t min_thinking_budget = 1024;

// reasoning_effort -> thinking.budget_tokens: minimal 1024, low 2048, medium 8192, high 24576;
// 0 (no thinking) for "" or another word.
std::int64_t thinking_budget(std::string_view effort) noexcept;

// thinking.budget_tokens -> reasoning_effort: below 6144 "low", below 16384 "medium", else
// "high" (Claude Code's think / think hard / ultrathink, 4000 / 10000 / 31999, give low /
// medium / high). Never "minimal", which not every OpenAI reasoning model accepts; each
// budget above maps back to its effort but minimal's, which gives low.
std::string_view reasoning_effort(std::int64_t budget) noexcept;

// A Messages request body -> the pivot. False with `err` (400, `param` naming the member) for
// malformed JSON, a body that is not an object, a missing or mistyped member, or what the
// pivot cannot carry (above). system (a string or text blocks) becomes role::system messages,
// one per block; a user message's tool_result blocks become role::tool messages before the
// rest of it; thinking.budget_tokens becomes reasoning_effort (above); metadata.user_id the
// user; include_usage is set for a stream (Anthropic streams always carry usage). May throw
// std::bad_alloc.
bool request_to_pivot(std::string_view body, api::request& out, api_error& err);

// A count_tokens body (a Messages request without max_tokens, which only generating needs) ->
// the pivot, read as request_to_pivot reads it; max_tokens is read when it is there.
bool count_request_to_pivot(std::string_view body, api::request& out, api_error& err);

// The pivot -> a Messages request body (compact JSON). role::system messages, wherever they
// are, join the top-level system; role::tool messages become tool_result blocks of a user
// message; consecutive messages of one role merge into one (Anthropic wants user and
// assistant to alternate); empty text is left out (Anthropic refuses it), and a message left
// with nothing is dropped. Images: a base64 data: URL becomes a base64 source, any other URL a
// url source. A tool call's arguments that are not a JSON object go as {}.
// max_tokens is the request's, else `max_tokens_default`. reasoning_effort becomes a thinking
// budget (above): without the request's max_tokens, max_tokens is the default plus the
// budget; with it, the budget is cut below it, and thinking is left out when that leaves less
// than min_thinking_budget. Thinking is also left out when tool_choice forces a tool, which
// Anthropic refuses with thinking; with thinking on, temperature and top_k are left out and
// top_p kept only from 0.95 up (Anthropic's limits). temperature above 1 (OpenAI allows 2) is
// sent as 1. May throw std::bad_alloc.
std::string request_from_pivot(const api::request& req,
                               std::int64_t max_tokens_default = default_max_tokens);

// A Message body -> the pivot. text blocks join into text, thinking into reasoning, tool_use
// blocks become tool calls (arguments: the input as compact JSON); stop_reason end_turn and
// stop_sequence give stop, max_tokens length, tool_use tool_calls, refusal content_filter.
// False when it is not a Message (not an object, no content array, a type other than
// "message"). May throw std::bad_alloc.
bool response_to_pivot(std::string_view body, api::response& out);

// The pivot -> a Message body: a thinking block (signature ""), a text block (the refusal's
// text when there is no other), then a tool_use block per call; stop_reason from the finish
// (stop end_turn, length max_tokens, tool_calls tool_use, content_filter refusal; none gives
// tool_use when there are calls, else end_turn). The id is the upstream's with "msg_" in
// front unless it has it (a new one when there is none). May throw std::bad_alloc.
std::string response_from_pivot(const api::response& resp);

// Messages stream events -> pivot events. message_start gives start and usage (the input
// counts); content_block_start of a text or thinking block gives its first text if any, of a
// tool_use block tool_call_start (index: its rank among the message's tool calls);
// content_block_delta gives text_delta, reasoning_delta (thinking_delta) or tool_call_delta
// (input_json_delta); message_delta gives finish and usage (the stream's counts so far, as
// usage.hpp merges them: each usage event supersedes the one before); message_stop gives
// done; error gives error (read_error's mapping). ping, content_block_stop, signature and
// citation deltas, server tool blocks and event types Anthropic may add later give nothing.
// decode() is false for data that is not a JSON object with a type, or a known event without
// the members it needs; it never throws but std::bad_alloc.
std::unique_ptr<api::stream_decoder> make_stream_decoder();

// Pivot events -> Messages stream events ("event: <type>\ndata: {...}\n\n"), in the order
// Anthropic sends them: one message_start (sent with the first event after start and usage,
// so it carries the input counts when they came first, else 0), then per block
// content_block_start, its deltas and content_block_stop, with indices from 0 in order (text,
// thinking and each tool call get their own block; a new kind of delta closes the open block),
// then at done message_delta (stop_reason, and usage when any came) and message_stop. An error
// event ends the stream as Anthropic does (event: error); nothing is written after it or after
// done. `req` gives the model until a start event names one. May throw std::bad_alloc.
std::unique_ptr<api::stream_encoder> make_stream_encoder(const api::request& req);

}  // namespace aigw::anthropic
