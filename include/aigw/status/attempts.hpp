// What became of one attempt at a channel: the classes the usage record's per-attempt field,
// the trace command and the channel metrics share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace aigw {

enum class attempt_outcome : std::uint8_t {
    ok,              // the upstream answered below 400 (and, for the last attempt, the body ended)
    client_error,    // upstream 4xx other than 429                      name "4xx"
    rate_limited,    // upstream 429                                     name "429"
    server_error,    // upstream 5xx                                     name "5xx"
    timeout,         // no head in time (the subrequest ended 504)       name "timeout"
    connect_failure, // could not be reached / no response               name "connect_failure"
    cut,             // a head came but the body did not end             name "cut"
    client_closed,   // the client left before the attempt ended         name "client_closed"
};
inline constexpr std::size_t attempt_outcome_count = 8;

std::string_view attempt_outcome_name(attempt_outcome o) noexcept;

}  // namespace aigw
