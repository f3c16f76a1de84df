// Reading the fields the gateway needs from a Responses request body, without building a tree.
#pragma once

#include <cstddef>

#include "aigw/api/request.hpp"

namespace aigw::responses {

// As OpenAI Chat Completions' parse_request reads a body (the same members are read, and each
// must appear at most once): `model` (a string of at most model_name_max bytes, and where its
// token is, for splicing), `stream` (true, false or null) and max_output_tokens as
// `max_tokens`, for the reservation (the largest of max_output_tokens, max_tokens and
// max_completion_tokens when a client sends those too, which the Responses API refuses).
// `choices` is always 1 and has_stream_options false: the Responses API has no n, and its
// streams carry usage without being asked (stream_options has include_obfuscation only).
// `capacity` must be >= len + json_padding; the padding bytes may be read but are never
// written.
request_fields read_request(const char* data, std::size_t len, std::size_t capacity,
                            bool model_required);

}  // namespace aigw::responses
