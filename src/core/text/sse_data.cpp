#include "aigw/text/sse_data.hpp"

#include <cstring>

namespace aigw {

// memchr, as string_view::find_first_of tests the bytes one by one (that alone cost more than
// the parse).
std::size_t sse_line_end(std::string_view s, std::size_t at) noexcept {
    const char* line = s.data() + at;
    std::size_t len = s.size() - at;
    if (const void* lf = std::memchr(line, '\n', len)) {
        len = static_cast<std::size_t>(static_cast<const char*>(lf) - line);
    }
    if (const void* cr = std::memchr(line, '\r', len)) {
        len = static_cast<std::size_t>(static_cast<const char*>(cr) - line);
    }
    return at + len;
}

}  // namespace aigw
