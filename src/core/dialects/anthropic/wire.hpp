// Core-internal: what the Anthropic dialect's files share. Reading JSON into a tree with
// bounded nesting, stop reasons, message ids, and the usage object both ways.
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

#include "aigw/api/stream.hpp"
#include "aigw/dialects/anthropic/usage.hpp"
#include "aigw/text/json_write.hpp"
#include "core/text/json_walk.hpp"

namespace aigw::anthropic::wire {

namespace dom = simdjson::dom;

// The DOM parse with bounded nesting, and a JSON object made compact ("{}" for anything else),
// as every translator reads them (text/json_walk.hpp).
using json_walk::object_json;
using json_walk::parse;

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
