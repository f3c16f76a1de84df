// A channel's routing state in words; see snapshot.hpp.
#include "aigw/status/snapshot.hpp"

namespace aigw::status {

channel_state_kind channel_health(const channel_conf& conf, const channel_state& s,
                                  std::uint64_t now_ms, std::uint64_t& aside_ms) noexcept {
    aside_ms = 0;
    if (channel_tripped(conf, s)) {
        // A probe sets the channel aside for fail_timeout from its pick, after the last
        // failure; a failure sets it aside from the failure.
        bool probe_out = s.down_until_ms > now_ms &&
                         s.down_until_ms - conf.fail_timeout_ms > s.last_fail_ms;
        if (s.down_until_ms > now_ms && !probe_out) {
            aside_ms = s.down_until_ms - now_ms;
            return channel_state_kind::set_aside;
        }
        return channel_state_kind::probing;
    }
    std::uint64_t until = s.down_until_ms > s.retry_until_ms ? s.down_until_ms : s.retry_until_ms;
    if (until > now_ms) {
        aside_ms = until - now_ms;
        return channel_state_kind::set_aside;
    }
    return channel_state_kind::available;
}

}  // namespace aigw::status
