// A whole chat.completion body to and from the pivot response (api/stream.hpp).
#include <string>
#include <utility>

#include "aigw/dialects/openai_chat/translate.hpp"
#include "aigw/dialects/openai_chat/usage.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/openai_chat/wire.hpp"

namespace aigw {

namespace {

namespace dom = simdjson::dom;

// Each reader takes an element, or a member looked up in an object (a simdjson_result, an error
// when it is missing): then nothing is read.
template <class Value>
void read_string(const Value& v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) out.assign(s.data(), s.size());
}

// A message's content: a string, or (some compatible servers) an array of parts whose text
// strings are joined.
template <class Value>
void read_text(const Value& v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        out.assign(s.data(), s.size());
        return;
    }
    dom::array parts;
    if (v.get_array().get(parts)) return;
    out.clear();
    for (dom::element part : parts) {
        if (part["text"].get_string().get(s) == simdjson::SUCCESS) out.append(s.data(), s.size());
    }
}

// {"name":..,"arguments":..}: arguments as the model wrote them; an object (which a few
// compatible servers send instead of its text) as its JSON text.
template <class Value>
void read_function(const Value& v, api::tool_call& call) {
    dom::object fn;
    if (v.get_object().get(fn)) return;
    for (dom::key_value_pair field : fn) {
        if (field.key == "name") {
            read_string(field.value, call.name);
        } else if (field.key == "arguments") {
            if (field.value.is_object()) {
                call.arguments = simdjson::minify(field.value);
            } else {
                read_string(field.value, call.arguments);
            }
        }
    }
}

template <class Value>
void read_message(const Value& v, api::response& resp) {
    dom::object msg;
    if (v.get_object().get(msg)) return;
    bool reasoning_content = false;
    for (dom::key_value_pair field : msg) {
        std::string_view key = field.key;
        if (key == "content") {
            read_text(field.value, resp.text);
        } else if (key == "refusal") {
            read_string(field.value, resp.refusal);
        } else if (key == "reasoning_content") {
            // DeepSeek's name; "reasoning" (OpenRouter, vLLM) only when it is absent, as servers
            // that send both send the same text twice.
            reasoning_content = field.value.is_string();
            read_string(field.value, resp.reasoning);
        } else if (key == "reasoning" && !reasoning_content) {
            read_string(field.value, resp.reasoning);
        } else if (key == "tool_calls") {
            dom::array calls;
            if (field.value.get_array().get(calls)) continue;
            resp.tool_calls.clear();
            for (dom::element item : calls) {
                api::tool_call call;
                read_string(item["id"], call.id);
                read_function(item["function"], call);
                resp.tool_calls.push_back(std::move(call));
            }
        } else if (key == "function_call" && field.value.is_object()) {
            // Legacy function calling: one call, without an id.
            api::tool_call call;
            read_function(field.value, call);
            resp.tool_calls.push_back(std::move(call));
        }
    }
}

}  // namespace

bool openai_chat_response_to_pivot(std::string_view body, api::response& out) {
    simdjson::dom::parser spare;
    dom::element root;
    if (openai_wire::parse(body, spare, root)) return false;
    dom::object top;
    if (root.get_object().get(top)) return false;
    dom::array choices;
    if (top["choices"].get_array().get(choices)) return false;

    api::response resp;
    read_string(top["id"], resp.id);
    read_string(top["model"], resp.model);
    std::int64_t created = 0;
    if (top["created"].get_int64().get(created) == simdjson::SUCCESS) resp.created = created;

    dom::element choice;
    if (openai_wire::first_choice(choices, choice)) {
        read_message(choice["message"], resp);
        std::string_view finish;
        if (choice["finish_reason"].get_string().get(finish) == simdjson::SUCCESS) {
            resp.finish = openai_wire::finish_from_wire(finish);
        }
    }
    // The same reading billing does in passthrough, so both count the same tokens.
    resp.tokens = openai_usage_parser().from_response(body);
    out = std::move(resp);
    return true;
}

std::string openai_chat_response_from_pivot(const api::response& resp) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    w.Key("id");
    write_text(w, resp.id.empty() ? openai_wire::new_id("chatcmpl-") : resp.id);
    w.Key("object");
    w.String("chat.completion");
    w.Key("created");
    w.Int64(openai_wire::created_or_now(resp.created));
    w.Key("model");
    write_text(w, resp.model);
    w.Key("choices");
    w.StartArray();
    w.StartObject();
    w.Key("index");
    w.Int(0);
    w.Key("message");
    w.StartObject();
    w.Key("role");
    w.String("assistant");
    w.Key("content");
    // OpenAI's content is null when the answer is only tool calls or a refusal.
    if (resp.text.empty() && (!resp.tool_calls.empty() || !resp.refusal.empty())) {
        w.Null();
    } else {
        write_text(w, resp.text);
    }
    if (!resp.reasoning.empty()) {
        // DeepSeek's name for it, which most OpenAI clients that show reasoning read.
        w.Key("reasoning_content");
        write_text(w, resp.reasoning);
    }
    w.Key("refusal");
    write_text_or_null(w, resp.refusal);
    if (!resp.tool_calls.empty()) {
        w.Key("tool_calls");
        w.StartArray();
        for (const api::tool_call& call : resp.tool_calls) {
            w.StartObject();
            w.Key("id");
            write_text(w, call.id.empty() ? openai_wire::new_id("call_") : call.id);
            w.Key("type");
            w.String("function");
            w.Key("function");
            w.StartObject();
            w.Key("name");
            write_text(w, call.name);
            w.Key("arguments");
            write_text(w, call.arguments);
            w.EndObject();
            w.EndObject();
        }
        w.EndArray();
    }
    w.EndObject();
    w.Key("logprobs");
    w.Null();
    w.Key("finish_reason");
    std::string_view finish = openai_wire::finish_to_wire(resp.finish, !resp.tool_calls.empty());
    w.String(finish.data(), static_cast<rapidjson::SizeType>(finish.size()));
    w.EndObject();
    w.EndArray();
    if (resp.tokens.present || resp.tokens.estimated) {
        w.Key("usage");
        openai_wire::write_usage(w, resp.tokens);
    }
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace aigw
