#include "aigw/dialects/openai_chat/models.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

namespace aigw {

std::optional<std::string> filter_model_list(std::string_view json,
                                             const std::function<bool(std::string_view)>& allowed) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(json.data(), json.size()).get(doc)) {
        return std::nullopt;
    }
    simdjson::dom::array data;
    if (doc["data"].get_array().get(data)) {
        return std::nullopt;
    }
    std::string out = R"({"object":"list","data":[)";
    bool first = true;
    for (simdjson::dom::element item : data) {
        std::string_view id;
        if (item["id"].get_string().get(id)) {
            continue;  // not a model object: nothing a key could be allowed
        }
        if (!allowed(id)) {
            continue;
        }
        if (!first) {
            out += ',';
        }
        first = false;
        out += simdjson::minify(item);
    }
    out += "]}";
    return out;
}

namespace {

void write_model(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view id,
                 long long created, std::string_view owned_by) {
    w.StartObject();
    w.Key("id");
    w.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
    w.Key("object");
    w.String("model");
    w.Key("created");
    w.Int64(created);
    w.Key("owned_by");
    w.String(owned_by.data(), static_cast<rapidjson::SizeType>(owned_by.size()));
    w.EndObject();
}

}  // namespace

std::string model_list_json(const std::vector<std::string>& ids,
                            const std::function<bool(std::string_view)>& allowed,
                            long long created, std::string_view owned_by) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("object");
    w.String("list");
    w.Key("data");
    w.StartArray();
    for (const std::string& id : ids) {
        if (allowed(id)) {
            write_model(w, id, created, owned_by);
        }
    }
    w.EndArray();
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

std::string model_object_json(std::string_view id, long long created, std::string_view owned_by) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    write_model(w, id, created, owned_by);
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace aigw
