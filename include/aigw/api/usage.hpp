// The canonical usage: token counts of one request, whatever dialect the upstream spoke, and the
// interface a dialect implements to read them from its whole responses and streamed chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace aigw {

// prompt_tokens are all input tokens (cached ones included), completion_tokens all output
// tokens (reasoning included), as OpenAI counts them; a dialect that counts otherwise converts.
struct usage {
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t total_tokens = 0;      // prompt + completion when the upstream left it out
    std::int64_t cached_tokens = 0;     // prompt tokens read from the provider's cache
    // Prompt tokens written to the provider's cache (Anthropic's cache_creation_input_tokens,
    // billed above plain input); 0 for providers that cache without saying so.
    std::int64_t cache_write_tokens = 0;
    std::int64_t reasoning_tokens = 0;  // completion tokens spent on reasoning
    bool present = false;               // the upstream reported these counts
    bool estimated = false;             // the counts are our estimate: the upstream reported none
};

// a + b for non-negative counts, the largest int64 instead of an overflow.
std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept;

// An estimate for a request the upstream reported no usage for.
usage estimated_usage(std::int64_t prompt_tokens, std::int64_t completion_tokens);

// What one streamed chunk (an SSE event's data) tells the gateway.
struct chunk_info {
    usage tokens;                  // present only when this chunk carried usage
    bool json_object = false;      // the data parsed as a JSON object; nothing below is set otherwise
    bool usage_only = false;       // choices is [] and usage present: the include_usage chunk
    bool content_bearing = false;  // the model produced output here: for time to first token
};

// Where a body's or a chunk's model member is, found by the same parse as its usage: the
// offsets in the JSON of its string token, quotes included. The member is the one the
// dialect's own rename_response_model / rename_event_model changes (OpenAI's top-level
// "model", Gemini's top-level "modelVersion"), so that a passthrough answer is renamed without
// a second parse. Set only when the member is there once, is a string written without
// escapes, and the JSON read as an object; {0, 0} otherwise, and always from a dialect whose
// reader does not say (the default).
struct model_token {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool found() const noexcept { return end > begin; }
};

// The usage of one stream, read chunk by chunk in order (usage_parser::stream_reader()). A
// dialect that reports a stream's usage in pieces (Anthropic: the input counts in its first
// event, the output counts in its last) combines them here; the glue keeps one per stream.
class stream_usage {
public:
    virtual ~stream_usage() = default;
    // As usage_parser::read_chunk, whose `tokens` stay what this chunk alone reported; the
    // chunk's counts are folded into total() as the dialect defines.
    virtual chunk_info read_chunk(std::string_view data, std::string* text) noexcept = 0;
    // read_chunk, and the chunk's model token (usage_parser::read_chunk_model).
    virtual chunk_info read_chunk_model(std::string_view data, std::string* text,
                                        model_token* model) noexcept {
        *model = model_token{};
        return read_chunk(data, text);
    }
    // The stream's usage so far: present once a chunk reported usage.
    virtual usage total() const noexcept = 0;
};

// Whether a chunk's data may report usage, without parsing it: false only when it is an
// object ("{" first) whose every "usage" member is null ("usage":null, white space allowed)
// and it holds no \u escape (the one way a key can spell "usage" without those bytes). A
// word "usage" in text is no member; anything else says true, and the chunk is parsed.
bool chunk_may_report_usage(std::string_view data) noexcept;

// One dialect's usage reading (dialect::usage_reader()). The glue holds a `const usage_parser&`
// and never looks inside a body itself.
// Inputs need no padding: they are copied into a padded buffer first (one memcpy, which is
// small next to parsing). Nothing throws: malformed JSON, nulls and wrong types read as
// "no usage", and a field of the wrong type is skipped. Values the reader skips (an
// embedding's floats, ids) are checked for structure only, not fully validated: reading a
// large response costs little more than finding its "usage".
class usage_parser {
public:
    virtual ~usage_parser() = default;

    // Usage of a whole response body (chat.completion, text_completion, embeddings list).
    // When `completion_text` is not null the generated text is appended to it, for an estimate.
    virtual usage read_response(std::string_view body, std::string* completion_text) const noexcept = 0;

    using model_token = aigw::model_token;

    // read_response, and the body's model token: a model renamed in a JSON answer needs no
    // second parse of it.
    virtual usage read_response_model(std::string_view body, std::string* completion_text,
                                      model_token* model) const noexcept {
        *model = model_token{};
        return read_response(body, completion_text);
    }

    // Everything the stream path needs from one chunk, in one parse. When `text` is not null
    // the text this chunk generated (content, reasoning, tool-call names and arguments,
    // refusal) is appended to it.
    virtual chunk_info read_chunk(std::string_view data, std::string* text) const noexcept = 0;

    // read_chunk, and the chunk's model token, as read_response_model for a whole body.
    virtual chunk_info read_chunk_model(std::string_view data, std::string* text,
                                        model_token* model) const noexcept {
        *model = model_token{};
        return read_chunk(data, text);
    }
    // Whether read_response_model and read_chunk_model find model tokens (the defaults do
    // not): when they do not, reading a chunk for its token alone is wasted.
    virtual bool reads_model_token() const noexcept { return false; }

    // A reader for one stream. The default keeps the last chunk's usage that was present:
    // right for a dialect that reports a stream's usage whole in one chunk (OpenAI's last).
    // May throw std::bad_alloc.
    virtual std::unique_ptr<stream_usage> stream_reader() const;

    // Whether the glue may leave a stream chunk that chunk_may_report_usage() says reports no
    // usage unread, and read its text later (in order, and only when the text is counted:
    // the stream ended without usage, or was cut). True for a reader whose chunks report
    // usage only in members named "usage", null when there is none. The default: every chunk
    // is read as it comes.
    virtual bool defers_unreported_chunks() const noexcept { return false; }

    // Single-question forms of read_response and read_chunk.
    usage from_response(std::string_view body) const noexcept { return read_response(body, nullptr); }
    usage from_chunk(std::string_view data) const noexcept { return read_chunk(data, nullptr).tokens; }
    bool is_usage_only_chunk(std::string_view data) const noexcept { return read_chunk(data, nullptr).usage_only; }
    bool is_content_bearing(std::string_view data) const noexcept { return read_chunk(data, nullptr).content_bearing; }
    // The text to count for a completion estimate; empty on any error.
    std::string streamed_text(std::string_view data) const noexcept;
};

}  // namespace aigw
