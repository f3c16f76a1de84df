// Naming the model in an answer as the client asked for it (aigw_response_model public):
// only the model's string token changes; every other byte stays.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aigw::anthropic {

// A whole Message body with its top-level string "model" set to `model`. Returned unchanged
// when it is not a valid JSON object with one such model (read as read_request reads it), or
// already names it.
std::string rename_response_model(std::string_view body, std::string_view model);

// A whole SSE event (its lines and the blank line ending it): a message_start event's
// message.model set to `model`, other events unchanged. Only the data: line's payload is
// rewritten (text/sse_data.hpp); a message_start whose data is not a valid JSON object with
// one string message.model is left as it came.
std::string rename_event_model(std::string_view event, std::string_view model);
// The same, std::nullopt when the event stays as it came.
std::optional<std::string> renamed_event(std::string_view event, std::string_view model);

}  // namespace aigw::anthropic
