// Exact token counts: a byte-pair-encoding tokenizer identical in token ids to OpenAI's
// tiktoken (`encode_ordinary`) for o200k_base and cl100k_base, for the counts an upstream did
// not report (a stream cut or left before its usage, a server without usage) and for prompt
// counts before a request runs.
//
// The rank tables are tiktoken's own (pinned npm package, checksummed), compiled into the
// module's read-only data at build time; never read from disk or the network at run time. The
// pre-tokenizer is each encoding's regular expression written out by hand (Unicode 16.0
// classes, as the regex engine in tiktoken has them): one pass, no regex engine, no
// backtracking beyond one piece. The merge is tiktoken's (lowest rank first, leftmost among
// equals), with a heap for long pieces so that a megabyte of one character is linear, not
// quadratic, in work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace aigw::tokenizer {

// `estimate` is the heuristic of accounting/token_estimate.hpp, for models whose tokenizer is
// not public (Claude, Gemini): it is never called exact.
enum class encoding_id : std::uint8_t { estimate = 0, o200k_base, cl100k_base };

// "estimate", "o200k_base", "cl100k_base".
std::string_view encoding_name(encoding_id id) noexcept;

// The id of one of the names above; false for any other text.
bool parse_encoding(std::string_view name, encoding_id& id) noexcept;

// OpenAI's encoding for a model name, by prefix: gpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1*, o3*,
// o4*, chatgpt-4o*, gpt-oss* -> o200k_base; other gpt-4*, gpt-3.5*, text-embedding-3*,
// text-embedding-ada-002 -> cl100k_base; anything else -> estimate. A "ft:" prefix
// (fine-tuned models) is looked through.
encoding_id encoding_for_model(std::string_view model) noexcept;

// Builds the lookup indexes of both encodings (7.5 MB, heap): the module calls it in the
// master process before the workers fork, so that every worker shares them copy-on-write.
// Anything that encodes calls it too (once; thread-safe). False when memory ran out or the
// compiled-in tables are damaged; encoders then count by the estimate.
bool preload() noexcept;

class encoder {
public:
    // The encoder of o200k_base or cl100k_base; null for `estimate`, or when preload() failed.
    static const encoder* get(encoding_id id) noexcept;

    // tiktoken's encode_ordinary(text): special tokens such as <|endoftext|> are plain text.
    // Invalid UTF-8 is first replaced as a WHATWG decoder replaces it (U+FFFD per maximal
    // invalid subpart), which is what tiktoken gets from a JavaScript or Python caller that
    // decoded the same bytes. The ids are appended. May throw std::bad_alloc.
    void encode(std::string_view text, std::vector<std::uint32_t>& ids) const;

    // The number of ids encode() gives, without keeping them. May throw std::bad_alloc.
    std::size_t count(std::string_view text) const;

    // The bytes of one token (empty for an id outside the table).
    std::string_view token(std::uint32_t id) const noexcept;

    // Number of tokens in the table.
    std::uint32_t size() const noexcept;

    encoding_id id() const noexcept { return id_; }

    struct tables;
    encoder(encoding_id id, const tables* t) noexcept : id_(id), t_(t) {}

private:
    template <class Sink>
    void run(std::string_view text, Sink& sink) const;

    encoding_id id_;
    const tables* t_;
};

}  // namespace aigw::tokenizer
