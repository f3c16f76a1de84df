// Server-sent events: where events end in a byte stream that arrives in arbitrary pieces.
// The module frames streams with sse_framer; this small, separate scanner stays as an
// independent check of the framer's event ends in its unit tests and fuzz target.
#pragma once

#include <cstddef>

namespace aigw {

// Finds event ends (an empty line; lines end in CRLF, LF or CR) across calls. Forwarding a
// stream only up to the last event end means a stream cut mid-event never leaves a half event
// at the client, where an SSE parser would glue it to whatever comes next.
class sse_event_scanner {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    // Offset just past the last event end in data[0..len), or npos if none ends there.
    std::size_t feed(const char* data, std::size_t len);

    // True when the bytes fed so far end exactly at an event end.
    bool at_event_end() const { return at_event_end_; }

private:
    bool at_line_start_ = true;   // the previous byte ended a line (or nothing came yet)
    bool after_cr_ = false;       // the previous byte was CR: an LF now belongs to it
    bool at_event_end_ = true;
};

}  // namespace aigw
