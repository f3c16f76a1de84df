// SipHash-2-4 against the reference vectors of its paper, and the random key.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>

#include "aigw/text/siphash.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

namespace {

// Key 00 01 .. 0f; messages 00 01 .. (n-1).
aigw::siphash_key reference_key() { return {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL}; }

std::string counting(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
    return s;
}

void reference_vectors(void**) {
    // The paper's appendix (15 bytes) and the first, ninth and last of the reference's
    // vectors table (0, 8 and 63 bytes), read as little-endian words.
    assert_true(aigw::siphash24(reference_key(), counting(15)) == 0xa129ca6149be45e5ULL);
    assert_true(aigw::siphash24(reference_key(), counting(0)) == 0x726fdb47dd0e0e31ULL);
    assert_true(aigw::siphash24(reference_key(), counting(8)) == 0x93f5f5799a932462ULL);
    assert_true(aigw::siphash24(reference_key(), counting(63)) == 0x958a324ceb064572ULL);
}

void keyed(void**) {
    aigw::siphash_key a = aigw::random_siphash_key();
    aigw::siphash_key b = aigw::random_siphash_key();
    assert_true(a.k0 != b.k0 || a.k1 != b.k1);
    std::string text(1000, 'x');
    assert_true(aigw::siphash24(a, text) == aigw::siphash24(a, text));
    assert_true(aigw::siphash24(a, text) != aigw::siphash24(b, text));
    text[999] = 'y';
    assert_true(aigw::siphash24(a, text) != aigw::siphash24(a, std::string(1000, 'x')));
    // The 1-3 variant: keyed the same way, another function of the same input.
    assert_true(aigw::siphash13(a, text) == aigw::siphash13(a, text));
    assert_true(aigw::siphash13(a, text) != aigw::siphash13(b, text));
    assert_true(aigw::siphash13(a, text) != aigw::siphash24(a, text));
    for (std::size_t n = 0; n < 20; ++n) {  // every tail length
        assert_true(aigw::siphash13(a, counting(n)) != aigw::siphash13(a, counting(n + 1)));
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_vectors),
        cmocka_unit_test(keyed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
