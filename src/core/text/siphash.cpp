#include "aigw/text/siphash.hpp"

#include <cstring>
#include <random>

namespace aigw {

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct state {
    std::uint64_t v0, v1, v2, v3;

    void round() {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
};

// Little-endian, as the reference reads its words.
std::uint64_t load64(const unsigned char* p) {
    std::uint64_t m;
    std::memcpy(&m, p, sizeof(m));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    m = __builtin_bswap64(m);
#endif
    return m;
}

template <int C, int D>
std::uint64_t siphash(const siphash_key& key, std::string_view data) noexcept {
    state s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
            key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
    auto absorb = [&s](std::uint64_t m) {
        s.v3 ^= m;
        for (int i = 0; i < C; ++i) s.round();
        s.v0 ^= m;
    };
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size();
    std::size_t whole = n & ~static_cast<std::size_t>(7);
    for (std::size_t i = 0; i < whole; i += 8) absorb(load64(p + i));
    unsigned char last[8] = {};
    if (n > whole) std::memcpy(last, p + whole, n - whole);
    last[7] = static_cast<unsigned char>(n);
    absorb(load64(last));
    s.v2 ^= 0xff;
    for (int i = 0; i < D; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace

std::uint64_t siphash24(const siphash_key& key, std::string_view data) noexcept {
    return siphash<2, 4>(key, data);
}

std::uint64_t siphash13(const siphash_key& key, std::string_view data) noexcept {
    return siphash<1, 3>(key, data);
}

siphash_key random_siphash_key() {
    std::random_device rd;
    auto word = [&rd] {
        return (static_cast<std::uint64_t>(rd()) << 32) ^ static_cast<std::uint64_t>(rd());
    };
    siphash_key k;
    k.k0 = word();
    k.k1 = word();
    return k;
}

}  // namespace aigw
