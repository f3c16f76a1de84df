#include "aigw/dialects/gemini/response.hpp"

#include <optional>
#include <stdexcept>

#include <simdjson.h>

#include "aigw/api/request.hpp"
#include "aigw/text/json_splice.hpp"
#include "aigw/text/sse_data.hpp"
#include "aigw/text/strings.hpp"
#include "core/text/json_walk.hpp"

namespace aigw::gemini {

namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view model_key = "modelVersion";

// `json` (one GenerateContentResponse) with its top-level string modelVersion token replaced
// by `model`, after the whole document is validated; std::nullopt when nothing changes.
std::optional<std::string> rename_object(std::string_view json, std::string_view model) {
    // Only a body that holds the key can name the model: a bytes check spares the others the parse.
    if (find_bytes(json, model_key) == std::string_view::npos) return std::nullopt;
    // One parser and one padded copy per worker process: both keep their buffers.
    static od::parser parser;
    static std::string padded;
    padded.assign(json.data(), json.size());
    padded.append(json_padding, ' ');
    const char* base = padded.data();

    od::document doc;
    od::object obj;
    if (parser.iterate(simdjson::padded_string_view(base, json.size(), padded.size())).get(doc) ||
        doc.get_object().get(obj)) {
        return std::nullopt;
    }
    int models = 0;          // only exactly one modelVersion is renamed
    std::size_t begin = 0;   // begin == end: it is not a string
    std::size_t end = 0;
    std::string_view current;
    for (auto field : obj) {
        std::string_view key;
        od::value v;
        if (json_walk::key_of(field, key) || field.value().get(v)) return std::nullopt;
        if (key == model_key) {
            ++models;
            od::json_type t;
            if (v.type().get(t)) return std::nullopt;
            if (t == od::json_type::string) {
                std::string_view token = v.raw_json_token();
                if (v.get_string().get(current)) return std::nullopt;
                begin = static_cast<std::size_t>(token.data() - base);
                end = begin + json_walk::token_end(token);
                continue;
            }
            begin = end = 0;
        }
        if (json_walk::consume(v, 1)) return std::nullopt;
    }
    if (!json_walk::at_end(doc) || models != 1 || end <= begin || current == model) {
        return std::nullopt;
    }
    try {
        return splice_model(json, begin, end, model);
    } catch (const std::invalid_argument&) {
        return std::nullopt;  // a model name that is not UTF-8: the answer keeps its own
    }
}

}  // namespace

std::string rename_response_model(std::string_view body, std::string_view model) {
    std::optional<std::string> out = rename_object(body, model);
    return out ? std::move(*out) : std::string(body);
}

std::optional<std::string> renamed_event(std::string_view event, std::string_view model) {
    return rewrite_data_lines(event, [&](std::string_view payload) {
        return rename_object(payload, model);
    });
}

std::string rename_event_model(std::string_view event, std::string_view model) {
    std::optional<std::string> out = renamed_event(event, model);
    return out ? std::move(*out) : std::string(event);
}

}  // namespace aigw::gemini
