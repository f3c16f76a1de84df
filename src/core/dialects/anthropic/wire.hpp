// Core-internal: what the Anthropic dialect's files share. Reading JSON into a tree with
// bounded nesting, stop reasons, message ids, and the usage object both ways.
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

#include "aigw/api/stream.hpp"
#include "aigw/dialects/anthropic/usage.hpp"
#include "aigw/text/json_write.hpp"

namespace aigw::anthropic::wire {

namespace dom = simdjson::dom;

// Parses `json` into `out` (valid until the parser's next parse). Nesting deeper than
// json_walk::max_depth is DEPTH_ERROR, so walking the tree cannot recurse without bound.
simdjson::error_code parse(dom::parser& parser, std::string_view json, dom::element& out);

// `json` as a compact JSON object, "{}" when it is not one (a tool call's arguments cut short,
// or empty): what tool_use.input must be.
std::string object_json(std::string_view json);

// How JSON names a value's type in an error message: "a string", "an object", "null", ...
std::string_view type_phrase(dom::element_type t) noexcept;

// stop_reason -> finish: end_turn, stop_sequence and pause_turn stop; max_tokens and
// model_context_window_exceeded length; tool_use tool_calls; refusal content_filter; anything
// else (a reason added later) stop.
api::finish_reason finish_from_stop_reason(std::string_view stop_reason) noexcept;

// finish -> stop_reason; none is tool_use when the answer made tool calls, else end_turn.
std::string_view stop_reason_of(api::finish_reason finish, bool tool_calls) noexcept;

// A Message id: `upstream` when it starts with "msg_", else "msg_" + upstream, else (empty)
// "msg_" and 32 random hex digits. Ids from another dialect stay traceable in logs.
std::string message_id(std::string_view upstream);

// The four counts of a usage object; fields that are not non-negative integers stay empty.
usage_counts read_counts(dom::element usage_object) noexcept;

// {"input_tokens":..,"cache_creation_input_tokens":..,"cache_read_input_tokens":..,
//  "output_tokens":..} from a canonical usage (usage_counts::from_canonical).
void write_usage(json_writer& w, const usage& u);

}  // namespace aigw::anthropic::wire
