#include "aigw/dialects/gemini/error.hpp"

#include <simdjson.h>

#include "aigw/text/json_write.hpp"
#include "core/dialects/gemini/wire.hpp"

namespace aigw::gemini {

namespace {

// google.rpc.Code's words, their lower-case form (the canonical code) and the HTTP status
// Google answers each with.
struct rpc_code {
    std::string_view word;
    std::string_view lower;
    int status;
};

constexpr rpc_code codes[] = {
    {"CANCELLED", "cancelled", 499},
    {"UNKNOWN", "unknown", 500},
    {"INVALID_ARGUMENT", "invalid_argument", 400},
    {"DEADLINE_EXCEEDED", "deadline_exceeded", 504},
    {"NOT_FOUND", "not_found", 404},
    {"ALREADY_EXISTS", "already_exists", 409},
    {"PERMISSION_DENIED", "permission_denied", 403},
    {"RESOURCE_EXHAUSTED", "resource_exhausted", 429},
    {"FAILED_PRECONDITION", "failed_precondition", 400},
    {"ABORTED", "aborted", 409},
    {"OUT_OF_RANGE", "out_of_range", 400},
    {"UNIMPLEMENTED", "unimplemented", 501},
    {"INTERNAL", "internal", 500},
    {"UNAVAILABLE", "unavailable", 503},
    {"DATA_LOSS", "data_loss", 500},
    {"UNAUTHENTICATED", "unauthenticated", 401},
};

const rpc_code* code_of_word(std::string_view word) {
    for (const rpc_code& c : codes) {
        if (c.word == word) return &c;
    }
    return nullptr;
}

// OpenAI's type for a failure with this status.
std::string_view canonical_type(int status) {
    switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    default: break;
    }
    return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
}

}  // namespace

std::string_view status_name(int http_status) noexcept {
    switch (http_status) {
    case 400: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "ABORTED";
    case 413: return "INVALID_ARGUMENT";
    case 429: return "RESOURCE_EXHAUSTED";
    case 499: return "CANCELLED";
    case 500: return "INTERNAL";
    case 501: return "UNIMPLEMENTED";
    case 503: return "UNAVAILABLE";
    case 504: return "DEADLINE_EXCEEDED";
    case 529: return "UNAVAILABLE";
    default: break;
    }
    if (http_status >= 400 && http_status < 500) return "FAILED_PRECONDITION";
    return "INTERNAL";
}

std::string error_json(const api_error& e) {
    return json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("error");
        w.StartObject();
        w.Key("code");
        w.Int(e.status);
        w.Key("message");
        write_text(w, e.message);
        w.Key("status");
        write_text(w, status_name(e.status));
        w.EndObject();
        w.EndObject();
    });
}

std::string error_event(const api_error& e) {
    std::string out = "data: ";
    out += error_json(e);
    out += "\r\n\r\n";
    return out;
}

api_error read_error(int status, std::string_view body) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::object error;
    std::string_view message;
    if (wire::parse(parser, body, doc) || doc["error"].get_object().get(error) ||
        error["message"].get_string().get(message)) {
        return upstream_bad_response_error(status);
    }
    std::string_view word;
    const rpc_code* c = error["status"].get_string().get(word) ? nullptr : code_of_word(word);
    std::int64_t code = 0;
    if (error["code"].get_int64().get(code)) code = 0;
    api_error e;
    if (status >= 400 && status < 600) {
        e.status = status;
    } else if (code >= 400 && code < 600) {
        e.status = static_cast<int>(code);
    } else {
        e.status = c != nullptr ? c->status : 500;
    }
    e.type = canonical_type(e.status);
    // A word Google may add later has no code of ours: null rather than a guess.
    e.code = e.status == 429 ? std::string_view("rate_limit_exceeded")
             : c != nullptr  ? c->lower
                             : std::string_view();
    e.message.assign(message.data(), message.size());
    return e;
}

std::uint64_t retry_delay_ms(std::string_view body) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::array details;
    if (wire::parse(parser, body, doc) || doc["error"]["details"].get_array().get(details)) {
        return 0;
    }
    constexpr std::string_view retry_info = "google.rpc.RetryInfo";
    for (simdjson::dom::element d : details) {
        simdjson::dom::object o;
        std::string_view type, delay;
        if (d.get_object().get(o) || o["@type"].get_string().get(type) ||
            type.size() < retry_info.size() ||
            type.substr(type.size() - retry_info.size()) != retry_info ||
            o["retryDelay"].get_string().get(delay)) {
            continue;
        }
        // google.protobuf.Duration in JSON: seconds with up to 9 fraction digits, then "s".
        if (delay.size() < 2 || delay.back() != 's') return 0;
        delay.remove_suffix(1);
        std::uint64_t seconds = 0;
        std::size_t i = 0;
        for (; i < delay.size() && delay[i] >= '0' && delay[i] <= '9'; i++) {
            if (seconds > 86400) return 0;  // a day: past any sane wait
            seconds = seconds * 10 + static_cast<std::uint64_t>(delay[i] - '0');
        }
        if (i == 0) return 0;
        std::uint64_t nanos = 0;
        std::uint64_t scale = 100000000;
        if (i < delay.size()) {
            if (delay[i] != '.' || i + 1 == delay.size()) return 0;
            for (i++; i < delay.size(); i++, scale /= 10) {
                if (delay[i] < '0' || delay[i] > '9' || scale == 0) return 0;
                nanos += static_cast<std::uint64_t>(delay[i] - '0') * scale;
            }
        }
        return seconds * 1000 + (nanos + 999999) / 1000000;
    }
    return 0;
}

}  // namespace aigw::gemini
