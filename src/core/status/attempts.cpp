// A request's attempts in the usage record; see attempts.hpp.
#include "aigw/status/attempts.hpp"

#include <array>

namespace aigw {

namespace {

constexpr std::array<std::string_view, attempt_outcome_count> outcome_names = {
    "ok", "4xx", "429", "5xx", "timeout", "connect_failure", "cut", "client_closed",
};

bool plain_byte(unsigned char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

std::size_t digits(std::uint32_t n) noexcept {
    std::size_t d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

char* write_decimal(char* out, std::uint32_t n) noexcept {
    char* end = out + digits(n);
    char* p = end;
    do {
        *--p = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n);
    return end;
}

std::string_view kept_name(std::string_view channel) noexcept {
    return channel.substr(0, attempt_channel_max);
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Decimal digits only, at most `max`; nullopt otherwise.
std::optional<std::uint32_t> parse_number(std::string_view s, std::uint32_t max) noexcept {
    if (s.empty() || s.size() > 10) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (n > max) return std::nullopt;
    return static_cast<std::uint32_t>(n);
}

// One attempt's text (no '|'); an error message, empty when it read.
std::string decode_one(std::string_view text, attempt_entry& e) {
    std::array<std::string_view, 6> parts;
    std::size_t n = 0;
    for (;;) {
        std::size_t colon = text.find(':');
        if (n == parts.size()) return "more than 6 parts";
        parts[n++] = text.substr(0, colon);
        if (colon == std::string_view::npos) break;
        text.remove_prefix(colon + 1);
    }
    if (n != parts.size()) return "expected 6 ':'-separated parts, got " + std::to_string(n);

    std::string_view name = parts[0];
    if (name.empty()) return "no channel";
    for (std::size_t i = 0; i < name.size(); i++) {
        auto c = static_cast<unsigned char>(name[i]);
        if (c == '%') {
            int hi = i + 2 < name.size() ? hex_value(name[i + 1]) : -1;
            int lo = i + 2 < name.size() ? hex_value(name[i + 2]) : -1;
            if (hi < 0 || lo < 0) return "bad escape in the channel";
            e.channel += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (plain_byte(c)) {
            e.channel += static_cast<char>(c);
        } else {
            return "unescaped byte in the channel";
        }
        if (e.channel.size() > attempt_channel_max) return "channel name too long";
    }
    std::optional<attempt_outcome> o = attempt_outcome_from_name(parts[1]);
    if (!o) return "unknown outcome";
    e.outcome = *o;
    std::optional<std::uint32_t> status = parse_number(parts[2], UINT16_MAX);
    if (!status) return "bad upstream status";
    e.upstream_status = static_cast<std::uint16_t>(*status);
    if (parts[3] != "-") {
        std::optional<std::uint32_t> h = parse_number(parts[3], attempt_no_head - 1);
        if (!h) return "bad header_ms";
        e.header_ms = *h;
    }
    std::optional<std::uint32_t> d = parse_number(parts[4], UINT32_MAX);
    if (!d) return "bad duration_ms";
    e.duration_ms = *d;
    if (parts[5] != "0" && parts[5] != "1") return "bad swallowed flag";
    e.swallowed = parts[5] == "1";
    return {};
}

}  // namespace

std::string_view attempt_outcome_name(attempt_outcome o) noexcept {
    auto i = static_cast<std::size_t>(o);
    return i < outcome_names.size() ? outcome_names[i] : std::string_view();
}

std::optional<attempt_outcome> attempt_outcome_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < outcome_names.size(); i++) {
        if (outcome_names[i] == name) return static_cast<attempt_outcome>(i);
    }
    return std::nullopt;
}

attempt_outcome attempt_outcome_of_status(unsigned status) noexcept {
    if (status == 429) return attempt_outcome::rate_limited;
    if (status >= 500) return attempt_outcome::server_error;
    if (status >= 400) return attempt_outcome::client_error;
    return attempt_outcome::ok;
}

std::size_t attempt_text_size(const attempt_view& a, bool first) noexcept {
    std::size_t n = first ? 0 : 1;
    for (char c : kept_name(a.channel)) n += plain_byte(static_cast<unsigned char>(c)) ? 1 : 3;
    n += 1 + attempt_outcome_name(a.outcome).size();
    n += 1 + digits(a.upstream_status);
    n += 1 + (a.header_ms == attempt_no_head ? 1 : digits(a.header_ms));
    n += 1 + digits(a.duration_ms);
    n += 2;
    return n;
}

char* write_attempt(char* out, const attempt_view& a, bool first) noexcept {
    static constexpr char hex[] = "0123456789ABCDEF";
    if (!first) *out++ = '|';
    for (char ch : kept_name(a.channel)) {
        auto c = static_cast<unsigned char>(ch);
        if (plain_byte(c)) {
            *out++ = ch;
        } else {
            *out++ = '%';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out++ = ':';
    std::string_view name = attempt_outcome_name(a.outcome);
    for (char c : name) *out++ = c;
    *out++ = ':';
    out = write_decimal(out, a.upstream_status);
    *out++ = ':';
    if (a.header_ms == attempt_no_head) {
        *out++ = '-';
    } else {
        out = write_decimal(out, a.header_ms);
    }
    *out++ = ':';
    out = write_decimal(out, a.duration_ms);
    *out++ = ':';
    *out++ = a.swallowed ? '1' : '0';
    return out;
}

std::string encode_attempts(const std::vector<attempt_view>& attempts) {
    std::string out;
    for (std::size_t i = 0; i < attempts.size(); i++) {
        std::size_t at = out.size();
        out.resize(at + attempt_text_size(attempts[i], i == 0));
        write_attempt(out.data() + at, attempts[i], i == 0);
    }
    return out;
}

attempts_decode_result decode_attempts(std::string_view text) {
    attempts_decode_result r;
    if (text.empty()) {
        r.ok = true;
        return r;
    }
    for (;;) {
        std::size_t bar = text.find('|');
        if (r.attempts.size() == attempts_max) {
            r.error = "more than " + std::to_string(attempts_max) + " attempts";
            r.attempts.clear();
            return r;
        }
        attempt_entry e;
        std::string why = decode_one(text.substr(0, bar), e);
        if (!why.empty()) {
            r.error = "attempt " + std::to_string(r.attempts.size() + 1) + ": " + why;
            r.attempts.clear();
            return r;
        }
        r.attempts.push_back(std::move(e));
        if (bar == std::string_view::npos) break;
        text.remove_prefix(bar + 1);
    }
    r.ok = true;
    return r;
}

}  // namespace aigw
