// Reading the fields the gateway needs from a generateContent (or countTokens) request body,
// without building a tree.
#pragma once

#include <cstddef>

#include "aigw/api/request.hpp"

namespace aigw::gemini {

// A GenerateContentRequest body: it names no model (the path does) and no stream (the method
// does), so `model` and `stream` are never set here. `max_tokens` is
// generationConfig.maxOutputTokens (or max_output_tokens: the API takes both spellings) when
// an integer, for the reservation; `choices` is generationConfig.candidateCount (1 if absent).
// The body must be a JSON object (not_an_object), valid (invalid_json, nesting deeper than 128
// included); generationConfig and its maxOutputTokens and candidateCount may appear at most
// once each, both spellings counting as one member (duplicate_member). `capacity` must be >=
// len + json_padding; the padding may be read, never written.
request_fields read_request(const char* data, std::size_t len, std::size_t capacity);

}  // namespace aigw::gemini
