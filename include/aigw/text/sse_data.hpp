// Rewriting the data: lines of one whole SSE event, every other byte kept: how a dialect
// renames the model in a streamed event, or strips a member from it, without re-framing.
#pragma once

#include <functional>
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
std::optional<std::string> rewrite_data_lines(
    std::string_view event,
    const std::function<std::optional<std::string>(std::string_view)>& rewrite);

}  // namespace aigw
