// Naming the model in a Responses answer as the client asked for it (aigw_response_model
// public): only the model's string token changes; every other byte stays.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aigw::responses {

// A whole response object with its top-level string "model" set to `model`. Returned
// unchanged when it is not a valid JSON object with one such model, or already names it.
std::string rename_response_model(std::string_view body, std::string_view model);

// A whole SSE event (its lines and the blank line ending it): the string "model" of the
// "response" object of a response.created, response.queued, response.in_progress,
// response.completed, response.incomplete or response.failed event set to `model`; other
// events (the deltas and items, which name no model) unchanged, and so is an event whose data
// is not a valid JSON object with one such model (text/sse_data.hpp).
std::string rename_event_model(std::string_view event, std::string_view model);
// The same, std::nullopt when the event stays as it came.
std::optional<std::string> renamed_event(std::string_view event, std::string_view model);

}  // namespace aigw::responses
