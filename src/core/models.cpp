#include "aigw/models.hpp"

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

std::string_view model_id_from_path(std::string_view api_path) {
    constexpr std::string_view prefix = "/v1/models/";
    if (api_path.size() <= prefix.size() || api_path.substr(0, prefix.size()) != prefix) {
        return {};
    }
    return api_path.substr(prefix.size());
}

}  // namespace aigw
