// Reading the fields the gateway needs from a Messages request body, without building a tree.
#pragma once

#include <cstddef>

#include "aigw/api/request.hpp"

namespace aigw::anthropic {

// As OpenAI's parse_request, for a Messages body: `model` (a string of at most model_name_max
// bytes, and where its token is, for splicing), `stream` (true, false or null) and
// `max_tokens` (an integer, for the reservation; another type is the upstream's to refuse).
// `choices` is always 1: Messages has no n. `capacity` must be >= len + json_padding; the
// padding bytes may be read but are never written. Each of model, stream and max_tokens must
// appear at most once, keys compared unescaped (duplicate_member): parsers differ on which
// duplicate wins, so the gateway could check and price one model while the provider serves
// another. The whole document is validated; nesting deeper than 128 is invalid_json.
request_fields read_request(const char* data, std::size_t len, std::size_t capacity,
                            bool model_required);

}  // namespace aigw::anthropic
