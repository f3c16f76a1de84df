// How many output tokens a request reserves before it runs (billing admits it against that).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace aigw {

// The completions one model recently produced (tokens per choice), kept to size the
// reservations of the next requests for it: the largest of the last `window` completions.
// The largest, not a mean: a reservation should cover nearly every request, and one long
// answer ages out after `window` more.
class output_history {
public:
    static constexpr std::size_t window = 64;

    void observe(std::int64_t tokens_per_choice) noexcept;
    std::size_t size() const noexcept { return count_; }
    // The largest completion in the window; 0 when nothing was observed.
    std::int64_t largest() const noexcept;

private:
    std::array<std::int64_t, window> ring_{};
    std::size_t count_ = 0;
    std::size_t next_ = 0;
};

// Below this many tokens a learned reservation is never sized: a model that answered
// "OK" a few times still gets room for a sentence.
inline constexpr std::int64_t output_reserve_floor = 16;
// No request reserves more output than this per choice (a runaway max_tokens).
inline constexpr std::int64_t output_reserve_max = 1000000000;

// The output tokens (all choices) a request reserves:
//   max_tokens   what the client capped the output at, -1 when it sent no cap;
//   choices      `n` (clamped to 1..128);
//   ceiling      aigw_reserve_tokens: what a request without a cap reserves at most;
//   history      what this model produced lately, nullptr when reservations are not learned
//                (aigw_reserve_tokens ... fixed).
// With max_tokens: max_tokens, the exact bound (such a request never costs more than it
// reserved). Without: the largest recent completion (at least output_reserve_floor) but
// never more than ceiling; ceiling while nothing was learned. A completion longer than that
// estimate is charged in full when it is settled: the estimate is not a bound.
std::int64_t output_reserve(std::int64_t max_tokens, std::int64_t choices, std::int64_t ceiling,
                            const output_history* history) noexcept;

// Whether a finished request's completion tells the next ones something: not when the
// client's max_tokens cut it (it says how long the cap was, not how long the answer was).
bool output_worth_learning(std::int64_t max_tokens, std::int64_t tokens_per_choice) noexcept;

}  // namespace aigw
