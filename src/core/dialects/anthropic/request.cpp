#include "aigw/dialects/anthropic/request.hpp"

#include <iterator>

#include <simdjson.h>

#include "aigw/text/log_value.hpp"
#include "core/text/json_walk.hpp"

namespace aigw::anthropic {

static_assert(json_padding >= simdjson::SIMDJSON_PADDING, "json_padding must cover simdjson's padding");

namespace {

namespace od = simdjson::ondemand;
using json_walk::at_end;
using json_walk::consume;
using json_walk::consume_document;
using json_walk::token_end;
using json_walk::type_phrase;

request_fields invalid(simdjson::error_code err) {
    request_fields f;
    f.status = request_parse_status::invalid_json;
    f.error_detail = simdjson::error_message(err);
    return f;
}

}  // namespace

request_fields read_request(const char* data, std::size_t len, std::size_t capacity,
                            bool model_required) {
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

    od::json_type model_type = od::json_type::null;
    bool model_seen = false;
    od::json_type stream_type = od::json_type::null;
    bool stream_seen = false;
    bool model_too_long = false;
    // The members read, each allowed once.
    static constexpr std::string_view once[] = {"model", "stream", "max_tokens"};
    bool seen[std::size(once)] = {};

    for (auto field : obj) {
        std::string_view key;
        if (auto err = json_walk::key_of(field, key)) return invalid(err);
        od::value v;
        if (auto err = field.value().get(v)) return invalid(err);

        for (std::size_t i = 0; i < std::size(once); ++i) {
            if (key != once[i]) continue;
            if (seen[i]) {
                f.status = request_parse_status::duplicate_member;
                f.duplicate = once[i];
                return f;
            }
            seen[i] = true;
            break;
        }

        if (key == "model") {
            model_seen = true;
            if (auto err = v.type().get(model_type)) return invalid(err);
            if (model_type == od::json_type::string) {
                std::string_view token = v.raw_json_token();
                std::string_view s;
                if (auto err = v.get_string().get(s)) return invalid(err);
                if (s.size() > model_name_max) {
                    // Only a bounded prefix is kept: nothing downstream sees the whole value.
                    model_too_long = true;
                    f.model_size = s.size();
                    s = s.substr(0, utf8_prefix_length(s, model_name_max));
                }
                f.model.assign(s.data(), s.size());
                f.model_token_begin = static_cast<std::size_t>(token.data() - data);
                f.model_token_end = f.model_token_begin + token_end(token);
                continue;
            }
        } else if (key == "max_tokens") {
            // For reserving quota only: a value of another type is the upstream's to refuse.
            std::int64_t n = 0;
            if (v.get_int64().get(n) == simdjson::SUCCESS) {
                f.max_tokens = n;
                continue;
            }
        } else if (key == "stream") {
            stream_seen = true;
            if (auto err = v.type().get(stream_type)) return invalid(err);
            if (stream_type == od::json_type::boolean) {
                bool b = false;
                if (auto err = v.get_bool().get(b)) return invalid(err);
                f.stream = b;
                continue;
            }
        }
        if (auto err = consume(v, 1)) return invalid(err);
    }

    if (!at_end(doc)) {
        f.status = request_parse_status::invalid_json;
        f.error_detail = "unexpected content after the JSON object";
        return f;
    }
    if (model_too_long) {
        f.status = request_parse_status::model_too_long;
        return f;
    }
    if (stream_seen && stream_type != od::json_type::boolean && stream_type != od::json_type::null) {
        f.status = request_parse_status::stream_not_bool;
        f.wrong_type = type_phrase(stream_type);
        return f;
    }
    if (model_seen && model_type != od::json_type::string) {
        if (model_type == od::json_type::null && !model_required) {
            f.status = request_parse_status::ok;
            return f;
        }
        f.status = model_type == od::json_type::null ? request_parse_status::model_missing
                                                     : request_parse_status::model_not_string;
        f.wrong_type = type_phrase(model_type);
        return f;
    }
    f.has_model = model_seen;
    if (!model_seen && model_required) {
        f.status = request_parse_status::model_missing;
        return f;
    }
    f.status = request_parse_status::ok;
    return f;
}

}  // namespace aigw::anthropic
