// SipHash-2-4 (Aumasson and Bernstein): a keyed 64-bit hash. With a secret key, nobody who
// does not know it can make two inputs collide on purpose, which a table keyed by a client's
// text needs.
#pragma once

#include <cstdint>
#include <string_view>

namespace aigw {

struct siphash_key {
    std::uint64_t k0 = 0;
    std::uint64_t k1 = 0;
};

std::uint64_t siphash24(const siphash_key& key, std::string_view data) noexcept;

// SipHash-1-3: one compression round a word and three at the end, twice as fast; what hash
// tables in memory commonly use (Rust's, Python's). The same keyed construction.
std::uint64_t siphash13(const siphash_key& key, std::string_view data) noexcept;

// A key from the system's randomness, for a table that lives in one process.
siphash_key random_siphash_key();

}  // namespace aigw
