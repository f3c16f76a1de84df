// Naming the model in an answer as the client asked for it (aigw_response_model public): a
// GenerateContentResponse names its model in the top-level string "modelVersion"; only that
// string token changes, every other byte stays.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aigw::gemini {

// A whole body with its top-level "modelVersion" set to `model`; unchanged when it is not a
// valid JSON object with one string modelVersion, or already names it.
std::string rename_response_model(std::string_view body, std::string_view model);

// A whole SSE event (its lines and the blank line ending it, "\r\n" or "\n"): its data's
// top-level modelVersion set to `model`; only the data: line's payload is rewritten
// (text/sse_data.hpp), and an event without one is left as it came.
std::string rename_event_model(std::string_view event, std::string_view model);
// The same, std::nullopt when the event stays as it came.
std::optional<std::string> renamed_event(std::string_view event, std::string_view model);

}  // namespace aigw::gemini
