#include "aigw/text/text_hash.hpp"

#include <cstring>
#include <random>

namespace aigw {

namespace {

constexpr std::uint64_t k0 = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio
constexpr std::uint64_t k1 = 0xc2b2ae3d27d4eb4fULL;  // odd constants with mixed bits
constexpr std::uint64_t k2 = 0x165667b19e3779f9ULL;
constexpr std::uint64_t k3 = 0xd6e8feb86659fd93ULL;

std::uint64_t load64(const char* p) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
}

std::uint64_t rotl(std::uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

// One word into a lane: the product spreads low bits up, the rotation brings high bits down.
std::uint64_t step(std::uint64_t lane, std::uint64_t word, std::uint64_t k) noexcept {
    return rotl((lane ^ word) * k, 31);
}

// The end: every bit of x moves every bit of the result (a 64-bit finaliser's shape).
std::uint64_t finish(std::uint64_t x) noexcept {
    x ^= x >> 33;
    x *= k3;
    x ^= x >> 29;
    x *= k1;
    x ^= x >> 32;
    return x;
}

}  // namespace

std::uint64_t text_hash(std::uint64_t seed, std::string_view data) noexcept {
    const char* p = data.data();
    std::size_t n = data.size();
    std::uint64_t a = seed ^ k0, b = seed ^ k1, c = seed ^ k2, d = seed ^ k3;
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {  // four lanes: their multiplications overlap
        a = step(a, load64(p + i), k0);
        b = step(b, load64(p + i + 8), k1);
        c = step(c, load64(p + i + 16), k2);
        d = step(d, load64(p + i + 24), k3);
    }
    for (; i + 8 <= n; i += 8) a = step(a, load64(p + i), k1);
    std::uint64_t tail = 0;
    if (n > i) std::memcpy(&tail, p + i, n - i);  // 1..7 bytes, the rest zero
    a = step(a, tail, k2);
    std::uint64_t h = a ^ rotl(b, 17) ^ rotl(c, 34) ^ rotl(d, 51) ^ (static_cast<std::uint64_t>(n) * k0);
    return finish(h);
}

std::uint64_t random_hash_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ static_cast<std::uint64_t>(rd());
}

}  // namespace aigw
