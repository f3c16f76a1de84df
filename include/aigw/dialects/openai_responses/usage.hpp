// The Responses API's usage object, and the one place it becomes the canonical usage:
//   {"input_tokens":..,"input_tokens_details":{"cached_tokens":..},
//    "output_tokens":..,"output_tokens_details":{"reasoning_tokens":..},"total_tokens":..}
//   prompt_tokens     = input_tokens (cached ones included, as in Chat Completions)
//   cached_tokens     = input_tokens_details.cached_tokens
//   completion_tokens = output_tokens (reasoning included)
//   reasoning_tokens  = output_tokens_details.reasoning_tokens
//   total_tokens      = total_tokens, or input + output when it is left out
// Usage is present when input_tokens, output_tokens or total_tokens is a count.
#pragma once

#include "aigw/api/usage.hpp"

namespace aigw::responses {

// Usage of a response object (its top-level "usage") and of stream events: the usage of the
// "response" object that response.completed, response.incomplete and response.failed carry
// (response.created and response.in_progress have "usage":null), so a stream's usage comes
// whole in its last event and the default stream_reader() keeps it. The text collected for an
// estimate: of a response object, its output items' text, refusals, reasoning summaries and
// text, function names and arguments and custom tool inputs; of a stream, the deltas only
// (output_text, refusal, function_call_arguments, custom_tool_call_input, reasoning_summary_text,
// reasoning_text) and the name of each function call added, never the whole output that
// response.completed repeats. chunk_info: usage_only is never set; content_bearing is one of
// those deltas with a non-empty delta, or a function or custom tool call added. Nothing throws
// (api/usage.hpp).
const usage_parser& usage_reader() noexcept;

}  // namespace aigw::responses
