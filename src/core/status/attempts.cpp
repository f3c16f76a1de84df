// Attempt outcome names; see attempts.hpp.
#include "aigw/status/attempts.hpp"

namespace aigw {

std::string_view attempt_outcome_name(attempt_outcome o) noexcept {
    switch (o) {
    case attempt_outcome::ok: return "ok";
    case attempt_outcome::client_error: return "4xx";
    case attempt_outcome::rate_limited: return "429";
    case attempt_outcome::server_error: return "5xx";
    case attempt_outcome::timeout: return "timeout";
    case attempt_outcome::connect_failure: return "connect_failure";
    case attempt_outcome::cut: return "cut";
    case attempt_outcome::client_closed: return "client_closed";
    }
    return "ok";
}

}  // namespace aigw
