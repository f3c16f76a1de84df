// Google's Gemini API (generateContent, streamGenerateContent?alt=sse, countTokens, models) as a
// dialect (dialect.hpp): what the Gemini SDKs (@google/genai) speak at /v1beta/models/..., and
// what a channel with provider=gemini speaks upstream. The model is in the path, not the body:
// the glue reads it from there (endpoints.hpp) and builds the upstream's path (chat_path).
#pragma once

#include "aigw/dialects/dialect.hpp"

namespace aigw {

const dialect& gemini_dialect() noexcept;

}  // namespace aigw
