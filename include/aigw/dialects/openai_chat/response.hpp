// Naming the model in a response as the client asked for it (aigw_response_model public): the
// upstream answers with its own name, the client should see the public one, in the JSON body
// and in every SSE chunk. Only the top-level "model" value changes; every other byte stays.
// Also undoing what the gateway's own stream_options.include_usage adds to every chunk.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aigw {

// A whole JSON response body with its top-level string "model" set to `public_model`.
// Returned unchanged when it is not a JSON object with such a model, or already names it.
// Nested "model" keys (a Responses API event's "response":{"model":...}) are left alone.
std::string rename_response_model(std::string_view json, std::string_view public_model);

// One SSE data payload (the text after "data:"), e.g. a chat.completion.chunk object;
// "[DONE]" and anything else that is not a JSON object pass unchanged.
std::string rename_chunk_model(std::string_view data, std::string_view public_model);

// A whole SSE event (its lines and the blank line ending it): each "data:" line's payload
// renamed as by rename_chunk_model; field names, other lines and line ends unchanged. A JSON
// object split over several data lines is not rewritten (providers send one line per chunk).
std::string rename_event_model(std::string_view event, std::string_view public_model);
// The same, std::nullopt when the event stays as it came.
std::optional<std::string> renamed_event(std::string_view event, std::string_view public_model);

// With include_usage set OpenAI adds "usage":null to every chunk but the last; a client that
// did not ask for usage must get the chunk as it would have come without it. Returns `json`
// without its top-level "usage" member when that member's value is null, every other byte
// as it was. The separator (the comma and the white space around it) that joined the member
// to the one before it goes with it, or for a first member the separator to the one after:
// {"a":1, "usage":null} gives {"a":1}, {"usage":null, "a":1} gives {"a":1}, and a pretty-
// printed object keeps its layout; an object left with no members is written {}.
// std::nullopt (the caller keeps `json`) when nothing is removed: no such member, or `json`
// is not one valid JSON object (white space around it is allowed and kept).
// - Only the top level: a "usage":null inside "choices" or any other value stays, and so does
//   "usage" with any other value ({}, 0, "null", ...).
// - The key must be written "usage" with no escapes (as providers write it); a bytes check
//   for that key followed by null runs before any parsing, so chunks without it cost a scan.
// - Duplicate top-level "usage" keys: every one whose value is null is removed and the others
//   are kept, so no null usage reaches the client ({"usage":null,"usage":{...}} gives
//   {"usage":{...}}). Providers do not send duplicates; this only makes the result defined.
// Never throws: malformed input, and even a failed allocation, give std::nullopt.
std::optional<std::string> strip_null_usage(std::string_view json) noexcept;

// A whole SSE event (its lines and the blank line ending it), lines walked as in
// rename_event_model: each "data:" line's payload (after "data:" and one optional space)
// stripped as by strip_null_usage, field names, other lines and line ends unchanged.
// std::nullopt when no payload changed ("data: [DONE]", comments, keep-alives, ...).
std::optional<std::string> strip_event_null_usage(std::string_view event) noexcept;

// OpenAI's own layout, without a second parse: `data` is the event's data (a single data:
// line) that the caller has already read as a JSON object. If it ends in ,"usage":null} that
// member is the object's last one at the top level (the final '}' closes the top level), and
// the event is returned without it. nullopt otherwise: then use strip_event_null_usage.
// Garbage in, garbage out: `data` that is not a JSON object is not checked.
std::optional<std::string> strip_event_trailing_null_usage(std::string_view event,
                                                           std::string_view data) noexcept;
// The same, written into `out` (its buffer reused across a stream's events); false for
// nullopt, `out` then unchanged.
bool strip_event_trailing_null_usage(std::string_view event, std::string_view data,
                                     std::string& out) noexcept;

}  // namespace aigw
