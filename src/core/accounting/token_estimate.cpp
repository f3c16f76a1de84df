#include "aigw/accounting/token_estimate.hpp"

#include <simdjson.h>

#include "core/text/json_walk.hpp"

#include "core/dialects/openai_chat/shapes.hpp"

namespace aigw {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using openai_shapes::for_each_item;
using openai_shapes::if_string;
using openai_shapes::shape;
using openai_shapes::walk_message;

// OpenAI's per-message framing (<|start|>role...<|end|>) and the reply's priming, from their
// cookbook's counting of chat prompts.
constexpr std::int64_t tokens_per_message = 3;
constexpr std::int64_t tokens_per_name = 1;
constexpr std::int64_t tokens_reply_priming = 3;
// A low-detail image's price; a detailed one costs more, so this is a floor.
constexpr std::int64_t tokens_per_image = 85;

// Scripts where one character is about one token in OpenAI's encodings.
bool one_token_each(std::uint32_t cp) {
    return (cp >= 0x3000 && cp <= 0x9FFF) ||  // CJK punctuation, kana, bopomofo, jamo, ideographs
           (cp >= 0xAC00 && cp <= 0xD7AF) ||  // Hangul syllables
           (cp >= 0xF900 && cp <= 0xFAFF) ||  // CJK compatibility ideographs
           (cp >= 0xFF00 && cp <= 0xFFEF);    // full-width forms
}

void tally(std::string_view text, std::int64_t& quarters, std::int64_t& wholes) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            ++quarters;
            ++p;
            continue;
        }
        std::size_t len = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                        : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
        bool valid = len != 0 && static_cast<std::size_t>(end - p) >= len;
        std::uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t i = 1; valid && i < len; i++) {
            valid = (p[i] & 0xC0) == 0x80;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (!valid) {
            // A stray byte: counted like an "other" character so garbage still costs something.
            quarters += 2;
            ++p;
            continue;
        }
        if (len == 4 || one_token_each(cp)) {
            ++wholes;
        } else {
            quarters += 2;
        }
        p += len;
    }
}

std::int64_t tokens_from(std::int64_t quarters, std::int64_t wholes, bool any) noexcept {
    if (!any) return 0;
    std::int64_t t = (quarters + 3) / 4 + wholes;
    return t < 1 ? 1 : t;
}

// Adds the tokens of a string value; other types add nothing.
error_code string_tokens(const tokenizer::encoder* enc, od::value v, std::int64_t& total) {
    return if_string(v, [&](std::string_view s) { total += count_tokens(enc, s); });
}

// Counts one request message: role, content (string or parts: text, refusal, images), name,
// an assistant's tool calls or function_call, tool_call_id.
struct message_counter {
    const tokenizer::encoder* enc;
    std::int64_t& total;

    shape read_as(std::string_view key) const {
        if (key == "content") return shape::content_parts;
        if (key == "role" || key == "name" || key == "tool_call_id" || key == "refusal") {
            return shape::string;
        }
        return shape::skip;
    }

    void on_text(std::string_view key, std::string_view s) {
        std::int64_t tokens = count_tokens(enc, s);
        total += tokens;
        if (key == "name" && tokens != 0) total += tokens_per_name;
    }

    void on_image() { total += tokens_per_image; }

    void on_tool_call() {}
};

error_code message_tokens(const tokenizer::encoder* enc, od::value v, std::int64_t& total) {
    total += tokens_per_message;
    message_counter counter{enc, total};
    return walk_message(v, counter);
}

// prompt / input: a string, an array of strings, an array of token ids, or an array of those.
error_code prompt_tokens(const tokenizer::encoder* enc, od::value v, std::int64_t& total, int depth) {
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t == od::json_type::string) return string_tokens(enc, v, total);
    if (t == od::json_type::number) {
        ++total;  // a token id
        return simdjson::SUCCESS;
    }
    if (depth > 1) return simdjson::SUCCESS;
    return for_each_item(v, [&](od::value inner) { return prompt_tokens(enc, inner, total, depth + 1); });
}

// The tool definitions as the model sees them are a rendering of this JSON; its text is close.
error_code definitions_tokens(const tokenizer::encoder* enc, od::value v, std::int64_t& total) {
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != od::json_type::array) return simdjson::SUCCESS;
    od::array defs;
    if (auto err = v.get_array().get(defs)) return err;
    std::string_view raw;
    if (auto err = defs.raw_json().get(raw)) return err;
    if (raw != "[]") total += count_tokens(enc, raw);
    return simdjson::SUCCESS;
}

error_code request_tokens(const tokenizer::encoder* enc, od::document& doc, std::int64_t& total) {
    od::object top;
    if (auto err = doc.get_object().get(top)) return err;
    bool chat = false;
    for (auto field : top) {
        std::string_view key;
        if (auto err = field.unescaped_key().get(key)) return err;
        od::value v;
        if (auto err = field.value().get(v)) return err;
        error_code err = simdjson::SUCCESS;
        if (key == "messages") {
            od::json_type t;
            if ((err = v.type().get(t))) return err;
            chat = chat || t == od::json_type::array;
            err = for_each_item(v, [&](od::value message) { return message_tokens(enc, message, total); });
        } else if (key == "tools" || key == "functions") {
            err = definitions_tokens(enc, v, total);
        } else if (key == "prompt" || key == "input") {
            err = prompt_tokens(enc, v, total, 0);
        } else if (key == "suffix") {
            err = string_tokens(enc, v, total);
        }
        if (err) return err;
    }
    if (chat) total += tokens_reply_priming;
    return json_walk::at_end(doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

}  // namespace

std::int64_t estimate_tokens(std::string_view text) noexcept {
    token_counter c;
    c.add(text);
    return c.tokens();
}

void token_counter::add(std::string_view text) noexcept {
    tally(text, quarters_, wholes_);
    any_ = any_ || !text.empty();
}

std::int64_t token_counter::tokens() const noexcept {
    return tokens_from(quarters_, wholes_, any_);
}

std::int64_t count_tokens(const tokenizer::encoder* enc, std::string_view text) noexcept {
    if (enc != nullptr) {
        try {
            return static_cast<std::int64_t>(enc->count(text));
        } catch (...) {
            // std::bad_alloc only: the estimate needs no memory.
        }
    }
    return estimate_tokens(text);
}

std::int64_t estimate_prompt_tokens(std::string_view request_body) noexcept {
    return count_prompt_tokens(nullptr, request_body);
}

std::int64_t count_prompt_tokens(const tokenizer::encoder* enc, std::string_view request_body) noexcept {
    try {
        // One parser per worker process: it keeps its buffers between calls.
        static od::parser parser;
        simdjson::padded_string padded(request_body.data(), request_body.size());
        od::document doc;
        if (parser.iterate(padded).get(doc)) return 0;
        od::json_type t;
        if (doc.type().get(t) || t != od::json_type::object) return 0;
        std::int64_t total = 0;
        if (request_tokens(enc, doc, total)) return 0;
        return total;
    } catch (...) {
        // Only allocation can throw here.
        return 0;
    }
}

}  // namespace aigw
