#include "aigw/api/usage.hpp"

#include <cstring>
#include <limits>

namespace aigw {

std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
    constexpr std::int64_t top = std::numeric_limits<std::int64_t>::max();
    return a > top - b ? top : a + b;
}

usage estimated_usage(std::int64_t prompt_tokens, std::int64_t completion_tokens) {
    usage u;
    u.prompt_tokens = prompt_tokens < 0 ? 0 : prompt_tokens;
    u.completion_tokens = completion_tokens < 0 ? 0 : completion_tokens;
    u.total_tokens = saturating_add(u.prompt_tokens, u.completion_tokens);
    u.estimated = true;
    return u;
}

namespace {

// A stream whose usage comes whole: the last chunk that reported usage has it all.
class last_usage final : public stream_usage {
public:
    explicit last_usage(const usage_parser& parser) : parser_(parser) {}

    chunk_info read_chunk(std::string_view data, std::string* text) noexcept override {
        chunk_info info = parser_.read_chunk(data, text);
        if (info.tokens.present) total_ = info.tokens;
        return info;
    }

    chunk_info read_chunk_model(std::string_view data, std::string* text,
                                model_token* model) noexcept override {
        chunk_info info = parser_.read_chunk_model(data, text, model);
        if (info.tokens.present) total_ = info.tokens;
        return info;
    }

    usage total() const noexcept override { return total_; }

private:
    const usage_parser& parser_;
    usage total_;
};

}  // namespace

bool chunk_may_report_usage(std::string_view data) noexcept {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    std::size_t i = 0;
    while (i < data.size() && ws(data[i])) ++i;
    if (i == data.size() || data[i] != '{') return true;
    // memchr for the rare bytes, then the bytes around them: find() would stop at every
    // quote (its first character), and a chunk is mostly quoted strings.
    const char* p = data.data();
    std::size_t n = data.size();
    for (std::size_t k = i; k < n;) {
        const void* hit = std::memchr(p + k, '\\', n - k);
        if (hit == nullptr) break;
        k = static_cast<std::size_t>(static_cast<const char*>(hit) - p);
        if (k + 1 < n && p[k + 1] == 'u') return true;
        k += 2;  // the escaped character, which may be a backslash
    }
    constexpr std::string_view key = "\"usage\"";  // its 'g' at 4
    for (std::size_t k = i; k < n;) {
        const void* hit = std::memchr(p + k, 'g', n - k);
        if (hit == nullptr) break;
        k = static_cast<std::size_t>(static_cast<const char*>(hit) - p) + 1;
        std::size_t at = k - 1;
        if (at < 4 || data.substr(at - 4, key.size()) != key) continue;
        std::size_t j = at - 4 + key.size();
        while (j < data.size() && ws(data[j])) ++j;
        if (j == data.size() || data[j] != ':') continue;  // a string "usage", no member
        ++j;
        while (j < data.size() && ws(data[j])) ++j;
        if (data.substr(j, 4) != "null") return true;
    }
    return false;
}

std::unique_ptr<stream_usage> usage_parser::stream_reader() const {
    return std::make_unique<last_usage>(*this);
}

std::string usage_parser::streamed_text(std::string_view data) const noexcept {
    try {
        std::string text;
        read_chunk(data, &text);
        return text;
    } catch (...) {
        return std::string();
    }
}

}  // namespace aigw
