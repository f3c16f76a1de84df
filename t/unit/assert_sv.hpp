// assert_sv_equal for the cmocka unit tests: on a mismatch it prints both strings (the first
// 400 bytes of each) and their sizes, then fails the test. Include it after cmocka.h.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

inline void assert_sv_equal(std::string_view got, std::string_view expected) {
    if (got != expected) {
        print_error("got      [%.*s] (%zu bytes)\nexpected [%.*s] (%zu bytes)\n",
                    static_cast<int>(std::min<std::size_t>(got.size(), 400)), got.data(),
                    got.size(), static_cast<int>(std::min<std::size_t>(expected.size(), 400)),
                    expected.data(), expected.size());
    }
    assert_true(got == expected);
}
