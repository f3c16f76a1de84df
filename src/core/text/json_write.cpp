#include "aigw/text/json_write.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

namespace aigw {

// Length of the well-formed UTF-8 sequence at s[i] (Unicode table 3-7), 0 if ill-formed.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c == 0xe0) {
        n = 3;
        lo = 0xa0;  // no overlong forms
    } else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
        n = 3;
    } else if (c == 0xed) {
        n = 3;
        hi = 0x9f;  // no UTF-16 surrogates
    } else if (c == 0xf0) {
        n = 4;
        lo = 0x90;  // no overlong forms
    } else if (c >= 0xf1 && c <= 0xf3) {
        n = 4;
    } else if (c == 0xf4) {
        n = 4;
        hi = 0x8f;  // nothing above U+10FFFF
    } else {
        return 0;   // continuation byte, C0/C1 (overlong), F5..FF
    }
    if (s.size() - i < n || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
    }
    return n;
}

namespace {

// Whether any of 8 bytes (one word) needs more than a copy in a JSON string: a control
// character, '"', '\\', or a byte of a multi-byte UTF-8 sequence (to be checked). The
// word-at-a-time tests of "Bit Twiddling Hacks": a zero byte, a byte below n.
bool word_needs_care(std::uint64_t x) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    return ((x | ((x - ones * 0x20) & ~x)) & highs) != 0 || has_zero(x ^ (ones * '"')) != 0 ||
           has_zero(x ^ (ones * '\\')) != 0;
}

}  // namespace

// Messages may quote client bytes (a request path) and the rapidjson Writer copies bytes as
// they are; JSON must be UTF-8, so each byte that is not part of a well-formed sequence
// becomes U+FFFD. The string is written as append_json_text writes it (the same bytes the
// Writer's String() would write for the fixed text), faster than the Writer's byte loop.
void write_text(json_writer& w, std::string_view s) {
    thread_local std::string scratch;
    scratch.clear();
    append_json_text(scratch, s);
    w.RawValue(scratch.data(), scratch.size(), rapidjson::kStringType);
    if (scratch.capacity() > (std::size_t{64} << 10)) {
        std::string().swap(scratch);  // a large text's buffer is not kept
    }
}

void append_json_text(std::string& out, std::string_view s) {
    // RapidJSON's escapes: the short ones where JSON has them, \u00XX (upper-case digits) for
    // the other control characters; every other byte of well-formed UTF-8 as it is.
    static constexpr char hex[] = "0123456789ABCDEF";
    out.reserve(out.size() + s.size() + 2);
    out += '"';
    std::size_t run = 0;  // start of the bytes not yet appended that need nothing
    std::size_t i = 0;
    while (i < s.size()) {
        if (s.size() - i >= 8) {
            std::uint64_t word;
            std::memcpy(&word, s.data() + i, 8);
            if (!word_needs_care(word)) {
                i += 8;
                continue;
            }
        }
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            std::size_t n = utf8_sequence_length(s, i);
            if (n != 0) {
                i += n;
                continue;
            }
        }
        out.append(s.data() + run, i - run);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
            } else {
                out += "\xEF\xBF\xBD";  // a byte of no well-formed sequence
            }
        }
        run = ++i;
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

void append_json_uint(std::string& out, std::uint64_t v) {
    char digits[20];
    auto r = std::to_chars(digits, digits + sizeof digits, v);
    out.append(digits, static_cast<std::size_t>(r.ptr - digits));
}

void write_text_or_null(json_writer& w, std::string_view s) {
    if (s.empty()) {
        w.Null();
    } else {
        write_text(w, s);
    }
}

void write_number_member(json_writer& w, const char* key, const std::optional<double>& v) {
    if (!v || !std::isfinite(*v)) return;
    w.Key(key);
    w.Double(*v);
}

}  // namespace aigw
