// The tokenizer's tables: the compiled-in Unicode classes and rank tables (see
// scripts/tokenizer-data/generate.mjs for their layout), and the hash index built over each
// rank table once per process (tokenizer::preload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "aigw/accounting/tokenizer.hpp"

namespace aigw::tokenizer {

// Class bits of a code point (Unicode 16.0 general categories and White_Space).
enum : std::uint8_t {
    cls_upper = 1,         // Lu, Lt
    cls_lower = 2,         // Ll
    cls_other_letter = 4,  // Lm, Lo
    cls_mark = 8,          // Mn, Mc, Me
    cls_number = 16,       // Nd, Nl, No
    cls_space = 32,        // White_Space
    cls_letter = cls_upper | cls_lower | cls_other_letter,
};

struct unicode_classes {
    const std::uint16_t* stage1 = nullptr;  // 0x1100 entries: block of 256 -> stage-2 block
    const std::uint8_t* stage2 = nullptr;

    std::uint8_t of(std::uint32_t cp) const noexcept {
        return stage2[static_cast<std::size_t>(stage1[cp >> 8]) * 256 + (cp & 0xFF)];
    }
};

// The compiled-in Unicode classes (valid once preload() returned true).
const unicode_classes& classes() noexcept;

inline std::uint64_t hash_bytes(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (static_cast<std::uint64_t>(n) * 0xC2B2AE3D27D4EB4Full);
    while (n >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n != 0) {
        std::uint64_t w = 0;
        std::memcpy(&w, p, n);
        h = (h ^ w) * 0x94D049BB133111EBull;
    }
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

// The bytes of a piece of 2 to 7 bytes as one number, with its length in the top byte: a key
// that is the piece itself, so a short token is found without touching the byte pool.
inline std::uint64_t short_key(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint64_t v;
    if (n >= 4) {
        std::uint32_t lo, hi;
        std::memcpy(&lo, p, 4);
        std::memcpy(&hi, p + n - 4, 4);
        v = lo | (static_cast<std::uint64_t>(hi) << ((n - 4) * 8));
    } else {
        std::uint16_t lo;
        std::memcpy(&lo, p, 2);
        v = n == 3 ? (lo | static_cast<std::uint64_t>(p[2]) << 16) : lo;
    }
    return v | static_cast<std::uint64_t>(n) << 56;
}

inline std::uint64_t short_hash(std::uint64_t key) noexcept {
    key *= 0x9E3779B97F4A7C15ull;
    return key ^ (key >> 29);
}

struct encoder::tables {
    std::uint32_t n = 0;                 // tokens; ranks are 0..n-1
    const std::uint32_t* ends = nullptr;  // end offset of each token in pool
    const std::uint8_t* pool = nullptr;
    std::uint32_t byte_rank[256] = {};   // the rank of each single byte

    // Tokens of 2 to 7 bytes: open addressing, linear probing, the key inline (0: empty).
    struct short_slot {
        std::uint64_t key;
        std::uint32_t rank;
        std::uint32_t unused;
    };
    std::vector<short_slot> short_slots;
    std::uint64_t short_mask = 0;
    // Longer tokens: (high 32 bits of the hash << 32) | (rank + 1); 0 empty.
    std::vector<std::uint64_t> slots;
    std::uint64_t mask = 0;

    static constexpr std::uint32_t none = 0xFFFFFFFFu;

    std::string_view bytes(std::uint32_t rank) const noexcept {
        std::uint32_t begin = rank == 0 ? 0 : ends[rank - 1];
        return {reinterpret_cast<const char*>(pool) + begin, ends[rank] - begin};
    }

    // The rank of exactly these bytes, or `none`.
    std::uint32_t find(const std::uint8_t* p, std::size_t len) const noexcept {
        if (len == 1) return byte_rank[*p];
        if (len < 8) {
            std::uint64_t key = short_key(p, len);
            for (std::uint64_t i = short_hash(key) & short_mask;; i = (i + 1) & short_mask) {
                const short_slot& s = short_slots[i];
                if (s.key == key) return s.rank;
                if (s.key == 0) return none;
            }
        }
        std::uint64_t h = hash_bytes(p, len);
        std::uint64_t tag = h & 0xFFFFFFFF00000000ull;
        for (std::uint64_t i = h & mask;; i = (i + 1) & mask) {
            std::uint64_t s = slots[i];
            if (s == 0) return none;
            if ((s & 0xFFFFFFFF00000000ull) == tag) {
                std::uint32_t rank = static_cast<std::uint32_t>(s) - 1;
                std::uint32_t begin = rank == 0 ? 0 : ends[rank - 1];
                if (ends[rank] - begin == len && std::memcmp(pool + begin, p, len) == 0) {
                    return rank;
                }
            }
        }
    }
};

}  // namespace aigw::tokenizer
