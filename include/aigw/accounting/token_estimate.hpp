// Token counts estimated from text, for requests the upstream reported no usage for.
#pragma once

#include <cstdint>
#include <string_view>

#include "aigw/accounting/tokenizer.hpp"

namespace aigw {

// The estimate lives behind this one function (an exact tiktoken-compatible counter replaces
// it later). Heuristic, from OpenAI's "about 4 characters per token" for English:
//   - an ASCII byte is a quarter token;
//   - a CJK ideograph, kana or Hangul syllable (and CJK punctuation, full-width forms) is one
//     token, as is any 4-byte UTF-8 character (emoji, rare ideographs);
//   - any other character (accented Latin, Cyrillic, Greek, Arabic, ...) is half a token;
//   - the quarters are rounded up, and non-empty text is at least 1 token.
// Invalid UTF-8 counts byte by byte as "other" characters. Empty text is 0.
std::int64_t estimate_tokens(std::string_view text) noexcept;

// Sums a stream's pieces as they pass (streamed deltas are never kept whole): tokens() is
// estimate_tokens() of everything added, concatenated, when no piece splits a UTF-8 character
// (JSON-decoded deltas never do).
class token_counter {
public:
    void add(std::string_view text) noexcept;
    std::int64_t tokens() const noexcept;

private:
    std::int64_t quarters_ = 0;  // ASCII bytes, and 2 for each "other" character
    std::int64_t wholes_ = 0;    // characters that are a token each
    bool any_ = false;
};

// Prompt tokens of an OpenAI request body as OpenAI bills them, by the method of OpenAI's
// cookbook ("How to count tokens with tiktoken": num_tokens_from_messages and
// num_tokens_for_tools), each text counted by estimate_tokens() here, by an encoder in
// count_prompt_tokens() below:
//   chat (messages): per message 3 tokens of framing, the role, a name (its tokens and 1 more),
//     the content (a string, or text and refusal parts; an image part counts 85, OpenAI's
//     low-detail price, as a floor), and for each call an assistant made (tool_calls, or a
//     legacy function_call) its function name, its arguments and 3 more; then 3 for priming
//     the reply. A tool's or a legacy function's answer ("tool"/"function" role) is written as
//     the function: its name instead of the role, without the extra 1 (the message's "name",
//     else the name of the call its tool_call_id answers, else the role); call ids are not
//     counted, the model never sees them. (The calls' 3 and the answers' rules are not in the
//     cookbook: published API counts show them.)
//   tools (function and custom tools) and legacy functions: per function 7 (o200k_base and
//     the estimate; 10 for cl100k_base) and the text "name:description" (one final '.' of the
//     description dropped; the name alone without one); for its parameters' properties 3 once,
//     and per property 3 and "key:type:description" (a list of types joined by " | "); an enum
//     3 per value and its text, less 3; then 12 once per request with any function. Nested
//     schemas (an object property's properties, an array's items, anyOf/oneOf/allOf, $defs)
//     count their property lines the same way, without the 3 of the parameters' own block;
//     the cookbook counts only the first level. The same for the tools of the Responses API,
//     Anthropic (input_schema; a built-in tool by its name) and Gemini (functionDeclarations).
//     tool_choice and response_format are not counted.
//   completions (prompt) and embeddings (input): a string, an array of strings, or token
//     arrays (each number one token).
// Checked against the API counts the cookbook publishes (exact for its messages and tools
// examples, o200k_base and cl100k_base; t/unit/accounting/test_prompt_count.cpp). Without an
// encoder it is an estimate, never billed as exact: the record carries usage.estimated.
// Invalid JSON or a top level that is not an object gives 0 (the gateway rejects such
// requests anyway).
std::int64_t estimate_prompt_tokens(std::string_view request_body) noexcept;

// The tokens of `text`: exact with an encoder (tokenizer::encoder::get), the estimate above
// without one (a null encoder: the model's tokenizer is not public). Nothing throws: an
// allocation failure inside the encoder falls back to the estimate.
std::int64_t count_tokens(const tokenizer::encoder* enc, std::string_view text) noexcept;

// Prompt tokens of an OpenAI request body as estimate_prompt_tokens() counts them, each text
// counted with count_tokens(enc, ...): exact for the text when `enc` is not null, and the
// tool constants of enc's encoding (those of o200k_base when it is null).
std::int64_t count_prompt_tokens(const tokenizer::encoder* enc, std::string_view request_body) noexcept;

// count_prompt_tokens of a body that has json_padding (api/request.hpp) readable bytes after
// it, read where it is instead of copied into a padded buffer.
std::int64_t count_padded_prompt_tokens(const tokenizer::encoder* enc,
                                        std::string_view request_body) noexcept;

}  // namespace aigw
