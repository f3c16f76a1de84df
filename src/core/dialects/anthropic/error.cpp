#include "aigw/dialects/anthropic/error.hpp"

#include <simdjson.h>

#include "aigw/text/json_write.hpp"
#include "core/dialects/anthropic/wire.hpp"

namespace aigw::anthropic {

namespace {

// Anthropic's error types, the status Anthropic answers each with, and the canonical
// (OpenAI's) type for the same failure.
struct error_kind {
    std::string_view type;
    int status;
    std::string_view canonical_type;
};

constexpr error_kind kinds[] = {
    {"invalid_request_error", 400, "invalid_request_error"},
    {"authentication_error", 401, "authentication_error"},
    {"billing_error", 402, "insufficient_quota"},
    {"permission_error", 403, "permission_error"},
    {"not_found_error", 404, "invalid_request_error"},
    {"request_too_large", 413, "invalid_request_error"},
    {"rate_limit_error", 429, "rate_limit_error"},
    {"api_error", 500, "api_error"},
    {"timeout_error", 504, "api_error"},
    {"overloaded_error", 529, "api_error"},
};

const error_kind* kind_of_type(std::string_view type) {
    for (const error_kind& k : kinds) {
        if (k.type == type) return &k;
    }
    return nullptr;
}

}  // namespace

std::string_view error_type(const api_error& e) noexcept {
    switch (e.status) {
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: break;
    }
    // Anthropic: "We may also use this error type for other 4XX status codes".
    return e.status >= 400 && e.status < 500 ? "invalid_request_error" : "api_error";
}

std::string error_json(const api_error& e) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    w.Key("type");
    w.String("error");
    w.Key("error");
    w.StartObject();
    w.Key("type");
    write_text(w, error_type(e));
    w.Key("message");
    write_text(w, e.message);
    w.EndObject();
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

std::string error_event(const api_error& e) {
    std::string out = "event: error\ndata: ";
    out += error_json(e);
    out += "\n\n";
    return out;
}

api_error read_error(int status, std::string_view body) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::object error;
    std::string_view type;
    std::string_view message;
    if (wire::parse(parser, body, doc) || doc["error"].get_object().get(error) ||
        error["type"].get_string().get(type) || error["message"].get_string().get(message)) {
        return upstream_bad_response_error(status);
    }
    const error_kind* k = kind_of_type(type);
    api_error e;
    e.status = status >= 400 && status < 600 ? status : k != nullptr ? k->status : 500;
    // The canonical type of a type Anthropic may add later follows the status.
    e.type = k != nullptr ? k->canonical_type : error_for_status(e.status).type;
    e.code = k != nullptr ? k->type : std::string_view();
    e.message.assign(message.data(), message.size());
    return e;
}

}  // namespace aigw::anthropic
