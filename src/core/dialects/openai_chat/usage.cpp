#include "aigw/dialects/openai_chat/usage.hpp"

#include <cstring>
#include <optional>

#include <simdjson.h>

#include "core/text/json_walk.hpp"

#include "core/dialects/openai_chat/shapes.hpp"

namespace aigw {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using openai_shapes::for_each_field;
using openai_shapes::for_each_item;
using openai_shapes::shape;
using openai_shapes::walk_message;
using openai_shapes::walk_text;

// A count, `ok` when it was one: other types and negative or fractional numbers are "not a
// count", not an error; only malformed JSON is an error.
error_code read_count(od::value v, std::int64_t& out, bool& ok) {
    std::optional<std::int64_t> n;
    if (auto err = json_walk::read_count(v, n)) return err;
    ok = n.has_value();
    if (ok) out = *n;
    return simdjson::SUCCESS;
}

// One count inside a *_details object ({"cached_tokens": 5}).
error_code read_detail(od::value v, std::string_view name, std::int64_t& out) {
    return for_each_field(v, [&](std::string_view key, od::value inner) {
        if (key != name) return simdjson::SUCCESS;
        bool ok = false;
        return read_count(inner, out, ok);
    });
}

error_code read_usage(od::value v, usage& u) {
    u = usage{};
    bool any = false;
    bool total_seen = false;
    // "usage": null in most chunks: not an object, no fields.
    error_code status = for_each_field(v, [&](std::string_view key, od::value inner) {
        bool ok = false;
        error_code err = simdjson::SUCCESS;
        if (key == "prompt_tokens") {
            err = read_count(inner, u.prompt_tokens, ok);
        } else if (key == "completion_tokens") {
            err = read_count(inner, u.completion_tokens, ok);
        } else if (key == "total_tokens") {
            err = read_count(inner, u.total_tokens, ok);
            total_seen = total_seen || ok;
        } else if (key == "prompt_tokens_details") {
            err = read_detail(inner, "cached_tokens", u.cached_tokens);
        } else if (key == "completion_tokens_details") {
            err = read_detail(inner, "reasoning_tokens", u.reasoning_tokens);
        }
        any = any || ok;
        return err;
    });
    if (status) return status;
    if (!any) {
        // Only details, or only counts of the wrong type: nothing to bill on.
        u = usage{};
        return simdjson::SUCCESS;
    }
    if (!total_seen) {
        u.total_tokens = saturating_add(u.prompt_tokens, u.completion_tokens);
    }
    u.present = true;
    return simdjson::SUCCESS;
}

// Collects the generated text of a message, a delta or a completion choice's "text".
struct output_reader {
    std::string* text;  // appended to when not null
    bool& produced;     // set when any of the text is non-empty, or a tool call arrives

    shape read_as(std::string_view key) const {
        bool output = key == "content" || key == "reasoning_content" || key == "reasoning" ||
                      key == "refusal";
        return output ? shape::text_parts : shape::skip;
    }

    void on_text(std::string_view, std::string_view s) {
        if (text != nullptr) text->append(s.data(), s.size());
        produced = produced || !s.empty();
    }

    void on_image() {}

    // A non-empty tool_calls array is output even when its first piece carries only an id.
    void on_tool_call() { produced = true; }
};

error_code read_choice(od::value v, output_reader& reader) {
    return for_each_field(v, [&](std::string_view key, od::value inner) {
        if (key == "delta" || key == "message") return walk_message(inner, reader);
        // /v1/completions puts the generated text here, streamed or not.
        if (key == "text") return walk_text(inner, shape::text_parts, key, reader);
        return simdjson::SUCCESS;
    });
}

struct body_facts {
    usage tokens;
    // The top-level "model" string's token, as offsets from the document's first byte;
    // model_count counts the members named "model" (a second one voids the token).
    std::size_t model_begin = 0;
    std::size_t model_end = 0;
    int model_count = 0;
    bool choices_seen = false;  // "choices" was an array
    bool choices_empty = false;
    bool produced = false;

    model_token model() const {
        return model_count == 1 ? model_token{model_begin, model_end} : model_token{};
    }
};

error_code read_body(od::document& doc, const char* base, std::string* text, body_facts& facts) {
    output_reader reader{text, facts.produced};
    od::object top;
    if (auto err = doc.get_object().get(top)) return err;
    for (auto field : top) {
        std::string_view key;
        if (auto err = json_walk::key_of(field, key)) return err;
        od::value v;
        if (auto err = field.value().get(v)) return err;
        if (key == "model") {
            facts.model_count++;
            od::json_type t;
            if (auto err = v.type().get(t)) return err;
            if (t == od::json_type::string) {
                std::string_view token = v.raw_json_token();
                std::size_t end = json_walk::token_end(token);
                if (token.substr(0, end).find('\\') == std::string_view::npos) {
                    facts.model_begin = static_cast<std::size_t>(token.data() - base);
                    facts.model_end = facts.model_begin + end;
                }
            }
        } else if (key == "usage") {
            // Duplicate keys: the last one wins, as in the client's own parser.
            if (auto err = read_usage(v, facts.tokens)) return err;
        } else if (key == "choices") {
            od::json_type t;
            if (auto err = v.type().get(t)) return err;
            facts.choices_seen = t == od::json_type::array;
            facts.choices_empty = facts.choices_seen;
            auto each = [&](od::value choice) {
                facts.choices_empty = false;
                return read_choice(choice, reader);
            };
            if (auto err = for_each_item(v, each)) return err;
        }
    }
    // Trailing bytes after the object make the whole document invalid (simdjson 3.0 has no
    // document::at_end).
    return json_walk::at_end(doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

// Parses `json` and reads it; false on any JSON error or a top level that is not an object.
// `text` is only appended to on success.
bool read_json(std::string_view json, std::string* text, body_facts& facts) {
    // One parser per worker process: it keeps its buffers between calls.
    static od::parser parser;
    static std::string buf;
    simdjson::padded_string_view padded = json_walk::padded_in(buf, json);
    od::document doc;
    if (parser.iterate(padded).get(doc)) return false;
    od::json_type t;
    if (doc.type().get(t) || t != od::json_type::object) return false;
    std::string scratch;
    if (read_body(doc, padded.data(), text != nullptr ? &scratch : nullptr, facts)) return false;
    if (text != nullptr) text->append(scratch);
    return true;
}

class openai_parser final : public usage_parser {
public:
    // Usage only in "usage" members (usage.hpp): chunks without one can wait unread.
    bool defers_unreported_chunks() const noexcept override { return true; }

    usage read_response(std::string_view body, std::string* completion_text) const noexcept override {
        try {
            body_facts facts;
            if (!read_json(body, completion_text, facts)) return usage{};
            return facts.tokens;
        } catch (...) {
            // Only allocation can throw here; an unreadable body has no usage.
            return usage{};
        }
    }

    usage read_response_model(std::string_view body, std::string* completion_text,
                              model_token* model) const noexcept override {
        *model = model_token{};
        try {
            body_facts facts;
            if (!read_json(body, completion_text, facts)) return usage{};
            *model = facts.model();
            return facts.tokens;
        } catch (...) {
            return usage{};
        }
    }

    chunk_info read_chunk(std::string_view data, std::string* text) const noexcept override {
        model_token unused;
        return read_chunk_model(data, text, &unused);
    }

    chunk_info read_chunk_model(std::string_view data, std::string* text,
                                model_token* model) const noexcept override {
        *model = model_token{};
        chunk_info info;
        try {
            body_facts facts;
            if (!read_json(data, text, facts)) return chunk_info{};
            info.json_object = true;
            info.tokens = facts.tokens;
            info.usage_only = facts.choices_seen && facts.choices_empty && facts.tokens.present;
            info.content_bearing = facts.produced;
            *model = facts.model();
        } catch (...) {
            return chunk_info{};
        }
        return info;
    }

    bool reads_model_token() const noexcept override { return true; }
};

}  // namespace

const usage_parser& openai_usage_parser() {
    static const openai_parser parser;
    return parser;
}

}  // namespace aigw
