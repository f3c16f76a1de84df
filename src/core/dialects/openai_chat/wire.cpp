#include "core/dialects/openai_chat/wire.hpp"

#include <atomic>
#include <ctime>
#include <utility>

#include "aigw/request_id.hpp"
#include "core/text/json_walk.hpp"

namespace aigw::openai_wire {

namespace {

// What passthrough's walk accepts, no more: simdjson counts the top-level object, the walk
// starts below it (t/unit/dialects/openai_chat/test_translate_request checks both agree).
constexpr std::size_t max_depth = json_walk::max_depth + 1;

// Beyond this a document gets a parser of its own, freed after: one large request must not
// leave its buffers (several times its size) held by the worker for good.
constexpr std::size_t kept_parser_max = std::size_t{1} << 20;

}  // namespace

simdjson::error_code parse(std::string_view json, dom::parser& spare, dom::element& root) noexcept {
    static dom::parser kept;
    static bool kept_ready = false;
    dom::parser* parser = &kept;
    if (json.size() > kept_parser_max) {
        parser = &spare;
        if (auto err = spare.allocate(json.size(), max_depth)) return err;
    } else if (!kept_ready) {
        // The depth set here stays: later growth keeps it.
        if (auto err = kept.allocate(kept_parser_max / 16, max_depth)) return err;
        kept_ready = true;
    }
    return parser->parse(json.data(), json.size(), true).get(root);
}

std::string_view type_phrase(dom::element v) noexcept {
    switch (v.type()) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64: return "an integer";
    case dom::element_type::UINT64: return "an integer above 9223372036854775807";
    case dom::element_type::DOUBLE: return "a decimal number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
    }
    return "an unknown type";
}

std::string at_index(std::string_view base, std::size_t i) {
    std::string s(base);
    s += '[';
    s += std::to_string(i);
    s += ']';
    return s;
}

std::string at_member(std::string_view base, std::string_view member) {
    std::string s(base);
    s += '.';
    s += member;
    return s;
}

bool member_reader::fail(api_error e) {
    err_ = std::move(e);
    return false;
}

bool member_reader::wrong_type(std::string_view param, std::string_view expected,
                               dom::element v) {
    return fail(invalid_type_error(param, expected, type_phrase(v)));
}

bool member_reader::read_string(dom::element v, std::string_view param, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s)) return wrong_type(param, "a string", v);
    out.assign(s.data(), s.size());
    return true;
}

bool member_reader::read_optional_string(dom::element v, std::string_view param,
                                         std::string& out) {
    if (v.is_null()) {
        out.clear();
        return true;
    }
    return read_string(v, param, out);
}

bool member_reader::read_optional_bool(dom::element v, std::string_view param,
                                       std::optional<bool>& out) {
    bool b = false;
    if (v.is_null()) {
        out.reset();
    } else if (v.get_bool().get(b)) {
        return wrong_type(param, "a boolean", v);
    } else {
        out = b;
    }
    return true;
}

bool member_reader::read_optional_integer(dom::element v, std::string_view param,
                                          std::optional<std::int64_t>& out) {
    std::int64_t n = 0;
    if (v.is_null()) {
        out.reset();
    } else if (v.get_int64().get(n)) {
        return wrong_type(param, "an integer", v);
    } else {
        out = n;
    }
    return true;
}

bool member_reader::read_optional_number(dom::element v, std::string_view param,
                                         std::optional<double>& out) {
    double d = 0;
    if (v.is_null()) {
        out.reset();
    } else if (v.get_double().get(d)) {
        return wrong_type(param, "a number", v);
    } else {
        out = d;
    }
    return true;
}

bool member_reader::read_json_object(dom::element v, std::string_view param, std::string& out) {
    if (v.is_null()) {
        out.clear();
        return true;
    }
    if (!v.is_object()) return wrong_type(param, "an object", v);
    out = simdjson::minify(v);
    return true;
}

bool first_choice(dom::array choices, dom::element& out) noexcept {
    bool found = false;
    for (dom::element choice : choices) {
        std::int64_t index = 0;
        if (choice["index"].get_int64().get(index) == simdjson::SUCCESS) {
            if (index == 0) {
                out = choice;
                return true;
            }
        } else if (!found) {
            found = true;
            out = choice;
        }
    }
    return found;
}

api::finish_reason finish_from_wire(std::string_view s) noexcept {
    if (s == "length") return api::finish_reason::length;
    if (s == "tool_calls" || s == "function_call") return api::finish_reason::tool_calls;
    if (s == "content_filter") return api::finish_reason::content_filter;
    return api::finish_reason::stop;
}

std::string_view finish_to_wire(api::finish_reason f, bool called_tools) noexcept {
    switch (f) {
    case api::finish_reason::stop: return "stop";
    case api::finish_reason::length: return "length";
    case api::finish_reason::tool_calls: return "tool_calls";
    case api::finish_reason::content_filter: return "content_filter";
    case api::finish_reason::none: break;
    }
    return called_tools ? "tool_calls" : "stop";
}

void write_usage(json_writer& w, const usage& u) {
    w.StartObject();
    w.Key("prompt_tokens");
    w.Int64(u.prompt_tokens);
    w.Key("completion_tokens");
    w.Int64(u.completion_tokens);
    w.Key("total_tokens");
    w.Int64(u.total_tokens);
    w.Key("prompt_tokens_details");
    w.StartObject();
    w.Key("cached_tokens");
    w.Int64(u.cached_tokens);
    w.EndObject();
    w.Key("completion_tokens_details");
    w.StartObject();
    w.Key("reasoning_tokens");
    w.Int64(u.reasoning_tokens);
    w.EndObject();
    w.EndObject();
}

std::string new_id(std::string_view prefix) {
    std::string id(prefix);
    char raw[request_id_len];
    if (make_request_id(raw)) {
        id.append(raw + 4, request_id_len - 4);  // the hex digits after "req_"
    } else {
        // No secure randomness: still unique in this process, which is all an id needs.
        static std::atomic<std::uint64_t> counter{0};
        id += std::to_string(static_cast<std::int64_t>(std::time(nullptr)));
        id += '-';
        id += std::to_string(++counter);
    }
    return id;
}

std::int64_t created_or_now(std::int64_t created) noexcept {
    return created != 0 ? created : static_cast<std::int64_t>(std::time(nullptr));
}

}  // namespace aigw::openai_wire
