// Naming the model in a response as the client asked for it (aigw_response_model public): the
// upstream answers with its own name, the client should see the public one, in the JSON body
// and in every SSE chunk. Only the top-level "model" value changes; every other byte stays.
#pragma once

#include <string>
#include <string_view>

namespace aigw {

// A whole JSON response body with its top-level string "model" set to `public_model`.
// Returned unchanged when it is not a JSON object with such a model, or already names it.
// Nested "model" keys (a Responses API event's "response":{"model":...}) are left alone.
std::string rename_response_model(std::string_view json, std::string_view public_model);

// One SSE data payload (the text after "data:"), e.g. a chat.completion.chunk object;
// "[DONE]" and anything else that is not a JSON object pass unchanged.
std::string rename_chunk_model(std::string_view data, std::string_view public_model);

// A whole SSE event (its lines and the blank line ending it): each "data:" line's payload
// renamed as by rename_chunk_model; field names, other lines and line ends unchanged. A JSON
// object split over several data lines is not rewritten (providers send one line per chunk).
std::string rename_event_model(std::string_view event, std::string_view public_model);

}  // namespace aigw
