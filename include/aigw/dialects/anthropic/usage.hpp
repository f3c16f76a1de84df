// Anthropic's usage fields, and the one place they become the canonical usage.
//
// Anthropic splits a request's input in three: input_tokens (neither read from nor written to
// the prompt cache), cache_creation_input_tokens (written to it) and cache_read_input_tokens
// (read from it). The canonical usage counts as OpenAI does (api/usage.hpp):
//   prompt_tokens      = input_tokens + cache_creation_input_tokens + cache_read_input_tokens
//   cached_tokens      = cache_read_input_tokens
//   cache_write_tokens = cache_creation_input_tokens
//   completion_tokens  = output_tokens (thinking included: Anthropic does not count it apart,
//                        so reasoning_tokens stays 0)
//   total_tokens       = prompt_tokens + completion_tokens
// A missing or null field counts 0; usage is present when any of the four was a count.
//
// Streams report usage in two events: message_start's message.usage has the input counts
// (and a first, small output count), message_delta's usage the output count so far, and
// lately the input counts again. The counts are cumulative, never increments, so a stream's
// usage is, field by field, the last value reported; a value never goes down (some servers
// repeat an input count as 0 in message_delta), so the rule is the largest value seen, which
// is the last one of a well-formed stream. usage_reader().stream_reader() applies it; a
// single chunk read alone (read_chunk) reports only what that event says.
#pragma once

#include <cstdint>
#include <optional>

#include "aigw/api/usage.hpp"

namespace aigw::anthropic {

// The four counts as Anthropic reports them; each empty until a count for it came.
struct usage_counts {
    std::optional<std::int64_t> input_tokens;
    std::optional<std::int64_t> cache_creation_input_tokens;
    std::optional<std::int64_t> cache_read_input_tokens;
    std::optional<std::int64_t> output_tokens;

    bool any() const noexcept;
    // Folds in counts reported later in the same stream: each field the later counts have
    // replaces this one's unless it is smaller (see above).
    void merge(const usage_counts& later) noexcept;
    // The canonical usage (the rule above); present when any() is.
    usage canonical() const noexcept;
    // The inverse, for writing Anthropic's usage from a canonical one: input_tokens is
    // prompt_tokens less cached_tokens and cache_write_tokens (0 if those are more).
    static usage_counts from_canonical(const usage& u) noexcept;
};

// Usage of a Message body (its top-level "usage") and of stream events (message_start's
// message.usage, message_delta's usage). The generated text collected for an estimate is the
// text, thinking and tool input (the tool's name and input JSON) of the content blocks, and a
// stream event's text, thinking and partial_json deltas. chunk_info: usage_only is never set
// (Anthropic has no usage-only event); content_bearing is a delta with non-empty text,
// thinking or partial_json. Nothing throws (api/usage.hpp).
const usage_parser& usage_reader() noexcept;

}  // namespace aigw::anthropic
