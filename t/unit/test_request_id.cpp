// Request ids: the ones the gateway makes, and which client-supplied ones it accepts.
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "aigw/request_id.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

using aigw::acceptable_client_request_id;
using aigw::client_request_id_max;
using aigw::make_request_id;
using aigw::request_id_len;

namespace {

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string new_id() {
    // Exactly request_id_len bytes on the heap: ASan catches a write past them.
    std::unique_ptr<char[]> buf(new char[request_id_len]);
    assert_true(make_request_id(buf.get()));
    return std::string(buf.get(), request_id_len);
}

void assert_accepted(std::string_view id) {
    if (!acceptable_client_request_id(id)) {
        print_error("refused [%.*s]\n", static_cast<int>(id.size()), id.data());
    }
    assert_true(acceptable_client_request_id(id));
}

void assert_refused(std::string_view id) {
    if (acceptable_client_request_id(id)) {
        print_error("accepted [%.*s]\n", static_cast<int>(id.size()), id.data());
    }
    assert_false(acceptable_client_request_id(id));
}

// ---- ids the gateway makes ----

void id_shape(void**) {
    assert_int_equal(request_id_len, 36);
    const std::string id = new_id();
    assert_int_equal(id.size(), 36);
    assert_true(id.compare(0, 4, "req_") == 0);
    for (std::size_t i = 4; i < id.size(); ++i) {
        assert_true(is_lower_hex(id[i]));
    }
}

void writes_exactly_its_length(void**) {
    char buf[request_id_len + 16];
    std::memset(buf, '#', sizeof(buf));
    assert_true(make_request_id(buf));
    for (std::size_t i = 0; i < request_id_len; ++i) {
        assert_int_not_equal(buf[i], '#');
    }
    for (std::size_t i = request_id_len; i < sizeof(buf); ++i) {
        assert_int_equal(buf[i], '#');
    }
}

void ids_unique(void**) {
    std::set<std::string> seen;
    const std::size_t n = 20000;
    int digit_count[16] = {};
    for (std::size_t i = 0; i < n; ++i) {
        std::string id = new_id();
        for (std::size_t k = 4; k < id.size(); ++k) {
            char c = id[k];
            assert_true(is_lower_hex(c));
            ++digit_count[c <= '9' ? c - '0' : c - 'a' + 10];
        }
        assert_true(seen.insert(std::move(id)).second);
    }
    assert_int_equal(seen.size(), n);
    // Random digits: each of the 16 turns up near 1/16 of the time (expected 40000 each).
    for (int count : digit_count) {
        assert_in_range(count, 36000, 44000);
    }
}

void own_ids_are_acceptable(void**) {
    // An id the gateway made passes its own client-id check (it may come back from a client).
    for (int i = 0; i < 100; ++i) {
        assert_accepted(new_id());
    }
}

// ---- ids a client brings ----

void client_ids_accepted(void**) {
    assert_accepted("a");
    assert_accepted("abc123");
    assert_accepted("req_0123456789abcdef0123456789abcdef");
    assert_accepted("550e8400-e29b-41d4-a716-446655440000");
    assert_accepted("550E8400-E29B-41D4-A716-446655440000");
    assert_accepted("trace.id:span_id-1");
    assert_accepted("0");
    assert_accepted("-");
    assert_accepted("...");
    assert_accepted("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:");
}

void client_id_length(void**) {
    assert_int_equal(client_request_id_max, 128);
    assert_refused("");
    assert_accepted(std::string(client_request_id_max, 'a'));
    assert_accepted(std::string(client_request_id_max - 1, 'a'));
    assert_refused(std::string(client_request_id_max + 1, 'a'));
    assert_refused(std::string(4096, 'a'));
    // The limit counts bytes of the view, not up to a NUL.
    const std::string longer = std::string(client_request_id_max, 'b') + "cdef";
    assert_accepted(std::string_view(longer).substr(0, client_request_id_max));
    assert_refused(longer);
}

void client_id_injection_refused(void**) {
    using namespace std::string_view_literals;
    assert_refused("abc\r\nX-Injected: 1");
    assert_refused("abc\r");
    assert_refused("abc\n");
    assert_refused("\nabc");
    assert_refused("a b");
    assert_refused(" abc");
    assert_refused("abc ");
    assert_refused("a\tb");
    assert_refused("a\"b");
    assert_refused("\"");
    assert_refused("a'b");
    assert_refused("a\\b");
    assert_refused("a\0b"sv);
    assert_refused("abc\0"sv);
    assert_refused("a\x7f" "b");
    assert_refused("caf\xc3\xa9");
    assert_refused("\xff");
    assert_refused("a;b");
    assert_refused("a,b");
    assert_refused("a=b");
    assert_refused("a/b");
    assert_refused("a%0d%0a");
    assert_refused("<script>");
    assert_refused("{\"x\":1}");
    assert_refused("$(id)");
    // One bad byte at the very end of a maximal id.
    assert_refused(std::string(client_request_id_max - 1, 'a') + "\n");
}

void client_id_every_byte(void**) {
    // Exactly letters, digits and - _ . : are allowed, alone and amid good characters.
    for (int b = 0; b < 256; ++b) {
        char c = static_cast<char>(b);
        bool expected = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
                        (b >= '0' && b <= '9') || b == '-' || b == '_' || b == '.' || b == ':';
        std::string alone(1, c);
        std::string amid = "ab" + alone + "cd";
        if (acceptable_client_request_id(alone) != expected) {
            print_error("byte 0x%02x: expected %s\n", b, expected ? "accepted" : "refused");
        }
        assert_int_equal(acceptable_client_request_id(alone), expected);
        assert_int_equal(acceptable_client_request_id(amid), expected);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(id_shape),
        cmocka_unit_test(writes_exactly_its_length),
        cmocka_unit_test(ids_unique),
        cmocka_unit_test(own_ids_are_acceptable),
        cmocka_unit_test(client_ids_accepted),
        cmocka_unit_test(client_id_length),
        cmocka_unit_test(client_id_injection_refused),
        cmocka_unit_test(client_id_every_byte),
    };
    return cmocka_run_group_tests_name("request_id", tests, nullptr, nullptr);
}
