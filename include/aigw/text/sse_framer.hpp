// Server-sent events framed into whole events, incrementally, with bounded memory per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aigw {

// One event as an SSE client would see it (WHATWG "interpreting an event stream"), plus where
// its bytes lie in the stream so the glue can forward or drop exactly those bytes.
struct sse_event {
    std::string type = "message";  // the event: field, "message" when absent or empty
    std::string data;              // data: lines joined with '\n' (no trailing '\n')
    std::string id;                // the stream's last event id at this event (ids persist)
    bool has_data = false;         // a data: line came; SSE clients dispatch only these
    bool is_done = false;          // data is exactly "[DONE]", OpenAI's end marker
    bool partial = false;          // only from finish(): the stream ended before the blank line
    // Absolute byte offsets in the stream: begin is the event's first line (a comment
    // included), end is just past the terminator of the blank line that ended it. Bytes between
    // events (extra blank lines, the LF of a CRLF blank line) belong to no event, so dropping
    // [begin, end) leaves a stream that parses into the other events unchanged.
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

struct sse_limits {
    // A longer line is an error, not a reason to buffer more.
    std::size_t max_line = std::size_t{1} << 20;
    // Most bytes one event may hold (data + type + id); bounds multi-line events the same way.
    std::size_t max_event = std::size_t{4} << 20;
};

enum class sse_status {
    ok,
    line_too_long,   // a line went past max_line: framing stopped there
    event_too_long,  // an event went past max_event: framing stopped there
};

enum class sse_end {
    clean,    // the stream ended on an event boundary (or between events)
    partial,  // it ended inside an event, which finish() reported with partial = true
    error,    // framing had stopped on a limit earlier
};

// Bytes in, events out. Lines end in CRLF, LF or CR, and any of those may be split across
// feeds; a leading UTF-8 BOM is skipped; comments, retry: and unknown fields are ignored.
// Blocks without a data: line (a ": keep-alive" comment, a lone event:) are reported with
// has_data = false so their byte ranges are known too. Memory held is at most the event in
// progress (max_event) plus a few bytes of a field name: bytes of a line are never kept whole;
// and the small buffers recycle() keeps (recycle_max of at most recycle_capacity bytes).
class sse_framer {
public:
    explicit sse_framer(sse_limits limits = sse_limits{});

    // Appends the events completed by `bytes` to `out`. After an error it appends nothing and
    // keeps returning the error.
    sse_status feed(std::string_view bytes, std::vector<sse_event>& out);

    // The stream ended: an event started but not ended by a blank line is appended with
    // partial = true (an SSE client would discard it; usage accounting may still read it).
    // Call once; the framer is spent afterwards.
    sse_end finish(std::vector<sse_event>& out);

    // Empties `events`, keeping the buffers of their data and types for the events to come: a
    // stream read event by event then needs no allocation for each.
    void recycle(std::vector<sse_event>& events);
    static constexpr std::size_t recycle_max = 16;
    static constexpr std::size_t recycle_capacity = 4096;

    sse_status status() const { return status_; }
    // Offset of the start of the line that broke a limit (valid when status() is not ok).
    std::uint64_t error_offset() const { return error_offset_; }
    // Bytes held for the event in progress: what the limits bound.
    std::size_t buffered() const {
        return data_.size() + type_.size() + id_.size() + pending_id_.size();
    }

private:
    enum class state : unsigned char { bom, line_start, name, value_start, value, spent };
    enum class field : unsigned char { ignored, data, event, id };

    void run(const char* p, const char* end, std::vector<sse_event>& out);
    bool grow_line(std::size_t n);
    bool append_value(const char* p, std::size_t n);
    void begin_field();
    void end_line();
    void dispatch(std::vector<sse_event>& out, bool partial);
    void fail(sse_status s);

    sse_limits limits_;
    sse_status status_ = sse_status::ok;
    state state_ = state::bom;
    field field_ = field::ignored;
    unsigned bom_seen_ = 0;       // bytes of a leading BOM matched so far (held, not yet run)
    bool after_cr_ = false;       // the last line ended in CR: an LF now completes a CRLF
    bool in_event_ = false;       // a line of the current event came
    bool has_data_ = false;
    bool id_has_nul_ = false;     // an id with NUL is ignored, as the spec says
    char name_[8] = {};           // the field name so far; only short names are ones we keep
    std::size_t name_len_ = 0;
    std::size_t line_len_ = 0;
    std::uint64_t offset_ = 0;    // absolute offset of the next byte run
    std::uint64_t line_begin_ = 0;
    std::uint64_t event_begin_ = 0;
    std::uint64_t error_offset_ = 0;
    std::string data_;
    std::string type_;
    std::string id_;
    std::string pending_id_;      // an id: line's value until its line ends
    std::vector<std::string> spare_;  // empty buffers for data_ (recycle())
};

}  // namespace aigw
