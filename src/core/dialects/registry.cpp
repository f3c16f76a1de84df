#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/anthropic/dialect.hpp"
#include "aigw/dialects/gemini/dialect.hpp"
#include "aigw/dialects/openai_chat/dialect.hpp"
#include "aigw/dialects/openai_responses/dialect.hpp"

namespace aigw {

const dialect& dialect_of(dialect_id id) noexcept {
    switch (id) {
    case dialect_id::openai_chat:
        break;
    case dialect_id::gemini:
        return gemini_dialect();
    case dialect_id::anthropic:
        return anthropic_dialect();
    case dialect_id::openai_responses:
        return responses_dialect();
    }
    return openai_chat_dialect();
}

std::optional<dialect_id> provider_dialect(std::string_view provider) noexcept {
    if (provider == "openai") {
        return dialect_id::openai_chat;
    }
    if (provider == "anthropic") {
        return dialect_id::anthropic;
    }
    if (provider == "gemini") {
        return dialect_id::gemini;
    }
    return std::nullopt;
}

std::string_view provider_names() noexcept {
    return "openai, anthropic, gemini";
}

}  // namespace aigw
