#include "aigw/dialects/gemini/request.hpp"

#include <simdjson.h>

#include "core/text/json_walk.hpp"

namespace aigw::gemini {

static_assert(json_padding >= simdjson::SIMDJSON_PADDING, "json_padding must cover simdjson's padding");

namespace {

namespace od = simdjson::ondemand;
using json_walk::at_end;
using json_walk::consume;
using json_walk::consume_document;

request_fields invalid(simdjson::error_code err) {
    request_fields f;
    f.status = request_parse_status::invalid_json;
    f.error_detail = simdjson::error_message(err);
    return f;
}

// The API reads a member in camelCase or snake_case alike: both spellings are one member.
bool named(std::string_view key, std::string_view camel, std::string_view snake) {
    return key == camel || key == snake;
}

}  // namespace

request_fields read_request(const char* data, std::size_t len, std::size_t capacity) {
    // One parser per worker process: it keeps its buffers between requests.
    static od::parser parser;

    request_fields f;
    if (capacity < len + simdjson::SIMDJSON_PADDING) {
        f.error_detail = "internal: input buffer not padded";
        return f;
    }
    od::document doc;
    if (auto err = parser.iterate(simdjson::padded_string_view(data, len, capacity)).get(doc)) {
        return invalid(err);
    }
    od::json_type top;
    if (auto err = doc.type().get(top)) return invalid(err);
    if (top != od::json_type::object) {
        if (auto err = consume_document(doc, top)) return invalid(err);
        f.status = request_parse_status::not_an_object;
        return f;
    }
    od::object obj;
    if (auto err = doc.get_object().get(obj)) return invalid(err);

    auto duplicate = [&f](std::string_view name) {
        f.status = request_parse_status::duplicate_member;
        f.duplicate = name;
        return f;
    };
    bool config_seen = false;
    bool max_seen = false;
    bool count_seen = false;

    for (auto field : obj) {
        std::string_view key;
        if (auto err = json_walk::key_of(field, key)) return invalid(err);
        od::value v;
        if (auto err = field.value().get(v)) return invalid(err);
        if (!named(key, "generationConfig", "generation_config")) {
            if (auto err = consume(v, 1)) return invalid(err);
            continue;
        }
        if (config_seen) return duplicate("generationConfig");
        config_seen = true;
        od::json_type t;
        if (auto err = v.type().get(t)) return invalid(err);
        if (t != od::json_type::object) {
            // Another type is the upstream's to refuse.
            if (auto err = consume(v, 1)) return invalid(err);
            continue;
        }
        od::object config;
        if (auto err = v.get_object().get(config)) return invalid(err);
        for (auto inner : config) {
            std::string_view inner_key;
            if (auto err = json_walk::key_of(inner, inner_key)) return invalid(err);
            od::value iv;
            if (auto err = inner.value().get(iv)) return invalid(err);
            bool max = named(inner_key, "maxOutputTokens", "max_output_tokens");
            bool count = named(inner_key, "candidateCount", "candidate_count");
            if (max) {
                if (max_seen) return duplicate("generationConfig.maxOutputTokens");
                max_seen = true;
            } else if (count) {
                if (count_seen) return duplicate("generationConfig.candidateCount");
                count_seen = true;
            }
            std::int64_t n = 0;
            // For reserving quota only: a value of another type is the upstream's to refuse.
            if ((max || count) && iv.get_int64().get(n) == simdjson::SUCCESS) {
                if (max) {
                    f.max_tokens = n;
                } else {
                    f.choices = n;
                }
                continue;
            }
            if (auto err = consume(iv, 2)) return invalid(err);
        }
    }

    if (!at_end(doc)) {
        f.status = request_parse_status::invalid_json;
        f.error_detail = "unexpected content after the JSON object";
        return f;
    }
    f.status = request_parse_status::ok;
    return f;
}

}  // namespace aigw::gemini
