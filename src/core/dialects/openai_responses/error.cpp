#include "aigw/dialects/openai_responses/error.hpp"

#include "aigw/dialects/openai_chat/error.hpp"
#include "aigw/text/json_write.hpp"

namespace aigw::responses {

std::string error_event(const api_error& e, std::uint64_t sequence_number) {
    std::string out = "event: error\ndata: ";
    out += json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("type");
        w.String("error");
        w.Key("code");
        write_text_or_null(w, e.code);
        w.Key("message");
        write_text(w, e.message);
        w.Key("param");
        write_text_or_null(w, e.param);
        w.Key("sequence_number");
        w.Uint64(sequence_number);
        w.Key("error");
        write_error_object(w, e);
        w.EndObject();
    });
    out += "\n\n";
    return out;
}

}  // namespace aigw::responses
