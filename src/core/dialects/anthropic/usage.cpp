#include "aigw/dialects/anthropic/usage.hpp"

#include <simdjson.h>

#include "core/text/json_walk.hpp"

namespace aigw::anthropic {

bool usage_counts::any() const noexcept {
    return input_tokens || cache_creation_input_tokens || cache_read_input_tokens ||
           output_tokens;
}

void usage_counts::merge(const usage_counts& later) noexcept {
    auto fold = [](std::optional<std::int64_t>& mine, const std::optional<std::int64_t>& theirs) {
        if (theirs && (!mine || *theirs > *mine)) mine = theirs;
    };
    fold(input_tokens, later.input_tokens);
    fold(cache_creation_input_tokens, later.cache_creation_input_tokens);
    fold(cache_read_input_tokens, later.cache_read_input_tokens);
    fold(output_tokens, later.output_tokens);
}

usage usage_counts::canonical() const noexcept {
    usage u;
    if (!any()) return u;
    std::int64_t written = cache_creation_input_tokens.value_or(0);
    std::int64_t read = cache_read_input_tokens.value_or(0);
    u.prompt_tokens = saturating_add(saturating_add(input_tokens.value_or(0), written), read);
    u.cached_tokens = read;
    u.cache_write_tokens = written;
    u.completion_tokens = output_tokens.value_or(0);
    u.total_tokens = saturating_add(u.prompt_tokens, u.completion_tokens);
    u.present = true;
    return u;
}

usage_counts usage_counts::from_canonical(const usage& u) noexcept {
    auto count = [](std::int64_t n) { return n < 0 ? std::int64_t{0} : n; };
    usage_counts c;
    c.cache_read_input_tokens = count(u.cached_tokens);
    c.cache_creation_input_tokens = count(u.cache_write_tokens);
    std::int64_t input = count(u.prompt_tokens) - *c.cache_read_input_tokens;
    input = input < 0 ? 0 : input - *c.cache_creation_input_tokens;
    c.input_tokens = count(input);
    c.output_tokens = count(u.completion_tokens);
    return c;
}

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

using json_walk::for_each_field;
using json_walk::for_each_item;
using json_walk::read_count;

error_code read_counts(od::value v, usage_counts& c) {
    c = usage_counts{};  // a later "usage" member replaces an earlier one, as in JSON.parse
    return for_each_field(v, [&](std::string_view key, od::value inner) {
        if (key == "input_tokens") return read_count(inner, c.input_tokens);
        if (key == "cache_creation_input_tokens") return read_count(inner, c.cache_creation_input_tokens);
        if (key == "cache_read_input_tokens") return read_count(inner, c.cache_read_input_tokens);
        if (key == "output_tokens") return read_count(inner, c.output_tokens);
        return simdjson::SUCCESS;
    });
}

struct body_facts {
    usage_counts counts;
    bool produced = false;  // a delta with non-empty text, thinking or partial_json
};

// Collects generated text: content blocks (text, thinking, a tool's name and input) and
// stream deltas (text, thinking, partial_json).
struct text_reader {
    std::string* text;  // appended to when not null
    body_facts& facts;

    void add(std::string_view s) {
        if (text != nullptr) text->append(s.data(), s.size());
    }

    error_code string(od::value v, bool output) {
        od::json_type t;
        if (auto err = v.type().get(t)) return err;
        if (t != od::json_type::string) return simdjson::SUCCESS;
        std::string_view s;
        if (auto err = v.get_string().get(s)) return err;
        add(s);
        facts.produced = facts.produced || (output && !s.empty());
        return simdjson::SUCCESS;
    }

    // A content block, in a Message's content or a content_block_start. A tool's input is
    // read from a whole block only: content_block_start has {} and the deltas bring the input.
    error_code block(od::value v, bool whole) {
        return for_each_field(v, [&](std::string_view key, od::value inner) -> error_code {
            if (key == "text" || key == "thinking" || key == "name") return string(inner, false);
            if (key != "input" || !whole || text == nullptr) return simdjson::SUCCESS;
            od::json_type t;
            if (auto err = inner.type().get(t)) return err;
            if (t != od::json_type::object) return simdjson::SUCCESS;
            od::object o;
            std::string_view raw;
            if (auto err = inner.get_object().get(o)) return err;
            if (auto err = o.raw_json().get(raw)) return err;  // iterative: any depth
            add(raw);
            return simdjson::SUCCESS;
        });
    }

    error_code delta(od::value v) {
        return for_each_field(v, [&](std::string_view key, od::value inner) {
            if (key == "text" || key == "thinking" || key == "partial_json") return string(inner, true);
            return simdjson::SUCCESS;
        });
    }

    error_code blocks(od::value v) {
        return for_each_item(v, [&](od::value item) { return block(item, true); });
    }
};

// A Message body, or one stream event's data: the members that carry usage or output, at the
// top level and in message_start's "message".
error_code read_body(od::document& doc, std::string* text, body_facts& facts) {
    text_reader reader{text, facts};
    od::object top;
    if (auto err = doc.get_object().get(top)) return err;
    for (auto field : top) {
        std::string_view key;
        if (auto err = json_walk::key_of(field, key)) return err;
        od::value v;
        if (auto err = field.value().get(v)) return err;
        error_code err = simdjson::SUCCESS;
        if (key == "usage") {
            err = read_counts(v, facts.counts);
        } else if (key == "content") {
            err = reader.blocks(v);
        } else if (key == "content_block") {
            err = reader.block(v, false);
        } else if (key == "delta") {
            err = reader.delta(v);
        } else if (key == "message") {
            err = for_each_field(v, [&](std::string_view inner_key, od::value inner) {
                if (inner_key == "usage") return read_counts(inner, facts.counts);
                if (inner_key == "content") return reader.blocks(inner);
                return simdjson::SUCCESS;
            });
        }
        if (err) return err;
    }
    return json_walk::at_end(doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

// False on any JSON error or a top level that is not an object; `text` is appended to only
// on success.
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
    if (read_body(doc, text != nullptr ? &scratch : nullptr, facts)) return false;
    if (text != nullptr) text->append(scratch);
    return true;
}

chunk_info chunk(std::string_view data, std::string* text, usage_counts* counts) noexcept {
    try {
        body_facts facts;
        if (!read_json(data, text, facts)) return chunk_info{};
        chunk_info info;
        info.json_object = true;
        info.tokens = facts.counts.canonical();
        info.content_bearing = facts.produced;
        if (counts != nullptr) *counts = facts.counts;
        return info;
    } catch (...) {
        return chunk_info{};  // only allocation can throw
    }
}

// One stream's usage: the four counts merged over its events (usage.hpp).
class stream_counts final : public stream_usage {
public:
    chunk_info read_chunk(std::string_view data, std::string* text) noexcept override {
        usage_counts c;
        chunk_info info = chunk(data, text, &c);
        counts_.merge(c);
        return info;
    }

    usage total() const noexcept override { return counts_.canonical(); }

private:
    usage_counts counts_;
};

class messages_usage final : public usage_parser {
public:
    // Usage only in "usage" members (usage.hpp): chunks without one can wait unread.
    bool defers_unreported_chunks() const noexcept override { return true; }

    usage read_response(std::string_view body, std::string* completion_text) const noexcept override {
        try {
            body_facts facts;
            if (!read_json(body, completion_text, facts)) return usage{};
            return facts.counts.canonical();
        } catch (...) {
            return usage{};
        }
    }

    chunk_info read_chunk(std::string_view data, std::string* text) const noexcept override {
        return chunk(data, text, nullptr);
    }

    std::unique_ptr<stream_usage> stream_reader() const override {
        return std::make_unique<stream_counts>();
    }
};

}  // namespace

const usage_parser& usage_reader() noexcept {
    static const messages_usage parser;
    return parser;
}

}  // namespace aigw::anthropic
