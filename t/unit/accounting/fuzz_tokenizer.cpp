// libFuzzer target (`make fuzz FUZZ_TARGET=tokenizer`): for o200k_base and cl100k_base, encoding
// never fails; every id is a token; the tokens' bytes put together are the input with invalid
// UTF-8 replaced as a WHATWG decoder replaces it (the spec's decoder, written again here);
// count() is encode()'s size. Texts that are one piece by both encodings' patterns (letters only,
// punctuation only, white space only) are also merged by tiktoken's own algorithm written out
// here (quadratic, lowest rank first, leftmost among equals) and must give the same ids: that
// checks the heap merge the encoder uses on pieces longer than 128 bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aigw/accounting/tokenizer.hpp"

namespace tk = aigw::tokenizer;

namespace {

void check(bool ok, const char* what, tk::encoding_id id) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_tokenizer: %s: invariant broken: %s\n",
                     std::string(tk::encoding_name(id)).c_str(), what);
        std::abort();
    }
}

// The WHATWG Encoding Standard's UTF-8 decoder (section 9.1.1), re-encoding what it decodes;
// U+FFFD for each error, the byte that caused it read again when it is not the first.
std::string whatwg_decode(std::string_view in) {
    static const char replacement[] = "\xEF\xBF\xBD";
    std::string out;
    std::uint32_t cp = 0;
    int needed = 0, seen = 0;
    unsigned lower = 0x80, upper = 0xBF;
    std::size_t start = 0;
    for (std::size_t i = 0; i < in.size();) {
        unsigned b = static_cast<unsigned char>(in[i]);
        if (needed == 0) {
            start = i;
            i++;
            if (b <= 0x7F) {
                out += static_cast<char>(b);
            } else if (b >= 0xC2 && b <= 0xDF) {
                needed = 1;
                cp = b & 0x1F;
            } else if (b >= 0xE0 && b <= 0xEF) {
                if (b == 0xE0) lower = 0xA0;
                if (b == 0xED) upper = 0x9F;
                needed = 2;
                cp = b & 0xF;
            } else if (b >= 0xF0 && b <= 0xF4) {
                if (b == 0xF0) lower = 0x90;
                if (b == 0xF4) upper = 0x8F;
                needed = 3;
                cp = b & 0x7;
            } else {
                out.append(replacement, 3);
            }
            continue;
        }
        if (b < lower || b > upper) {
            cp = 0;
            needed = seen = 0;
            lower = 0x80;
            upper = 0xBF;
            out.append(replacement, 3);
            continue;  // b is read again
        }
        lower = 0x80;
        upper = 0xBF;
        cp = (cp << 6) | (b & 0x3F);
        i++;
        if (++seen != needed) continue;
        out.append(in.substr(start, i - start));  // the same code point, re-encoded
        cp = 0;
        needed = seen = 0;
    }
    if (needed != 0) out.append(replacement, 3);
    return out;
}

struct ranks {
    std::unordered_map<std::string_view, std::uint32_t> of;
    explicit ranks(const tk::encoder& e) {
        of.reserve(e.size());
        for (std::uint32_t id = 0; id < e.size(); id++) of.emplace(e.token(id), id);
    }
    std::uint32_t find(std::string_view s) const {
        auto it = of.find(s);
        return it == of.end() ? std::numeric_limits<std::uint32_t>::max() : it->second;
    }
};

// tiktoken's byte_pair_merge and byte_pair_encode (src/lib.rs), for one piece.
std::vector<std::uint32_t> tiktoken_piece(const ranks& r, std::string_view piece) {
    constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
    if (std::uint32_t whole = r.find(piece); whole != none) return {whole};
    struct part {
        std::size_t start;
        std::uint32_t rank;
    };
    std::vector<part> parts;
    for (std::size_t i = 0; i + 1 < piece.size(); i++) parts.push_back({i, r.find(piece.substr(i, 2))});
    parts.push_back({piece.size() - 1, none});
    parts.push_back({piece.size(), none});
    auto rank_at = [&](std::size_t i) {
        if (i + 3 < parts.size()) return r.find(piece.substr(parts[i].start, parts[i + 3].start - parts[i].start));
        return none;
    };
    for (;;) {
        std::uint32_t min_rank = none;
        std::size_t at = 0;
        for (std::size_t i = 0; i + 1 < parts.size(); i++) {
            if (parts[i].rank < min_rank) {
                min_rank = parts[i].rank;
                at = i;
            }
        }
        if (min_rank == none) break;
        if (at > 0) parts[at - 1].rank = rank_at(at - 1);
        parts[at].rank = rank_at(at);
        parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
    }
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i + 1 < parts.size(); i++) {
        out.push_back(r.find(piece.substr(parts[i].start, parts[i + 1].start - parts[i].start)));
    }
    return out;
}

// Pieces of text the patterns tell apart; random bytes become texts worth tokenizing.
const char* const fragments[] = {
    "a", "e", "s", "S", "t", "re", "RE", "Re", "ve", "ll", "LL", "d", "m", "'", "'s", "'S", "'ll", "'Re",
    "\xc5\xbf" /* ſ */, "\xe2\x80\x99" /* ’ */, "A", "Z", "x", "HTTP", "Hello", "world", "get",
    "\xc7\x85" /* ǅ Lt */, "\xca\xb0" /* ʰ Lm */, "\xe3\x83\xbc" /* ー Lm */, "\xe4\xb8\xad" /* 中 */,
    "\xe3\x81\x82" /* あ */, "\xed\x95\x9c" /* 한 */, "\xd8\xa7" /* ا */, "\xc3\xa9" /* é */, "\xc3\x89" /* É */,
    "\xcc\x81" /* U+0301 */, "\xe0\xa4\xbe" /* Devanagari AA sign, Mc */, "\xe2\x83\xa3" /* keycap, Me */,
    "\xef\xb8\x8f" /* VS16 */, "0", "7", "123", "\xd9\xa3" /* ٣ */, "\xe2\x85\xab" /* Ⅻ */, "\xc2\xb2" /* ² */,
    " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\n\r", "\v", "\f", "\xc2\x85" /* NEL */, "\xc2\xa0" /* NBSP */,
    "\xe3\x80\x80" /* ideographic space */, "\xe2\x80\xa8" /* LS */, "\xe2\x80\x8b" /* ZWSP, no space */,
    "!", ".", ",", "/", "//", "\\", "-", "=", "{", "}", "(", ")", "\"", "<|endoftext|>", "\xe2\x80\xa6" /* … */,
    "\xe3\x80\x82" /* 。 */, "\xf0\x9f\x98\x80" /* 😀 */, "\xf0\x9f\x87\xba" /* regional U */,
    "\xe2\x80\x8d" /* ZWJ */, "\xf3\xa0\x80\x81" /* tag */, "\xee\x80\x80" /* private use */,
    "\xf4\x8f\xbf\xbf" /* U+10FFFF */, "\xcd\xb8" /* U+0378 unassigned */, "\xef\xbf\xbd" /* U+FFFD */,
    "\x80", "\xbf", "\xc0", "\xc1\xbf", "\xc2", "\xe0\x80", "\xe2\x82", "\xed\xa0\x80", "\xf0\x9f\x98",
    "\xf4\x90\x80\x80", "\xf5", "\xff", "",  // "" is a NUL byte
};
constexpr std::size_t fragment_count = sizeof(fragments) / sizeof(fragments[0]);

// Texts that are one piece to both patterns (no prefix, no contraction, nothing the patterns
// split at), over a small alphabet so that merges repeat.
const char* const letters[] = {"a", "b", "n", "e", "t", "\xe4\xb8\xad", "\xe3\x81\x82", "\xed\x95\x9c",
                               "\xca\xb0", "\xc3\xa9", "\xd0\xb4" /* д */, "\xe0\xb8\x81" /* ก */};
const char* const puncts[] = {"!", ".", "-", "=", "*", "/", "(", ")", "\"", "#", "\xe2\x80\xa6", "\xf0\x9f\x98\x80",
                              "\xe3\x80\x82", "\xee\x80\x80", "\xef\xbf\xbd", "|", "<", ">"};
const char* const spaces[] = {" ", " ", " ", "\t", "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\x83"};

template <std::size_t N>
std::string one_piece(const std::uint8_t* data, std::size_t size, const char* const (&alphabet)[N],
                      unsigned limit) {
    std::string s;
    for (std::size_t i = 0; i < size; i++) {
        // A byte's high bits repeat its letter up to 8 times: long runs of a few letters.
        unsigned times = 1 + (data[i] >> 5);
        for (unsigned k = 0; k < times; k++) s += alphabet[(data[i] & 31) % N];
        if (s.size() > limit) break;
    }
    return s;
}

std::string from_fragments(const std::uint8_t* data, std::size_t size) {
    std::string s;
    std::string last;
    for (std::size_t i = 0; i < size; i++) {
        if (data[i] == 255 && i + 1 < size) {
            // Repeat the last fragment: long runs of one piece.
            std::size_t times = 1 + data[++i] * 2u;
            for (std::size_t k = 0; k < times && s.size() < (4u << 10); k++) s += last;
            continue;
        }
        std::size_t f = data[i] % fragment_count;
        last = fragments[f][0] == '\0' ? std::string(1, '\0') : std::string(fragments[f]);
        s += last;
    }
    return s;
}

struct encoding {
    tk::encoding_id id;
    const tk::encoder* enc;
    const ranks* r;
};

// Built on the first input and never freed (a pointer in a global, so no leak to report).
const std::vector<encoding>& encodings() {
    static const std::vector<encoding>* all = [] {
        auto* v = new std::vector<encoding>;
        for (tk::encoding_id id : {tk::encoding_id::o200k_base, tk::encoding_id::cl100k_base}) {
            const tk::encoder* e = tk::encoder::get(id);
            check(e != nullptr, "the tables load", id);
            v->push_back({id, e, new ranks(*e)});
        }
        return v;
    }();
    return *all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string text;
    bool single_piece = false;
    switch (data[0] & 7) {
        case 0: case 1: case 2:
            text.assign(reinterpret_cast<const char*>(data + 1), size - 1);
            break;
        case 3: case 4:
            text = from_fragments(data + 1, size - 1);
            break;
        case 5:
            text = one_piece(data + 1, size - 1, letters, 600);
            single_piece = true;
            break;
        case 6:
            text = one_piece(data + 1, size - 1, puncts, 600);
            single_piece = true;
            break;
        default:
            text = one_piece(data + 1, size - 1, spaces, 600);
            single_piece = true;
            break;
    }
    const std::string replaced = whatwg_decode(text);
    for (const encoding& e : encodings()) {
        std::vector<std::uint32_t> ids{12345};
        e.enc->encode(text, ids);
        check(ids.front() == 12345, "encode appends", e.id);
        ids.erase(ids.begin());
        std::string back;
        for (std::uint32_t id : ids) {
            check(id < e.enc->size(), "ids are below size()", e.id);
            std::string_view t = e.enc->token(id);
            check(!t.empty(), "every id is a token", e.id);
            back += t;
        }
        check(back == replaced, "decode(encode(x)) is x with invalid UTF-8 replaced", e.id);
        check(e.enc->count(text) == ids.size(), "count() == encode().size()", e.id);
        if (text != replaced) {
            std::vector<std::uint32_t> again;
            e.enc->encode(replaced, again);
            check(again == ids, "encode(x) == encode(x with invalid UTF-8 replaced)", e.id);
        }
        if (single_piece && !text.empty()) {
            check(tiktoken_piece(*e.r, text) == ids, "one piece merges as tiktoken merges it", e.id);
        }
    }
    return 0;
}
