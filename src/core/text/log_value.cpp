#include "aigw/text/log_value.hpp"

namespace aigw {

std::size_t utf8_prefix_length(std::string_view v, std::size_t max) noexcept {
    if (v.size() <= max) {
        return v.size();
    }
    std::size_t n = max;
    // Back off over continuation bytes to the start of the character the cut falls in; a
    // run longer than a character's tail is not UTF-8, and is cut where asked.
    for (std::size_t k = 0; k < 3 && n > 0; ++k) {
        auto c = static_cast<unsigned char>(v[n]);
        if ((c & 0xc0) != 0x80) {
            return n;
        }
        --n;
    }
    return (static_cast<unsigned char>(v[n]) & 0xc0) == 0xc0 ? n : max;
}

std::size_t write_log_value(std::string_view v, char* out, std::size_t whole_size) noexcept {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t whole = whole_size > v.size() ? whole_size : v.size();
    std::size_t shown = utf8_prefix_length(v, log_value_max);
    char* p = out;
    for (std::size_t i = 0; i < shown; ++i) {
        auto c = static_cast<unsigned char>(v[i]);
        if (c == '\\' || c == '"') {
            *p++ = '\\';
            *p++ = static_cast<char>(c);
        } else if (c == '\n') {
            *p++ = '\\';
            *p++ = 'n';
        } else if (c == '\r') {
            *p++ = '\\';
            *p++ = 'r';
        } else if (c == '\t') {
            *p++ = '\\';
            *p++ = 't';
        } else if (c < 0x20 || c == 0x7f) {
            *p++ = '\\';
            *p++ = 'x';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];
        } else {
            *p++ = static_cast<char>(c);
        }
    }
    if (shown < whole) {
        static constexpr char more[] = "...(";
        for (const char* m = more; *m; ++m) *p++ = *m;
        char digits[20];
        std::size_t nd = 0;
        std::size_t n = whole;
        do {
            digits[nd++] = static_cast<char>('0' + n % 10);
            n /= 10;
        } while (n);
        while (nd) *p++ = digits[--nd];
        static constexpr char bytes[] = " bytes)";
        for (const char* m = bytes; *m; ++m) *p++ = *m;
    }
    return static_cast<std::size_t>(p - out);
}

std::string log_value(std::string_view v, std::size_t whole_size) {
    std::string out(log_value_capacity, '\0');
    out.resize(write_log_value(v, out.data(), whole_size));
    return out;
}

}  // namespace aigw
