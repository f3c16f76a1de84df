#include "aigw/dialects/gemini/models.hpp"

#include <simdjson.h>

#include "aigw/text/json_write.hpp"
#include "core/dialects/openai_chat/wire.hpp"

namespace aigw::gemini {

namespace {

void write_model(json_writer& w, std::string_view id) {
    w.StartObject();
    w.Key("name");
    std::string name = "models/";
    name += id;
    write_text(w, name);
    w.Key("baseModelId");
    write_text(w, id);
    w.Key("version");
    w.String("001");
    w.Key("displayName");
    write_text(w, id);
    w.Key("supportedGenerationMethods");
    w.StartArray();
    w.String("generateContent");
    w.String("streamGenerateContent");
    w.String("countTokens");
    w.EndArray();
    w.EndObject();
}

}  // namespace

std::string model_list_json(const std::vector<std::string>& ids,
                            const std::function<bool(std::string_view)>& allowed) {
    return json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("models");
        w.StartArray();
        for (const std::string& id : ids) {
            if (allowed(id)) write_model(w, id);
        }
        w.EndArray();
        w.EndObject();
    });
}

std::string model_object_json(std::string_view id) {
    return json_text([&](json_writer& w) { write_model(w, id); });
}

std::optional<std::string> filter_model_list(std::string_view body,
                                             const std::function<bool(std::string_view)>& allowed) {
    namespace dom = simdjson::dom;
    dom::parser spare;
    dom::element doc;
    dom::object top;
    dom::array models;
    if (openai_wire::parse(body, spare, doc) || doc.get_object().get(top)) return std::nullopt;
    // A list narrowed to nothing has no "models" member at all: Google leaves empty lists out.
    dom::element list;
    bool has_list = top["models"].get(list) == simdjson::SUCCESS;
    if (has_list) {
        if (list.get_array().get(models)) return std::nullopt;
    } else if (top.size() != 0 && top["nextPageToken"].error() != simdjson::SUCCESS) {
        return std::nullopt;
    }
    std::string_view next_page;
    bool has_next = top["nextPageToken"].get_string().get(next_page) == simdjson::SUCCESS;

    return json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("models");
        w.StartArray();
        if (has_list) {
            for (dom::element item : models) {
                std::string_view name;
                if (item["name"].get_string().get(name)) continue;  // no model: nothing allowed
                constexpr std::string_view prefix = "models/";
                std::string_view id = name;
                if (id.substr(0, prefix.size()) == prefix) id.remove_prefix(prefix.size());
                if (!allowed(id)) continue;
                std::string entry = simdjson::minify(item);
                w.RawValue(entry.data(), entry.size(), rapidjson::kObjectType);
            }
        }
        w.EndArray();
        if (has_next) {
            w.Key("nextPageToken");
            write_text(w, next_page);
        }
        w.EndObject();
    });
}

}  // namespace aigw::gemini
