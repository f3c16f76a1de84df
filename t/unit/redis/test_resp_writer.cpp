// The usage record's RESP writer: the framing Redis reads, byte for byte.
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstdarg>
#include <limits>
#include <string>

#include "ngx/redis/resp_writer.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::ngx::resp_writer;

namespace {

std::string written(const std::string& buf, const resp_writer& w) {
    return buf.substr(0, static_cast<size_t>(w.pos() - buf.data()));
}

void a_command_as_redis_reads_it(void**) {
    std::string buf(256, '\0');
    resp_writer w(buf.data());
    w.header(4);
    w.bulk_literal("XADD");
    w.bulk(std::string_view("aigw:usage"));
    w.bulk(std::string_view());
    w.raw("$1\r\n*\r\n");
    assert_string_equal(written(buf, w).c_str(),
                        "*4\r\n$4\r\nXADD\r\n$10\r\naigw:usage\r\n$0\r\n\r\n$1\r\n*\r\n");
}

void numbers_in_decimal_at_every_width(void**) {
    // Around each place the digits take another byte, and the extremes.
    const int64_t values[] = {0, 9, 10, 99, 100, 999, 1000, 1789686483123,
                              -1, -10, -100, std::numeric_limits<int64_t>::max(),
                              std::numeric_limits<int64_t>::min()};
    for (int64_t v : values) {
        std::string buf(64, '\0');
        resp_writer w(buf.data());
        w.bulk(v);
        std::string digits = std::to_string(v);
        std::string want = "$" + std::to_string(digits.size()) + "\r\n" + digits + "\r\n";
        assert_string_equal(written(buf, w).c_str(), want.c_str());
    }
}

void lengths_in_decimal_at_every_width(void**) {
    for (size_t len : {size_t{0}, size_t{1}, size_t{9}, size_t{10}, size_t{99}, size_t{100},
                       size_t{1000}, size_t{12345}}) {
        std::string text(len, 'x');
        std::string buf(len + 32, '\0');
        resp_writer w(buf.data());
        w.bulk(std::string_view(text));
        std::string want = "$" + std::to_string(len) + "\r\n" + text + "\r\n";
        assert_true(written(buf, w) == want);
        // header() frames the same numbers.
        resp_writer h(buf.data());
        h.header(len);
        assert_true(written(buf, h) == "*" + std::to_string(len) + "\r\n");
    }
}

void reserved_bulk_filled_in_place(void**) {
    std::string buf(64, '\0');
    resp_writer w(buf.data());
    w.bulk_literal("tries");
    char* p = w.bulk_reserve(11);
    std::memcpy(p, "a:ok:200:12", 11);
    w.bulk_literal("cost");
    assert_string_equal(written(buf, w).c_str(),
                        "$5\r\ntries\r\n$11\r\na:ok:200:12\r\n$4\r\ncost\r\n");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_command_as_redis_reads_it),
        cmocka_unit_test(numbers_in_decimal_at_every_width),
        cmocka_unit_test(lengths_in_decimal_at_every_width),
        cmocka_unit_test(reserved_bulk_filled_in_place),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
