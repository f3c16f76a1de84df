// A fast seeded 64-bit hash of a text, for tables in memory: four words of eight bytes a step,
// each lane multiplied and rotated. It is not collision-resistant: a client can make two texts
// share a hash on purpose, so a table keyed by client text keeps the text and compares it
// whole on a hit (the hash only finds the place).
#pragma once

#include <cstdint>
#include <string_view>

namespace aigw {

std::uint64_t text_hash(std::uint64_t seed, std::string_view data) noexcept;

// A seed from the system's randomness, for a table that lives in one process: where texts
// land differs from process to process.
std::uint64_t random_hash_seed();

}  // namespace aigw
