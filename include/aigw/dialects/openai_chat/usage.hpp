// OpenAI's usage fields (Chat Completions, Completions, Embeddings).
#pragma once

#include "aigw/api/usage.hpp"

namespace aigw {

// OpenAI's format (and every OpenAI-compatible upstream's). Usage arrives in a response's
// "usage" object, and in a stream only in the last chunk, when include_usage was set.
const usage_parser& openai_usage_parser();

}  // namespace aigw
