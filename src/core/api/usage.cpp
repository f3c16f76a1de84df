#include "aigw/api/usage.hpp"

#include <limits>

namespace aigw {

usage estimated_usage(std::int64_t prompt_tokens, std::int64_t completion_tokens) {
    usage u;
    u.prompt_tokens = prompt_tokens < 0 ? 0 : prompt_tokens;
    u.completion_tokens = completion_tokens < 0 ? 0 : completion_tokens;
    constexpr std::int64_t top = std::numeric_limits<std::int64_t>::max();
    u.total_tokens = u.prompt_tokens > top - u.completion_tokens ? top
                                                                 : u.prompt_tokens + u.completion_tokens;
    u.estimated = true;
    return u;
}

std::string usage_parser::streamed_text(std::string_view data) const noexcept {
    try {
        std::string text;
        read_chunk(data, &text);
        return text;
    } catch (...) {
        return std::string();
    }
}

}  // namespace aigw
