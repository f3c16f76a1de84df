// Reading the fields the gateway needs from an OpenAI request body, without building a tree.
#pragma once

#include <cstddef>

#include "aigw/api/request.hpp"

namespace aigw {

// Parses a request body. `capacity` must be >= len + json_padding; the padding bytes may be
// read but are never written. `model_required` is false for endpoints where model is optional.
// The members the gateway reads or rewrites (model, stream, stream_options and its
// include_usage, max_tokens, max_completion_tokens, max_output_tokens, n) must each appear at
// most once, keys compared unescaped: parsers differ on which duplicate wins, so the gateway
// could check and price one model while the provider serves the other.
request_fields parse_request(const char* data, std::size_t len, std::size_t capacity,
                             bool model_required);

}  // namespace aigw
