// What the gateway knows of a client's request, in two depths.
// - request_fields: what every request is read for, in every dialect, without building a
//   tree (dialect::read_request): the model and where its token is, stream, the limits that
//   size a reservation. Enough for passthrough, where the body goes on as it came but the
//   spliced model.
// - api::request: the pivot, the whole request as plain structs, for translation between
//   dialects: client dialect -> api::request -> channel dialect. Never a second JSON text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
    // OpenAI chat: where the value of the top-level "stream_options" starts, any type, so
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

namespace api {

enum class role : unsigned char { system, user, assistant, tool };

// One part of a message's content. Text, or an image by URL (https: or a data: URL). A dialect
// that carries images inline (base64 bytes and a media type) writes them as a data: URL,
// "data:image/png;base64,...", so the media type travels in the URL.
struct content_part {
    enum class kind : unsigned char { text, image };
    kind type = kind::text;
    std::string text;    // kind::text
    std::string url;     // kind::image: the URL as the client gave it
    std::string detail;  // kind::image: "auto", "low", "high"; empty when not given
};

// A function call the assistant made. `arguments` is JSON text as the model wrote it.
struct tool_call {
    std::string id;
    std::string name;
    std::string arguments;
};

struct message {
    api::role role = api::role::user;
    std::vector<content_part> content;   // in order; a plain string is one text part
    std::vector<tool_call> tool_calls;   // assistant: the calls it made
    std::string tool_call_id;            // tool: the call this message answers
    std::string name;                    // optional participant name
    std::string reasoning;               // assistant: reasoning text a provider returned
    // assistant: the provider's signature over `reasoning` (Anthropic's thinking signature),
    // which that provider needs to accept the reasoning back; "" when none came.
    std::string reasoning_signature;
};

// A function the model may call. `parameters` is a JSON Schema as JSON text ("" when none).
struct tool {
    std::string name;
    std::string description;
    std::string parameters;
    bool strict = false;
};

struct tool_choice {
    enum class mode : unsigned char { unset, none, automatic, required, function };
    mode how = mode::unset;
    std::string name;  // mode::function
};

struct response_format {
    enum class kind : unsigned char { unset, text, json_object, json_schema };
    kind type = kind::unset;
    std::string name;    // json_schema
    std::string schema;  // json_schema: JSON text
    bool strict = false;
};

// One chat request as every dialect can say it. What a dialect has and the pivot has not
// (OpenAI's logit_bias, Anthropic's cache_control, ...) is dropped in translation and never
// reaches another dialect; passthrough keeps everything.
struct request {
    std::string model;
    std::vector<message> messages;  // system/developer instructions are role::system, in order
    std::vector<tool> tools;
    api::tool_choice tool_choice;
    std::optional<bool> parallel_tool_calls;
    bool stream = false;
    bool include_usage = false;     // the client asked for usage in the stream
    std::optional<std::int64_t> max_tokens;
    std::optional<double> temperature;
    std::optional<double> top_p;
    std::optional<std::int64_t> top_k;  // sample from the k likeliest tokens (Anthropic, Gemini)
    std::optional<std::int64_t> seed;
    std::vector<std::string> stop;
    api::response_format response_format;
    std::string reasoning_effort;   // "minimal", "low", "medium", "high"; empty when not given
    std::string user;               // end-user id for the provider's abuse checks
};

}  // namespace api
}  // namespace aigw
