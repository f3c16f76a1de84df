// Anthropic Messages (POST /v1/messages) as a dialect (dialect.hpp): what Claude clients
// (the @anthropic-ai/sdk, Claude Code) speak, and what a channel with provider=anthropic
// speaks upstream.
#pragma once

#include "aigw/dialects/dialect.hpp"

namespace aigw {

const dialect& anthropic_dialect() noexcept;

}  // namespace aigw
