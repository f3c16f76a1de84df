#include "aigw/dialects/anthropic/response.hpp"

#include <memory>
#include <optional>

#include <simdjson.h>

#include "aigw/dialects/anthropic/request.hpp"
#include "aigw/text/json_splice.hpp"
#include "aigw/text/sse_data.hpp"
#include "core/text/json_walk.hpp"

namespace aigw::anthropic {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// Where message_start's message.model token is, after the whole document is validated.
struct event_model {
    bool message_start = false;
    int models = 0;  // "model" members in "message"; only exactly one is renamed
    int messages = 0;
    std::size_t begin = 0;  // begin == end: the model is not a string
    std::size_t end = 0;
};

error_code read_message(od::value v, const char* base, event_model& found) {
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != od::json_type::object) return json_walk::consume(v, 1);
    ++found.messages;
    od::object o;
    if (auto err = v.get_object().get(o)) return err;
    for (auto field : o) {
        std::string_view key;
        od::value inner;
        if (auto err = field.unescaped_key().get(key)) return err;
        if (auto err = field.value().get(inner)) return err;
        if (key == "model") {
            ++found.models;
            if (auto err = inner.type().get(t)) return err;
            if (t == od::json_type::string) {
                std::string_view token = inner.raw_json_token();
                std::string_view s;
                if (auto err = inner.get_string().get(s)) return err;
                found.begin = static_cast<std::size_t>(token.data() - base);
                // The token runs to the next structural character: trailing blanks are not in it.
                std::size_t n = token.find_last_of('"');
                found.end = found.begin + (n == std::string_view::npos ? 0 : n + 1);
                continue;
            }
        }
        if (auto err = json_walk::consume(inner, 2)) return err;
    }
    return simdjson::SUCCESS;
}

std::optional<std::string> rename_payload(std::string_view payload, std::string_view model) {
    // Only message_start names the model: a bytes check spares every other event the parse.
    if (payload.find("message_start") == std::string_view::npos) return std::nullopt;
    // One parser and one padded copy per worker process: both keep their buffers.
    static od::parser parser;
    static std::string padded;
    padded.assign(payload.data(), payload.size());
    padded.append(json_padding, ' ');
    const char* base = padded.data();

    od::document doc;
    od::object obj;
    if (parser.iterate(simdjson::padded_string_view(base, payload.size(), padded.size())).get(doc) ||
        doc.get_object().get(obj)) {
        return std::nullopt;
    }
    event_model found;
    for (auto field : obj) {
        std::string_view key;
        od::value v;
        if (field.unescaped_key().get(key) || field.value().get(v)) return std::nullopt;
        if (key == "type") {
            std::string_view type;
            od::json_type t;
            if (v.type().get(t)) return std::nullopt;
            if (t == od::json_type::string) {
                if (v.get_string().get(type)) return std::nullopt;
                found.message_start = type == "message_start";
                continue;
            }
        } else if (key == "message") {
            if (read_message(v, base, found)) return std::nullopt;
            continue;
        }
        if (json_walk::consume(v, 1)) return std::nullopt;
    }
    if (!json_walk::at_end(doc) || !found.message_start || found.messages != 1 ||
        found.models != 1 || found.end <= found.begin) {
        return std::nullopt;
    }
    std::string renamed = splice_model(payload, found.begin, found.end, model);
    if (renamed == payload) return std::nullopt;
    return renamed;
}

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

std::string rename_event_model(std::string_view event, std::string_view model) {
    std::optional<std::string> out = rewrite_data_lines(
        event, [&](std::string_view payload) { return rename_payload(payload, model); });
    return out ? std::move(*out) : std::string(event);
}

}  // namespace aigw::anthropic
