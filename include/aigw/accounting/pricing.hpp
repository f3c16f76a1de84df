// Prices and costs in integer micro-dollars: no floating point anywhere in accounting.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "aigw/accounting/model_patterns.hpp"
#include "aigw/dialects/openai_chat/usage.hpp"

namespace aigw {

using micro_usd = std::int64_t;  // 1 USD = 1,000,000

// Largest price or cost the gateway accepts: a trillion dollars, far from int64's range so
// sums of many costs cannot overflow.
inline constexpr micro_usd max_micro_usd = micro_usd{1000000000000} * 1000000;

// "2.50" -> 2500000. Digits with at most one '.', at most 6 decimals (a micro-dollar is the
// unit; more precision would be silently lost, so it is refused), no sign, no exponent, at
// most max_micro_usd. nullopt otherwise.
std::optional<micro_usd> parse_usd(std::string_view s);

// 2500000 -> "2.5", 1 -> "0.000001", 0 -> "0": the shortest exact decimal.
std::string format_usd(micro_usd m);

// A model's price: USD per million tokens, per request, per image and per second of video.
struct model_price {
    micro_usd input = 0;          // per 1M prompt tokens neither read from nor written to a cache
    micro_usd output = 0;         // per 1M completion tokens (reasoning tokens included)
    micro_usd cached_input = -1;  // per 1M cached prompt tokens; -1: the input price
    micro_usd request = 0;        // per request, whatever its tokens
    // Fields added later go last, so that brace-initialised prices written before them keep
    // their meaning.
    micro_usd cache_write = -1;   // per 1M prompt tokens written to the cache; -1: the input price
    // Media prices, -1 when not set; see image_price and video_second_price for which applies.
    micro_usd image = -1;               // per image: any size and quality none below covers
    micro_usd image_hd = -1;            // per image of quality "hd" or "high"
    micro_usd image_large = -1;         // per image with a side over 1024 px
    micro_usd image_hd_large = -1;      // per image of quality hd with a side over 1024 px
    micro_usd video_second = -1;        // per second of video: any size
    micro_usd video_second_large = -1;  // per second of video with a side over 1280 px
};
// Copied by value into the request context, which is never destroyed.
static_assert(std::is_trivially_copyable_v<model_price>);

struct price_parse_result {
    bool ok = false;
    model_price price;
    std::string error;   // why not, naming the field
};

// A price from field/value pairs, as aigw_price's name=value parameters or the fields of an
// aigw:price:{model} hash give them: input, output, cached_input, cache_write, request, image,
// image_hd, image_large, image_hd_large, video_second, video_second_large, each USD as
// parse_usd takes it. It needs input and output, or request, or image, or video_second; a
// more specific media field needs its base one (image_hd, image_large and image_hd_large need
// image; video_second_large needs video_second), so every size and quality has a price. An
// unknown field is an error.
price_parse_result parse_price_fields(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields);

// What one request costs: cached prompt tokens at cached_input, prompt tokens written to the
// cache at cache_write, the other prompt tokens at input, completion tokens at output, plus the
// per-request price; the token part is rounded up to a whole micro-dollar once (never down: a
// request never costs less than its tokens).
// Negative counts count as 0. The prompt count includes the cached and cache-written tokens
// and bounds them: cached tokens count up to the whole prompt, cache-written ones up to what
// the cached left; what an upstream reports beyond its prompt is not billed (10 prompt, 6
// cached, 8 written: 6 cached, 4 written, 0 at input).
micro_usd request_cost(const model_price& price, const usage& u);

// What a request may cost at most, for reserving quota before it runs: its prompt estimate
// at the dearest of the prompt prices (input, cached_input, cache_write: a provider may write
// the whole prompt to its cache), `max_output_tokens` of output, and the per-request price.
micro_usd reserve_cost(const model_price& price, std::int64_t prompt_tokens,
                       std::int64_t max_output_tokens);

// Images and video. Sizes are "WxH" in pixels ("1024x1792"); "", "auto" or a size that does
// not parse is unknown. Quality "hd" or "high" is hd; "standard", "low" and "medium" are not;
// "", "auto" or any other text is unknown. A price with an unknown size or quality is the
// dearest of those that could apply: right for a reservation, and for a response that does
// not say what it made.

// The price of one image; -1 when the model has no per-image price (no `image`). Large is a
// side over 1024 px. The most specific field set applies:
//   hd and large:  image_hd_large, else image_hd, else image_large, else image
//   hd:            image_hd, else image
//   large:         image_large, else image
//   neither:       image
micro_usd image_price(const model_price& p, std::string_view size, std::string_view quality);

// n images at image_price (n < 1 counts as 1), capped at max_micro_usd; -1 if no per-image
// price.
micro_usd images_cost(const model_price& p, std::int64_t n, std::string_view size,
                      std::string_view quality);

// The price of one second of video; -1 when the model has none (no `video_second`). Large is
// a side over 1280 px: video_second_large, else video_second.
micro_usd video_second_price(const model_price& p, std::string_view size);

// `seconds` of video (< 1 counts as 1) at video_second_price, capped at max_micro_usd; -1 if
// no per-second price.
micro_usd video_cost(const model_price& p, std::int64_t seconds, std::string_view size);

bool has_image_price(const model_price& p);
bool has_video_price(const model_price& p);

// Prices by public model name: exact names, and prefixes ending in '*' ("gpt-4o*"); an exact
// name wins, then the longest prefix.
class price_table {
public:
    // "" or why the entry is refused (a duplicate, a '*' not at the end, an empty name).
    std::string add(std::string_view pattern, const model_price& price);
    const model_price* find(std::string_view model) const noexcept;
    bool empty() const { return table_.empty(); }

private:
    model_patterns<model_price> table_;
};

}  // namespace aigw
