// Repeated log lines counted per kind and interval (see log_limit.hpp).
#include "aigw/log_limit.hpp"

#include <algorithm>

namespace aigw {

bool log_limiter::note(std::string_view kind, std::string_view text, int level,
                       std::int64_t now_ms) {
    auto it = kinds_.find(kind);
    if (it != kinds_.end()) {
        // Repeats keep counting until due() tells them, even past the interval's end (the
        // timer that calls due() may fire a little late): no repeat goes untold.
        if (now_ms - it->second.since < interval_ms_ || it->second.line.repeats > 0) {
            it->second.line.repeats++;
            return false;
        }
    } else {
        if (kinds_.size() >= max_kinds) {
            return true;
        }
        it = kinds_.emplace(std::string(kind), entry{}).first;
    }
    it->second.since = now_ms;
    it->second.line.text.assign(text);
    it->second.line.level = level;
    return true;
}

std::vector<log_limiter::summary> log_limiter::due(std::int64_t now_ms) {
    std::vector<summary> out;
    for (auto it = kinds_.begin(); it != kinds_.end();) {
        entry& e = it->second;
        if (now_ms - e.since < interval_ms_) {
            ++it;
            continue;
        }
        if (e.line.repeats == 0) {
            it = kinds_.erase(it);
            continue;
        }
        out.push_back(e.line);
        e.line.repeats = 0;
        e.since = now_ms;
        ++it;
    }
    return out;
}

std::vector<log_limiter::summary> log_limiter::drain() {
    std::vector<summary> out;
    for (auto& [kind, e] : kinds_) {
        if (e.line.repeats) {
            out.push_back(e.line);
        }
    }
    kinds_.clear();
    return out;
}

std::int64_t log_limiter::next_due() const {
    std::int64_t next = INT64_MAX;
    for (const auto& [kind, e] : kinds_) {
        next = std::min(next, e.since + interval_ms_);
    }
    return next;
}

std::string log_repeats_suffix(std::uint64_t repeats, std::int64_t interval_ms) {
    std::string out = " (" + std::to_string(repeats) + " more like this in the last ";
    if (interval_ms % 1000 == 0) {
        out += std::to_string(interval_ms / 1000) + "s)";
    } else {
        out += std::to_string(interval_ms) + "ms)";
    }
    return out;
}

}  // namespace aigw
