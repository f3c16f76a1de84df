// Small string helpers shared by the parsers of configuration, Redis records and CLI input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace aigw {

bool starts_with(std::string_view s, std::string_view prefix) noexcept;

// The first `needle` in `s` at or after `from`; npos when there is none. For byte checks that
// spare most payloads a parse: string_view::find stops at every byte that equals the needle's
// first, a quote in JSON text, and memmem does not.
std::size_t find_bytes(std::string_view s, std::string_view needle, std::size_t from = 0) noexcept;

// HTTP optional whitespace (spaces and tabs) off both ends: the only blanks NGINX leaves in a
// header value.
std::string_view trim(std::string_view s) noexcept;

// A comma list's items, trimmed, empty items skipped.
std::vector<std::string_view> split_list(std::string_view list);

// A value quoted in an error message: printable ASCII only ('?' for other bytes), at most 64
// bytes then "...", since it may come from Redis or argv and end up in error_log.
std::string quoted(std::string_view v);

}  // namespace aigw
