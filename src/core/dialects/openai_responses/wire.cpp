#include "core/dialects/openai_responses/wire.hpp"

#include <cmath>

#include "aigw/dialects/openai_responses/translate.hpp"
#include "core/dialects/openai_chat/wire.hpp"

namespace aigw::responses::wire {

namespace {

constexpr std::string_view response_prefix = "resp_";

// JSON text the pivot holds (a JSON Schema), written as it is: every dialect fills it from a
// parsed value.
void write_raw_object(json_writer& w, const std::string& json) {
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

// A sampling parameter: the request's, else OpenAI's default of 1.0 (JSON has no NaN).
void write_sampling(json_writer& w, const char* key, const std::optional<double>& v) {
    w.Key(key);
    w.Double(v && std::isfinite(*v) ? *v : 1.0);
}

// OpenAI's error codes for a failed response: the upstream's when it gave one, else the one
// OpenAI gives that failure (Codex backs off on the rate limit and overload codes).
std::string_view failure_code(const api_error& e) noexcept {
    if (!e.code.empty()) return e.code;
    if (e.status == 429) return "rate_limit_exceeded";
    if (e.status == 503 || e.status == 529) return "server_is_overloaded";
    return "server_error";
}

void write_error(json_writer& w, const api_error* e) {
    w.Key("error");
    if (e == nullptr) {
        w.Null();
        return;
    }
    w.StartObject();
    w.Key("code");
    write_sv(w, failure_code(*e));
    w.Key("message");
    write_text(w, e->message);
    w.EndObject();
}

}  // namespace

std::string response_id(std::string_view upstream) {
    if (upstream.empty()) return openai_wire::new_id(response_prefix);
    if (upstream.substr(0, response_prefix.size()) == response_prefix) {
        return std::string(upstream);
    }
    std::string id(response_prefix);
    id += upstream;
    return id;
}

std::string item_id(std::string_view prefix, std::string_view response_id, std::size_t index) {
    if (response_id.substr(0, response_prefix.size()) == response_prefix) {
        response_id.remove_prefix(response_prefix.size());
    }
    std::string id(prefix);
    id += response_id;
    id += '_';
    id += std::to_string(index);
    return id;
}

bool is_custom_tool(const api::request& req, std::string_view name) noexcept {
    for (const api::tool& t : req.tools) {
        if (t.name == name && t.parameters == custom_tool_parameters) return true;
    }
    return false;
}

std::string custom_arguments(std::string_view input) {
    return json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("input");
        write_text(w, input);
        w.EndObject();
    });
}

std::string custom_input(std::string_view arguments) {
    simdjson::dom::parser spare;
    simdjson::dom::element root;
    std::string_view input;
    if (arguments.empty() || openai_wire::parse(arguments, spare, root) ||
        root["input"].get_string().get(input)) {
        return std::string(arguments);
    }
    return std::string(input);
}

void write_summary_part(json_writer& w, std::string_view text) {
    w.StartObject();
    w.Key("type");
    w.String("summary_text");
    w.Key("text");
    write_text(w, text);
    w.EndObject();
}

void write_format(json_writer& w, const api::response_format& f) {
    using kind = api::response_format::kind;
    w.StartObject();
    w.Key("type");
    switch (f.type) {
    case kind::unset:
    case kind::text: w.String("text"); break;
    case kind::json_object: w.String("json_object"); break;
    case kind::json_schema:
        w.String("json_schema");
        w.Key("name");
        write_text(w, f.name);
        w.Key("schema");
        if (f.schema.empty()) {
            w.StartObject();
            w.EndObject();
        } else {
            write_raw_object(w, f.schema);
        }
        w.Key("strict");
        w.Bool(f.strict);
        break;
    }
    w.EndObject();
}

void write_tool_choice(json_writer& w, const api::tool_choice& c) {
    using mode = api::tool_choice::mode;
    switch (c.how) {
    case mode::none: w.String("none"); return;
    case mode::required: w.String("required"); return;
    case mode::function:
        w.StartObject();
        w.Key("type");
        w.String("function");
        w.Key("name");
        write_text(w, c.name);
        w.EndObject();
        return;
    case mode::unset:
    case mode::automatic: break;
    }
    w.String("auto");
}

void write_tools(json_writer& w, const std::vector<api::tool>& tools) {
    w.StartArray();
    for (const api::tool& t : tools) {
        w.StartObject();
        w.Key("type");
        w.String("function");
        w.Key("description");
        write_text_or_null(w, t.description);
        w.Key("name");
        write_text(w, t.name);
        w.Key("parameters");
        if (t.parameters.empty()) {
            w.Null();
        } else {
            write_raw_object(w, t.parameters);
        }
        // Always said: a Responses function tool left without it may be taken for strict.
        w.Key("strict");
        w.Bool(t.strict);
        w.EndObject();
    }
    w.EndArray();
}

void write_usage(json_writer& w, const usage& u) {
    w.StartObject();
    w.Key("input_tokens");
    w.Int64(u.prompt_tokens);
    w.Key("input_tokens_details");
    w.StartObject();
    w.Key("cached_tokens");
    w.Int64(u.cached_tokens);
    w.EndObject();
    w.Key("output_tokens");
    w.Int64(u.completion_tokens);
    w.Key("output_tokens_details");
    w.StartObject();
    w.Key("reasoning_tokens");
    w.Int64(u.reasoning_tokens);
    w.EndObject();
    w.Key("total_tokens");
    w.Int64(u.total_tokens);
    w.EndObject();
}

void write_part(json_writer& w, const output_item::part& p) {
    w.StartObject();
    w.Key("type");
    if (p.refusal) {
        w.String("refusal");
        w.Key("refusal");
        write_text(w, p.text);
    } else {
        w.String("output_text");
        w.Key("annotations");
        w.StartArray();
        w.EndArray();
        w.Key("logprobs");
        w.StartArray();
        w.EndArray();
        w.Key("text");
        write_text(w, p.text);
    }
    w.EndObject();
}

void write_item(json_writer& w, const output_item& item) {
    using kind = output_item::kind;
    w.StartObject();
    w.Key("id");
    write_text(w, item.id);
    w.Key("type");
    switch (item.type) {
    case kind::reasoning:
        // OpenAI gives a reasoning item no status; its summary comes whole at the end.
        w.String("reasoning");
        w.Key("summary");
        w.StartArray();
        if (item.status != "in_progress" && !item.text.empty()) write_summary_part(w, item.text);
        w.EndArray();
        break;
    case kind::message:
        w.String("message");
        w.Key("status");
        write_sv(w, item.status);
        w.Key("content");
        w.StartArray();
        for (const output_item::part& p : item.parts) write_part(w, p);
        w.EndArray();
        w.Key("role");
        w.String("assistant");
        break;
    case kind::function_call:
        w.String("function_call");
        w.Key("status");
        write_sv(w, item.status);
        w.Key("arguments");
        write_text(w, item.text);
        w.Key("call_id");
        write_text(w, item.call_id);
        w.Key("name");
        write_text(w, item.name);
        break;
    case kind::custom_tool_call:
        w.String("custom_tool_call");
        w.Key("status");
        write_sv(w, item.status);
        w.Key("call_id");
        write_text(w, item.call_id);
        w.Key("input");
        write_text(w, custom_input(item.text));
        w.Key("name");
        write_text(w, item.name);
        break;
    }
    w.EndObject();
}

void write_response(json_writer& w, const response_head& head,
                    const std::vector<output_item>& items, const api::request& req) {
    w.StartObject();
    w.Key("id");
    write_text(w, head.id);
    w.Key("object");
    w.String("response");
    w.Key("created_at");
    w.Int64(head.created_at);
    w.Key("status");
    write_sv(w, head.status);
    w.Key("background");
    w.Bool(false);
    write_error(w, head.error);
    w.Key("incomplete_details");
    if (head.incomplete_reason.empty()) {
        w.Null();
    } else {
        w.StartObject();
        w.Key("reason");
        write_sv(w, head.incomplete_reason);
        w.EndObject();
    }
    w.Key("instructions");
    w.Null();
    w.Key("max_output_tokens");
    if (req.max_tokens) {
        w.Int64(*req.max_tokens);
    } else {
        w.Null();
    }
    w.Key("max_tool_calls");
    w.Null();
    w.Key("model");
    write_text(w, head.model);
    w.Key("output");
    w.StartArray();
    for (const output_item& item : items) write_item(w, item);
    w.EndArray();
    w.Key("parallel_tool_calls");
    w.Bool(req.parallel_tool_calls.value_or(true));
    w.Key("previous_response_id");
    w.Null();
    w.Key("prompt_cache_key");
    w.Null();
    w.Key("reasoning");
    w.StartObject();
    w.Key("effort");
    write_text_or_null(w, req.reasoning_effort);
    w.Key("summary");
    w.Null();
    w.EndObject();
    w.Key("safety_identifier");
    w.Null();
    w.Key("service_tier");
    w.String("default");
    w.Key("store");
    w.Bool(false);
    write_sampling(w, "temperature", req.temperature);
    w.Key("text");
    w.StartObject();
    w.Key("format");
    write_format(w, req.response_format);
    w.Key("verbosity");
    w.String("medium");
    w.EndObject();
    w.Key("tool_choice");
    write_tool_choice(w, req.tool_choice);
    w.Key("tools");
    write_tools(w, req.tools);
    w.Key("top_logprobs");
    w.Int(0);
    write_sampling(w, "top_p", req.top_p);
    w.Key("truncation");
    w.String("disabled");
    w.Key("usage");
    if (head.tokens != nullptr) {
        write_usage(w, *head.tokens);
    } else {
        w.Null();
    }
    w.Key("user");
    write_text_or_null(w, req.user);
    w.Key("metadata");
    w.StartObject();
    w.EndObject();
    w.EndObject();
}

std::string_view status_of(api::finish_reason f) noexcept {
    return incomplete_reason_of(f).empty() ? "completed" : "incomplete";
}

std::string_view incomplete_reason_of(api::finish_reason f) noexcept {
    switch (f) {
    case api::finish_reason::length: return "max_output_tokens";
    case api::finish_reason::content_filter: return "content_filter";
    case api::finish_reason::none:
    case api::finish_reason::stop:
    case api::finish_reason::tool_calls: break;
    }
    return {};
}

}  // namespace aigw::responses::wire
