#include "core/dialects/anthropic/wire.hpp"

#include <algorithm>

#include "aigw/request_id.hpp"
#include "core/text/json_walk.hpp"

namespace aigw::anthropic::wire {

std::string_view type_phrase(dom::element_type t) noexcept {
    switch (t) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "a number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
    }
    return "an unknown type";
}

api::finish_reason finish_from_stop_reason(std::string_view r) noexcept {
    if (r == "max_tokens" || r == "model_context_window_exceeded") return api::finish_reason::length;
    if (r == "tool_use") return api::finish_reason::tool_calls;
    if (r == "refusal") return api::finish_reason::content_filter;
    return api::finish_reason::stop;
}

std::string_view stop_reason_of(api::finish_reason finish, bool tool_calls) noexcept {
    switch (finish) {
    case api::finish_reason::stop: return "end_turn";
    case api::finish_reason::length: return "max_tokens";
    case api::finish_reason::tool_calls: return "tool_use";
    case api::finish_reason::content_filter: return "refusal";
    case api::finish_reason::none: break;
    }
    return tool_calls ? "tool_use" : "end_turn";
}

std::string message_id(std::string_view upstream) {
    constexpr std::string_view prefix = "msg_";
    if (upstream.substr(0, prefix.size()) == prefix) return std::string(upstream);
    std::string id(prefix);
    if (!upstream.empty()) {
        id += upstream;
        return id;
    }
    char rid[request_id_len];
    if (make_request_id(rid)) {
        id.append(rid + 4, request_id_len - 4);  // the 32 hex digits after "req_"
    } else {
        id += "gateway";  // no secure randomness: an id that says where it came from
    }
    return id;
}

usage_counts read_counts(dom::element usage_object) noexcept {
    usage_counts c;
    dom::object o;
    if (usage_object.get_object().get(o)) return c;
    for (auto field : o) {
        std::optional<std::int64_t> count = json_walk::count_of(field.value);
        if (!count) continue;
        std::int64_t n = *count;
        if (field.key == "input_tokens") {
            c.input_tokens = n;
        } else if (field.key == "cache_creation_input_tokens") {
            c.cache_creation_input_tokens = n;
        } else if (field.key == "cache_read_input_tokens") {
            c.cache_read_input_tokens = n;
        } else if (field.key == "output_tokens") {
            c.output_tokens = n;
        }
    }
    return c;
}

void write_usage(json_writer& w, const usage& u) {
    usage_counts c = usage_counts::from_canonical(u);
    w.StartObject();
    w.Key("input_tokens");
    w.Int64(c.input_tokens.value_or(0));
    w.Key("cache_creation_input_tokens");
    w.Int64(c.cache_creation_input_tokens.value_or(0));
    w.Key("cache_read_input_tokens");
    w.Int64(c.cache_read_input_tokens.value_or(0));
    w.Key("output_tokens");
    w.Int64(c.output_tokens.value_or(0));
    w.EndObject();
}

}  // namespace aigw::anthropic::wire
