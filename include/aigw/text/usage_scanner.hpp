// The usage of a JSON response read as its bytes pass, without holding the response: for
// answers too large to keep whole (logprobs with top_logprobs can make a chat completion of
// tens of megabytes, with its usage at the end).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aigw/dialects/openai_chat/usage.hpp"

namespace aigw {

// Fed a response body in pieces split anywhere, it follows the JSON structure (strings and their
// escapes, nesting) and keeps only the text of the top-level "usage" member's value, which
// finish() reads with the usage reader the whole-body path uses. Memory: the usage value (at
// most max_value bytes) and a bit per nesting level, whatever the body's size; no allocation
// per byte.
//
// It agrees with usage_parser::read_response on a whole body: the last top-level "usage" wins
// (a later "usage":null erases an earlier object); a "usage" inside a choice or any other
// nested object is not the response's; a key is compared unescaped ("us\u0061ge" is usage); a
// body whose top level is not an object, that is cut short, has trailing bytes after its object
// or nests deeper than 1024 has no usage. It checks structure (strings, brackets, the top-level
// members' keys, colons and commas), not every token inside the members it skips: a malformed
// number deep in "choices" does not void the usage as it would in the whole-body reader.
class usage_scanner {
public:
    static constexpr std::size_t default_max_value = 64 * 1024;
    static constexpr unsigned max_depth = 1024;

    explicit usage_scanner(std::size_t max_value = default_max_value) : max_value_(max_value) {}

    // The next bytes of the body. Only keeping the usage value allocates (and may throw
    // std::bad_alloc); after a structural error the rest is ignored.
    void feed(std::string_view bytes);

    // The body ended: the usage of its last top-level "usage" member, or none (no usage, a
    // malformed or incomplete body, a usage value over max_value bytes).
    usage finish(const usage_parser& parser) const noexcept;

    bool failed() const { return state_ == state::failed; }
    // The body so far is a complete JSON object (and whatever follows is white space).
    bool complete() const { return state_ == state::after; }
    // A top-level "usage" member has been seen (its value may still be in progress).
    bool found() const { return usage_seen_; }
    // The kept text of the last top-level usage value so far.
    std::string_view value() const { return value_; }

private:
    enum class state : unsigned char {
        before,         // white space before the top-level value
        first_key,      // after the top-level '{': a key or '}'
        next_key,       // after a top-level ',': a key
        key,            // inside a top-level key
        key_escape,     // after a backslash in a top-level key
        colon,          // after a top-level key
        value,          // after a top-level ':'
        string,         // inside a top-level member's string value
        string_escape,  // after a backslash there
        scalar,         // inside a top-level member's number or literal
        nested,         // inside a top-level member's object or array, outside strings
        nested_string,  // inside a string there
        nested_escape,  // after a backslash there
        after_value,    // after a top-level member's value: ',' or '}'
        after,          // after the top-level object: white space only
        failed,
    };

    static constexpr std::size_t key_max = 32;  // "usage" written with every letter as \u00XX is 30

    const char* run(const char* p, const char* end);
    const char* run_nested(const char* p, const char* end);
    void key_byte(unsigned char c);
    void key_ended();
    void keep(const char* from, const char* to);
    void value_ended(const char* to);
    bool push(bool array);
    bool pop(bool array);

    std::size_t max_value_;
    state state_ = state::before;
    unsigned depth_ = 0;                 // open containers, the top-level object included
    std::uint64_t kinds_[max_depth / 64] = {};  // bit per level: 1 for an array
    char key_[key_max] = {};
    std::size_t key_len_ = 0;
    bool key_long_ = false;
    bool key_escaped_ = false;
    bool member_is_usage_ = false;       // the current top-level member is "usage"
    bool keeping_ = false;               // the usage value is in progress
    bool usage_seen_ = false;
    bool value_too_long_ = false;
    const char* keep_from_ = nullptr;    // where the usage value's bytes of this feed start
    std::string value_;
};

}  // namespace aigw
