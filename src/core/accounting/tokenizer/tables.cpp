// The compiled-in tables and their indexes; see tables.hpp.
#include "core/accounting/tokenizer/tables.hpp"

#include <memory>
#include <new>

// The build generates the tables file (scripts/tokenizer-data/generate.mjs) and names it here;
// the assembler copies it into the read-only data, so every process that maps the module
// shares one copy of it.
#ifndef AIGW_TOKENIZER_TABLES
#error "AIGW_TOKENIZER_TABLES must name the generated tables file (the build defines it)"
#endif

__asm__(".pushsection .rodata\n"
        ".balign 16\n"
        ".globl aigw_tokenizer_blob\n"
        ".hidden aigw_tokenizer_blob\n"
        "aigw_tokenizer_blob:\n"
        ".incbin \"" AIGW_TOKENIZER_TABLES "\"\n"
        ".globl aigw_tokenizer_blob_end\n"
        ".hidden aigw_tokenizer_blob_end\n"
        "aigw_tokenizer_blob_end:\n"
        ".popsection\n");

extern "C" {
__attribute__((visibility("hidden"))) extern const unsigned char aigw_tokenizer_blob[];
__attribute__((visibility("hidden"))) extern const unsigned char aigw_tokenizer_blob_end[];
}

namespace aigw::tokenizer {

namespace {

std::uint32_t u32(const unsigned char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;  // the tables are little-endian, as is every machine this builds for
}

struct loaded {
    unicode_classes unicode;
    encoder::tables enc[2];
    bool ok = false;
};

// A section of the blob, bounds-checked.
bool section(std::size_t i, const unsigned char*& p, std::size_t& size) noexcept {
    std::size_t total = static_cast<std::size_t>(aigw_tokenizer_blob_end - aigw_tokenizer_blob);
    if (total < 12 || std::memcmp(aigw_tokenizer_blob, "AIGWTOK1", 8) != 0) return false;
    if (i >= u32(aigw_tokenizer_blob + 8) || 12 + (i + 1) * 8 > total) return false;
    std::size_t off = u32(aigw_tokenizer_blob + 12 + i * 8);
    size = u32(aigw_tokenizer_blob + 16 + i * 8);
    if (off > total || size > total - off || off % 4 != 0) return false;
    p = aigw_tokenizer_blob + off;
    return true;
}

bool load_unicode(unicode_classes& u) noexcept {
    const unsigned char* p;
    std::size_t size;
    if (!section(0, p, size) || size < 0x1100 * 2) return false;
    u.stage1 = reinterpret_cast<const std::uint16_t*>(p);
    u.stage2 = p + 0x1100 * 2;
    std::size_t blocks = (size - 0x1100 * 2) / 256;
    for (std::size_t b = 0; b < 0x1100; b++) {
        if (u.stage1[b] >= blocks) return false;
    }
    return true;
}

bool load_encoding(std::size_t i, encoder::tables& t) {
    const unsigned char* p;
    std::size_t size;
    if (!section(i, p, size) || size < 4) return false;
    t.n = u32(p);
    if (t.n == 0 || (size - 4) / 4 < t.n) return false;
    t.ends = reinterpret_cast<const std::uint32_t*>(p + 4);
    t.pool = p + 4 + static_cast<std::size_t>(t.n) * 4;
    std::size_t pool_size = size - 4 - static_cast<std::size_t>(t.n) * 4;
    std::uint32_t prev = 0;
    for (std::uint32_t r = 0; r < t.n; r++) {
        if (t.ends[r] <= prev && r != 0) return false;  // every token is at least one byte
        if (t.ends[r] > pool_size) return false;
        prev = t.ends[r];
    }
    std::size_t shorts = 0, longs = 0;
    for (std::uint32_t r = 0; r < t.n; r++) {
        std::size_t len = t.bytes(r).size();
        if (len >= 8) {
            longs++;
        } else if (len >= 2) {
            shorts++;
        }
    }
    auto table_size = [](std::size_t entries) {
        std::size_t size = 16;
        while (size < entries * 3 / 2) size <<= 1;  // at most two thirds full
        return size;
    };
    t.short_slots.assign(table_size(shorts), encoder::tables::short_slot{0, 0, 0});
    t.short_mask = t.short_slots.size() - 1;
    t.slots.assign(table_size(longs), 0);
    t.mask = t.slots.size() - 1;
    for (auto& r : t.byte_rank) r = encoder::tables::none;
    for (std::uint32_t r = 0; r < t.n; r++) {
        std::string_view b = t.bytes(r);
        const auto* bp = reinterpret_cast<const std::uint8_t*>(b.data());
        if (b.size() == 1) {
            t.byte_rank[bp[0]] = r;
        } else if (b.size() < 8) {
            std::uint64_t key = short_key(bp, b.size());
            std::uint64_t i = short_hash(key) & t.short_mask;
            while (t.short_slots[i].key != 0) i = (i + 1) & t.short_mask;
            t.short_slots[i] = {key, r, 0};
        } else {
            std::uint64_t h = hash_bytes(bp, b.size());
            std::uint64_t i = h & t.mask;
            while (t.slots[i] != 0) i = (i + 1) & t.mask;
            t.slots[i] = (h & 0xFFFFFFFF00000000ull) | (static_cast<std::uint64_t>(r) + 1);
        }
    }
    for (auto r : t.byte_rank) {
        if (r == encoder::tables::none) return false;  // every byte must be a token
    }
    return true;
}

const loaded* build() noexcept {
    try {
        auto l = std::make_unique<loaded>();
        l->ok = load_unicode(l->unicode) && load_encoding(1, l->enc[0]) && load_encoding(2, l->enc[1]);
        return l.release();
    } catch (...) {
        return nullptr;  // std::bad_alloc: callers fall back to the estimate
    }
}

const loaded* state() noexcept {
    static const loaded* s = build();
    return s;
}

}  // namespace

bool preload() noexcept {
    const loaded* s = state();
    return s != nullptr && s->ok;
}

const unicode_classes& classes() noexcept { return state()->unicode; }

const encoder* encoder::get(encoding_id id) noexcept {
    if (id == encoding_id::estimate || !preload()) return nullptr;
    static const encoder o200k(encoding_id::o200k_base, &state()->enc[0]);
    static const encoder cl100k(encoding_id::cl100k_base, &state()->enc[1]);
    return id == encoding_id::o200k_base ? &o200k : &cl100k;
}

std::string_view encoder::token(std::uint32_t id) const noexcept {
    return id < t_->n ? t_->bytes(id) : std::string_view();
}

std::uint32_t encoder::size() const noexcept { return t_->n; }

}  // namespace aigw::tokenizer
