#include "aigw/accounting/pricing.hpp"

#include <algorithm>
#include <initializer_list>

#include "aigw/schema.hpp"

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

// n (< 1 counts as 1) x price, capped; -1 for no price.
micro_usd times_capped(micro_usd price, std::int64_t n) {
    if (price < 0) {
        return -1;
    }
    wide m = static_cast<wide>(n < 1 ? 1 : n) * static_cast<wide>(price);
    return m > static_cast<wide>(max_micro_usd) ? max_micro_usd : static_cast<micro_usd>(m);
}

// What a request says of its image or video: yes, no, or not known.
enum class trait { no, yes, unknown };

// One side of a "WxH" size, taken off the front of `s`: its pixels, or 0 when it is not 1 to 9
// digits or is 0.
std::int64_t take_side(std::string_view& s) {
    std::int64_t side = 0;
    size_t i = 0;
    for (; i < s.size() && i < 10 && s[i] >= '0' && s[i] <= '9'; i++) {
        side = side * 10 + (s[i] - '0');
    }
    s.remove_prefix(i);
    return i > 9 ? 0 : side;
}

// Whether a "WxH" size has a side over `limit` px.
trait side_over(std::string_view size, std::int64_t limit) {
    std::int64_t width = take_side(size);
    if (width == 0 || size.empty() || size.front() != 'x') {
        return trait::unknown;
    }
    size.remove_prefix(1);
    std::int64_t height = take_side(size);
    if (height == 0 || !size.empty()) {
        return trait::unknown;
    }
    return width > limit || height > limit ? trait::yes : trait::no;
}

trait hd_quality(std::string_view quality) {
    if (quality == "hd" || quality == "high") {
        return trait::yes;
    }
    if (quality == "standard" || quality == "low" || quality == "medium") {
        return trait::no;
    }
    return trait::unknown;
}

// The first of `prices` that is set; -1 if none is.
micro_usd first_set(std::initializer_list<micro_usd> prices) {
    for (micro_usd p : prices) {
        if (p >= 0) {
            return p;
        }
    }
    return -1;
}

micro_usd known_image_price(const model_price& p, bool hd, bool large) {
    if (hd && large) {
        return first_set({p.image_hd_large, p.image_hd, p.image_large, p.image});
    }
    if (hd) {
        return first_set({p.image_hd, p.image});
    }
    if (large) {
        return first_set({p.image_large, p.image});
    }
    return p.image;
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

micro_usd image_price(const model_price& p, std::string_view size, std::string_view quality) {
    if (!has_image_price(p)) {
        return -1;
    }
    trait hd = hd_quality(quality);
    trait large = side_over(size, 1024);
    // Unknown: the dearest of what it could be.
    micro_usd dearest = -1;
    for (bool h : {false, true}) {
        for (bool l : {false, true}) {
            if ((hd == trait::unknown || h == (hd == trait::yes)) &&
                (large == trait::unknown || l == (large == trait::yes))) {
                dearest = std::max(dearest, known_image_price(p, h, l));
            }
        }
    }
    return dearest;
}

micro_usd images_cost(const model_price& p, std::int64_t n, std::string_view size,
                      std::string_view quality) {
    return times_capped(image_price(p, size, quality), n);
}

micro_usd video_second_price(const model_price& p, std::string_view size) {
    if (!has_video_price(p)) {
        return -1;
    }
    micro_usd large = p.video_second_large < 0 ? p.video_second : p.video_second_large;
    switch (side_over(size, 1280)) {
    case trait::no:
        return p.video_second;
    case trait::yes:
        return large;
    case trait::unknown:
        break;
    }
    return std::max(p.video_second, large);
}

micro_usd video_cost(const model_price& p, std::int64_t seconds, std::string_view size) {
    return times_capped(video_second_price(p, size), seconds);
}

bool has_image_price(const model_price& p) { return p.image >= 0; }

bool has_video_price(const model_price& p) { return p.video_second >= 0; }

std::string price_table::add(std::string_view pattern, const model_price& price) {
    return table_.add(pattern, price, "price for model");
}

const model_price* price_table::find(std::string_view model) const noexcept {
    return table_.find(model);
}

price_parse_result parse_price_fields(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
    namespace f = price_field;
    price_parse_result out;
    model_price& p = out.price;
    const std::pair<std::string_view, micro_usd*> slots[] = {
        {f::input, &p.input},
        {f::output, &p.output},
        {f::cached_input, &p.cached_input},
        {f::cache_write, &p.cache_write},
        {f::request, &p.request},
        {f::image, &p.image},
        {f::image_hd, &p.image_hd},
        {f::image_large, &p.image_large},
        {f::image_hd_large, &p.image_hd_large},
        {f::video_second, &p.video_second},
        {f::video_second_large, &p.video_second_large},
    };
    bool have_input = false;
    bool have_output = false;
    for (const auto& [name, value] : fields) {
        micro_usd* slot = nullptr;
        for (const auto& [field, where] : slots) {
            if (name == field) {
                slot = where;
            }
        }
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
        have_input = have_input || slot == &p.input;
        have_output = have_output || slot == &p.output;
    }
    // A refinement without its base would leave the other sizes and qualities unpriced.
    const std::pair<std::string_view, micro_usd> refinements[] = {
        {f::image_hd, p.image_hd},
        {f::image_large, p.image_large},
        {f::image_hd_large, p.image_hd_large},
    };
    for (const auto& [name, price] : refinements) {
        if (price >= 0 && !has_image_price(p)) {
            out.error = std::string(name) +
                        " needs image too, the price of the sizes and qualities it does not cover";
            return out;
        }
    }
    if (p.video_second_large >= 0 && !has_video_price(p)) {
        out.error = "video_second_large needs video_second too, the price of the sizes it does "
                    "not cover";
        return out;
    }
    if (!(have_input && have_output) && p.request == 0 && !has_image_price(p) &&
        !has_video_price(p)) {
        out.error = "needs input and output, or request, or image, or video_second";
        return out;
    }
    out.ok = true;
    return out;
}

}  // namespace aigw
