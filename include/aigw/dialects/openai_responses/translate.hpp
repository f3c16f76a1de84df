// The OpenAI Responses API to and from the pivot (api/request.hpp, api/stream.hpp): what the
// dialect interface's translation half calls. Passthrough never comes here.
//
// A request is read for a channel of another dialect (a chat-only one, Anthropic), which
// keeps no state and has none of OpenAI's built-in tools. What the pivot carries is
// translated, what only shapes OpenAI's own service is dropped, and what would change the
// answer if dropped is refused (400, param naming the member):
// - translated: model; instructions (a system message, first); input as a string (one user
//   message) or items: message items (roles user, assistant, system and developer, the last
//   two as system; an item without a type is a message) with input_text, output_text,
//   refusal (as text) and input_image parts (image_url, an https: or data: URL, and detail),
//   function_call items (call_id, name, arguments) as the assistant's tool calls,
//   function_call_output items as tool messages (a string, or input_text and input_image
//   parts), reasoning items as the assistant's reasoning (the summary texts, else the
//   reasoning_text content; encrypted_content is OpenAI's alone and dropped); an assistant's
//   reasoning, message and calls in a row are one assistant message; tools of type function
//   ({"type":"function","name","description","parameters","strict"}); tool_choice (auto, none,
//   required, {"type":"function","name"}); parallel_tool_calls; max_output_tokens;
//   temperature; top_p; stream (include_usage with it: the Responses API always reports a
//   stream's usage); text.format (text, json_object, json_schema with name, schema, strict)
//   as response_format; reasoning.effort as reasoning_effort; safety_identifier, else user,
//   as user. With no tool left (none, or only dropped ones), tool_choice and
//   parallel_tool_calls go too: chat APIs refuse them without tools.
// - Codex CLI's tools, which must work through a chat-only channel: a custom tool
//   ({"type":"custom","name","description","format"}, freeform input such as apply_patch's
//   patch) becomes a function tool whose one parameter is the string "input"
//   (custom_tool_parameters below; a grammar format is appended to the description, as the
//   model has no other way to learn it), its custom_tool_call items tool calls with the
//   arguments {"input":...}, its custom_tool_call_output items tool messages, and
//   {"type":"custom","name"} in tool_choice that function; the answer's calls of such a tool go
//   back to the client as custom_tool_call items (the encoder, response_json). A web_search
//   tool (web_search, web_search_preview and their dated names) is dropped: the model answers
//   without searching, and the web_search_call items of earlier turns are dropped with it.
//   tool_search (Codex's client-side tool discovery, answered by a call type of its own) and
//   namespace tools (Codex's sub-agents: functions called by namespace and name, which a chat
//   model cannot say) are dropped too.
//   local_shell (which Codex sends only for the models trained on it; others get its shell
//   function tool) is refused, with its local_shell_call items.
// - dropped: store, include, prompt_cache_key, prompt_cache_retention, client_metadata,
//   metadata, service_tier, truncation, top_logprobs, max_tool_calls, stream_options,
//   text.verbosity, reasoning.summary and generate_summary, a function tool's output_schema
//   and defer_loading, message items' id, status and phase, Codex's compaction_trigger items
//   and compaction items (their encrypted_content is OpenAI's alone), and a turn's reasoning
//   that no text or call follows (a chat API has no assistant message of reasoning alone).
// - refused: previous_response_id and item_reference items (the gateway keeps no responses:
//   a client sends the whole conversation, as with store:false), conversation, prompt (a
//   stored prompt), background:true, every other tool type (file_search, computer_use,
//   code_interpreter, image_generation, mcp, shell, apply_patch, namespace, ...), tool_choice
//   allowed_tools and built-in tool types, input_file and input_audio parts, an input_image by
//   file_id, and input items of the built-in tools' other types.
//
// Malformed or hostile input is an answer, never an exception: false, or an error. The only
// exception any of these throws is std::bad_alloc; a result is written only on success.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aigw/api/error.hpp"
#include "aigw/api/request.hpp"
#include "aigw/api/stream.hpp"

namespace aigw::responses {

// The parameters of a function tool made from a custom tool, compact JSON: one required
// string "input". A function tool whose parameters are exactly this text is taken for a
// custom tool on the way back.
inline constexpr std::string_view custom_tool_parameters =
    R"({"type":"object","properties":{"input":{"type":"string","description":"The tool's freeform input, as the tool's description says to write it."}},"required":["input"],"additionalProperties":false})";

// A Responses request body -> the pivot. False with `err` (400, OpenAI's words, `param` naming
// the member) for malformed JSON, a body that is not an object, a missing or mistyped member,
// no input at all, or what is refused above.
bool request_to_pivot(std::string_view body, api::request& out, api_error& err);

// The pivot -> a Responses request body (compact JSON), for a channel that speaks it:
// system messages as system input messages, an assistant's text as an output_text message
// item and its tool calls as function_call items, tool messages as function_call_output items
// (a string, or input_text and input_image parts), tools as function tools with strict always
// said (a Responses channel may take an unsaid one for true), the limit as max_output_tokens,
// response_format as text.format, reasoning_effort as reasoning.effort, the user as
// safety_identifier, "store":false (the gateway keeps nothing, and neither should the
// channel for it). An assistant's reasoning is left out (OpenAI takes back only its own
// reasoning items, by id or encrypted), and so are seed, stop and top_k, which the Responses
// API does not have.
std::string request_from_pivot(const api::request& req);

// A response object -> the pivot: the output_text of message items as text, refusal parts as
// the refusal, reasoning items' summary (else reasoning_text) as reasoning, function_call
// items as tool calls (call_id as the id) and custom_tool_call items as tool calls with the
// arguments {"input":...}; status incomplete gives finish length (max_output_tokens) or
// content_filter, completed tool_calls when there are calls, else stop. False when it is not a
// response object (not a JSON object, no output array, an object other than "response").
bool response_to_pivot(std::string_view body, api::response& out);

// The pivot -> a response object for a client that sent `req`, members in OpenAI's order:
// id ("resp_" + the upstream's id, or a new one), object, created_at (now when the upstream
// gave none), status (completed; incomplete with incomplete_details.reason max_output_tokens
// or content_filter), then OpenAI's members with the request's values or OpenAI's defaults:
// background, error, incomplete_details, instructions (null: the pivot does not keep which
// system text it was), max_output_tokens, max_tool_calls, model, output, parallel_tool_calls,
// previous_response_id, prompt_cache_key, reasoning, safety_identifier, service_tier, store
// (false: nothing is stored), temperature, text, tool_choice, tools, top_logprobs, top_p,
// truncation, usage (null when none came), user, metadata. The output: a reasoning item
// (summary), a message item (an output_text part with annotations:[] and logprobs:[], a
// refusal part), then a function_call item per call, or a custom_tool_call item for a call
// of a custom tool of `req` (its input taken out of the arguments). Item ids are "rs_", "msg_",
// "fc_" or "ctc_" and the response id's rest, with the output index.
std::string response_json(const api::response& resp, const api::request& req);

// response_json for a client whose request is not known: OpenAI's defaults throughout, and
// every call a function_call.
std::string response_from_pivot(const api::response& resp);

// Responses stream events -> pivot events: response.created gives start; the deltas of
// output_text, refusal, reasoning_summary_text (a new summary part after the first, a blank
// line) and reasoning_text give text, refusal and reasoning; output_item.added of a
// function_call (or custom_tool_call) gives tool_call_start (index: its rank among the
// response's calls) and function_call_arguments.delta tool_call_delta; a call's arguments (a
// custom call's input, as {"input":...}) that came only whole, in its .done event or
// output_item.done, come then; response.completed and response.incomplete give finish, usage
// and done; response.failed gives usage and error; the error event gives error. Other events
// (in_progress, the .done events, part events, built-in tools' events, keep-alives) give
// nothing. decode() is false for data that is not a JSON object with a string type.
std::unique_ptr<api::stream_decoder> make_stream_decoder();

// Pivot events -> the Responses event sequence OpenAI sends, "event: <type>\ndata: {...}\n\n"
// with "sequence_number" from 0: response.created and response.in_progress (the response
// object as response_json writes it, status in_progress, output [], usage null), then per
// output item: response.output_item.added; for a message response.content_part.added,
// response.output_text.delta (item_id, output_index, content_index, delta, logprobs:[]) or
// response.refusal.delta, response.output_text.done (refusal.done),
// response.content_part.done; for reasoning response.reasoning_summary_part.added,
// response.reasoning_summary_text.delta, .done and response.reasoning_summary_part.done; for
// a function call response.function_call_arguments.delta and .done (with the name); for a
// custom tool's call response.custom_tool_call_input.delta (the whole input) and .done; then
// response.output_item.done. Each call is its own item, closed when the next item starts;
// another kind of delta closes the open item too. At done: response.completed with the whole
// response and its usage, or response.incomplete for a length or content_filter finish (the
// items still open then are status incomplete). An error event gives the error event
// (error_event) and then response.failed (status failed, error {code, message}: the code the
// upstream gave, else rate_limit_exceeded for a 429, server_is_overloaded for a 503 or 529,
// else server_error), which Codex reads;
// nothing is written after it or after done. `req` gives the model until a start event names
// one, and the members response_json echoes.
std::unique_ptr<api::stream_encoder> make_stream_encoder(const api::request& req);

}  // namespace aigw::responses
