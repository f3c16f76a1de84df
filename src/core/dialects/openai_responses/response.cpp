#include "aigw/dialects/openai_responses/response.hpp"

#include <optional>

#include "aigw/dialects/openai_chat/response.hpp"
#include "aigw/text/sse_data.hpp"

namespace aigw::responses {

namespace {

// The events whose "response" object names the model: the response's lifecycle.
bool names_model(std::string_view type) {
    return type == "response.created" || type == "response.in_progress" ||
           type == "response.completed" || type == "response.incomplete" ||
           type == "response.failed" || type == "response.queued";
}

}  // namespace

std::string rename_response_model(std::string_view body, std::string_view model) {
    // A response object names its model at the top level, as a chat.completion does.
    return aigw::rename_response_model(body, model);
}

std::optional<std::string> renamed_event(std::string_view event, std::string_view model) {
    return rename_held_model(event, "response", names_model, model);
}

std::string rename_event_model(std::string_view event, std::string_view model) {
    std::optional<std::string> out = renamed_event(event, model);
    return out ? std::move(*out) : std::string(event);
}

}  // namespace aigw::responses
