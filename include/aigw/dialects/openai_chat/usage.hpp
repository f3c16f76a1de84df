// OpenAI's usage fields (Chat Completions, Completions, Embeddings).
#pragma once

#include "aigw/api/usage.hpp"

namespace aigw {

// OpenAI's format (and every OpenAI-compatible upstream's). Usage arrives in a response's
// "usage" object, and in a stream only in the last chunk, when include_usage was set.
const usage_parser& openai_usage_parser();

// Whether a chunk's data may report usage, without parsing it: false only when it is an
// object ("{" first) whose every "usage" member is null ("usage":null, white space allowed)
// and it holds no \u escape (the one way a key can spell "usage" without those bytes). A
// word "usage" in text is no member; anything else says true, and the chunk is parsed.
bool chunk_may_report_usage(std::string_view data) noexcept;

}  // namespace aigw
