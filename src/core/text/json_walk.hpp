// Core-internal: walking simdjson On-Demand values so that every byte of a document is
// validated, not only the fields a reader looks at (On-Demand checks lazily); used wherever a
// document must be known valid before its bytes are spliced. Every dialect's request read
// uses these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace aigw::json_walk {

// Nesting deeper than this is refused (DEPTH_ERROR) rather than recursed into.
inline constexpr int max_depth = 128;

// DOM parsing, for the translators that read a whole document into a tree: `json` into `out`
// (valid until the parser's next parse). Nesting deeper than max_depth is DEPTH_ERROR, so
// walking the tree cannot recurse without bound. The parser keeps its buffers between calls.
simdjson::error_code parse(simdjson::dom::parser& parser, std::string_view json,
                           simdjson::dom::element& out);

// `json` as a compact JSON object, "{}" when it is not one (a tool call's arguments cut short,
// or empty): what Anthropic's tool_use.input and Gemini's functionCall.args must be.
std::string object_json(std::string_view json);

// A token count in a DOM tree: a non-negative integer, or a double that is one (12.0 from a
// compatible server); nullopt for anything else.
std::optional<std::int64_t> count_of(simdjson::dom::element v) noexcept;

// A DOM object's string member, "" when missing or another type.
std::string_view string_member(simdjson::dom::object o, std::string_view key) noexcept;

// `json` copied into `buf` with the padding simdjson reads past a document's end, as the view
// to iterate. `buf` is a buffer its caller keeps for the thread (a static), so that a reader
// run for every chunk of a stream allocates nothing; one that grew past 256 KiB for a large
// answer is given back on the next small one.
simdjson::padded_string_view padded_in(std::string& buf, std::string_view json);

// Walks `v`, found at nesting level `depth`, to its end, validating it.
simdjson::error_code consume(simdjson::ondemand::value v, int depth);

// True when no token follows what was consumed (simdjson 3.0 has no document::at_end).
bool at_end(simdjson::ondemand::document& doc);

// A document is not a value in On-Demand: a top level of type `top` that is not an object is
// validated through its own getter ("[1," is invalid JSON, "[1]" a valid non-object), then
// nothing may follow it.
simdjson::error_code consume_document(simdjson::ondemand::document& doc,
                                      simdjson::ondemand::json_type top);

// "an array", "a string", ... for an invalid_type error.
std::string_view type_phrase(simdjson::ondemand::json_type t);

// The length of a string's raw token (from its opening quote to the next structural
// character) without the white space after it.
std::size_t token_end(std::string_view token);

// A string's bytes between its quotes as the document has them, from its raw token.
std::string_view string_raw(std::string_view token) noexcept;

// What simdjson's unescaping says of a string whose bytes between the quotes are `raw`, without
// writing its text out: SUCCESS, or STRING_ERROR for an escape it refuses (a letter not one of
// "\/bfnrtu, a \u without four hex digits, a surrogate not in a pair). A string without a
// backslash is its own text.
simdjson::error_code check_escapes(std::string_view raw) noexcept;

// A token count: a non-negative integer, or a float with an integer value (12.0, as some
// compatible servers print it) up to 2^53. `out` is set to it; any other type or value is
// "not a count" and leaves `out` alone, which is no error: only malformed JSON is one.
simdjson::error_code read_count(simdjson::ondemand::value v, std::optional<std::int64_t>& out);

// A field's key as text: the bytes between its quotes when it has no escape (nearly every key;
// nothing is copied), else simdjson's unescaping of it, which refuses a bad escape. The error
// of a field that did not read, else SUCCESS.
inline simdjson::error_code key_of(simdjson::simdjson_result<simdjson::ondemand::field>& field,
                                   std::string_view& key) noexcept {
    if (auto err = field.error()) return err;
    simdjson::ondemand::field& f = field.value_unsafe();
    const char* p = f.key().raw();
#if defined(__SSE2__)
    // 16 bytes a step (one for most keys) to the closing quote, which stage 1 found: no
    // backslash before it, and the key is its bytes. The bytes read past the quote are the
    // document's or its padding.
    for (std::size_t at = 0;; at += 16) {
        __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
        auto quotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8('"'))));
        auto slashes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8('\\'))));
        if (quotes != 0) {
            unsigned end = static_cast<unsigned>(__builtin_ctz(quotes));
            if ((slashes & ((1u << end) - 1)) != 0) break;
            key = std::string_view(p, at + end);
            return simdjson::SUCCESS;
        }
        if (slashes != 0) break;
    }
#else
    const char* q = p;
    while (*q != '"' && *q != '\\') ++q;
    if (*q == '"') {
        key = std::string_view(p, static_cast<std::size_t>(q - p));
        return simdjson::SUCCESS;
    }
#endif
    return f.unescaped_key().get(key);
}

// Calls f(key, value) for each field of an object; any other type is skipped.
template <class F>
simdjson::error_code for_each_field(simdjson::ondemand::value v, F&& f) {
    simdjson::ondemand::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != simdjson::ondemand::json_type::object) return simdjson::SUCCESS;
    simdjson::ondemand::object o;
    if (auto err = v.get_object().get(o)) return err;
    for (auto field : o) {
        std::string_view key;
        if (auto err = key_of(field, key)) return err;
        simdjson::ondemand::value inner;
        if (auto err = field.value().get(inner)) return err;
        if (auto err = f(key, inner)) return err;
    }
    return simdjson::SUCCESS;
}

// Calls f(item) for each item of an array; any other type is skipped.
template <class F>
simdjson::error_code for_each_item(simdjson::ondemand::value v, F&& f) {
    simdjson::ondemand::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != simdjson::ondemand::json_type::array) return simdjson::SUCCESS;
    simdjson::ondemand::array items;
    if (auto err = v.get_array().get(items)) return err;
    for (auto item : items) {
        simdjson::ondemand::value inner;
        if (auto err = item.get(inner)) return err;
        if (auto err = f(inner)) return err;
    }
    return simdjson::SUCCESS;
}

// Calls f(key, value) for each field of a document whose top level is an object, then checks
// that nothing follows the object (TRAILING_CONTENT otherwise).
template <class F>
simdjson::error_code for_each_top_field(simdjson::ondemand::document& doc, F&& f) {
    simdjson::ondemand::object top;
    if (auto err = doc.get_object().get(top)) return err;
    for (auto field : top) {
        std::string_view key;
        if (auto err = key_of(field, key)) return err;
        simdjson::ondemand::value inner;
        if (auto err = field.value().get(inner)) return err;
        if (auto err = f(key, inner)) return err;
    }
    return at_end(doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

// Parses `json` (copied into a padded buffer) with a parser each caller keeps for the process
// (its buffers stay between calls), and calls f(document, base) when the top level is an
// object; `base` is the copy's first byte, for offsets of tokens into `json`. True when f
// returns SUCCESS; false for any JSON error or another top level. Nothing throws but
// std::bad_alloc.
template <class F>
bool read_object(std::string_view json, F&& f) {
    static simdjson::ondemand::parser parser;
    static std::string buf;
    simdjson::padded_string_view padded = padded_in(buf, json);
    simdjson::ondemand::document doc;
    if (parser.iterate(padded).get(doc)) return false;
    simdjson::ondemand::json_type t;
    if (doc.type().get(t) || t != simdjson::ondemand::json_type::object) return false;
    return f(doc, padded.data()) == simdjson::SUCCESS;
}

// The On-Demand parser a client's request body is read with, shared by the request read
// (openai_chat's parse_request) and the prompt count, so that a body indexed once (stage 1, a
// cycle or so a byte) is not indexed again. The read iterates the body here and, when it read
// it whole and valid, remembers it; the count asks for the same body again and, while a hold
// lasts, walks the read's document rewound. The glue holds across its synchronous handling of
// a body just read, when nothing changes the body's bytes and the body stays where it is; out
// of a hold nothing is remembered and every call indexes its input.
namespace body_parser {

// Indexes `json`, forgetting what was remembered: `doc` is valid until the next call here.
simdjson::error_code iterate(simdjson::padded_string_view json, simdjson::ondemand::document*& doc);
// The body last iterated, `json`, was read whole and valid (remembered only in a hold).
void remember(simdjson::padded_string_view json) noexcept;
// `json` again: the remembered document rewound when it is the same bytes in the same place
// and a hold lasts, else as iterate.
simdjson::error_code again(simdjson::padded_string_view json, simdjson::ondemand::document*& doc);
void hold() noexcept;
void release() noexcept;
// How many times again() rewound the read's document (for tests).
std::uint64_t reuses() noexcept;

}  // namespace body_parser

// Calls f(string) when v is a string; any other type is skipped.
template <class F>
simdjson::error_code if_string(simdjson::ondemand::value v, F&& f) {
    simdjson::ondemand::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != simdjson::ondemand::json_type::string) return simdjson::SUCCESS;
    std::string_view s;
    if (auto err = v.get_string().get(s)) return err;
    f(s);
    return simdjson::SUCCESS;
}

}  // namespace aigw::json_walk
