// Core-internal: the pieces of OpenAI's wire format that translation reads or writes in more
// than one place (this dialect's translate_*.cpp, and the Responses API's, which shares
// OpenAI's words): parsing a body into a simdjson DOM, reading a request's members with
// OpenAI's errors, finish reasons, the usage object, and the ids OpenAI gives answers and tool
// calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <simdjson.h>

#include "aigw/api/error.hpp"
#include "aigw/api/stream.hpp"
#include "aigw/api/usage.hpp"
#include "aigw/text/json_write.hpp"
#include "core/text/json_walk.hpp"

namespace aigw::openai_wire {

namespace dom = simdjson::dom;

// Parses `json` (copied to a padded buffer) into `root`, which lives as long as `spare` and
// until the next call. Documents up to 1 MiB use one parser kept per process (it keeps its
// buffers between calls); larger ones use `spare`, the caller's, so their buffers go when it
// does. Nesting deeper than passthrough accepts (json_walk::max_depth) is refused
// (DEPTH_ERROR), so what walks the tree later (simdjson's minify) recurses a bounded depth.
simdjson::error_code parse(std::string_view json, dom::parser& spare, dom::element& root) noexcept;

// A string member of `o`, "" when it is missing or not a string (text/json_walk.hpp).
using json_walk::string_member;

// OpenAI's words for the type a value has, in invalid_type_error's "but got ... instead".
std::string_view type_phrase(dom::element v) noexcept;

// A member's path in an error's param: "messages[2]", "messages[2].content".
std::string at_index(std::string_view base, std::size_t i);
std::string at_member(std::string_view base, std::string_view member);

// Reads a request's members, failing with the error OpenAI gives (`param` the member's path):
// a reader of one request body derives from it. null is "not given" for an optional member, as
// OpenAI takes it. Each reader returns false, with the error set, when the value is not one.
class member_reader {
public:
    explicit member_reader(api_error& err) : err_(err) {}

protected:
    bool fail(api_error e);
    bool wrong_type(std::string_view param, std::string_view expected, dom::element v);

    // A member that must be a string.
    bool read_string(dom::element v, std::string_view param, std::string& out);
    // An optional string member: null leaves `out` empty.
    bool read_optional_string(dom::element v, std::string_view param, std::string& out);
    bool read_optional_bool(dom::element v, std::string_view param, std::optional<bool>& out);
    bool read_optional_integer(dom::element v, std::string_view param,
                               std::optional<std::int64_t>& out);
    bool read_optional_number(dom::element v, std::string_view param, std::optional<double>& out);
    // An object member kept as JSON text (a JSON Schema), minified; null leaves `out` empty.
    bool read_json_object(dom::element v, std::string_view param, std::string& out);

    // A message's content: a string, as one text part of `m`, or an array whose items
    // read_part(item, param) reads into `m`.
    template <class ReadPart>
    bool read_text_or_parts(dom::element v, const std::string& param, api::message& m,
                            ReadPart&& read_part) {
        std::string_view s;
        if (v.get_string().get(s) == simdjson::SUCCESS) {
            m.content.emplace_back();
            m.content.back().text.assign(s.data(), s.size());
            return true;
        }
        dom::array parts;
        if (v.get_array().get(parts)) {
            return wrong_type(param, "one of a string or array of objects", v);
        }
        std::size_t i = 0;
        for (dom::element part : parts) {
            if (!read_part(part, at_index(param, i++))) return false;
        }
        return true;
    }

    api_error& err_;
};

// A request body read by a `Reader` (a member_reader of one dialect's requests, with
// bool read(dom::element root, api::request& req)) into `out`, which is written only on
// success; invalid_json_error for a body that does not parse (nesting as parse() bounds it).
template <class Reader>
bool read_request_body(std::string_view body, api::request& out, api_error& err) {
    dom::parser spare;
    dom::element root;
    if (auto e = parse(body, spare, root)) {
        err = invalid_json_error(simdjson::error_message(e));
        return false;
    }
    // Built aside and moved in whole: `out` is untouched on failure.
    api::request req;
    Reader reader(err);
    if (!reader.read(root, req)) return false;
    out = std::move(req);
    return true;
}

// The choice translation serves (n = 1): the one with index 0, else the first without an
// index. False when there is none.
bool first_choice(dom::array choices, dom::element& out) noexcept;

// "stop", "length", "tool_calls", "content_filter"; the legacy "function_call" is tool_calls,
// and any other string a compatible server invents ends the choice as "stop".
api::finish_reason finish_from_wire(std::string_view s) noexcept;
// The wire name of `f`. `none` (a dialect that gave no reason for an answer that ended) is
// "tool_calls" when the answer called a tool, "stop" otherwise.
std::string_view finish_to_wire(api::finish_reason f, bool called_tools) noexcept;

// {"prompt_tokens":..,"completion_tokens":..,"total_tokens":..,
//  "prompt_tokens_details":{"cached_tokens":..},"completion_tokens_details":{"reasoning_tokens":..}}
void write_usage(json_writer& w, const usage& u);

// "chatcmpl-" or "call_" followed by 32 random hex digits, for an answer or a tool call that
// reached the encoder without an id (another dialect gave none).
std::string new_id(std::string_view prefix);

// `created` as given, or the current time for 0 (a dialect that gave none).
std::int64_t created_or_now(std::int64_t created) noexcept;

}  // namespace aigw::openai_wire
