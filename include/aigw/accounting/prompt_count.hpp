// The prompt tokens of a client's request, whatever API it speaks: for reservations, for the
// counts of a response the upstream reported no usage for, and for the token-count endpoints
// (Anthropic's count_tokens, Gemini's countTokens) the gateway answers itself.
#pragma once

#include <cstdint>
#include <string_view>

#include "aigw/api/request.hpp"
#include "aigw/dialects/dialect_id.hpp"
#include "aigw/accounting/tokenizer.hpp"

namespace aigw {

// count_prompt_tokens (token_estimate.hpp) reads an OpenAI body: chat's messages, tools and
// functions, completions' prompt, embeddings' input. A body in another dialect (Anthropic
// Messages or count_tokens, the Responses API, Gemini) is read into the pivot
// (dialect::prompt_to_pivot; `pivot`, when the request was read into it already), written as
// an OpenAI chat body, and counted as that: its system prompt, tool definitions, tool calls and
// results land where the OpenAI walker looks, so one set of counting rules serves every
// dialect, at the price of one parse and one write, only when a count is needed. A body the
// pivot cannot hold (a built-in tool, a PDF) is counted as it is, for the OpenAI members it
// may have. Exact for the texts with an encoder, the estimate without one. Nothing throws
// (out of memory counts 0). `body_padded`: json_padding readable bytes follow the body (as
// the gateway keeps a client's body), so an OpenAI body is read where it is, not copied.
std::int64_t count_request_prompt(const tokenizer::encoder* enc, dialect_id client,
                                  std::string_view body, const api::request* pivot = nullptr,
                                  bool body_padded = false) noexcept;

// While one lives, count_request_prompt of the OpenAI body the request read just read, the
// same bytes in the same place, walks that read's index of the body rather than indexing it
// again (stage 1, about a cycle a byte: a tenth of what a 64 KB agent body costs). The glue
// keeps one across its synchronous handling of a body it has read, when nothing changes or
// frees the body; a count made later, after a wait, indexes the body itself.
class body_read_scope {
public:
    body_read_scope() noexcept;
    ~body_read_scope();
    body_read_scope(const body_read_scope&) = delete;
    body_read_scope& operator=(const body_read_scope&) = delete;
};

}  // namespace aigw
