#include "aigw/dialects/anthropic/response.hpp"

#include <memory>
#include <optional>

#include "aigw/dialects/anthropic/request.hpp"
#include "aigw/text/json_splice.hpp"
#include "aigw/text/sse_data.hpp"

namespace aigw::anthropic {

namespace {

bool is_message_start(std::string_view type) { return type == "message_start"; }

}  // namespace

std::string rename_response_model(std::string_view body, std::string_view model) {
    // read_request reads exactly what is needed: the top-level model and its token range,
    // after validating the whole document (a broken body is passed on as it came).
    std::unique_ptr<char[]> padded(new char[body.size() + json_padding]());
    body.copy(padded.get(), body.size());
    request_fields f = read_request(padded.get(), body.size(), body.size() + json_padding, false);
    if (f.status != request_parse_status::ok || !f.has_model || f.model == model) {
        return std::string(body);
    }
    return splice_model(body, f.model_token_begin, f.model_token_end, model);
}

std::optional<std::string> renamed_event(std::string_view event, std::string_view model) {
    return rename_held_model(event, "message", is_message_start, model);
}

std::string rename_event_model(std::string_view event, std::string_view model) {
    std::optional<std::string> out = renamed_event(event, model);
    return out ? std::move(*out) : std::string(event);
}

}  // namespace aigw::anthropic
