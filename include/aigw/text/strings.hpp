// Small string helpers shared by the parsers of configuration, Redis records and CLI input.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aigw {

bool starts_with(std::string_view s, std::string_view prefix) noexcept;

// HTTP optional whitespace (spaces and tabs) off both ends: the only blanks NGINX leaves in a
// header value.
std::string_view trim(std::string_view s) noexcept;

// A comma list's items, trimmed, empty items skipped.
std::vector<std::string_view> split_list(std::string_view list);

// A value quoted in an error message: printable ASCII only ('?' for other bytes), at most 64
// bytes then "...", since it may come from Redis or argv and end up in error_log.
std::string quoted(std::string_view v);

}  // namespace aigw
