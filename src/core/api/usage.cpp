#include "aigw/api/usage.hpp"

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

    usage total() const noexcept override { return total_; }

private:
    const usage_parser& parser_;
    usage total_;
};

}  // namespace

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
