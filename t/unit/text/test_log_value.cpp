// Client values as error_log shows them: escaped so they cannot forge or cut a line, and
// bounded so one request cannot fill the log.
#include <string>
#include <string_view>

#include "aigw/text/log_value.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::log_value;
using aigw::log_value_max;

namespace {

void plain_values_unchanged(void**) {
    assert_sv_equal(log_value(""), "");
    assert_sv_equal(log_value("gpt-4o-mini"), "gpt-4o-mini");
    assert_sv_equal(log_value("/v1/chat/completions?x=1&y=[2]"), "/v1/chat/completions?x=1&y=[2]");
    // UTF-8 is shown as it is.
    assert_sv_equal(log_value("mod\xc3\xa8le-\xe6\x97\xa5\xf0\x9f\x98\x80"),
                    "mod\xc3\xa8le-\xe6\x97\xa5\xf0\x9f\x98\x80");
}

void control_bytes_escaped(void**) {
    // The forged line of the issue: its LF must not end our line.
    assert_sv_equal(log_value("x\n2026/12/04 21:00:00 [alert] 1#1: forged"),
                    "x\\n2026/12/04 21:00:00 [alert] 1#1: forged");
    assert_sv_equal(log_value("a\rb\tc"), "a\\rb\\tc");
    assert_sv_equal(log_value(std::string_view("a\0b", 3)), "a\\x00b");
    assert_sv_equal(log_value("\x01\x1b[31m\x1f\x7f"), "\\x01\\x1b[31m\\x1f\\x7f");
    assert_sv_equal(log_value(R"(say "hi" \ bye)"), R"(say \"hi\" \\ bye)");
    // Every byte below 0x20 and 0x7f comes out printable, none raw.
    std::string all;
    for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
    all += '\x7f';
    std::string out = log_value(all);
    for (char c : out) {
        auto u = static_cast<unsigned char>(c);
        assert_true(u >= 0x20 && u < 0x7f);
    }
}

void long_values_cut_with_their_length(void**) {
    std::string at(log_value_max, 'a');
    assert_sv_equal(log_value(at), at);

    std::string over(log_value_max + 1, 'a');
    assert_sv_equal(log_value(over), at + "...(257 bytes)");

    std::string huge(9437184, 'm');
    std::string out = log_value(huge);
    assert_sv_equal(out, std::string(log_value_max, 'm') + "...(9437184 bytes)");

    // A prefix of a longer value: the length given is the one shown.
    assert_sv_equal(log_value("abc", 9437184), "abc...(9437184 bytes)");
    assert_sv_equal(log_value(at, 300), at + "...(300 bytes)");
}

void cut_never_splits_a_character(void**) {
    // 255 ASCII bytes, then a 3-byte character across the bound: it is left out whole.
    std::string v(log_value_max - 1, 'a');
    v += "\xe6\x97\xa5";
    v += "tail";
    assert_sv_equal(log_value(v), std::string(log_value_max - 1, 'a') + "...(262 bytes)");
    // A 4-byte character ending exactly at the bound is kept.
    std::string w(log_value_max - 4, 'a');
    w += "\xf0\x9f\x98\x80";
    w += "b";
    assert_sv_equal(log_value(w), w.substr(0, log_value_max) + "...(257 bytes)");
    // Not UTF-8 (a run of continuation bytes): cut where asked.
    std::string x(log_value_max + 8, '\x80');
    assert_int_equal(aigw::utf8_prefix_length(x, log_value_max), log_value_max);
}

void worst_case_fits(void**) {
    // Every shown byte escaped to 4 bytes, and the longest length marker.
    std::string worst(log_value_max, '\x01');
    std::string buf(aigw::log_value_capacity, '\0');
    std::size_t n = aigw::write_log_value(worst, buf.data(), ~std::size_t{0});
    assert_true(n <= aigw::log_value_capacity);
    assert_sv_equal(std::string_view(buf.data(), n).substr(4 * log_value_max),
                    "...(18446744073709551615 bytes)");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_values_unchanged),
        cmocka_unit_test(control_bytes_escaped),
        cmocka_unit_test(long_values_cut_with_their_length),
        cmocka_unit_test(cut_never_splits_a_character),
        cmocka_unit_test(worst_case_fits),
    };
    return cmocka_run_group_tests_name("log_value", tests, nullptr, nullptr);
}
