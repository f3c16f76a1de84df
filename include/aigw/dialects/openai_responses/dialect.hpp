// The OpenAI Responses API (POST /v1/responses) as a dialect (dialect.hpp). No provider= name
// of its own: OpenAI channels serve it, and the glue decides per channel whether one does.
// Its errors are OpenAI's and its model lists OpenAI Chat Completions' (the same /v1/models).
#pragma once

#include "aigw/dialects/dialect.hpp"

namespace aigw {

const dialect& responses_dialect() noexcept;

}  // namespace aigw
