#include "aigw/text/usage_scanner.hpp"

#include <array>

#include "aigw/text/hex.hpp"

namespace aigw {

namespace {

struct byte_classes {
    std::array<bool, 256> structural{};  // what ends a run of skipped bytes inside a member
    std::array<bool, 256> in_string{};   // what ends a run of a string's bytes
    std::array<bool, 256> scalar{};      // bytes of a number or a literal
};

constexpr byte_classes make_classes() {
    byte_classes t;
    for (unsigned char c : {'"', '{', '}', '[', ']'}) t.structural[c] = true;
    t.in_string['"'] = true;
    t.in_string['\\'] = true;
    for (int c = '0'; c <= '9'; ++c) t.scalar[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t.scalar[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t.scalar[c] = true;
    for (unsigned char c : {'-', '+', '.'}) t.scalar[c] = true;
    return t;
}

constexpr byte_classes classes = make_classes();

bool is_space(unsigned char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Unescapes a short key (only to compare it with an ASCII name: any code point past ASCII
// becomes a byte that matches no name). False on an escape JSON does not have.
bool unescape_key(std::string_view raw, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i == raw.size()) return false;
        switch (raw[i]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
            if (raw.size() - i <= 4) return false;
            int cp = 0;
            for (int k = 1; k <= 4; ++k) {
                int d = hex_digit_value(raw[i + k]);
                if (d < 0) return false;
                cp = cp * 16 + d;
            }
            i += 4;
            out += cp < 0x80 ? static_cast<char>(cp) : '\x80';
            break;
        }
        default:
            return false;
        }
    }
    return true;
}

}  // namespace

void usage_scanner::feed(std::string_view bytes) {
    const char* p = bytes.data();
    const char* end = p + bytes.size();
    keep_from_ = p;
    while (p < end && state_ != state::failed) {
        bool inside = state_ == state::nested || state_ == state::nested_string ||
                      state_ == state::nested_escape;
        p = inside ? run_nested(p, end) : run(p, end);
    }
    if (keeping_ && state_ != state::failed) {
        keep(keep_from_, end);
    }
}

// The top-level object's own syntax, a byte at a time (its keys and short values); returns on
// entering a member's object or array, which run_nested skips in bulk.
const char* usage_scanner::run(const char* p, const char* end) {
    for (; p < end; ++p) {
        unsigned char c = static_cast<unsigned char>(*p);
        switch (state_) {
        case state::before:
            if (is_space(c)) break;
            if (c != '{') {
                state_ = state::failed;  // not an object: no usage, as the whole-body reader
                return end;
            }
            depth_ = 1;
            state_ = state::first_key;
            break;
        case state::first_key:
            if (c == '}') {
                depth_ = 0;
                state_ = state::after;
                break;
            }
            [[fallthrough]];
        case state::next_key:
            if (is_space(c)) break;
            if (c != '"') {
                state_ = state::failed;
                return end;
            }
            key_len_ = 0;
            key_long_ = false;
            key_escaped_ = false;
            state_ = state::key;
            break;
        case state::key:
            if (c == '"') {
                key_ended();
                if (state_ == state::failed) return end;
                state_ = state::colon;
                break;
            }
            if (c == '\\') {
                key_escaped_ = true;
                state_ = state::key_escape;
            }
            key_byte(c);
            break;
        case state::key_escape:
            state_ = state::key;
            key_byte(c);
            break;
        case state::colon:
            if (is_space(c)) break;
            if (c != ':') {
                state_ = state::failed;
                return end;
            }
            state_ = state::value;
            break;
        case state::value:
            if (is_space(c)) break;
            if (member_is_usage_) {
                // A later "usage" replaces an earlier one, as in the whole-body reader.
                usage_seen_ = true;
                keeping_ = true;
                value_.clear();
                value_too_long_ = false;
                keep_from_ = p;
            }
            if (c == '"') {
                state_ = state::string;
            } else if (c == '{' || c == '[') {
                push(c == '[');
                state_ = state::nested;
                return p + 1;
            } else if (classes.scalar[c]) {
                state_ = state::scalar;
            } else {
                state_ = state::failed;
                return end;
            }
            break;
        case state::string:
            if (c == '"') {
                value_ended(p + 1);
                state_ = state::after_value;
            } else if (c == '\\') {
                state_ = state::string_escape;
            }
            break;
        case state::string_escape:
            state_ = state::string;
            break;
        case state::scalar:
            if (classes.scalar[c]) break;
            value_ended(p);
            state_ = state::after_value;
            [[fallthrough]];  // this byte ends the value: read it as what follows one
        case state::after_value:
            if (is_space(c)) break;
            if (c == ',') {
                state_ = state::next_key;
            } else if (c == '}') {
                depth_ = 0;
                state_ = state::after;
            } else {
                state_ = state::failed;
                return end;
            }
            break;
        case state::after:
            if (!is_space(c)) {
                state_ = state::failed;
                return end;
            }
            break;
        case state::nested:
        case state::nested_string:
        case state::nested_escape:
            return p;
        case state::failed:
            return end;
        }
    }
    return p;
}

// Inside a member's object or array: only strings and brackets matter, so runs of other bytes
// are skipped by table lookup. Returns when the member's value ends.
const char* usage_scanner::run_nested(const char* p, const char* end) {
    while (p < end) {
        if (state_ == state::nested_string) {
            while (p < end && !classes.in_string[static_cast<unsigned char>(*p)]) ++p;
            if (p == end) break;
            state_ = *p == '"' ? state::nested : state::nested_escape;
            ++p;
            continue;
        }
        if (state_ == state::nested_escape) {
            state_ = state::nested_string;
            ++p;
            continue;
        }
        while (p < end && !classes.structural[static_cast<unsigned char>(*p)]) ++p;
        if (p == end) break;
        char c = *p++;
        if (c == '"') {
            state_ = state::nested_string;
        } else if (c == '{' || c == '[') {
            if (!push(c == '[')) return end;
        } else {
            if (!pop(c == ']')) return end;
            if (depth_ == 1) {
                value_ended(p);
                state_ = state::after_value;
                return p;
            }
        }
    }
    return p;
}

void usage_scanner::key_byte(unsigned char c) {
    if (key_len_ < key_max) {
        key_[key_len_++] = static_cast<char>(c);
    } else {
        key_long_ = true;
    }
}

void usage_scanner::key_ended() {
    constexpr std::string_view name = "usage";
    member_is_usage_ = false;
    if (key_long_) return;
    std::string_view raw(key_, key_len_);
    if (!key_escaped_) {
        member_is_usage_ = raw == name;
        return;
    }
    std::string key;
    if (!unescape_key(raw, key)) {
        state_ = state::failed;  // the whole-body reader fails on it too
        return;
    }
    member_is_usage_ = key == name;
}

void usage_scanner::keep(const char* from, const char* to) {
    std::size_t n = static_cast<std::size_t>(to - from);
    if (value_too_long_ || n == 0) return;
    if (value_.size() + n > max_value_) {
        value_too_long_ = true;
        value_.clear();
        value_.shrink_to_fit();
        return;
    }
    value_.append(from, n);
}

void usage_scanner::value_ended(const char* to) {
    if (!keeping_) return;
    keep(keep_from_, to);
    keeping_ = false;
}

bool usage_scanner::push(bool array) {
    if (depth_ >= max_depth) {
        state_ = state::failed;
        return false;
    }
    std::uint64_t bit = std::uint64_t{1} << (depth_ % 64);
    if (array) {
        kinds_[depth_ / 64] |= bit;
    } else {
        kinds_[depth_ / 64] &= ~bit;
    }
    ++depth_;
    return true;
}

bool usage_scanner::pop(bool array) {
    unsigned top = depth_ - 1;
    if (depth_ <= 1 || (((kinds_[top / 64] >> (top % 64)) & 1) != 0) != array) {
        state_ = state::failed;
        return false;
    }
    --depth_;
    return true;
}

usage usage_scanner::finish(const usage_parser& parser) const noexcept {
    if (state_ != state::after || !usage_seen_ || value_too_long_) {
        return usage{};
    }
    try {
        std::string doc;
        doc.reserve(value_.size() + 10);
        doc += "{\"usage\":";
        doc += value_;
        doc += '}';
        return parser.read_response(doc, nullptr);
    } catch (...) {
        return usage{};  // allocation only
    }
}

}  // namespace aigw
