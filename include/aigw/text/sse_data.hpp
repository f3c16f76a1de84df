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

// Where the line starting at `at` ends: its first CR or LF, or the end of `s`.
std::size_t sse_line_end(std::string_view s, std::size_t at) noexcept;

template <class Rewrite>
std::optional<std::string> rewrite_data_lines(std::string_view event, Rewrite&& rewrite) {
    constexpr std::string_view field = "data:";
    std::optional<std::string> out;
    std::size_t copied = 0;  // event[0, copied) is in out already
    std::size_t at = 0;
    while (at < event.size()) {
        std::size_t eol = sse_line_end(event, at);
        std::string_view line = event.substr(at, eol - at);
        if (line.substr(0, field.size()) == field) {
            std::size_t payload = field.size();
            if (payload < line.size() && line[payload] == ' ') ++payload;  // one space is syntax
            if (std::optional<std::string> r = rewrite(line.substr(payload))) {
                if (!out) {
                    out.emplace();
                    out->reserve(event.size() + r->size());
                }
                out->append(event.substr(copied, at + payload - copied));
                *out += *r;
                copied = eol;
            }
        }
        at = eol;
        if (at < event.size() && event[at] == '\r') ++at;
        if (at < event.size() && event[at] == '\n') ++at;
    }
    if (out) out->append(event.substr(copied));
    return out;
}

}  // namespace aigw
