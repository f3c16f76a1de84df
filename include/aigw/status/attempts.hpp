// A request's attempts as the usage record carries them: how each attempt ended, and the
// record's compact `tries` field, written in the log phase and read back by `aigw-keys trace`.
//
// The field is the attempts in order, joined by '|'; each is six ':'-separated parts:
//
//     channel:outcome:upstream_status:header_ms:duration_ms:swallowed
//     primary:5xx:503:12:13:1|backup:ok:200:40:388:0
//
// channel: the channel's name, bytes other than [A-Za-z0-9_.-] as %XX (upper-case hex), at
//          most attempt_channel_max bytes of the name (a longer one is cut there);
// outcome: attempt_outcome_name(); upstream_status: the status the upstream sent, 0 if none;
// header_ms: milliseconds from the pick to the upstream's head, '-' if no head came;
// duration_ms: from the pick to the attempt's end; swallowed: 1 when the attempt failed and
// another channel was tried (the client never saw it), else 0.
// A request without attempts (refused, or aigw_pass, which has no channel) has an empty field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// "ok", "4xx", "429", "5xx", "timeout", "connect_failure", "cut", "client_closed"; "" for a
// value outside the enum.
std::string_view attempt_outcome_name(attempt_outcome o) noexcept;
// The outcome a name stands for; nullopt for anything else.
std::optional<attempt_outcome> attempt_outcome_from_name(std::string_view name) noexcept;

// The outcome of an attempt's upstream status once the head came (0: no head), as far as
// the status tells: ok below 400, else 4xx, 429 or 5xx.
attempt_outcome attempt_outcome_of_status(unsigned status) noexcept;

inline constexpr std::uint32_t attempt_no_head = UINT32_MAX;  // header_ms: no head came
inline constexpr std::size_t attempt_channel_max = 64;        // bytes of a name that are kept
inline constexpr std::size_t attempts_max = 64;               // attempts a field may hold
// The most one attempt's text takes, its leading '|' included: a name of
// attempt_channel_max bytes all escaped, the longest outcome name, a status of 5 digits, two
// times of 10 and the separators.
inline constexpr std::size_t attempt_text_max =
    1 + 3 * attempt_channel_max + 1 + 15 + (1 + 5) + 2 * (1 + 10) + 2;

// One attempt, as the gateway writes it (views into its configuration and request).
struct attempt_view {
    std::string_view channel;
    attempt_outcome outcome = attempt_outcome::ok;
    std::uint16_t upstream_status = 0;
    std::uint32_t header_ms = attempt_no_head;
    std::uint32_t duration_ms = 0;
    bool swallowed = false;
};

// The bytes write_attempt writes for `a` (with its leading '|' unless `first`).
std::size_t attempt_text_size(const attempt_view& a, bool first) noexcept;
// Writes `a`'s text at `out` (room for attempt_text_size bytes; attempt_text_max always
// suffices), preceded by '|' unless `first`. Returns the end of what it wrote.
char* write_attempt(char* out, const attempt_view& a, bool first) noexcept;
// The whole field for these attempts (the CLI's and the tests' way; the gateway writes into
// its record's buffer with write_attempt).
std::string encode_attempts(const std::vector<attempt_view>& attempts);

// One attempt read back from a record.
struct attempt_entry {
    std::string channel;                    // unescaped
    attempt_outcome outcome = attempt_outcome::ok;
    std::uint16_t upstream_status = 0;      // 0: no head
    std::optional<std::uint32_t> header_ms; // nullopt: no head
    std::uint32_t duration_ms = 0;
    bool swallowed = false;
};

struct attempts_decode_result {
    bool ok = false;
    std::vector<attempt_entry> attempts;
    std::string error;                      // what is wrong, when !ok
};

// Reads a `tries` field. Anything write_attempt could not have written (a part missing or
// extra, a bad escape, an unknown outcome, a number out of range, more than attempts_max
// attempts) makes it fail, saying which attempt and why.
attempts_decode_result decode_attempts(std::string_view text);

}  // namespace aigw
