// The OpenAI message shapes text is read from, walked in one place: a request message's content
// (for a prompt count, accounting/token_estimate.cpp, which walks the rest of a request message
// itself) and a response's message or a chunk's delta (for the completion text).
// Core-internal: each reader is a visitor that says which fields it wants and in what shape.
#pragma once

#include <string_view>
#include <type_traits>
#include <utility>

#include <simdjson.h>

#include "core/text/json_walk.hpp"

namespace aigw::openai_shapes {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using json_walk::for_each_field;
using json_walk::for_each_item;
using json_walk::if_string;

// How a reader wants a field read. Strings the reader does not want are never unescaped, so
// a reader rejects exactly the malformed JSON it reads.
enum class shape {
    skip,
    string,         // a string; other types are skipped
    text_parts,     // a string, or an array of parts whose "text" strings are read
    content_parts,  // as text_parts, and also bare string parts, "refusal" parts and
                    // "image_url" parts (a request message's content)
};

// A visitor with on_text_value(key, value) reads each value that may be a string itself (the
// prompt count looks a string up by its bytes as they are); others hear its text.
template <class Visitor, class = void>
struct reads_text_values : std::false_type {};
template <class Visitor>
struct reads_text_values<Visitor, std::void_t<decltype(std::declval<Visitor&>().on_text_value(
                                      std::string_view(), std::declval<od::value>()))>>
    : std::true_type {};

// Reports the text of a value read as `s` to visitor.on_text(key, text) (or each value that
// may be a string to visitor.on_text_value(key, value), which skips other types), and each
// image part to visitor.on_image(). `key` is the message field the value came from.
template <class Visitor>
error_code walk_text(od::value v, shape s, std::string_view key, Visitor& visitor) {
    if (s == shape::skip) return simdjson::SUCCESS;
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    auto report = [&](od::value text) -> error_code {
        if constexpr (reads_text_values<Visitor>::value) {
            return visitor.on_text_value(key, text);
        } else {
            return if_string(text, [&](std::string_view str) { visitor.on_text(key, str); });
        }
    };
    if (t == od::json_type::string) return report(v);
    if (s == shape::string) return simdjson::SUCCESS;
    bool content = s == shape::content_parts;
    return for_each_item(v, [&](od::value part) {
        if (content) {
            if (auto err = report(part)) return err;
        }
        return for_each_field(part, [&](std::string_view part_key, od::value inner) {
            if (part_key == "text" || (content && part_key == "refusal")) return report(inner);
            if (content && part_key == "image_url") visitor.on_image();
            return simdjson::SUCCESS;
        });
    });
}

// {"name": ..., "arguments": ...}: a tool call's function or a legacy function_call.
template <class Visitor>
error_code walk_function(od::value v, std::string_view key, Visitor& visitor) {
    return for_each_field(v, [&](std::string_view fn_key, od::value inner) {
        if (fn_key != "name" && fn_key != "arguments") return simdjson::SUCCESS;
        return if_string(inner, [&](std::string_view text) { visitor.on_text(key, text); });
    });
}

// tool_calls: [{"index":0,"id":...,"type":"function","function":{"name":...,"arguments":...}}].
// visitor.on_tool_call() hears of every item, even one that carries only an id.
template <class Visitor>
error_code walk_tool_calls(od::value v, std::string_view key, Visitor& visitor) {
    return for_each_item(v, [&](od::value call) {
        visitor.on_tool_call();
        return for_each_field(call, [&](std::string_view call_key, od::value fn) {
            if (call_key != "function") return simdjson::SUCCESS;
            return walk_function(fn, key, visitor);
        });
    });
}

// A message (request or response) or a chunk's delta. tool_calls and function_call are always
// read; every other field is read as visitor.read_as(key) says.
template <class Visitor>
error_code walk_message(od::value v, Visitor& visitor) {
    return for_each_field(v, [&](std::string_view key, od::value inner) {
        if (key == "tool_calls") return walk_tool_calls(inner, key, visitor);
        if (key == "function_call") return walk_function(inner, key, visitor);
        return walk_text(inner, visitor.read_as(key), key, visitor);
    });
}

}  // namespace aigw::openai_shapes
