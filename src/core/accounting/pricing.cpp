#include "aigw/accounting/pricing.hpp"

#include <algorithm>

namespace aigw {

namespace {

using wide = unsigned __int128;

std::int64_t clamp_tokens(std::int64_t n) { return n < 0 ? 0 : n; }

// Rounds tokens x micro-dollars-per-million up to whole micro-dollars, capped.
micro_usd per_million(wide product) {
    wide m = (product + 999999) / 1000000;
    return m > static_cast<wide>(max_micro_usd) ? max_micro_usd : static_cast<micro_usd>(m);
}

micro_usd add_capped(micro_usd a, micro_usd b) {
    return a > max_micro_usd - b ? max_micro_usd : a + b;
}

}  // namespace

std::optional<micro_usd> parse_usd(std::string_view s) {
    if (s.empty() || s.size() > 32) {
        return std::nullopt;
    }
    wide whole = 0;
    wide frac = 0;
    int decimals = -1;  // -1: no '.' yet
    bool digits = false;
    for (char c : s) {
        if (c == '.') {
            if (decimals >= 0) {
                return std::nullopt;
            }
            decimals = 0;
            continue;
        }
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        digits = true;
        if (decimals < 0) {
            whole = whole * 10 + static_cast<unsigned>(c - '0');
            if (whole > static_cast<wide>(max_micro_usd / 1000000)) {
                return std::nullopt;
            }
        } else {
            if (++decimals > 6) {
                return std::nullopt;
            }
            frac = frac * 10 + static_cast<unsigned>(c - '0');
        }
    }
    if (!digits) {
        return std::nullopt;
    }
    for (int d = decimals < 0 ? 0 : decimals; d < 6; d++) {
        frac *= 10;
    }
    wide m = whole * 1000000 + frac;
    if (m > static_cast<wide>(max_micro_usd)) {
        return std::nullopt;
    }
    return static_cast<micro_usd>(m);
}

std::string format_usd(micro_usd m) {
    std::string sign;
    std::uint64_t u = static_cast<std::uint64_t>(m);
    if (m < 0) {
        sign = "-";
        u = 0 - u;
    }
    std::string out = sign + std::to_string(u / 1000000);
    std::uint64_t frac = u % 1000000;
    if (frac) {
        std::string f = std::to_string(frac);
        f.insert(0, 6 - f.size(), '0');
        while (f.back() == '0') {
            f.pop_back();
        }
        out += '.';
        out += f;
    }
    return out;
}

micro_usd request_cost(const model_price& price, const usage& u) {
    std::int64_t prompt = clamp_tokens(u.prompt_tokens);
    // The prompt count includes cached and cache-written tokens: an upstream that reports
    // more of them than that is not billed beyond its prompt.
    std::int64_t cached = std::min(clamp_tokens(u.cached_tokens), prompt);
    std::int64_t written = std::min(clamp_tokens(u.cache_write_tokens), prompt - cached);
    micro_usd cached_price = price.cached_input < 0 ? price.input : price.cached_input;
    micro_usd write_price = price.cache_write < 0 ? price.input : price.cache_write;
    // Each product is below 2^63 x 2^60 and the prompt's three add up to one such: no overflow.
    wide tokens = static_cast<wide>(prompt - cached - written) * static_cast<wide>(price.input) +
                  static_cast<wide>(cached) * static_cast<wide>(cached_price) +
                  static_cast<wide>(written) * static_cast<wide>(write_price) +
                  static_cast<wide>(clamp_tokens(u.completion_tokens)) *
                      static_cast<wide>(price.output);
    return add_capped(per_million(tokens), price.request < 0 ? 0 : price.request);
}

micro_usd reserve_cost(const model_price& price, std::int64_t prompt_tokens,
                       std::int64_t max_output_tokens) {
    usage u;
    u.prompt_tokens = prompt_tokens;
    u.completion_tokens = max_output_tokens;
    // The prompt's tokens are not known to be cached or written yet: each at the dearest.
    model_price dearest = price;
    dearest.input = std::max({price.input, price.cached_input, price.cache_write});
    dearest.cached_input = -1;
    dearest.cache_write = -1;
    return request_cost(dearest, u);
}

std::string price_table::add(std::string_view pattern, const model_price& price) {
    return table_.add(pattern, price, "price for model");
}

const model_price* price_table::find(std::string_view model) const noexcept {
    return table_.find(model);
}

price_parse_result parse_price_fields(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
    price_parse_result out;
    bool have_input = false;
    bool have_output = false;
    for (const auto& [name, value] : fields) {
        micro_usd* slot = name == "input"          ? &out.price.input
                          : name == "output"       ? &out.price.output
                          : name == "cached_input" ? &out.price.cached_input
                          : name == "cache_write"  ? &out.price.cache_write
                          : name == "request"      ? &out.price.request
                                                   : nullptr;
        if (slot == nullptr) {
            out.error = "unknown field \"" + std::string(name) + "\"";
            return out;
        }
        std::optional<micro_usd> usd = parse_usd(value);
        if (!usd) {
            out.error = "invalid " + std::string(name) + " \"" + std::string(value) +
                        "\": a price in USD with at most 6 decimals, such as 2.50";
            return out;
        }
        *slot = *usd;
        have_input = have_input || slot == &out.price.input;
        have_output = have_output || slot == &out.price.output;
    }
    if (!(have_input && have_output) && out.price.request == 0) {
        out.error = "needs input and output (or request)";
        return out;
    }
    out.ok = true;
    return out;
}

}  // namespace aigw
