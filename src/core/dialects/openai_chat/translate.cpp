// Responses and streams are translated in the next commits; until then they report that they
// cannot translate, and the glue uses passthrough only (one dialect exists).
#include "aigw/dialects/openai_chat/translate.hpp"

namespace aigw {

bool openai_chat_response_to_pivot(std::string_view, api::response&) { return false; }

std::string openai_chat_response_from_pivot(const api::response&) { return std::string(); }

std::unique_ptr<api::stream_decoder> openai_chat_stream_decoder() { return nullptr; }

std::unique_ptr<api::stream_encoder> openai_chat_stream_encoder(const api::request&) {
    return nullptr;
}

}  // namespace aigw
