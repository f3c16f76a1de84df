// Rewriting a request body for the upstream by splicing: the model's value replaced and
// stream_options.include_usage added, every other byte exactly as the client sent it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/openai_chat/request.hpp"

namespace aigw {

// `s` as a JSON string literal, quotes included: ", \ and control characters escaped, UTF-8
// kept as it is. Throws std::invalid_argument when `s` is not valid UTF-8.
std::string json_quote(std::string_view s);

// `body` with the JSON string token body[token_begin, token_end) (quotes included, as
// parse_request reports it) replaced by `new_model`. Throws std::invalid_argument when the
// range is not a string token inside `body`, or `new_model` is not UTF-8.
std::string splice_model(std::string_view body, std::size_t token_begin, std::size_t token_end,
                         std::string_view new_model);

struct rewritten_request {
    std::string body;
    bool changed = false;             // body differs from the input
    bool client_asked_usage = false;  // the client sent stream_options.include_usage: true
};

// `body` asking for a final usage chunk in a stream: "stream_options":{"include_usage":true}
// added before the top-level closing brace, or "include_usage":true added to an existing
// stream_options object, or a false (or otherwise not true) include_usage set to true, or a
// stream_options that is not an object (null, ...) replaced by that object. When the client
// asked for usage itself nothing changes, and client_asked_usage tells the caller to forward
// the usage chunk rather than strip it. `f` is parse_request's answer for these very bytes
// (status ok); std::invalid_argument otherwise.
rewritten_request inject_stream_options_include_usage(std::string_view body,
                                                      const request_fields& f);

// One change of a body: [begin, end) replaced by `text` (begin == end inserts).
struct json_edit {
    std::size_t begin;
    std::size_t end;
    std::string text;
};

// rewrite_request's changes without the body built: in order, not overlapping, none that
// writes what is there already. A caller can send the body's bytes between them as they are.
struct request_edits {
    std::vector<json_edit> edits;
    bool client_asked_usage = false;  // as in rewritten_request
};
request_edits rewrite_request_edits(std::string_view body, const request_fields& f,
                                    std::optional<std::string_view> new_model,
                                    bool include_usage);

// Both rewrites in one pass, from the offsets parse_request reported for `body`: the model
// replaced when `new_model` is given (f.has_model must be true), include_usage added when
// `include_usage` is true.
rewritten_request rewrite_request(std::string_view body, const request_fields& f,
                                  std::optional<std::string_view> new_model, bool include_usage);

}  // namespace aigw
