// Client values (a model name, a URI, a header) as error_log shows them: a client must not be
// able to forge a log line of its own (CR, LF) or cut one short (NUL), nor fill the log with
// one huge value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace aigw {

// The most bytes of one client value a log line shows.
inline constexpr std::size_t log_value_max = 256;
// Room write_log_value needs: every byte shown escaped as \xHH, then the length marker.
inline constexpr std::size_t log_value_capacity = log_value_max * 4 + 32;

// Writes `v` into `out` (log_value_capacity bytes) and returns the length written: bytes below
// 0x20 and 0x7f escaped (\n, \r, \t, else \xHH), backslash and double quote escaped (\\, \"),
// other bytes (UTF-8 included) as they are. A value longer than log_value_max shows its first
// log_value_max bytes (never half a UTF-8 character) and then "...(N bytes)", N its whole
// length. `whole_size`, when larger than v.size(), says `v` is the prefix of a value that long.
std::size_t write_log_value(std::string_view v, char* out, std::size_t whole_size = 0) noexcept;

// The same, as a string.
std::string log_value(std::string_view v, std::size_t whole_size = 0);

// Where a value of `v`'s bytes is cut to at most `max` bytes without splitting a UTF-8
// character: max itself, or up to three bytes less.
std::size_t utf8_prefix_length(std::string_view v, std::size_t max) noexcept;

}  // namespace aigw
