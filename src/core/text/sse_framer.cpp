#include "aigw/text/sse_framer.hpp"

#include <algorithm>
#include <cstring>

namespace aigw {

namespace {

constexpr char utf8_bom[] = "\xEF\xBB\xBF";

// The first CR or LF in [p, end), or end.
const char* find_line_end(const char* p, const char* end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* stop = nl ? nl : end;
    const char* cr = static_cast<const char*>(std::memchr(p, '\r', stop - p));
    return cr ? cr : stop;
}

}  // namespace

sse_framer::sse_framer(sse_limits limits) : limits_(limits) {}

sse_status sse_framer::feed(std::string_view bytes, std::vector<sse_event>& out) {
    if (status_ == sse_status::ok && state_ != state::spent) {
        run(bytes.data(), bytes.data() + bytes.size(), out);
    }
    return status_;
}

sse_end sse_framer::finish(std::vector<sse_event>& out) {
    if (state_ == state::spent || status_ != sse_status::ok) {
        state_ = state::spent;
        return status_ == sse_status::ok ? sse_end::clean : sse_end::error;
    }
    if (state_ == state::bom) {
        // A stream shorter than a BOM that began like one: those bytes are a line.
        unsigned held = bom_seen_;
        state_ = state::line_start;
        run(utf8_bom, utf8_bom + held, out);
    }
    if (status_ == sse_status::ok && state_ == state::name) {
        begin_field();
    }
    if (state_ == state::name || state_ == state::value_start || state_ == state::value) {
        end_line();
    }
    sse_end result = sse_end::clean;
    if (status_ == sse_status::ok && in_event_) {
        dispatch(out, true);
        result = sse_end::partial;
    }
    if (status_ != sse_status::ok) {
        result = sse_end::error;
    }
    state_ = state::spent;
    return result;
}

void sse_framer::run(const char* p, const char* end, std::vector<sse_event>& out) {
    while (p < end && status_ == sse_status::ok) {
        switch (state_) {
        case state::bom: {
            if (*p == utf8_bom[bom_seen_]) {
                ++p;
                if (++bom_seen_ == 3) {
                    offset_ = 3;  // the BOM's bytes are part of the stream, just not of a line
                    state_ = state::line_start;
                }
                break;
            }
            // Not a BOM after all: the bytes held so far begin the first line.
            unsigned held = bom_seen_;
            bom_seen_ = 0;
            state_ = state::line_start;
            run(utf8_bom, utf8_bom + held, out);
            break;
        }
        case state::line_start: {
            char c = *p;
            if (c == '\n' && after_cr_) {
                // The LF of a CRLF: the line already ended at the CR.
                after_cr_ = false;
                ++p;
                ++offset_;
                break;
            }
            after_cr_ = false;
            if (c == '\r' || c == '\n') {
                // A blank line ends the event (if one began).
                after_cr_ = c == '\r';
                ++p;
                ++offset_;
                if (in_event_) {
                    dispatch(out, false);
                }
                break;
            }
            line_begin_ = offset_;
            line_len_ = 0;
            if (!in_event_) {
                in_event_ = true;
                event_begin_ = offset_;
            }
            if (c == ':') {
                // A comment: the rest of the line is read and dropped.
                field_ = field::ignored;
                if (!grow_line(1)) break;
                ++p;
                ++offset_;
                state_ = state::value;
                break;
            }
            name_len_ = 0;
            state_ = state::name;
            break;
        }
        case state::name: {
            // The name's bytes this buffer holds, up to its colon or the line's end, at once.
            const char* q = p;
            while (q < end && *q != ':' && *q != '\r' && *q != '\n') ++q;
            if (q > p) {
                std::size_t n = static_cast<std::size_t>(q - p);
                if (!grow_line(n)) break;
                std::size_t keep = std::min(n, sizeof(name_) - name_len_);
                std::memcpy(name_ + name_len_, p, keep);
                name_len_ += keep;
                p = q;
                offset_ += n;
                if (p == end) break;
            }
            char c = *p;
            if (c == ':' || c == '\r' || c == '\n') {
                begin_field();
                if (status_ != sse_status::ok) break;
                if (c == ':') {
                    if (!grow_line(1)) break;
                    ++p;
                    ++offset_;
                    state_ = state::value_start;
                } else {
                    // A name alone is a field with an empty value; the value state ends the line.
                    state_ = state::value;
                }
                break;
            }
            break;  // not reached: the scan above stops only at those bytes or the end
        }
        case state::value_start:
            // One space after the colon is part of the syntax, not of the value.
            if (*p == ' ') {
                if (!grow_line(1)) break;
                ++p;
                ++offset_;
            }
            state_ = state::value;
            break;
        case state::value: {
            const char* eol = find_line_end(p, end);
            std::size_t n = static_cast<std::size_t>(eol - p);
            if (n > 0) {
                // Whichever limit a byte-by-byte feed would trip first trips here, so the
                // error does not depend on how the stream was split.
                std::size_t line_room = limits_.max_line - line_len_;
                std::size_t event_room = field_ == field::ignored ? n : limits_.max_event - buffered();
                if (n > line_room && line_room <= event_room) {
                    grow_line(n);
                    break;
                }
                if (!append_value(p, n)) break;
                grow_line(n);
                p += n;
                offset_ += n;
            }
            if (p < end) {
                after_cr_ = *p == '\r';
                ++p;
                ++offset_;
                end_line();
                state_ = state::line_start;
            }
            break;
        }
        case state::spent:
            return;
        }
    }
}

bool sse_framer::grow_line(std::size_t n) {
    if (n > limits_.max_line - line_len_) {
        error_offset_ = line_begin_;
        fail(sse_status::line_too_long);
        return false;
    }
    line_len_ += n;
    return true;
}

bool sse_framer::append_value(const char* p, std::size_t n) {
    std::string* target = nullptr;
    switch (field_) {
    case field::ignored: return true;
    case field::data: target = &data_; break;
    case field::event: target = &type_; break;
    case field::id:
        target = &pending_id_;
        if (std::memchr(p, '\0', n) != nullptr) id_has_nul_ = true;
        break;
    }
    if (n > limits_.max_event - buffered()) {
        error_offset_ = line_begin_;
        fail(sse_status::event_too_long);
        return false;
    }
    target->append(p, n);
    return true;
}

void sse_framer::begin_field() {
    std::string_view name(name_, name_len_);
    field_ = field::ignored;
    if (name == "data") {
        field_ = field::data;
        if (has_data_) {
            // Lines of one event's data are joined with LF.
            char lf = '\n';
            if (!append_value(&lf, 1)) return;
        }
        has_data_ = true;
    } else if (name == "event") {
        field_ = field::event;
        type_.clear();
    } else if (name == "id") {
        field_ = field::id;
        pending_id_.clear();
        id_has_nul_ = false;
    }
}

void sse_framer::end_line() {
    if (field_ == field::id && !id_has_nul_) {
        id_.swap(pending_id_);
    }
    pending_id_.clear();
    field_ = field::ignored;
}

void sse_framer::dispatch(std::vector<sse_event>& out, bool partial) {
    sse_event ev;
    if (!type_.empty()) {
        ev.type = std::move(type_);
    }
    ev.data = std::move(data_);
    data_.clear();
    if (!spare_.empty()) {
        data_.swap(spare_.back());
        spare_.pop_back();
    }
    if (!ev.type.empty() && !spare_.empty()) {
        // A type longer than a string holds inline ("content_block_delta") went with the event.
        type_.swap(spare_.back());
        spare_.pop_back();
    }
    ev.id = id_;
    ev.has_data = has_data_;
    ev.is_done = has_data_ && ev.data == "[DONE]";
    ev.partial = partial;
    ev.begin = event_begin_;
    ev.end = offset_;
    out.push_back(std::move(ev));
    type_.clear();
    data_.clear();
    has_data_ = false;
    in_event_ = false;
}

void sse_framer::recycle(std::vector<sse_event>& events) {
    auto keep = [this](std::string& buf) {
        std::size_t c = buf.capacity();
        if (spare_.size() < recycle_max && c > sizeof(std::string) && c <= recycle_capacity) {
            buf.clear();
            spare_.push_back(std::move(buf));
        }
    };
    for (sse_event& e : events) {
        keep(e.data);
        keep(e.type);
    }
    events.clear();
}

void sse_framer::fail(sse_status s) {
    status_ = s;
    // Give the memory back now: nothing more is framed.
    std::string().swap(data_);
    std::string().swap(type_);
    std::string().swap(pending_id_);
}

}  // namespace aigw
