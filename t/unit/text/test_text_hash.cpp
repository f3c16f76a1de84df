// text_hash: the same text and seed give the same hash; a change of one byte, of the length or
// of the seed gives another; texts spread over a table's sets.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <set>
#include <string>
#include <vector>

#include "aigw/text/text_hash.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

namespace {

std::string counting(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i * 7 + 1));
    return s;
}

void same_text_same_hash(void**) {
    std::string text = counting(1000);
    assert_true(aigw::text_hash(42, text) == aigw::text_hash(42, std::string(text)));
    assert_true(aigw::text_hash(42, "") == aigw::text_hash(42, std::string_view()));
    // The seed: another one places the same text elsewhere.
    assert_true(aigw::text_hash(42, text) != aigw::text_hash(43, text));
    std::uint64_t a = aigw::random_hash_seed();
    std::uint64_t b = aigw::random_hash_seed();
    assert_true(a != b);
    assert_true(aigw::text_hash(a, text) != aigw::text_hash(b, text));
}

void every_byte_counts(void**) {
    // Each length 0..100 (every lane, word and tail length) differs from the next; a zero
    // byte appended is a different text.
    std::set<std::uint64_t> seen;
    for (std::size_t n = 0; n <= 100; ++n) seen.insert(aigw::text_hash(7, counting(n)));
    assert_int_equal(seen.size(), 101);
    assert_true(aigw::text_hash(7, "abc") != aigw::text_hash(7, std::string("abc\0", 4)));
    // One bit flipped anywhere in a 96-byte text (three lanes' words, a tail word, a tail).
    std::string base = counting(99);
    std::uint64_t h = aigw::text_hash(7, base);
    for (std::size_t i = 0; i < base.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string t = base;
            t[i] = static_cast<char>(t[i] ^ (1 << bit));
            assert_true(aigw::text_hash(7, t) != h);
        }
    }
}

void spreads(void**) {
    // Texts alike but for a counter (messages of one history) over 1,024 sets: no set gets
    // more than a few, as random places would give.
    std::vector<int> sets(1024);
    for (int i = 0; i < 4096; ++i) {
        std::string t = "{\"role\":\"user\",\"content\":\"message number " + std::to_string(i) + "\"}";
        ++sets[aigw::text_hash(99, t) % sets.size()];
    }
    int most = 0;
    for (int n : sets) most = n > most ? n : most;
    assert_true(most <= 16);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_text_same_hash),
        cmocka_unit_test(every_byte_counts),
        cmocka_unit_test(spreads),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
