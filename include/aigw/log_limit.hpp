// Repeated failures as one log line a second: the first of a kind is logged at once, the
// repeats within the interval are counted and told in one line when it ends. An upstream
// that is down makes every request fail the same way; a line each would flood error.log.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aigw {

class log_limiter {
public:
    struct summary {
        std::string text;        // the first line of the interval, as it was logged
        int level = 0;           // the caller's log level, given back as it was
        std::uint64_t repeats = 0;
    };

    explicit log_limiter(std::int64_t interval_ms = 1000) : interval_ms_(interval_ms) {}

    // An occurrence of `kind` (e.g. a failure class and a channel) at now_ms: true when it is
    // to be logged now (`text` at `level` is kept for the summary), false when it was counted.
    bool note(std::string_view kind, std::string_view text, int level, std::int64_t now_ms);

    // The kinds whose interval ended by now_ms with repeats, one summary each; their next
    // interval starts now, so a steady flood gives one line per interval. A kind whose
    // interval ended without repeats is forgotten (its next occurrence is logged at once).
    std::vector<summary> due(std::int64_t now_ms);

    // Every kind with repeats, whatever its interval (a worker that exits); all forgotten.
    std::vector<summary> drain();

    bool empty() const { return kinds_.empty(); }
    std::int64_t interval_ms() const { return interval_ms_; }
    // When the earliest interval ends; only meaningful when !empty().
    std::int64_t next_due() const;

    // Bounded memory: beyond this many kinds at once, a new kind is logged every time.
    static constexpr std::size_t max_kinds = 4096;

private:
    struct entry {
        std::int64_t since = 0;
        summary line;
    };
    std::int64_t interval_ms_;
    std::map<std::string, entry, std::less<>> kinds_;
};

// " (N more like this in the last 1s)", the suffix of a summary line.
std::string log_repeats_suffix(std::uint64_t repeats, std::int64_t interval_ms);

}  // namespace aigw
