// The dialects the gateway speaks, by name only (dialect.hpp has the interface).
#pragma once

namespace aigw {

enum class dialect_id : unsigned char {
    openai_chat,       // OpenAI Chat Completions, and the classic /v1 endpoints around it
    anthropic,         // Anthropic Messages
    openai_responses,  // the OpenAI Responses API (/v1/responses), which OpenAI channels serve
    gemini,            // Google's Gemini API (/v1beta/models/{model}:generateContent)
};

}  // namespace aigw
