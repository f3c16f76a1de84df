// Gemini's usageMetadata, and the one place it becomes the canonical usage.
//
// Gemini counts (GenerateContentResponse.usageMetadata):
//   promptTokenCount         the prompt, cached content included
//   cachedContentTokenCount  the part of the prompt read from a cache
//   candidatesTokenCount     the answer's tokens, thoughts not included
//   thoughtsTokenCount       the thinking tokens (billed at the output price)
//   toolUsePromptTokenCount  tokens of tool-use prompts (code execution, search results),
//                            billed as input
//   totalTokenCount          the sum of the above but cached
// The canonical usage (api/usage.hpp), as OpenAI counts:
//   prompt_tokens     = promptTokenCount + toolUsePromptTokenCount
//   cached_tokens     = cachedContentTokenCount
//   completion_tokens = candidatesTokenCount + thoughtsTokenCount
//   reasoning_tokens  = thoughtsTokenCount
//   total_tokens      = prompt_tokens + completion_tokens
// A missing or null count is 0; usage is present when any of them was a count.
// In a stream every chunk carries the counts so far (cumulative, never increments): the
// stream's usage is the last chunk's, which the default stream reader keeps.
#pragma once

#include <cstdint>

#include "aigw/api/usage.hpp"

namespace aigw::gemini {

struct usage_metadata {
    std::int64_t prompt = 0;       // promptTokenCount
    std::int64_t cached = 0;       // cachedContentTokenCount
    std::int64_t candidates = 0;   // candidatesTokenCount
    std::int64_t thoughts = 0;     // thoughtsTokenCount
    std::int64_t tool_use = 0;     // toolUsePromptTokenCount
    bool any = false;

    usage canonical() const noexcept;
    // The inverse, for writing Gemini's usageMetadata from a canonical usage: promptTokenCount
    // is prompt_tokens, thoughts the reasoning, candidates the rest of the completion.
    static usage_metadata from_canonical(const usage& u) noexcept;
};

// Usage of a GenerateContentResponse body (its usageMetadata) and of one streamed chunk (the
// same object). The text collected for an estimate is every candidate part's text (thoughts
// included) and each functionCall's name and args JSON. chunk_info: usage_only is never set;
// content_bearing is a chunk with a non-empty text or a functionCall part. Nothing throws.
const usage_parser& usage_reader() noexcept;

}  // namespace aigw::gemini
