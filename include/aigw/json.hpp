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

enum class request_parse_status {
    ok,
    invalid_json,      // not JSON at all, truncated, or trailing garbage
    not_an_object,     // valid JSON but the top level is not an object
    model_missing,     // required model absent
    model_not_string,  // model present with another type
    stream_not_bool,   // stream present but not true/false/null
};

struct request_fields {
    request_parse_status status = request_parse_status::invalid_json;
    std::string model;             // unescaped value of "model"
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
};

// Parses a request body. `capacity` must be >= len + json_padding; the padding bytes may be
// read but are never written. `model_required` is false for endpoints where model is optional.
request_fields parse_request(const char* data, std::size_t len, std::size_t capacity,
                             bool model_required);

}  // namespace aigw
