// Output reservations: the recent completions of a model, and what a request reserves.
#include "aigw/accounting/output_reserve.hpp"

#include <algorithm>

namespace aigw {

void output_history::observe(std::int64_t tokens_per_choice) noexcept {
    ring_[next_] = std::max<std::int64_t>(tokens_per_choice, 0);
    next_ = (next_ + 1) % window;
    if (count_ < window) {
        count_++;
    }
}

std::int64_t output_history::largest() const noexcept {
    std::int64_t most = 0;
    for (std::size_t i = 0; i < count_; i++) {
        most = std::max(most, ring_[i]);
    }
    return most;
}

std::int64_t output_reserve(std::int64_t max_tokens, std::int64_t choices, std::int64_t ceiling,
                            const output_history* history) noexcept {
    std::int64_t per_choice;
    if (max_tokens >= 0) {
        // The client's own bound: reserved whole, so such a request can never overrun.
        per_choice = std::min(max_tokens, output_reserve_max);
    } else {
        per_choice = std::clamp<std::int64_t>(ceiling, 0, output_reserve_max);
        if (history != nullptr && history->size() > 0) {
            per_choice = std::min(per_choice, std::max(history->largest(), output_reserve_floor));
        }
    }
    return per_choice * std::clamp<std::int64_t>(choices, 1, 128);
}

bool output_worth_learning(std::int64_t max_tokens, std::int64_t tokens_per_choice) noexcept {
    return max_tokens < 0 || tokens_per_choice < max_tokens;
}

}  // namespace aigw
