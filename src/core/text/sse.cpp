#include "aigw/text/sse.hpp"

#include <cstring>

namespace aigw {

std::size_t sse_event_scanner::feed(const char* data, std::size_t len) {
    std::size_t last_end = npos;
    const char* p = data;
    const char* end = data + len;
    while (p < end) {
        // Only line ends matter: skip the rest of a line in one step.
        if (!after_cr_ && !at_line_start_) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
            const char* cr = static_cast<const char*>(std::memchr(p, '\r', (nl ? nl : end) - p));
            const char* eol = cr ? cr : nl;
            if (eol == nullptr) {
                at_event_end_ = false;
                return last_end;
            }
            p = eol;
        }
        char c = *p++;
        if (c == '\n') {
            if (after_cr_) {
                // The LF of a CRLF: the line already ended at the CR.
                after_cr_ = false;
                if (at_event_end_) {
                    last_end = static_cast<std::size_t>(p - data);
                }
                continue;
            }
            if (at_line_start_) {
                at_event_end_ = true;
                last_end = static_cast<std::size_t>(p - data);
            }
            at_line_start_ = true;
        } else if (c == '\r') {
            if (at_line_start_ && !after_cr_) {
                at_event_end_ = true;
                last_end = static_cast<std::size_t>(p - data);
            } else if (at_line_start_ && after_cr_) {
                // CR CR: an empty line after a CR-ended line.
                at_event_end_ = true;
                last_end = static_cast<std::size_t>(p - data);
            } else {
                at_event_end_ = false;
            }
            at_line_start_ = true;
            after_cr_ = true;
        } else {
            at_line_start_ = false;
            after_cr_ = false;
            at_event_end_ = false;
        }
    }
    return last_end;
}

}  // namespace aigw
