#include "aigw/response_model.hpp"

#include <memory>

#include "aigw/json.hpp"
#include "aigw/json_splice.hpp"

namespace aigw {

std::string rename_response_model(std::string_view json, std::string_view public_model) {
    // parse_request reads exactly what is needed: the top-level model and its token range,
    // after validating the whole document (a broken body is passed on as it came).
    std::unique_ptr<char[]> padded(new char[json.size() + json_padding]());
    json.copy(padded.get(), json.size());
    request_fields f = parse_request(padded.get(), json.size(), json.size() + json_padding, false);
    if (f.status != request_parse_status::ok || !f.has_model || f.model == public_model) {
        return std::string(json);
    }
    return splice_model(json, f.model_token_begin, f.model_token_end, public_model);
}

std::string rename_chunk_model(std::string_view data, std::string_view public_model) {
    std::size_t first = data.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || data[first] != '{') {
        return std::string(data);  // "[DONE]", keep-alives, anything not an object
    }
    return rename_response_model(data, public_model);
}

std::string rename_event_model(std::string_view event, std::string_view public_model) {
    constexpr std::string_view field = "data:";
    std::string out;
    out.reserve(event.size() + public_model.size());
    std::size_t at = 0;
    while (at < event.size()) {
        // A line ends at CR, LF or CRLF (the SSE grammar); the end bytes are copied as they are.
        std::size_t eol = event.find_first_of("\r\n", at);
        if (eol == std::string_view::npos) eol = event.size();
        std::string_view line = event.substr(at, eol - at);
        if (line.substr(0, field.size()) == field) {
            std::size_t payload = field.size();
            if (payload < line.size() && line[payload] == ' ') ++payload;  // one space is syntax
            out += line.substr(0, payload);
            out += rename_chunk_model(line.substr(payload), public_model);
        } else {
            out += line;
        }
        at = eol;
        if (at < event.size() && event[at] == '\r') out += event[at++];
        if (at < event.size() && event[at] == '\n') out += event[at++];
    }
    return out;
}

}  // namespace aigw
