#include "aigw/api/error.hpp"

#include "aigw/text/log_value.hpp"

namespace aigw {

namespace {

// The most bytes of a client value a message quotes: a path or a model name (a request line
// can be as long as large_client_header_buffers allows, a model in the path too), and the
// short values (a parameter's value, a method).
constexpr std::size_t name_shown = 256;
constexpr std::size_t value_shown = 64;

// Appends a client value to a message: its first `max` bytes at most, never half a UTF-8
// character, and "..." when it was cut.
void append_clipped(std::string& msg, std::string_view value, std::size_t max) {
    std::size_t n = utf8_prefix_length(value, max);
    msg += value.substr(0, n);
    if (n < value.size()) msg += "...";
}

api_error make(int status, std::string_view type, std::string_view code, std::string message,
               std::string param = {}) {
    api_error e;
    e.status = status;
    e.type = type;
    e.code = code;
    e.message = std::move(message);
    // A parameter's path can name the client's own member keys (a translator's param).
    if (param.size() > name_shown) {
        append_clipped(e.param, param, name_shown);
    } else {
        e.param = std::move(param);
    }
    return e;
}

}  // namespace

api_error invalid_json_error(std::string_view detail) {
    std::string msg =
        "We could not parse the JSON body of your request. The API expects a JSON object";
    if (!detail.empty()) {
        msg += " (";
        msg += detail;
        msg += ")";
    }
    msg += ".";
    return make(400, "invalid_request_error", "invalid_json", std::move(msg));
}

api_error not_an_object_error() {
    return make(400, "invalid_request_error", "invalid_json",
                "The request body must be a JSON object.");
}

api_error missing_model_error() {
    return make(400, "invalid_request_error", "missing_required_parameter",
                "You must provide a model parameter.", "model");
}

api_error invalid_type_error(std::string_view param, std::string_view expected,
                             std::string_view got_phrase) {
    std::string msg = "Invalid type for '";
    msg += param;
    msg += "': expected ";
    msg += expected;
    msg += ", but got ";
    msg += got_phrase;
    msg += " instead.";
    return make(400, "invalid_request_error", "invalid_type", std::move(msg), std::string(param));
}

api_error string_too_long_error(std::string_view param, std::size_t max, std::size_t got) {
    std::string msg = "Invalid '";
    msg += param;
    msg += "': string too long. Expected a string with maximum length ";
    msg += std::to_string(max);
    msg += ", but got a string with length ";
    msg += std::to_string(got);
    msg += " instead.";
    return make(400, "invalid_request_error", "string_above_max_length", std::move(msg),
                std::string(param));
}

api_error duplicate_member_error(std::string_view member) {
    std::string msg = "Duplicate parameter '";
    msg += member;
    msg += "': the request body gives it more than once. Send each parameter once.";
    return make(400, "invalid_request_error", "duplicate_parameter", std::move(msg),
                std::string(member));
}

api_error missing_parameter_error(std::string_view param) {
    std::string msg = "Missing required parameter: '";
    msg += param;
    msg += "'.";
    return make(400, "invalid_request_error", "missing_required_parameter", std::move(msg),
                std::string(param));
}

api_error invalid_value_error(std::string_view param, std::string_view value,
                              std::string_view supported) {
    std::string msg = "Invalid value: '";
    append_clipped(msg, value, value_shown);
    msg += "'. Supported values are: ";
    msg += supported;
    msg += ".";
    return make(400, "invalid_request_error", "invalid_value", std::move(msg), std::string(param));
}

api_error empty_array_error(std::string_view param) {
    std::string msg = "Invalid '";
    msg += param;
    msg += "': empty array. Expected an array with minimum length 1, but got an empty array "
           "instead.";
    return make(400, "invalid_request_error", "empty_array", std::move(msg), std::string(param));
}

namespace {

api_error integer_range_error(std::string_view param, std::string_view code,
                              std::string_view which, std::string_view bound,
                              std::string_view got) {
    std::string msg = "Invalid '";
    msg += param;
    msg += "': ";
    msg += which;
    msg += ". Expected a value ";
    msg += bound;
    msg += ", but got ";
    append_clipped(msg, got, value_shown);
    msg += " instead.";
    return make(400, "invalid_request_error", code, std::move(msg), std::string(param));
}

}  // namespace

api_error integer_below_min_error(std::string_view param, std::int64_t min, std::string_view got) {
    return integer_range_error(param, "integer_below_min_value", "integer below minimum value",
                               ">= " + std::to_string(min), got);
}

api_error integer_above_max_error(std::string_view param, std::int64_t max, std::string_view got) {
    return integer_range_error(param, "integer_above_max_value", "integer above maximum value",
                               "<= " + std::to_string(max), got);
}

api_error media_parameter_error(std::string message, std::string_view param) {
    return make(400, "invalid_request_error", "invalid_value", std::move(message),
                std::string(param));
}

api_error multipart_error(std::string_view why) {
    std::string msg = "Could not parse multipart form: ";
    msg += why;
    return make(400, "invalid_request_error", "invalid_multipart", std::move(msg), "");
}

api_error untranslatable_error(std::string_view param, std::string_view what) {
    std::string msg(what);
    msg += " cannot be translated to the API of the upstream that serves this model. Leave it "
           "out, or use a model served in this API's own format.";
    return make(400, "invalid_request_error", "untranslatable_parameter", std::move(msg),
                std::string(param));
}

api_error model_endpoint_error(std::string_view model, std::string_view path) {
    std::string msg = "The model `";
    append_clipped(msg, model, name_shown);
    msg += "` is not served at ";
    append_clipped(msg, path, name_shown);
    msg += " by this gateway: its upstreams speak another API, and only chat requests are "
           "translated.";
    return make(400, "invalid_request_error", "unsupported_endpoint", std::move(msg), "model");
}

api_error endpoint_not_allowed_error(std::string_view family) {
    std::string msg = "This API key may not use the ";
    append_clipped(msg, family, value_shown);
    msg += " endpoints.";
    return make(403, "permission_error", "endpoint_not_allowed", std::move(msg));
}

api_error websocket_unsupported_error() {
    return make(426, "invalid_request_error", "upgrade_required",
                "This gateway serves the Responses API over HTTP, not WebSocket: send POST "
                "/v1/responses.");
}

api_error stored_response_not_found_error(std::string_view path) {
    std::string msg = "No response is stored for ";
    append_clipped(msg, path, name_shown);
    msg += ": this gateway keeps none, and no upstream that serves the Responses API is "
           "configured.";
    return make(404, "invalid_request_error", "not_found", std::move(msg));
}

api_error video_not_found_error(std::string_view id) {
    std::string msg = "Video with id '";
    append_clipped(msg, id, name_shown);
    msg += "' not found.";
    return make(404, "invalid_request_error", "not_found", std::move(msg), "");
}

api_error tasks_unavailable_error() {
    return make(503, "api_error", "service_unavailable",
                "The gateway cannot read or record video tasks right now. Please retry shortly.");
}

api_error tasks_need_keys_error() {
    return make(400, "invalid_request_error", "tasks_unavailable",
                "Video tasks need the gateway's API keys and Redis (aigw_keys, aigw_redis); this "
                "endpoint has neither.");
}

api_error upstream_bad_answer_error() {
    return make(502, "api_error", "upstream_error",
                "The upstream model provider's answer was not the video object it should be.");
}

api_error callback_refused_error(std::string_view why) {
    std::string msg = "Invalid callback URL: ";
    append_clipped(msg, why, name_shown);
    return make(400, "invalid_request_error", "invalid_callback_url", std::move(msg),
                "X-Aigw-Callback-Url");
}

api_error content_filter_error(std::string_view reason) {
    std::string msg = "The prompt was blocked by the upstream's content filter (";
    append_clipped(msg, reason, value_shown);
    msg += ").";
    api_error e = make(400, "invalid_request_error", "content_filter", std::move(msg));
    e.param = "prompt";
    return e;
}

api_error stream_format_error() {
    return make(400, "invalid_request_error", "invalid_value",
                "streamGenerateContent is served as Server-Sent Events only: add alt=sse to "
                "the query.");
}

api_error unknown_endpoint_error(std::string_view method, std::string_view path) {
    std::string msg = "Invalid URL (";
    append_clipped(msg, method, value_shown);
    msg += " ";
    append_clipped(msg, path, name_shown);
    msg += ")";
    return make(404, "invalid_request_error", "unknown_url", std::move(msg));
}

api_error method_not_allowed_error(std::string_view method, std::string_view path) {
    std::string msg = "Method ";
    append_clipped(msg, method, value_shown);
    msg += " is not allowed for ";
    append_clipped(msg, path, name_shown);
    msg += ".";
    return make(405, "invalid_request_error", "method_not_allowed", std::move(msg));
}

api_error upstream_unreachable_error() {
    return make(502, "api_error", "upstream_unreachable",
                "The gateway could not reach the upstream model provider.");
}

api_error upstream_timeout_error() {
    return make(504, "api_error", "upstream_timeout",
                "The upstream model provider did not respond in time.");
}

api_error upstream_bad_response_error(int status) {
    // A 4xx that is not JSON keeps its status; anything else becomes a bad gateway.
    int out = (status >= 400 && status < 500) ? status : 502;
    std::string msg = "The upstream model provider returned HTTP " + std::to_string(status) +
                      " without an API error body.";
    return make(out, out < 500 ? "invalid_request_error" : "api_error", "upstream_error",
                std::move(msg));
}

api_error upstream_interrupted_error() {
    return make(502, "api_error", "upstream_interrupted",
                "The upstream connection was interrupted before the response was complete.");
}

api_error model_not_found_error(std::string_view model) {
    std::string msg = "The model `";
    append_clipped(msg, model, name_shown);
    msg += "` does not exist or you do not have access to it.";
    return make(404, "invalid_request_error", "model_not_found", std::move(msg));
}

api_error model_price_missing_error(std::string_view model) {
    std::string msg = "The gateway has no price for model `";
    append_clipped(msg, model, name_shown);
    msg += "`, so it cannot serve it. Ask the gateway's operator to set one.";
    return make(500, "api_error", "model_price_missing", std::move(msg));
}

api_error all_channels_failed_error(std::string_view model, unsigned tried, attempt_failure last,
                                    int last_status) {
    // Channels tried, which may be fewer than the model has (aigw_fallback_attempts, channels
    // set aside): the message says what was tried.
    std::string msg = tried == 1 ? "The upstream channel tried"
                                 : "All " + std::to_string(tried) + " upstream channels tried";
    msg += " for model `";
    append_clipped(msg, model, name_shown);
    msg += "` failed";
    switch (last) {
    case attempt_failure::unreachable:
        msg += "; the last could not be reached.";
        return make(502, "api_error", "all_channels_failed", std::move(msg));
    case attempt_failure::timeout:
        msg += "; the last did not respond in time.";
        return make(504, "api_error", "all_channels_failed", std::move(msg));
    case attempt_failure::status:
        break;
    }
    msg += "; the last answered HTTP " + std::to_string(last_status) + ".";
    if (last_status == 429) {
        return make(429, "rate_limit_error", "rate_limit_exceeded", std::move(msg));
    }
    if (last_status == 504) {
        return make(504, "api_error", "all_channels_failed", std::move(msg));
    }
    if (last_status == 529) {
        // Anthropic's "overloaded": its clients back off on this status and no other.
        return make(529, "api_error", "overloaded", std::move(msg));
    }
    return make(last_status == 503 ? 503 : 502, "api_error", "all_channels_failed", std::move(msg));
}

api_error error_for_status(int status) {
    switch (status) {
    case 400:
        return make(400, "invalid_request_error", "bad_request", "The request was malformed.");
    case 401:
        return make(401, "authentication_error", "invalid_api_key",
                    "The request is not authorized.");
    case 403:
        return make(403, "permission_error", "forbidden", "Access to this resource is denied.");
    case 404:
        return make(404, "invalid_request_error", "not_found",
                    "The requested resource was not found.");
    case 405:
        return make(405, "invalid_request_error", "method_not_allowed",
                    "The method is not allowed for this URL.");
    case 408:
        return make(408, "invalid_request_error", "request_timeout",
                    "The client did not send the request in time.");
    case 413:
        return make(413, "invalid_request_error", "request_too_large",
                    "The request body is larger than the gateway accepts.");
    case 414:
        return make(414, "invalid_request_error", "uri_too_long", "The request URL is too long.");
    case 429:
        return make(429, "rate_limit_error", "rate_limit_exceeded",
                    "Too many requests. Slow down and retry later.");
    case 494:
        return make(400, "invalid_request_error", "request_header_too_large",
                    "The request's headers are larger than the gateway accepts: a header line "
                    "is too long, or there are too many headers.");
    case 501:
        return make(501, "invalid_request_error", "not_implemented",
                    "The request's Transfer-Encoding is not supported: send the body with "
                    "Content-Length, or with Transfer-Encoding: chunked alone.");
    case 502:
        return upstream_unreachable_error();
    case 505:
        return make(505, "invalid_request_error", "http_version_not_supported",
                    "The request's HTTP version is not supported: use HTTP/1.0, HTTP/1.1 or "
                    "HTTP/2.");
    case 503:
        return make(503, "api_error", "service_unavailable",
                    "The service is temporarily unavailable.");
    case 504:
        return upstream_timeout_error();
    default:
        break;
    }
    if (status >= 400 && status < 500) {
        return make(status, "invalid_request_error", "bad_request",
                    "The request could not be processed (HTTP " + std::to_string(status) + ").");
    }
    return make(status >= 500 && status < 600 ? status : 500, "api_error", "internal_error",
                "The gateway failed to process the request.");
}

api_error missing_api_key_error() {
    return make(401, "authentication_error", "missing_api_key",
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
                "or in an x-api-key header.");
}

api_error invalid_api_key_error(std::string_view masked) {
    std::string msg = "Incorrect API key provided: ";
    msg += masked;
    msg += ". Ask the administrator of this gateway for a valid key.";
    return make(401, "authentication_error", "invalid_api_key", std::move(msg));
}

api_error malformed_api_key_error(std::string_view masked) {
    std::string msg = "Malformed API key provided";
    // A mask without a tail ("sk-aigw-…") tells the client nothing; leave it out.
    static constexpr std::string_view ellipsis = "\xE2\x80\xA6";
    if (masked.size() > ellipsis.size() &&
        masked.substr(masked.size() - ellipsis.size()) != ellipsis) {
        msg += ": ";
        msg += masked;
    }
    msg += ". Keys of this gateway are `sk-aigw-` followed by 40 to 128 letters and digits. "
           "Ask the administrator of this gateway for a valid key.";
    return make(401, "authentication_error", "invalid_api_key", std::move(msg));
}

api_error key_disabled_error() {
    return make(401, "authentication_error", "key_disabled",
                "The API key provided has been disabled.");
}

api_error key_expired_error() {
    return make(401, "authentication_error", "key_expired", "The API key provided has expired.");
}

api_error ip_not_allowed_error() {
    return make(403, "permission_error", "ip_not_allowed",
                "The API key provided may not be used from your IP address.");
}

api_error model_not_allowed_error(std::string_view model) {
    std::string msg = "The API key provided is not allowed to use the model '";
    append_clipped(msg, model, name_shown);
    msg += "'.";
    return make(403, "permission_error", "model_not_allowed", std::move(msg), "model");
}

api_error keys_unavailable_error() {
    // Fail closed: without Redis (and no cached entry) no key can be trusted.
    return make(503, "api_error", "service_unavailable",
                "The gateway cannot verify API keys right now. Please retry shortly.");
}

// Billing (billing.hpp). 402, not 429: OpenAI's SDKs retry a 429 on their own, and retrying
// cannot help an account that has run out of money.
api_error insufficient_quota_error(std::string_view scope) {
    std::string msg = "You exceeded your current quota";
    msg += scope == "group" ? " (the key's group)" : "";
    msg += ". Please check your plan and billing details, or ask for a top-up.";
    return make(402, "insufficient_quota", "insufficient_quota", std::move(msg));
}

api_error rate_limit_error(std::string_view what, std::int64_t limit, std::int64_t retry_ms,
                           std::string_view scope) {
    bool tokens = what == "tokens";
    std::string msg = "Rate limit reached on ";
    msg += tokens ? "tokens per min (TPM)" : "requests per min (RPM)";
    msg += scope == "group" ? " for the key's group" : "";
    msg += ": Limit " + std::to_string(limit) + ". Please try again in ";
    std::int64_t s = (retry_ms + 999) / 1000;
    msg += std::to_string(s < 1 ? 1 : s) + "s.";
    return make(429, tokens ? "tokens" : "requests", "rate_limit_exceeded", std::move(msg));
}

api_error billing_unavailable_error() {
    return make(503, "api_error", "service_unavailable",
                "The gateway cannot check this key's quota right now. Please retry shortly.");
}

}  // namespace aigw
