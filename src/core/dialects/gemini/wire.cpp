#include "core/dialects/gemini/wire.hpp"

#include <algorithm>

#include "aigw/request_id.hpp"
#include "core/text/json_walk.hpp"

namespace aigw::gemini::wire {

namespace {

// 32 random hex digits appended to `out`, or a word that says where the id came from when
// there is no secure randomness.
void append_random_hex(std::string& out) {
    char rid[request_id_len];
    if (make_request_id(rid)) {
        out.append(rid + 4, request_id_len - 4);  // the 32 hex digits after "req_"
    } else {
        out += "gateway";
    }
}

}  // namespace

api::finish_reason finish_from_reason(std::string_view r, bool called_tools) noexcept {
    if (r == "MAX_TOKENS") return api::finish_reason::length;
    if (r == "SAFETY" || r == "RECITATION" || r == "BLOCKLIST" || r == "PROHIBITED_CONTENT" ||
        r == "SPII" || r == "IMAGE_SAFETY") {
        return api::finish_reason::content_filter;
    }
    if (r == "STOP" && called_tools) return api::finish_reason::tool_calls;
    return api::finish_reason::stop;
}

std::string_view finish_reason_of(api::finish_reason finish) noexcept {
    switch (finish) {
    case api::finish_reason::length: return "MAX_TOKENS";
    case api::finish_reason::content_filter: return "SAFETY";
    case api::finish_reason::stop:
    case api::finish_reason::tool_calls:
    case api::finish_reason::none: break;
    }
    return "STOP";
}

usage_metadata read_usage(dom::element usage_object) noexcept {
    usage_metadata m;
    dom::object o;
    if (usage_object.get_object().get(o)) return m;
    for (auto field : o) {
        std::optional<std::int64_t> count = json_walk::count_of(field.value);
        if (!count) continue;
        std::int64_t n = *count;
        std::int64_t* slot = nullptr;
        if (field.key == "promptTokenCount") {
            slot = &m.prompt;
        } else if (field.key == "cachedContentTokenCount") {
            slot = &m.cached;
        } else if (field.key == "candidatesTokenCount") {
            slot = &m.candidates;
        } else if (field.key == "thoughtsTokenCount") {
            slot = &m.thoughts;
        } else if (field.key == "toolUsePromptTokenCount") {
            slot = &m.tool_use;
        }
        if (slot == nullptr) continue;
        *slot = n;
        m.any = true;
    }
    return m;
}

void write_usage(json_writer& w, const usage& u) {
    usage_metadata m = usage_metadata::from_canonical(u);
    w.StartObject();
    w.Key("promptTokenCount");
    w.Int64(m.prompt);
    w.Key("candidatesTokenCount");
    w.Int64(m.candidates);
    w.Key("totalTokenCount");
    w.Int64(saturating_add(saturating_add(m.prompt, m.candidates), saturating_add(m.thoughts, m.tool_use)));
    if (m.cached > 0) {
        w.Key("cachedContentTokenCount");
        w.Int64(m.cached);
    }
    if (m.thoughts > 0) {
        w.Key("thoughtsTokenCount");
        w.Int64(m.thoughts);
    }
    w.EndObject();
}

void write_function_call(json_writer& w, std::string_view id, std::string_view name,
                         std::string_view arguments) {
    w.StartObject();
    w.Key("functionCall");
    w.StartObject();
    if (!id.empty()) {
        w.Key("id");
        write_text(w, id);
    }
    w.Key("name");
    write_text(w, name);
    w.Key("args");
    std::string args = object_json(arguments);
    w.RawValue(args.data(), args.size(), rapidjson::kObjectType);
    w.EndObject();
    w.EndObject();
}

std::string call_id() {
    std::string id = "call_";
    append_random_hex(id);
    return id;
}

std::string response_id(std::string_view upstream) {
    if (!upstream.empty()) return std::string(upstream);
    std::string id;
    append_random_hex(id);
    return id;
}

}  // namespace aigw::gemini::wire
