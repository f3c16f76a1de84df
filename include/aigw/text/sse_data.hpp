// Rewriting the data: lines of one whole SSE event, every other byte kept: how a dialect
// renames the model in a streamed event, or strips a member from it, without re-framing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace aigw {

// Each "data:" line's payload of `event` (a whole event: its lines and the blank line ending
// it; the payload is the text after "data:" and one optional space) replaced by what `rewrite`
// returns for it; std::nullopt from `rewrite` keeps the line. A line ends at CR, LF or CRLF
// (the SSE grammar); every byte not rewritten, line ends included, is copied as it is.
// std::nullopt when no line changed, so nothing is copied then. May throw std::bad_alloc, and
// whatever `rewrite` throws.
// A template, so that the per-event call to `rewrite` inlines: it runs for every event of a
// stream whose chunks the gateway rewrites.
template <class Rewrite>
std::optional<std::string> rewrite_data_lines(std::string_view event, Rewrite&& rewrite);

// A whole SSE event with the string "model" member of its data's top-level object `holder` set
// to `model`, when the data's top-level "type" is one `names_model` accepts: where dialects
// whose stream names the model inside an object put it (Anthropic's message_start "message",
// a Responses API event's "response"). Only that string token changes. std::nullopt (keep the
// event) when nothing does: another type, no `holder` object or more than one, not exactly one
// string "model" in it, data that is not one valid JSON object, or the model already named.
// May throw std::bad_alloc.
std::optional<std::string> rename_held_model(std::string_view event, std::string_view holder,
                                             bool (*names_model)(std::string_view type),
                                             std::string_view model);

// The payload of the one "data:" line of `event` (a whole event, as for rewrite_data_lines),
// as a view into it; std::nullopt when the event has no data line or more than one. A
// chunk's token offsets in its data are offsets in this payload then.
std::optional<std::string_view> single_data_payload(std::string_view event) noexcept;

// Where the line starting at `at` ends: its first CR or LF, or the end of `s`.
std::size_t sse_line_end(std::string_view s, std::size_t at) noexcept;

// Calls f(payload, eol) for each "data:" line of `event` in order: the text after "data:" and
// one optional space (a view into `event`), and where the line ends.
template <class F>
void for_each_data_payload(std::string_view event, F&& f) {
    constexpr std::string_view field = "data:";
    std::size_t at = 0;
    while (at < event.size()) {
        std::size_t eol = sse_line_end(event, at);
        std::string_view line = event.substr(at, eol - at);
        if (line.substr(0, field.size()) == field) {
            std::size_t payload = field.size();
            if (payload < line.size() && line[payload] == ' ') ++payload;  // one space is syntax
            f(line.substr(payload), eol);
        }
        at = eol;
        if (at < event.size() && event[at] == '\r') ++at;
        if (at < event.size() && event[at] == '\n') ++at;
    }
}

template <class Rewrite>
std::optional<std::string> rewrite_data_lines(std::string_view event, Rewrite&& rewrite) {
    std::optional<std::string> out;
    std::size_t copied = 0;  // event[0, copied) is in out already
    for_each_data_payload(event, [&](std::string_view payload, std::size_t eol) {
        if (std::optional<std::string> r = rewrite(payload)) {
            if (!out) {
                out.emplace();
                out->reserve(event.size() + r->size());
            }
            std::size_t begin = static_cast<std::size_t>(payload.data() - event.data());
            out->append(event.substr(copied, begin - copied));
            *out += *r;
            copied = eol;
        }
    });
    if (out) out->append(event.substr(copied));
    return out;
}

}  // namespace aigw
