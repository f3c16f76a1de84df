#include "aigw/text/sse_data.hpp"

#include <cstring>

namespace aigw {

namespace {

// Where the line starting at `at` ends: its first CR or LF, or the end of `s`. memchr, as
// string_view::find_first_of tests the bytes one by one (that alone cost more than the parse).
std::size_t line_end(std::string_view s, std::size_t at) {
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

}  // namespace

std::optional<std::string> rewrite_data_lines(
    std::string_view event,
    const std::function<std::optional<std::string>(std::string_view)>& rewrite) {
    constexpr std::string_view field = "data:";
    std::optional<std::string> out;
    std::size_t copied = 0;  // event[0, copied) is in out already
    std::size_t at = 0;
    while (at < event.size()) {
        std::size_t eol = line_end(event, at);
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
