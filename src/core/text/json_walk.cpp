#include "core/text/json_walk.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "aigw/text/hex.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace aigw::json_walk {

namespace od = simdjson::ondemand;

simdjson::error_code parse(simdjson::dom::parser& parser, std::string_view json,
                           simdjson::dom::element& out) {
    constexpr std::size_t depth = max_depth;
    // The parser keeps its buffers; it is sized again only when a larger input comes.
    if (parser.max_depth() != depth || parser.capacity() < json.size()) {
        std::size_t capacity =
            std::max<std::size_t>(json.size(), simdjson::dom::MINIMAL_DOCUMENT_CAPACITY);
        if (auto err = parser.allocate(capacity, depth)) return err;
    }
    return parser.parse(json.data(), json.size()).get(out);
}

std::string object_json(std::string_view json) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::object o;
    if (json.empty() || parse(parser, json, doc) || doc.get_object().get(o)) return "{}";
    return simdjson::minify(o);
}

std::optional<std::int64_t> count_of(simdjson::dom::element v) noexcept {
    std::int64_t n = 0;
    if (v.get_int64().get(n)) {
        double d = 0;
        if (v.get_double().get(d) || !(d >= 0 && d <= 9007199254740992.0) ||
            static_cast<double>(static_cast<std::int64_t>(d)) != d) {
            return std::nullopt;
        }
        n = static_cast<std::int64_t>(d);
    }
    if (n < 0) return std::nullopt;
    return n;
}

std::string_view string_member(simdjson::dom::object o, std::string_view key) noexcept {
    std::string_view s;
    return o[key].get_string().get(s) == simdjson::SUCCESS ? s : std::string_view();
}

simdjson::padded_string_view padded_in(std::string& buf, std::string_view json) {
    constexpr std::size_t keep_max = 256 * 1024;
    std::size_t need = json.size() + simdjson::SIMDJSON_PADDING;
    if (buf.capacity() > keep_max && need <= keep_max) {
        std::string().swap(buf);
    }
    buf.assign(json.data(), json.size());
    buf.append(simdjson::SIMDJSON_PADDING, ' ');
    return simdjson::padded_string_view(buf.data(), json.size(), buf.size());
}

namespace {

// The four hex digits at p (at least four bytes), as a code unit; false when one is not hex.
bool hex4(const char* p, std::uint32_t& out) noexcept {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        int d = hex_digit_value(p[i]);
        if (d < 0) return false;
        v = (v << 4) | static_cast<std::uint32_t>(d);
    }
    out = v;
    return true;
}

// escape_end's \u: the byte after it (after both halves of a surrogate pair), or nullptr.
const char* unicode_escape_end(const char* p, const char* end) noexcept {
    std::uint32_t unit = 0;
    if (end - p < 6 || !hex4(p + 2, unit)) return nullptr;
    p += 6;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return nullptr;
    if (unit < 0xD800 || unit > 0xDBFF) return p;
    std::uint32_t low = 0;
    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, low) || low < 0xDC00 || low > 0xDFFF) {
        return nullptr;
    }
    return p + 6;
}

// The byte after the escape that starts at p (a backslash before end), or nullptr for one
// simdjson refuses: another letter than "\/bfnrtu, a \u without four hex digits, a high
// surrogate without a \u low one after it, a low surrogate alone.
inline const char* escape_end(const char* p, const char* end) noexcept {
    if (end - p < 2) return nullptr;
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return p + 2;
    case 'u':
        return unicode_escape_end(p, end);
    default:
        return nullptr;
    }
}

#if defined(__SSE2__)
// The backslashes among the 64 bytes at p, a bit each.
inline std::uint64_t backslashes(const char* p) noexcept {
    const __m128i backslash = _mm_set1_epi8('\\');
    std::uint64_t mask = 0;
    for (int i = 0; i < 4; ++i) {
        __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
        auto bits = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, backslash)));
        mask |= static_cast<std::uint64_t>(bits) << (16 * i);
    }
    return mask;
}
#endif

}  // namespace

simdjson::error_code check_escapes(std::string_view raw) noexcept {
    const char* p = raw.data();
    const char* end = p + raw.size();
    const char* next = p;  // the first byte after the escapes checked
#if defined(__SSE2__)
    // 64 bytes a step: most text has no backslash, and code one or two a line. A backslash
    // inside an escape checked already (the second of "\\", a pair's second "\u") is passed.
    for (; end - p >= 64; p += 64) {
        for (std::uint64_t mask = backslashes(p); mask != 0; mask &= mask - 1) {
            const char* at = p + __builtin_ctzll(mask);
            if (at < next) continue;
            next = escape_end(at, end);
            if (next == nullptr) return simdjson::STRING_ERROR;
        }
    }
#endif
    if (p < next) p = next;
    while (p < end) {
        const void* found = std::memchr(p, '\\', static_cast<std::size_t>(end - p));
        if (found == nullptr) break;
        p = escape_end(static_cast<const char*>(found), end);
        if (p == nullptr) return simdjson::STRING_ERROR;
    }
    return simdjson::SUCCESS;
}

namespace body_parser {

namespace {

struct shared {
    od::parser parser;
    od::document doc;
    const char* data = nullptr;  // the body remembered, when `remembered`
    std::size_t len = 0;
    bool remembered = false;
    int holds = 0;
    std::uint64_t reuses = 0;
};

shared& state() {
    static shared s;  // a worker's: NGINX runs a worker's requests on one thread
    return s;
}

}  // namespace

simdjson::error_code iterate(simdjson::padded_string_view json, od::document*& doc) {
    shared& s = state();
    s.remembered = false;
    doc = &s.doc;
    return s.parser.iterate(json).get(s.doc);
}

void remember(simdjson::padded_string_view json) noexcept {
    shared& s = state();
    if (s.holds == 0) return;
    s.data = json.data();
    s.len = json.length();
    s.remembered = true;
}

simdjson::error_code again(simdjson::padded_string_view json, od::document*& doc) {
    shared& s = state();
    if (s.remembered && s.holds > 0 && json.data() == s.data && json.length() == s.len) {
        s.doc.rewind();
        ++s.reuses;
        doc = &s.doc;
        return simdjson::SUCCESS;
    }
    return iterate(json, doc);
}

void hold() noexcept { ++state().holds; }

std::uint64_t reuses() noexcept { return state().reuses; }

void release() noexcept {
    shared& s = state();
    if (s.holds > 0 && --s.holds == 0) s.remembered = false;
}

}  // namespace body_parser

std::string_view string_raw(std::string_view token) noexcept {
    std::size_t n = token_end(token);
    return n >= 2 ? token.substr(1, n - 2) : std::string_view();
}

namespace {

// consume's walk; the value by reference, as each level passes its own to the next.
simdjson::error_code walk(od::value& v, int depth) {
    if (depth > max_depth) {
        return simdjson::DEPTH_ERROR;
    }
    od::json_type t;
    if (auto err = v.type().get(t)) {
        return err;
    }
    switch (t) {
    case od::json_type::object: {
        od::object o;
        if (auto err = v.get_object().get(o)) return err;
        for (auto field : o) {
            std::string_view key;  // read as the readers read it: a key without escapes as it is
            if (auto err = key_of(field, key)) return err;
            if (auto err = walk(field.value_unsafe().value(), depth + 1)) return err;
        }
        return simdjson::SUCCESS;
    }
    case od::json_type::array: {
        od::array a;
        if (auto err = v.get_array().get(a)) return err;
        for (auto item : a) {
            od::value inner;
            if (auto err = item.get(inner)) return err;
            if (auto err = walk(inner, depth + 1)) return err;
        }
        return simdjson::SUCCESS;
    }
    case od::json_type::string:
        // Stage 1 checked its UTF-8 and that no control character is bare.
        return check_escapes(string_raw(v.raw_json_token()));
    case od::json_type::number: {
        od::number n;
        return v.get_number().get(n);
    }
    case od::json_type::boolean: {
        bool b;
        return v.get_bool().get(b);
    }
    case od::json_type::null: {
        bool is_null = false;
        if (auto err = v.is_null().get(is_null)) return err;
        return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
    }
    return simdjson::INCORRECT_TYPE;
}

}  // namespace

// Every value is read with the getter of its type, which is what validates it; a string's
// escapes are checked where they are, not written out.
simdjson::error_code consume(od::value v, int depth) {
    return walk(v, depth);
}

bool at_end(od::document& doc) {
    const char* loc = nullptr;
    return doc.current_location().get(loc) == simdjson::OUT_OF_BOUNDS;
}

std::string_view type_phrase(od::json_type t) {
    switch (t) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
    }
    return "an unknown type";
}

// A document is not a value in On-Demand; non-object tops are consumed by their own getters.
simdjson::error_code consume_document(od::document& doc, od::json_type top) {
    simdjson::error_code err = simdjson::SUCCESS;
    switch (top) {
    case od::json_type::array: {
        od::array a;
        if ((err = doc.get_array().get(a))) return err;
        for (auto item : a) {
            od::value inner;
            if ((err = item.get(inner))) return err;
            if ((err = consume(inner, 1))) return err;
        }
        break;
    }
    case od::json_type::string: {
        std::string_view s;
        err = doc.get_string().get(s);
        break;
    }
    case od::json_type::number: {
        od::number n;
        err = doc.get_number().get(n);
        break;
    }
    case od::json_type::boolean: {
        bool b;
        err = doc.get_bool().get(b);
        break;
    }
    case od::json_type::null: {
        bool is_null = false;
        if ((err = doc.is_null().get(is_null))) return err;
        if (!is_null) return simdjson::N_ATOM_ERROR;
        break;
    }
    case od::json_type::object:
        break;
    }
    if (err) return err;
    return at_end(doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

// The raw token of a string value runs from its opening quote to the next structural
// character; trailing white space is not part of the value.
std::size_t token_end(std::string_view token) {
    std::size_t n = token.size();
    while (n > 0 && (token[n - 1] == ' ' || token[n - 1] == '\t' || token[n - 1] == '\n' ||
                     token[n - 1] == '\r')) {
        --n;
    }
    return n;
}

simdjson::error_code read_count(od::value v, std::optional<std::int64_t>& out) {
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != od::json_type::number) return simdjson::SUCCESS;
    od::number n;
    if (auto err = v.get_number().get(n)) return err;
    switch (n.get_number_type()) {
    case od::number_type::signed_integer:
        if (n.get_int64() >= 0) out = n.get_int64();
        break;
    case od::number_type::floating_point_number: {
        // Beyond 2^53 a double is no longer a count.
        double d = n.get_double();
        if (d >= 0 && d <= 9007199254740992.0 && std::floor(d) == d) {
            out = static_cast<std::int64_t>(d);
        }
        break;
    }
    case od::number_type::unsigned_integer:  // >= 2^63: nothing real
        break;
    }
    return simdjson::SUCCESS;
}

}  // namespace aigw::json_walk
