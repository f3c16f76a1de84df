// tiktoken's encode_ordinary: pre-tokenize with the encoding's pattern, then merge each piece
// by rank. See tokenizer.hpp.
#include <algorithm>
#include <queue>
#include <string>

#include "core/accounting/tokenizer/tables.hpp"

namespace aigw::tokenizer {

namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8. The scanner below reads valid UTF-8 only; other input is first decoded and re-encoded
// as a WHATWG decoder does (each maximal invalid subpart becomes one U+FFFD).

// The character at p[i] (not ASCII) as a WHATWG decoder reads it: its length in bytes and
// whether it is valid. An invalid one's length is its maximal subpart, which one U+FFFD
// replaces (at least the lead byte); the byte that broke it is read again as the next one.
std::size_t utf8_sequence(const std::uint8_t* p, std::size_t i, std::size_t n, bool& valid) noexcept {
    std::uint8_t c = p[i];
    std::size_t need;
    std::uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        valid = false;
        return 1;
    }
    std::size_t k = 1;
    for (; k <= need && i + k < n; k++) {
        std::uint8_t b = p[i + k];
        if (b < lo || b > hi) break;
        lo = 0x80;
        hi = 0xBF;
    }
    valid = k == need + 1;
    return k;
}

bool valid_utf8(const std::uint8_t* p, std::size_t n) noexcept {
    std::size_t i = 0;
    while (i < n) {
        // Eight ASCII bytes at a time.
        if (i + 8 <= n) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        bool valid;
        i += utf8_sequence(p, i, n, valid);
        if (!valid) return false;
    }
    return true;
}

std::string whatwg_replace(const std::uint8_t* p, std::size_t n) {
    static const char replacement[] = "\xEF\xBF\xBD";
    std::string out;
    out.reserve(n + n / 2);
    std::size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            out.push_back(static_cast<char>(p[i]));
            i++;
            continue;
        }
        bool valid;
        std::size_t len = utf8_sequence(p, i, n, valid);
        if (valid) {
            out.append(reinterpret_cast<const char*>(p + i), len);
        } else {
            out.append(replacement, 3);
        }
        i += len;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// The pre-tokenizer: the encodings' patterns, alternatives tried in order with the regex
// engine's leftmost-first, greedy-with-backtracking meaning.
//
// cl100k_base:
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
//   |\s*[\r\n]+|\s+(?!\S)|\s+
// o200k_base:
//   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|...|'d)?
//   |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|...)?
//   |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
// Every position matches one alternative, so pieces cover the text.

constexpr std::uint8_t cls_a = cls_upper | cls_other_letter | cls_mark;  // o200k's first class
constexpr std::uint8_t cls_b = cls_lower | cls_other_letter | cls_mark;  // o200k's second class

class scanner {
public:
    scanner(const std::uint8_t* p, std::size_t n) noexcept : p_(p), n_(n), u_(classes()) {
        for (std::uint32_t c = 0; c < 128; c++) ascii_[c] = u_.of(c);
    }

    std::size_t size() const noexcept { return n_; }

    // The code point at i (< n) and its length in bytes.
    std::uint32_t at(std::size_t i, std::size_t& len) const noexcept {
        std::uint8_t c = p_[i];
        if (c < 0x80) {
            len = 1;
            return c;
        }
        if (c < 0xE0) {
            len = 2;
            return (static_cast<std::uint32_t>(c & 0x1F) << 6) | (p_[i + 1] & 0x3F);
        }
        if (c < 0xF0) {
            len = 3;
            return (static_cast<std::uint32_t>(c & 0x0F) << 12) |
                   (static_cast<std::uint32_t>(p_[i + 1] & 0x3F) << 6) | (p_[i + 2] & 0x3F);
        }
        len = 4;
        return (static_cast<std::uint32_t>(c & 0x07) << 18) |
               (static_cast<std::uint32_t>(p_[i + 1] & 0x3F) << 12) |
               (static_cast<std::uint32_t>(p_[i + 2] & 0x3F) << 6) | (p_[i + 3] & 0x3F);
    }

    std::uint8_t cls(std::uint32_t cp) const noexcept { return cp < 128 ? ascii_[cp] : u_.of(cp); }

    // Class of the code point at i; len its length.
    std::uint8_t cls_at(std::size_t i, std::size_t& len) const noexcept { return cls(at(i, len)); }

    // [^\r\n\p{L}\p{N}]: the optional first character of the letter alternatives.
    static bool prefix_ok(std::uint32_t cp, std::uint8_t c) noexcept {
        return cp != '\r' && cp != '\n' && (c & (cls_letter | cls_number)) == 0;
    }
    // [^\s\p{L}\p{N}]
    static bool punct(std::uint8_t c) noexcept {
        return (c & (cls_space | cls_letter | cls_number)) == 0;
    }

    // End of the run of code points with any of `bits`, from i.
    std::size_t run(std::size_t i, std::uint8_t bits) const noexcept {
        std::size_t len;
        while (i < n_ && (cls_at(i, len) & bits) != 0) i += len;
        return i;
    }

    // (?i:'s|'t|'re|'ve|'m|'ll|'d) at i: its end, or i. Case-insensitive as the regex engine
    // folds: 's' also matches U+017F (long s).
    std::size_t contraction(std::size_t i) const noexcept {
        if (i + 1 >= n_ || p_[i] != '\'') return i;
        auto lower = [](std::uint8_t c) { return static_cast<std::uint8_t>(c | 0x20); };
        std::uint8_t c = lower(p_[i + 1]);
        if (p_[i + 1] >= 0x80) {
            return (p_[i + 1] == 0xC5 && i + 2 < n_ && p_[i + 2] == 0xBF) ? i + 3 : i;  // 'ſ
        }
        if (c == 's' || c == 't' || c == 'm' || c == 'd') return i + 2;
        if (i + 2 < n_) {
            std::uint8_t d = lower(p_[i + 2]);
            if ((c == 'r' || c == 'v') && d == 'e') return i + 3;
            if (c == 'l' && d == 'l') return i + 3;
        }
        return i;
    }

    // \p{N}{1,3} at i (a number): its end.
    std::size_t digits(std::size_t i) const noexcept {
        std::size_t len;
        for (int k = 0; k < 3 && i < n_ && (cls_at(i, len) & cls_number) != 0; k++) i += len;
        return i;
    }

    // ` ?[^\s\p{L}\p{N}]+` then [\r\n]* (or [\r\n/]* with slash) at i: its end, or i.
    std::size_t punctuation(std::size_t i, bool slash) const noexcept {
        std::size_t len, q = i;
        if (p_[i] == ' ' && i + 1 < n_ && punct(cls_at(i + 1, len))) {
            q = i + 1;
        } else if (!punct(cls_at(i, len))) {
            return i;
        }
        std::size_t e = q;
        while (e < n_) {
            std::uint8_t c = cls_at(e, len);
            if (!punct(c)) break;
            e += len;
        }
        while (e < n_ && (p_[e] == '\r' || p_[e] == '\n' || (slash && p_[e] == '/'))) e++;
        return e;
    }

    // \s*[\r\n]+ | \s+(?!\S) | \s+ at i (white space): its end.
    std::size_t spaces(std::size_t i) const noexcept {
        std::size_t len, e = i, last_newline = i, count = 0;
        bool newline = false;
        while (e < n_ && (cls_at(e, len) & cls_space) != 0) {
            if (p_[e] == '\r' || p_[e] == '\n') {
                newline = true;
                last_newline = e + 1;
            }
            e += len;
            count++;
        }
        if (newline) return last_newline;
        if (e == n_ || count == 1) return e;
        // \s+(?!\S): all but the last white space character.
        std::size_t back = e - 1;
        while ((p_[back] & 0xC0) == 0x80) back--;
        return back;
    }

    // o200k's [A]*[B]+ at q: its end, or npos.
    std::size_t a_star_b_plus(std::size_t q) const noexcept {
        std::size_t i = q, len, last_b = npos;
        while (i < n_) {
            std::uint8_t c = cls_at(i, len);
            if ((c & cls_a) == 0) break;
            if ((c & cls_b) != 0) last_b = i + len;
            i += len;
        }
        if (i < n_ && (cls_at(i, len) & cls_b) != 0) return run(i, cls_b);
        return last_b;
    }

    // o200k's [A]+[B]* at q: its end, or npos.
    std::size_t a_plus_b_star(std::size_t q) const noexcept {
        std::size_t len;
        if (q >= n_ || (cls_at(q, len) & cls_a) == 0) return npos;
        return run(run(q, cls_a), cls_b);
    }

    std::size_t next_o200k(std::size_t i) const noexcept {
        std::size_t len0;
        std::uint32_t cp = at(i, len0);
        std::uint8_t c = cls(cp);
        bool prefix = prefix_ok(cp, c);
        // The two letter alternatives, each with then without the optional first character.
        std::size_t e = npos;
        if (prefix) e = a_star_b_plus(i + len0);
        if (e == npos) e = a_star_b_plus(i);
        if (e == npos && prefix) e = a_plus_b_star(i + len0);
        if (e == npos) e = a_plus_b_star(i);
        if (e != npos) return contraction(e);
        if (c & cls_number) return digits(i);
        if (std::size_t p = punctuation(i, true); p != i) return p;
        return spaces(i);
    }

    std::size_t next_cl100k(std::size_t i) const noexcept {
        if (std::size_t e = contraction(i); e != i) return e;
        std::size_t len0, len1;
        std::uint32_t cp = at(i, len0);
        std::uint8_t c = cls(cp);
        if (c & cls_letter) return run(i, cls_letter);
        if (prefix_ok(cp, c) && i + len0 < n_ && (cls_at(i + len0, len1) & cls_letter) != 0) {
            return run(i + len0, cls_letter);
        }
        if (c & cls_number) return digits(i);
        if (std::size_t p = punctuation(i, false); p != i) return p;
        return spaces(i);
    }

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
    const std::uint8_t* p_;
    std::size_t n_;
    const unicode_classes& u_;
    std::uint8_t ascii_[128];
};

// ---------------------------------------------------------------------------------------------
// The merge. tiktoken merges the adjacent pair whose bytes have the lowest rank, the leftmost
// among equals, until no pair is a token. Short pieces do exactly that over an array (quadratic
// but tiny); long ones use a heap of (rank, position), which picks the same pair every step.

constexpr std::size_t short_piece = 128;

template <class Out>
void merge_short(const encoder::tables& t, const std::uint8_t* p, std::size_t n, Out& out) {
    // start[i] of each part, rank[i] of the pair (part i, part i+1).
    std::uint32_t start[short_piece + 1];
    std::uint32_t rank[short_piece + 1];
    std::size_t parts = n;
    for (std::size_t i = 0; i < n; i++) start[i] = static_cast<std::uint32_t>(i);
    start[n] = static_cast<std::uint32_t>(n);
    for (std::size_t i = 0; i + 1 < n; i++) rank[i] = t.find(p + i, 2);
    rank[n - 1] = rank[n] = encoder::tables::none;
    // The rank of part i merged with part i+1 (there must be one).
    auto pair_rank = [&](std::size_t i) {
        return i + 1 < parts ? t.find(p + start[i], start[i + 2] - start[i]) : encoder::tables::none;
    };
    for (;;) {
        std::uint32_t best = encoder::tables::none;
        std::size_t at = 0;
        for (std::size_t i = 0; i + 1 < parts; i++) {
            if (rank[i] < best) {
                best = rank[i];
                at = i;
            }
        }
        if (best == encoder::tables::none) break;
        // Merge parts at and at+1.
        for (std::size_t i = at + 1; i < parts; i++) {
            start[i] = start[i + 1];
            rank[i] = rank[i + 1];
        }
        parts--;
        rank[at] = pair_rank(at);
        if (at > 0) rank[at - 1] = pair_rank(at - 1);
    }
    for (std::size_t i = 0; i < parts; i++) {
        out(t.find(p + start[i], start[i + 1] - start[i]));
    }
}

template <class Out>
void merge_long(const encoder::tables& t, const std::uint8_t* p, std::size_t n, Out& out) {
    // A linked list of parts; a part is named by its first byte's offset.
    std::vector<std::uint32_t> next(n + 1), prev(n + 1), rank(n + 1);
    for (std::size_t i = 0; i <= n; i++) {
        next[i] = static_cast<std::uint32_t>(i + 1);
        prev[i] = static_cast<std::uint32_t>(i - 1);
    }
    // Heap entries are (rank << 32 | position): the smallest is the lowest rank, leftmost.
    std::vector<std::uint64_t> heap_store;
    heap_store.reserve(n);
    std::priority_queue<std::uint64_t, std::vector<std::uint64_t>, std::greater<std::uint64_t>> heap(
        std::greater<std::uint64_t>(), std::move(heap_store));
    auto push = [&heap](std::uint32_t r, std::uint32_t pos) {
        heap.push(static_cast<std::uint64_t>(r) << 32 | pos);
    };
    auto pair_rank = [&](std::uint32_t i) {
        std::uint32_t j = next[i];
        if (j >= n) return encoder::tables::none;
        return t.find(p + i, next[j] - i);
    };
    for (std::uint32_t i = 0; i + 1 < n; i++) {
        rank[i] = t.find(p + i, 2);
        if (rank[i] != encoder::tables::none) push(rank[i], i);
    }
    rank[n - 1] = encoder::tables::none;
    while (!heap.empty()) {
        std::uint64_t e = heap.top();
        heap.pop();
        std::uint32_t i = static_cast<std::uint32_t>(e);
        if (rank[i] != static_cast<std::uint32_t>(e >> 32)) continue;  // stale: the part changed since
        // Merge part i with the next one.
        std::uint32_t j = next[i];
        std::uint32_t k = next[j];
        next[i] = k;
        if (k <= n) prev[k] = i;
        rank[j] = encoder::tables::none;
        rank[i] = pair_rank(i);
        if (rank[i] != encoder::tables::none) push(rank[i], i);
        if (i != 0) {
            std::uint32_t h = prev[i];
            std::uint32_t r = pair_rank(h);
            if (r != rank[h]) {
                rank[h] = r;
                if (r != encoder::tables::none) push(r, h);
            }
        }
    }
    for (std::uint32_t i = 0; i < n; i = next[i]) out(t.find(p + i, next[i] - i));
}

}  // namespace

template <class Sink>
void encoder::run(std::string_view text, Sink& sink) const {
    const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
    std::size_t n = text.size();
    std::string fixed;
    if (!valid_utf8(p, n)) {
        fixed = whatwg_replace(p, n);
        p = reinterpret_cast<const std::uint8_t*>(fixed.data());
        n = fixed.size();
    }
    scanner s(p, n);
    const tables& t = *t_;
    bool o200k = id_ == encoding_id::o200k_base;
    std::size_t i = 0;
    while (i < n) {
        std::size_t e = o200k ? s.next_o200k(i) : s.next_cl100k(i);
        std::size_t len = e - i;
        std::uint32_t whole = t.find(p + i, len);
        if (whole != tables::none) {
            sink(whole);
        } else if (len <= short_piece) {
            merge_short(t, p + i, len, sink);
        } else {
            merge_long(t, p + i, len, sink);
        }
        i = e;
    }
}

void encoder::encode(std::string_view text, std::vector<std::uint32_t>& ids) const {
    auto sink = [&ids](std::uint32_t id) { ids.push_back(id); };
    run(text, sink);
}

std::size_t encoder::count(std::string_view text) const {
    std::size_t n = 0;
    auto sink = [&n](std::uint32_t) { n++; };
    run(text, sink);
    return n;
}

}  // namespace aigw::tokenizer
