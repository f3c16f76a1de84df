// A whole GenerateContentResponse to and from the pivot response (translate.hpp).
#include "aigw/dialects/gemini/translate.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/gemini/wire.hpp"

namespace aigw::gemini {

namespace {

namespace dom = simdjson::dom;

// A string member, "" when it is missing or not a string.
std::string_view text_of(dom::object o, std::string_view key) {
    std::string_view s;
    if (o[key].get_string().get(s)) return {};
    return s;
}

// A functionCall part as the pivot's call: args as compact JSON ("{}" when not an object).
api::tool_call call_of(dom::object fc) {
    api::tool_call call;
    call.id = text_of(fc, "id");
    if (call.id.empty()) call.id = wire::call_id();
    call.name = text_of(fc, "name");
    dom::object args;
    call.arguments = fc["args"].get_object().get(args) ? std::string("{}") : simdjson::minify(args);
    return call;
}

void read_candidate(dom::object candidate, api::response& out) {
    dom::object content;
    dom::array parts;
    if (candidate["content"].get_object().get(content) == simdjson::SUCCESS &&
        content["parts"].get_array().get(parts) == simdjson::SUCCESS) {
        for (dom::element item : parts) {
            dom::object part;
            if (item.get_object().get(part)) continue;
            dom::object fc;
            if (part["functionCall"].get_object().get(fc) == simdjson::SUCCESS) {
                out.tool_calls.push_back(call_of(fc));
                continue;
            }
            std::string_view text;
            if (part["text"].get_string().get(text)) continue;  // inlineData, executableCode, ...
            bool thought = false;
            if (part["thought"].get_bool().get(thought)) thought = false;
            (thought ? out.reasoning : out.text) += text;
        }
    }
    std::string_view reason;
    if (candidate["finishReason"].get_string().get(reason) == simdjson::SUCCESS) {
        out.finish = wire::finish_from_reason(reason, !out.tool_calls.empty());
    }
}

}  // namespace

bool response_to_pivot(std::string_view body, api::response& out) {
    dom::parser parser;
    dom::element doc;
    dom::object top;
    if (wire::parse(parser, body, doc) || doc.get_object().get(top)) return false;
    dom::element candidates_member;
    dom::array candidates;
    bool has_candidates = top["candidates"].get(candidates_member) == simdjson::SUCCESS;
    if (has_candidates && candidates_member.get_array().get(candidates)) return false;
    dom::object feedback;
    std::string_view block_reason;
    bool blocked = (!has_candidates || candidates.size() == 0) &&
                   top["promptFeedback"].get_object().get(feedback) == simdjson::SUCCESS &&
                   feedback["blockReason"].get_string().get(block_reason) == simdjson::SUCCESS;
    // An error body, or any object that is neither an answer nor a refusal.
    if (!has_candidates && !blocked) return false;
    out = api::response{};
    out.id = text_of(top, "responseId");
    out.model = text_of(top, "modelVersion");
    if (blocked) {
        out.blocked = true;
        out.block_reason = block_reason;
    } else if (candidates.size() > 0) {
        dom::object first;
        if (candidates.at(0).get_object().get(first) == simdjson::SUCCESS) read_candidate(first, out);
    }
    dom::element usage_object;
    if (top["usageMetadata"].get(usage_object) == simdjson::SUCCESS) {
        out.tokens = wire::read_usage(usage_object).canonical();
    }
    return true;
}

std::string response_from_pivot(const api::response& resp) {
    return json_text([&](json_writer& w) {
        w.StartObject();
        if (resp.blocked) {
            w.Key("promptFeedback");
            w.StartObject();
            w.Key("blockReason");
            write_text(w, resp.block_reason.empty() ? std::string_view("OTHER") : resp.block_reason);
            w.EndObject();
        } else {
            w.Key("candidates");
            w.StartArray();
            w.StartObject();
            w.Key("content");
            w.StartObject();
            w.Key("parts");
            w.StartArray();
            if (!resp.reasoning.empty()) {
                w.StartObject();
                w.Key("text");
                write_text(w, resp.reasoning);
                w.Key("thought");
                w.Bool(true);
                w.EndObject();
            }
            // Gemini has no refusal text: a refusal is said as text.
            const std::string& text = resp.text.empty() ? resp.refusal : resp.text;
            if (!text.empty()) {
                w.StartObject();
                w.Key("text");
                write_text(w, text);
                w.EndObject();
            }
            for (const api::tool_call& call : resp.tool_calls) {
                wire::write_function_call(w, call.id, call.name, call.arguments);
            }
            w.EndArray();
            w.Key("role");
            w.String("model");
            w.EndObject();
            w.Key("finishReason");
            write_text(w, wire::finish_reason_of(resp.finish));
            w.Key("index");
            w.Int(0);
            w.EndObject();
            w.EndArray();
        }
        if (resp.tokens.present) {
            w.Key("usageMetadata");
            wire::write_usage(w, resp.tokens);
        }
        w.Key("modelVersion");
        write_text(w, resp.model);
        w.Key("responseId");
        write_text(w, wire::response_id(resp.id));
        w.EndObject();
    });
}

}  // namespace aigw::gemini
