// Hexadecimal digits, for percent-escapes in URLs and \u escapes in JSON.
#pragma once

namespace aigw {

// The value of one hex digit (either case), -1 for any other character.
constexpr int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static_assert(hex_digit_value('0') == 0 && hex_digit_value('f') == 15 &&
              hex_digit_value('F') == 15 && hex_digit_value('g') == -1);

}  // namespace aigw
