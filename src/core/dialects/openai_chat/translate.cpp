// Streams are translated in the next commit; until then they report that they cannot
// translate, and the glue uses passthrough only (one dialect exists).
#include "aigw/dialects/openai_chat/translate.hpp"

namespace aigw {

std::unique_ptr<api::stream_decoder> openai_chat_stream_decoder() { return nullptr; }

std::unique_ptr<api::stream_encoder> openai_chat_stream_encoder(const api::request&) {
    return nullptr;
}

}  // namespace aigw
