// Prices and costs in integer micro-dollars: no floating point anywhere in accounting.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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

// A model's price: USD per million tokens, and per request.
struct model_price {
    micro_usd input = 0;          // per 1M prompt tokens neither read from nor written to a cache
    micro_usd output = 0;         // per 1M completion tokens (reasoning tokens included)
    micro_usd cached_input = -1;  // per 1M cached prompt tokens; -1: the input price
    micro_usd request = 0;        // per request, whatever its tokens
    // Last, so that brace-initialised prices written before it keep their meaning.
    micro_usd cache_write = -1;   // per 1M prompt tokens written to the cache; -1: the input price
};

struct price_parse_result {
    bool ok = false;
    model_price price;
    std::string error;   // why not, naming the field
};

// A price from field/value pairs, as aigw_price's name=value parameters or the fields of an
// aigw:price:{model} hash give them: input, output, cached_input, cache_write, request, each
// USD as parse_usd takes it. It needs input and output, or request. An unknown field is an
// error.
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
