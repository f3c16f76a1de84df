// Reading the fields the gateway needs from an OpenAI request body, without building a tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#if __cplusplus < 201703L
#error "aigw needs C++17"
#endif

namespace aigw {

// Bytes of slack the parser may read past the end of the input (simdjson's SIMDJSON_PADDING).
// Callers allocate len + json_padding and pass that capacity.
inline constexpr std::size_t json_padding = 64;

// The longest model name accepted, in bytes (as OpenAI bounds its string parameters): a longer
// one is refused before any check, price, record or log line sees it.
inline constexpr std::size_t model_name_max = 256;

enum class request_parse_status {
    ok,
    invalid_json,      // not JSON at all, truncated, or trailing garbage
    not_an_object,     // valid JSON but the top level is not an object
    model_missing,     // required model absent
    model_not_string,  // model present with another type
    stream_not_bool,   // stream present but not true/false/null
    model_too_long,    // model longer than model_name_max bytes
    duplicate_member,  // a member the gateway reads or rewrites given twice
};

struct request_fields {
    request_parse_status status = request_parse_status::invalid_json;
    std::string model;             // unescaped value of "model" (model_too_long: its first
                                   // model_name_max bytes, cut at a UTF-8 boundary)
    std::size_t model_size = 0;    // model_too_long: the whole value's length in bytes
    bool has_model = false;
    bool stream = false;           // "stream": true
    // Byte range of the model's JSON string token in the input, quotes included,
    // so a later rewrite can splice exactly that value.
    std::size_t model_token_begin = 0;
    std::size_t model_token_end = 0;
    // Where the value of the top-level "stream_options" (the last one) starts, any type, so
    // include_usage can be added to it later (json_splice.hpp) without a second full parse.
    bool has_stream_options = false;
    std::size_t stream_options_begin = 0;
    // For reserving quota: the largest of max_tokens, max_completion_tokens and
    // max_output_tokens when one is an integer (-1: none), and "n" (choices; 1 if absent).
    std::int64_t max_tokens = -1;
    std::int64_t choices = 1;
    std::string error_detail;      // human-readable reason for invalid_json
    std::string_view wrong_type;   // for *_not_*: "an integer", "an object", ...
    // duplicate_member: the member given twice ("model", "stream_options.include_usage", ...).
    std::string_view duplicate;
};

// Parses a request body. `capacity` must be >= len + json_padding; the padding bytes may be
// read but are never written. `model_required` is false for endpoints where model is optional.
// The members the gateway reads or rewrites (model, stream, stream_options and its
// include_usage, max_tokens, max_completion_tokens, max_output_tokens, n) must each appear at
// most once, keys compared unescaped: parsers differ on which duplicate wins, so the gateway
// could check and price one model while the provider serves the other.
request_fields parse_request(const char* data, std::size_t len, std::size_t capacity,
                             bool model_required);

}  // namespace aigw
