#include "aigw/text/strings.hpp"

#include <cstring>

namespace aigw {

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::size_t find_bytes(std::string_view s, std::string_view needle, std::size_t from) noexcept {
    if (from > s.size() || needle.size() > s.size() - from) return std::string_view::npos;
    if (needle.empty()) return from;
    const void* hit = memmem(s.data() + from, s.size() - from, needle.data(), needle.size());
    return hit == nullptr ? std::string_view::npos
                          : static_cast<std::size_t>(static_cast<const char*>(hit) - s.data());
}

// HTTP optional whitespace: the only blanks NGINX leaves in a header value.
std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits a comma list into trimmed, non-empty items.
std::vector<std::string_view> split_list(std::string_view list) {
    std::vector<std::string_view> items;
    while (true) {
        std::size_t comma = list.find(',');
        std::string_view item = trim(list.substr(0, comma));
        if (!item.empty()) items.push_back(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return items;
}

// A value quoted in an error message: printable ASCII only, bounded, since it may come from
// Redis or argv and end up in error_log.
std::string quoted(std::string_view v) {
    constexpr std::size_t max = 64;
    std::string out = "'";
    for (std::size_t i = 0; i < v.size() && i < max; ++i) {
        char c = v[i];
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    if (v.size() > max) out += "...";
    out += "'";
    return out;
}

}  // namespace aigw
