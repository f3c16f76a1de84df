// Core-internal: what the Responses dialect's files share. The response object and its output
// items as OpenAI writes them (response_json and the stream encoder write the same object),
// the usage object, ids, and the custom tools that travel as function tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/api/error.hpp"
#include "aigw/api/request.hpp"
#include "aigw/api/stream.hpp"
#include "aigw/text/json_write.hpp"

namespace aigw::responses::wire {

// "resp_" + `upstream` (as it is when it starts so), or "resp_" and 32 random hex digits for
// none: another dialect's id stays traceable in logs.
std::string response_id(std::string_view upstream);

// An output item's id: `prefix` ("msg_", "fc_", ...), the response id without its "resp_",
// and the item's output index: unique in the response, and the same for every event of it.
std::string item_id(std::string_view prefix, std::string_view response_id, std::size_t index);

// Whether `name` is a custom tool of `req` (a function tool with custom_tool_parameters).
bool is_custom_tool(const api::request& req, std::string_view name) noexcept;

// A custom tool call's input as function arguments, {"input":"..."}, and back: the "input"
// string of such arguments, or the arguments as they are when they are not that.
std::string custom_arguments(std::string_view input);
std::string custom_input(std::string_view arguments);

// {"input_tokens":..,"input_tokens_details":{"cached_tokens":..},"output_tokens":..,
//  "output_tokens_details":{"reasoning_tokens":..},"total_tokens":..}
void write_usage(json_writer& w, const usage& u);

// One output item as the response object lists it.
struct output_item {
    enum class kind : unsigned char { reasoning, message, function_call, custom_tool_call };
    struct part {
        bool refusal = false;  // a refusal part, else output_text
        std::string text;
    };

    kind type = kind::message;
    std::string id;
    std::string_view status = "in_progress";  // "in_progress", "completed", "incomplete"
    std::string text;          // reasoning: the summary; calls: the arguments (a custom
                               // tool's: {"input":...}, written as its input)
    std::vector<part> parts;   // message
    std::string call_id;       // calls
    std::string name;          // calls
};

// The item: {"id","type":"message","status","content":[...],"role":"assistant"},
// {"id","type":"function_call","status","arguments","call_id","name"},
// {"id","type":"custom_tool_call","status","call_id","input","name"} or
// {"id","type":"reasoning","summary":[{"type":"summary_text","text"}]} ([] while in progress).
void write_item(json_writer& w, const output_item& item);

// `s` as a JSON string, its bytes as they are: the format's own words (types, statuses, roles),
// not client text, which write_text makes valid UTF-8.
inline void write_sv(json_writer& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// A content part: {"type":"output_text","annotations":[],"logprobs":[],"text"} or
// {"type":"refusal","refusal"}.
void write_part(json_writer& w, const output_item::part& p);

// A reasoning summary's part: {"type":"summary_text","text":...}.
void write_summary_part(json_writer& w, std::string_view text);

// The members a request and its response's echo share, as values: text.format
// ({"type":"text"} for unset), tool_choice ("auto" for unset) and the tools, each
// {"type":"function","description","name","parameters","strict"} (null for an empty
// description or parameters).
void write_format(json_writer& w, const api::response_format& f);
void write_tool_choice(json_writer& w, const api::tool_choice& c);
void write_tools(json_writer& w, const std::vector<api::tool>& tools);

// What a response object says beyond the request's echo.
struct response_head {
    std::string id;
    std::int64_t created_at = 0;
    std::string model;
    std::string_view status = "in_progress";  // "in_progress", "completed", "incomplete", "failed"
    std::string_view incomplete_reason;       // "" when not incomplete
    const api_error* error = nullptr;         // failed
    const usage* tokens = nullptr;            // null: "usage":null
};

// The whole response object, members in OpenAI's order (translate.hpp, response_json), the
// request's values echoed where it has them.
void write_response(json_writer& w, const response_head& head,
                    const std::vector<output_item>& items, const api::request& req);

// The finish as a response's status and incomplete reason: length -> incomplete,
// "max_output_tokens"; content_filter -> incomplete, "content_filter"; else completed.
std::string_view status_of(api::finish_reason f) noexcept;
std::string_view incomplete_reason_of(api::finish_reason f) noexcept;

}  // namespace aigw::responses::wire
