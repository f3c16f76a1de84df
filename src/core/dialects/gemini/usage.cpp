#include "aigw/dialects/gemini/usage.hpp"

#include <optional>

#include <simdjson.h>

#include "core/text/json_walk.hpp"

namespace aigw::gemini {

usage usage_metadata::canonical() const noexcept {
    usage u;
    if (!any) return u;
    u.prompt_tokens = saturating_add(prompt, tool_use);
    u.cached_tokens = cached;
    u.completion_tokens = saturating_add(candidates, thoughts);
    u.reasoning_tokens = thoughts;
    u.total_tokens = saturating_add(u.prompt_tokens, u.completion_tokens);
    u.present = true;
    return u;
}

usage_metadata usage_metadata::from_canonical(const usage& u) noexcept {
    auto count = [](std::int64_t n) { return n < 0 ? std::int64_t{0} : n; };
    usage_metadata m;
    m.prompt = count(u.prompt_tokens);
    m.cached = count(u.cached_tokens);
    m.thoughts = count(u.reasoning_tokens);
    m.candidates = count(count(u.completion_tokens) - m.thoughts);
    m.any = u.present;
    return m;
}

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

using json_walk::for_each_field;
using json_walk::for_each_item;

error_code read_counts(od::value v, usage_metadata& m) {
    m = usage_metadata{};  // a later "usageMetadata" member replaces an earlier one, as in JSON.parse
    return for_each_field(v, [&](std::string_view key, od::value inner) -> error_code {
        std::int64_t* slot = nullptr;
        if (key == "promptTokenCount") {
            slot = &m.prompt;
        } else if (key == "cachedContentTokenCount") {
            slot = &m.cached;
        } else if (key == "candidatesTokenCount") {
            slot = &m.candidates;
        } else if (key == "thoughtsTokenCount") {
            slot = &m.thoughts;
        } else if (key == "toolUsePromptTokenCount") {
            slot = &m.tool_use;
        }
        if (slot == nullptr) return simdjson::SUCCESS;
        std::optional<std::int64_t> n;
        if (auto err = json_walk::read_count(inner, n)) return err;
        if (n) {
            *slot = *n;
            m.any = true;
        }
        return simdjson::SUCCESS;
    });
}

struct body_facts {
    usage_metadata counts;
    bool produced = false;  // a part with non-empty text, or a functionCall
    // The top-level "modelVersion" string token (response.cpp renames it), as offsets from
    // the document's first byte; a second member of that name voids it.
    std::size_t model_begin = 0;
    std::size_t model_end = 0;
    int model_count = 0;

    model_token model() const {
        return model_count == 1 ? model_token{model_begin, model_end} : model_token{};
    }
};

// Collects the generated text of candidates: every part's text (thoughts included), and each
// functionCall's name and args.
struct text_reader {
    std::string* text;  // appended to when not null
    body_facts& facts;

    void add(std::string_view s) {
        if (text != nullptr) text->append(s.data(), s.size());
    }

    error_code function_call(od::value v) {
        od::json_type t;
        if (auto err = v.type().get(t)) return err;
        if (t != od::json_type::object) return simdjson::SUCCESS;
        facts.produced = true;
        return for_each_field(v, [&](std::string_view key, od::value inner) -> error_code {
            if (key == "name") return json_walk::if_string(inner, [&](std::string_view s) { add(s); });
            if (key != "args" || text == nullptr) return simdjson::SUCCESS;
            od::json_type at;
            if (auto err = inner.type().get(at)) return err;
            if (at != od::json_type::object) return simdjson::SUCCESS;
            od::object o;
            std::string_view raw;
            if (auto err = inner.get_object().get(o)) return err;
            if (auto err = o.raw_json().get(raw)) return err;  // iterative: any depth
            add(raw);
            return simdjson::SUCCESS;
        });
    }

    error_code part(od::value v) {
        return for_each_field(v, [&](std::string_view key, od::value inner) -> error_code {
            if (key == "text") {
                return json_walk::if_string(inner, [&](std::string_view s) {
                    add(s);
                    facts.produced = facts.produced || !s.empty();
                });
            }
            if (key == "functionCall") return function_call(inner);
            return simdjson::SUCCESS;
        });
    }

    error_code candidate(od::value v) {
        return for_each_field(v, [&](std::string_view key, od::value inner) -> error_code {
            if (key != "content") return simdjson::SUCCESS;
            return for_each_field(inner, [&](std::string_view content_key, od::value parts) -> error_code {
                if (content_key != "parts") return simdjson::SUCCESS;
                return for_each_item(parts, [&](od::value p) { return part(p); });
            });
        });
    }
};

// The model's string token: its offsets from `base` when written without escapes.
error_code read_model(od::value v, const char* base, body_facts& facts) {
    facts.model_count++;
    facts.model_begin = facts.model_end = 0;
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != od::json_type::string) return simdjson::SUCCESS;
    std::string_view token = v.raw_json_token();
    std::size_t end = json_walk::token_end(token);
    if (token.substr(0, end).find('\\') == std::string_view::npos) {
        facts.model_begin = static_cast<std::size_t>(token.data() - base);
        facts.model_end = facts.model_begin + end;
    }
    return simdjson::SUCCESS;  // skipped as before: the usage reads the same
}

// A GenerateContentResponse, whole or one streamed chunk: the same object.
error_code read_body(od::document& doc, const char* base, std::string* text, body_facts& facts) {
    text_reader reader{text, facts};
    return json_walk::for_each_top_field(doc, [&](std::string_view key, od::value v) -> error_code {
        if (key == "usageMetadata") return read_counts(v, facts.counts);
        if (key == "candidates") return for_each_item(v, [&](od::value c) { return reader.candidate(c); });
        if (key == "modelVersion") return read_model(v, base, facts);
        return simdjson::SUCCESS;
    });
}

// False on any JSON error or a top level that is not an object; `text` is appended to only
// on success.
bool read_json(std::string_view json, std::string* text, body_facts& facts) {
    std::string scratch;
    bool ok = json_walk::read_object(json, [&](od::document& doc, const char* base) {
        return read_body(doc, base, text != nullptr ? &scratch : nullptr, facts);
    });
    if (ok && text != nullptr) text->append(scratch);
    return ok;
}

class gemini_usage final : public usage_parser {
public:
    usage read_response(std::string_view body, std::string* completion_text) const noexcept override {
        model_token unused;
        return read_response_model(body, completion_text, &unused);
    }

    usage read_response_model(std::string_view body, std::string* completion_text,
                              model_token* model) const noexcept override {
        *model = model_token{};
        try {
            body_facts facts;
            if (!read_json(body, completion_text, facts)) return usage{};
            *model = facts.model();
            return facts.counts.canonical();
        } catch (...) {
            return usage{};  // only allocation can throw
        }
    }

    chunk_info read_chunk(std::string_view data, std::string* text) const noexcept override {
        model_token unused;
        return read_chunk_model(data, text, &unused);
    }

    chunk_info read_chunk_model(std::string_view data, std::string* text,
                                model_token* model) const noexcept override {
        *model = model_token{};
        try {
            body_facts facts;
            if (!read_json(data, text, facts)) return chunk_info{};
            chunk_info info;
            info.json_object = true;
            info.tokens = facts.counts.canonical();
            info.content_bearing = facts.produced;
            *model = facts.model();
            return info;
        } catch (...) {
            return chunk_info{};
        }
    }

    bool reads_model_token() const noexcept override { return true; }
};

}  // namespace

const usage_parser& usage_reader() noexcept {
    static const gemini_usage parser;
    return parser;
}

}  // namespace aigw::gemini
