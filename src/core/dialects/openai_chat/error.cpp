#include "aigw/dialects/openai_chat/error.hpp"

#include "aigw/text/json_write.hpp"

namespace aigw {

void write_error_object(json_writer& w, const api_error& e) {
    w.StartObject();
    w.Key("message");
    write_text(w, e.message);
    w.Key("type");
    write_text_or_null(w, e.type);
    w.Key("param");
    write_text_or_null(w, e.param);
    w.Key("code");
    write_text_or_null(w, e.code);
    w.EndObject();
}

std::string error_json(const api_error& e) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    w.Key("error");
    write_error_object(w, e);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

std::string error_sse_event(const api_error& e) {
    std::string out = "event: error\ndata: ";
    out += error_json(e);
    out += "\n\n";
    return out;
}

}  // namespace aigw
