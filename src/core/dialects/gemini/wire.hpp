// Core-internal: what the Gemini dialect's answer files share. Reading JSON into a tree with
// bounded nesting, finishReason both ways, usageMetadata both ways, and made-up ids.
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

#include "aigw/api/stream.hpp"
#include "aigw/dialects/gemini/usage.hpp"
#include "aigw/text/json_write.hpp"
#include "core/text/json_walk.hpp"

namespace aigw::gemini::wire {

namespace dom = simdjson::dom;

// The DOM parse with bounded nesting, and a JSON object made compact ("{}" for anything else),
// as every translator reads them (text/json_walk.hpp).
using json_walk::object_json;
using json_walk::parse;

// finishReason -> finish: STOP stop; MAX_TOKENS length; SAFETY, RECITATION, BLOCKLIST,
// PROHIBITED_CONTENT, SPII, IMAGE_SAFETY content_filter; anything else (MALFORMED_FUNCTION_CALL,
// OTHER, LANGUAGE, a reason added later) stop. `called_tools` turns stop into tool_calls.
api::finish_reason finish_from_reason(std::string_view reason, bool called_tools) noexcept;

// finish -> finishReason: length MAX_TOKENS, content_filter SAFETY, anything else STOP
// (Gemini says STOP after function calls too).
std::string_view finish_reason_of(api::finish_reason finish) noexcept;

// The counts of a usageMetadata object; members that are not non-negative integers are
// skipped, and `any` tells whether one was a count.
usage_metadata read_usage(dom::element usage_object) noexcept;

// A usageMetadata object from a canonical usage (usage_metadata::from_canonical):
// promptTokenCount, candidatesTokenCount, totalTokenCount, and cachedContentTokenCount and
// thoughtsTokenCount when not 0, as Gemini leaves them out.
void write_usage(json_writer& w, const usage& u);

// One functionCall part, {"functionCall":{"id"?,"name","args"}}: the id only when there is
// one, the arguments as a JSON object ({} when they are not one).
void write_function_call(json_writer& w, std::string_view id, std::string_view name,
                         std::string_view arguments);

// A functionCall's id when the upstream gave none: "call_" and 32 random hex digits.
std::string call_id();

// A responseId: `upstream` when there is one, else 32 random hex digits.
std::string response_id(std::string_view upstream);

}  // namespace aigw::gemini::wire
