// A whole Message to and from the pivot response (translate.hpp).
#include "aigw/dialects/anthropic/translate.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/anthropic/wire.hpp"

namespace aigw::anthropic {

namespace {

namespace dom = simdjson::dom;

// A string member of a block, "" when it is missing or not a string.
std::string_view text_of(dom::object o, std::string_view key) {
    std::string_view s;
    if (o[key].get_string().get(s)) return {};
    return s;
}

}  // namespace

bool response_to_pivot(std::string_view body, api::response& out) {
    dom::parser parser;
    dom::element doc;
    dom::object top;
    dom::array content;
    if (wire::parse(parser, body, doc) || doc.get_object().get(top) ||
        top["content"].get_array().get(content)) {
        return false;
    }
    std::string_view type;
    if (top["type"].get_string().get(type) == simdjson::SUCCESS && type != "message") {
        return false;
    }
    out = api::response{};
    out.id = text_of(top, "id");
    out.model = text_of(top, "model");
    for (dom::element item : content) {
        dom::object block;
        if (item.get_object().get(block)) continue;
        std::string_view block_type = text_of(block, "type");
        if (block_type == "text") {
            out.text += text_of(block, "text");
        } else if (block_type == "thinking") {
            out.reasoning += text_of(block, "thinking");
        } else if (block_type == "tool_use") {
            api::tool_call call;
            call.id = text_of(block, "id");
            call.name = text_of(block, "name");
            dom::object input;
            call.arguments = block["input"].get_object().get(input) ? std::string("{}")
                                                                     : simdjson::minify(input);
            out.tool_calls.push_back(std::move(call));
        }
        // redacted_thinking and server tool blocks: nothing another dialect can show.
    }
    std::string_view stop_reason;
    if (top["stop_reason"].get_string().get(stop_reason) == simdjson::SUCCESS) {
        out.finish = wire::finish_from_stop_reason(stop_reason);
    }
    dom::element usage;
    if (top["usage"].get(usage) == simdjson::SUCCESS) {
        out.tokens = wire::read_counts(usage).canonical();
    }
    return true;
}

std::string response_from_pivot(const api::response& resp) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    w.Key("id");
    write_text(w, wire::message_id(resp.id));
    w.Key("type");
    w.String("message");
    w.Key("role");
    w.String("assistant");
    w.Key("model");
    write_text(w, resp.model);
    w.Key("content");
    w.StartArray();
    if (!resp.reasoning.empty()) {
        w.StartObject();
        w.Key("type");
        w.String("thinking");
        w.Key("thinking");
        write_text(w, resp.reasoning);
        w.Key("signature");
        w.String("");
        w.EndObject();
    }
    // Anthropic has no refusal text: a refusal is said as text, with stop_reason refusal.
    const std::string& text = resp.text.empty() ? resp.refusal : resp.text;
    if (!text.empty()) {
        w.StartObject();
        w.Key("type");
        w.String("text");
        w.Key("text");
        write_text(w, text);
        w.EndObject();
    }
    for (const api::tool_call& call : resp.tool_calls) {
        w.StartObject();
        w.Key("type");
        w.String("tool_use");
        w.Key("id");
        write_text(w, call.id);
        w.Key("name");
        write_text(w, call.name);
        w.Key("input");
        std::string input = wire::object_json(call.arguments);
        w.RawValue(input.data(), input.size(), rapidjson::kObjectType);
        w.EndObject();
    }
    w.EndArray();
    w.Key("stop_reason");
    write_text(w, wire::stop_reason_of(resp.finish, !resp.tool_calls.empty()));
    w.Key("stop_sequence");
    w.Null();
    w.Key("usage");
    wire::write_usage(w, resp.tokens);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace aigw::anthropic
