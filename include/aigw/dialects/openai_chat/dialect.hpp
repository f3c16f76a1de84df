// OpenAI Chat Completions as a dialect (dialect.hpp). Also serves the classic /v1 endpoints
// around it (completions, embeddings, models): they share its errors, usage and model lists.
#pragma once

#include "aigw/dialects/dialect.hpp"

namespace aigw {

const dialect& openai_chat_dialect() noexcept;

}  // namespace aigw
