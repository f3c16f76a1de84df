// find_bytes: where string_view::find would say, for the cases the byte checks meet.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>
#include <string_view>

#include "aigw/text/strings.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

namespace {

constexpr std::size_t npos = std::string_view::npos;

void finds_as_find_does(void**) {
    const std::string_view s = R"({"a":"usage","usage":null,"b":{"usage":1}})";
    const std::string_view key = R"("usage")";
    for (std::size_t from = 0; from <= s.size() + 2; ++from) {
        assert_int_equal(aigw::find_bytes(s, key, from), s.find(key, from));
    }
    assert_int_equal(aigw::find_bytes(s, "modelVersion"), npos);
    assert_int_equal(aigw::find_bytes("", "x"), npos);
    assert_int_equal(aigw::find_bytes("ab", "abc"), npos);  // longer than what is left
    assert_int_equal(aigw::find_bytes("abc", "c", 2), 2);
    assert_int_equal(aigw::find_bytes("abc", "", 1), 1);  // as find: empty is found where asked
    assert_int_equal(aigw::find_bytes("abc", "", 4), npos);
    // Bytes, not C strings: a zero byte is a byte.
    std::string z("a\0b\0c", 5);
    assert_int_equal(aigw::find_bytes(z, std::string_view("\0c", 2)), 3);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_as_find_does),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
