#include "aigw/text/json_write.hpp"

#include <cmath>
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

// Messages may quote client bytes (a request path) and the rapidjson Writer copies bytes as
// they are; JSON must be UTF-8, so each byte that is not part of a well-formed sequence
// becomes U+FFFD.
void write_text(json_writer& w, std::string_view s) {
    std::string fixed;
    bool replaced = false;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = utf8_sequence_length(s, i);
        if (n == 0 && !replaced) {
            fixed.assign(s.data(), i);
            replaced = true;
        }
        if (n == 0) {
            fixed += "\xEF\xBF\xBD";
            ++i;
        } else {
            if (replaced) fixed.append(s.data() + i, n);
            i += n;
        }
    }
    std::string_view out = replaced ? std::string_view(fixed) : s;
    w.String(out.data(), static_cast<rapidjson::SizeType>(out.size()));
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
