// Core-internal: walking simdjson On-Demand values so that every byte of a document is
// validated, not only the fields a reader looks at (On-Demand checks lazily). Defined in
// json.cpp; used wherever a document must be known valid before its bytes are spliced.
#pragma once

#include <simdjson.h>

namespace aigw::json_walk {

// Nesting deeper than this is refused (DEPTH_ERROR) rather than recursed into.
inline constexpr int max_depth = 128;

// Walks `v`, found at nesting level `depth`, to its end, validating it.
simdjson::error_code consume(simdjson::ondemand::value v, int depth);

// True when no token follows what was consumed (simdjson 3.0 has no document::at_end).
bool at_end(simdjson::ondemand::document& doc);

}  // namespace aigw::json_walk
