#include "aigw/accounting/token_estimate.hpp"

#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include <simdjson.h>

#include "aigw/api/request.hpp"
#include "aigw/text/text_hash.hpp"
#include "core/text/json_walk.hpp"

#include "core/dialects/openai_chat/shapes.hpp"

namespace aigw {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using openai_shapes::for_each_field;
using openai_shapes::for_each_item;
using openai_shapes::if_string;
using openai_shapes::shape;
using openai_shapes::walk_text;

// OpenAI's per-message framing (<|start|>role...<|end|>) and the reply's priming, from their
// cookbook's counting of chat prompts.
constexpr std::int64_t tokens_per_message = 3;
constexpr std::int64_t tokens_per_name = 1;
constexpr std::int64_t tokens_reply_priming = 3;
// An assistant's call (a tool_calls item, a legacy function_call) costs this besides its name
// and arguments: the call's recipient, as published API counts show.
constexpr std::int64_t tokens_per_call = 3;
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

// What a kept count's key is: a text, a JSON string's bytes between its quotes (with escapes),
// or a tools array's JSON.
enum class key_kind : std::uint8_t { text, escaped, tools };

// The count kept for a key of its kind, else count()'s (defined with the cache).
template <class Count>
std::int64_t cached_count(const tokenizer::encoder* enc, std::string_view key, key_kind kind,
                          Count&& count);

// The tokens of a string with escapes whose bytes between the quotes are `raw`, the string
// value `v`: found by those bytes, unescaped only when not found (defined with the cache).
error_code escaped_tokens(const tokenizer::encoder* enc, std::string_view raw, od::value v,
                          std::int64_t& n);

// Adds the tokens of a string value; other types add nothing. With an encoder a string is
// counted from its bytes as the document has them: without a backslash they are its text, and
// with one the count is looked up by them, so a text counted before is not unescaped again
// (a coding agent's history is mostly escaped code).
error_code string_tokens(const tokenizer::encoder* enc, od::value v, std::int64_t& total) {
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != od::json_type::string) return simdjson::SUCCESS;
    if (enc != nullptr) {
        std::string_view raw = json_walk::string_raw(v.raw_json_token());
        std::int64_t n = 0;
        if (std::memchr(raw.data(), '\\', raw.size()) == nullptr) {
            n = count_tokens(enc, raw);
        } else if (auto err = escaped_tokens(enc, raw, v, n)) {
            return err;
        }
        total += n;
        return simdjson::SUCCESS;
    }
    return if_string(v, [&](std::string_view s) { total += count_tokens(enc, s); });
}

// The function names of the calls an assistant made earlier in the request, by call id, for
// the tool messages that answer them (the ids stay in the parser's buffer). Hashed: a body of
// many calls and answers costs linear time.
struct call_names {
    std::unordered_map<std::string_view, std::int64_t> by_id;

    void add(std::string_view id, std::int64_t name_tokens) { by_id.insert_or_assign(id, name_tokens); }

    bool find(std::string_view id, std::int64_t& name_tokens) const {
        auto it = by_id.find(id);
        if (it == by_id.end()) return false;
        name_tokens = it->second;
        return true;
    }
};

// Counts one request message. Framing, then who speaks: the role, and a name with one more
// token. A tool's (or legacy function's) answer speaks as the function: its name (the
// message's "name", else the name of the call its tool_call_id answers; the role when neither
// is known) and no role; the call id is never shown to the model. Then the content (a string,
// or parts: text, refusal, images), a refusal, and an assistant's calls: for each, its function
// name and arguments and tokens_per_call.
struct message_counter {
    const tokenizer::encoder* enc;
    call_names& calls;
    std::string_view role;
    std::int64_t role_tokens = 0;
    bool named = false;
    std::int64_t name_tokens = 0;
    std::string_view tool_call_id;
    std::int64_t body = 0;

    // walk_text's visitor, for the content.
    error_code on_text_value(std::string_view, od::value v) { return string_tokens(enc, v, body); }
    void on_image() { body += tokens_per_image; }

    error_code field(std::string_view key, od::value v) {
        if (key == "role") {
            return if_string(v, [&](std::string_view s) {
                role = s;
                role_tokens = count_tokens(enc, s);
            });
        }
        if (key == "name") {
            return if_string(v, [&](std::string_view s) {
                name_tokens = count_tokens(enc, s);
                named = name_tokens != 0;
            });
        }
        if (key == "tool_call_id") return if_string(v, [&](std::string_view s) { tool_call_id = s; });
        if (key == "content") return walk_text(v, shape::content_parts, key, *this);
        if (key == "refusal") return walk_text(v, shape::string, key, *this);
        if (key == "tool_calls") {
            return for_each_item(v, [&](od::value call) { return tool_call(call); });
        }
        if (key == "function_call") {
            std::int64_t unused = 0;
            return function_call(v, unused);
        }
        return simdjson::SUCCESS;
    }

    // {"id":...,"type":"function","function":{"name":...,"arguments":...}}
    error_code tool_call(od::value v) {
        std::string_view id;
        std::int64_t fn_name_tokens = 0;
        if (auto err = for_each_field(v, [&](std::string_view key, od::value inner) -> error_code {
                if (key == "id") return if_string(inner, [&](std::string_view s) { id = s; });
                if (key == "function") return function_call(inner, fn_name_tokens);
                return simdjson::SUCCESS;
            })) {
            return err;
        }
        if (!id.empty()) calls.add(id, fn_name_tokens);
        return simdjson::SUCCESS;
    }

    // {"name":...,"arguments":...}: a tool call's function or a legacy function_call.
    error_code function_call(od::value v, std::int64_t& fn_name_tokens) {
        od::json_type t;
        if (auto err = v.type().get(t)) return err;
        if (t != od::json_type::object) return simdjson::SUCCESS;
        body += tokens_per_call;
        return for_each_field(v, [&](std::string_view key, od::value inner) -> error_code {
            if (key == "name") {
                return if_string(inner, [&](std::string_view s) {
                    fn_name_tokens = count_tokens(enc, s);
                    body += fn_name_tokens;
                });
            }
            if (key == "arguments") return string_tokens(enc, inner, body);
            return simdjson::SUCCESS;
        });
    }

    std::int64_t tokens() const {
        std::int64_t speaker = role_tokens;
        if (role == "tool" || role == "function") {
            std::int64_t answered = 0;
            if (named) {
                speaker = name_tokens;
            } else if (!tool_call_id.empty() && calls.find(tool_call_id, answered)) {
                speaker = answered;
            }
        } else if (named) {
            speaker += name_tokens + tokens_per_name;
        }
        return tokens_per_message + speaker + body;
    }
};

error_code message_tokens(const tokenizer::encoder* enc, call_names& calls, od::value v, std::int64_t& total) {
    message_counter counter{enc, calls, {}, 0, false, 0, {}, 0};
    if (auto err = for_each_field(v, [&](std::string_view key, od::value inner) { return counter.field(key, inner); })) {
        return err;
    }
    total += counter.tokens();
    return simdjson::SUCCESS;
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

// Tool definitions as OpenAI's cookbook counts them ("How to count tokens with tiktoken",
// num_tokens_for_tools): the model sees a rendering of each function, not its JSON, and these
// constants stand for that rendering's fixed parts. The gpt-4o and gpt-4o-mini ones go with
// o200k_base (and with the estimate), the gpt-4 and gpt-3.5-turbo ones with cl100k_base.
struct tool_costs {
    std::int64_t func_init;  // each function
    std::int64_t prop_init;  // a function's parameters, once if they have properties
    std::int64_t prop_key;   // each property
    std::int64_t enum_init;  // a property with an enum (negative: the rendering shares tokens)
    std::int64_t enum_item;  // each enum value, besides its text
    std::int64_t func_end;   // once per request that has any function
};
constexpr tool_costs o200k_tool_costs{7, 3, 3, -3, 3, 12};
constexpr tool_costs cl100k_tool_costs{10, 3, 3, -3, 3, 12};

// JSON Schema nesting walked for nested properties; deeper schemas are not counted.
constexpr int max_schema_depth = 16;

// The cookbook drops one trailing '.' of a description.
std::string_view without_final_period(std::string_view s) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    return s;
}

// A number's, true's, false's or null's JSON text, without the white space after it.
template <class F>
error_code if_scalar_text(od::value v, F&& f) {
    std::string_view token = v.raw_json_token();
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                              token.back() == '\r')) {
        token.remove_suffix(1);
    }
    f(token);
    return simdjson::SUCCESS;
}

// Strings read here stay in the parser's buffer until its next document, so a property's
// type and description can be kept while the rest of its schema is walked.
struct tools_counter {
    const tokenizer::encoder* enc;
    const tool_costs& costs;
    std::int64_t& total;
    bool any_function = false;

    std::int64_t text(std::string_view s) const { return count_tokens(enc, s); }

    // enum values: a string is its text, another scalar its JSON text; an enum with values
    // costs enum_init once and enum_item for each value.
    error_code enum_tokens(od::value v, std::int64_t& sum) const {
        std::int64_t items = 0;
        std::int64_t block = 0;
        if (auto err = for_each_item(v, [&](od::value item) {
                ++items;
                block += costs.enum_item;
                od::json_type t;
                if (auto err = item.type().get(t)) return err;
                if (t == od::json_type::string) return string_tokens(enc, item, block);
                if (t == od::json_type::array || t == od::json_type::object) return simdjson::SUCCESS;
                return if_scalar_text(item, [&](std::string_view s) { block += text(s); });
            })) {
            return err;
        }
        if (items != 0) sum += costs.enum_init + block;
        return simdjson::SUCCESS;
    }

    // One JSON Schema. Its own type, description and enum are reported to the caller (a
    // property's line needs them); what it nests is counted into `sum` here: "properties"
    // as a block of property lines, and the schemas under "items", "anyOf", "oneOf", "allOf",
    // "$defs" and "definitions" walked the same way.
    struct schema_info {
        std::string type;       // "string", or a list of types joined as "string | null"
        std::string_view description;
    };
    error_code schema_tokens(od::value v, int depth, schema_info* info, std::int64_t& sum) {
        if (depth > max_schema_depth) return simdjson::SUCCESS;
        return for_each_field(v, [&](std::string_view key, od::value inner) -> error_code {
            if (key == "properties") return properties_tokens(inner, depth, sum);
            if (key == "enum") return enum_tokens(inner, sum);
            if (key == "items") return schema_tokens(inner, depth + 1, nullptr, sum);
            if (key == "anyOf" || key == "oneOf" || key == "allOf") {
                return for_each_item(inner, [&](od::value s) { return schema_tokens(s, depth + 1, nullptr, sum); });
            }
            if (key == "$defs" || key == "definitions") {
                return for_each_field(inner, [&](std::string_view, od::value s) {
                    return schema_tokens(s, depth + 1, nullptr, sum);
                });
            }
            if (info == nullptr) return simdjson::SUCCESS;
            if (key == "description") {
                return if_string(inner, [&](std::string_view s) { info->description = s; });
            }
            if (key == "type") {
                od::json_type t;
                if (auto err = inner.type().get(t)) return err;
                if (t == od::json_type::string) {
                    return if_string(inner, [&](std::string_view s) { info->type.assign(s); });
                }
                info->type.clear();
                return for_each_item(inner, [&](od::value item) {
                    return if_string(item, [&](std::string_view s) {
                        if (!info->type.empty()) info->type += " | ";
                        info->type += s;
                    });
                });
            }
            return simdjson::SUCCESS;
        });
    }

    // "properties": per property prop_key and its "key:type:description" line (the
    // description without a final '.'), its enum, and whatever it nests; prop_init once for
    // the parameters' own properties (depth 0). The cookbook stops at the first level. Nested
    // properties count the same way but without prop_init: rendered, a nested object is only
    // braces that join the tokens around them, and published API counts of nested schemas are
    // closer without it (still a few tokens over).
    error_code properties_tokens(od::value v, int depth, std::int64_t& sum) {
        std::int64_t block = 0;
        bool any = false;
        if (auto err = for_each_field(v, [&](std::string_view key, od::value schema) {
                any = true;
                block += costs.prop_key;
                schema_info info;
                if (auto err = schema_tokens(schema, depth + 1, &info, block)) return err;
                std::string line(key);
                line += ':';
                line += info.type;
                line += ':';
                line += without_final_period(info.description);
                block += text(line);
                return simdjson::SUCCESS;
            })) {
            return err;
        }
        if (any) sum += (depth == 0 ? costs.prop_init : 0) + block;
        return simdjson::SUCCESS;
    }

    // A function's fields, in whatever order they come: its name, its description, and its
    // schema, "parameters" (OpenAI, Gemini) or "input_schema" (Anthropic).
    struct function_parts {
        std::string_view name;
        std::string_view description;
        std::int64_t parameters = 0;
        bool found = false;
    };

    error_code function_field(std::string_view key, od::value v, function_parts& f) {
        if (key == "name") {
            f.found = true;
            return if_string(v, [&](std::string_view s) { f.name = s; });
        }
        if (key == "description") {
            f.found = true;
            return if_string(v, [&](std::string_view s) { f.description = s; });
        }
        if (key == "parameters" || key == "input_schema") {
            f.found = true;
            return schema_tokens(v, 0, nullptr, f.parameters);
        }
        return simdjson::SUCCESS;
    }

    // A function: func_init, the line "name:description" (the description without a final
    // '.'; only the name when there is none), and the properties of its parameters.
    void add_function(const function_parts& f) {
        if (!f.found) return;
        std::string_view description = without_final_period(f.description);
        std::string line(f.name);
        if (!description.empty()) {
            line += ':';
            line += description;
        }
        total += costs.func_init + text(line) + f.parameters;
        any_function = true;
    }

    error_code function_tokens(od::value v) {
        function_parts f;
        if (auto err = for_each_field(v, [&](std::string_view key, od::value inner) {
                return function_field(key, inner, f);
            })) {
            return err;
        }
        add_function(f);
        return simdjson::SUCCESS;
    }

    // tools: OpenAI Chat's {"type":"function","function":{...}} (a "custom" tool counts its
    // name and description the same way); tools whose function fields are their own, as the
    // Responses API's {"type":"function","name":...,"parameters":...} and Anthropic's
    // {"name":...,"input_schema":...} (so a built-in tool counts by its name); Gemini's
    // {"functionDeclarations":[...]}. The glue counts a client's body in its own dialect.
    error_code tools_tokens(od::value v) {
        return for_each_item(v, [&](od::value tool) {
            function_parts own;
            if (auto err = for_each_field(tool, [&](std::string_view key, od::value inner) -> error_code {
                    if (key == "function" || key == "custom") return function_tokens(inner);
                    if (key == "functionDeclarations" || key == "function_declarations") {
                        return for_each_item(inner, [&](od::value fn) { return function_tokens(fn); });
                    }
                    return function_field(key, inner, own);
                })) {
                return err;
            }
            add_function(own);
            return simdjson::SUCCESS;
        });
    }

    // tools, as tools_tokens, kept by the array's JSON bytes when there is an encoder: an agent
    // sends the same tools, often tens of kilobytes of schemas, with every request, and an
    // array found is skipped, not walked. One not found is walked from an index of its own
    // (the body's walk has passed it); `padded_end` is where the readable bytes after it end.
    error_code kept_tools_tokens(od::value v, const char* padded_end) {
        od::json_type t;
        if (auto err = v.type().get(t)) return err;
        if (enc == nullptr || t != od::json_type::array) return tools_tokens(v);
        od::array items;
        std::string_view raw;
        if (auto err = v.get_array().get(items)) return err;
        if (auto err = items.raw_json().get(raw)) return err;
        error_code err = simdjson::SUCCESS;
        std::int64_t kept = cached_count(enc, raw, key_kind::tools, [&]() -> std::int64_t {
            static od::parser parser;  // not the body's, whose document is being walked
            od::document doc;
            od::value array;
            std::int64_t sum = 0;
            tools_counter fresh{enc, costs, sum};
            auto padded = simdjson::padded_string_view(raw.data(), raw.size(),
                                                       static_cast<std::size_t>(padded_end - raw.data()));
            if ((err = parser.iterate(padded).get(doc)) || (err = doc.get_value().get(array)) ||
                (err = fresh.tools_tokens(array))) {
                return -1;
            }
            if (!json_walk::at_end(doc)) {
                err = simdjson::TRAILING_CONTENT;
                return -1;
            }
            return sum * 2 + (fresh.any_function ? 1 : 0);
        });
        if (err) return err;
        total += kept / 2;
        any_function = any_function || (kept & 1) != 0;
        return simdjson::SUCCESS;
    }

    // functions (legacy): [{"name":...,"description":...,"parameters":{...}}].
    error_code functions_tokens(od::value v) {
        return for_each_item(v, [&](od::value fn) { return function_tokens(fn); });
    }

    void finish() {
        if (any_function) total += costs.func_end;
    }
};

error_code request_tokens(const tokenizer::encoder* enc, od::document& doc, const char* padded_end,
                          std::int64_t& total) {
    const tool_costs& costs =
        enc != nullptr && enc->id() == tokenizer::encoding_id::cl100k_base ? cl100k_tool_costs : o200k_tool_costs;
    tools_counter tools{enc, costs, total};
    call_names calls;
    od::object top;
    if (auto err = doc.get_object().get(top)) return err;
    bool chat = false;
    for (auto field : top) {
        std::string_view key;
        if (auto err = json_walk::key_of(field, key)) return err;
        od::value v;
        if (auto err = field.value().get(v)) return err;
        error_code err = simdjson::SUCCESS;
        if (key == "messages") {
            od::json_type t;
            if ((err = v.type().get(t))) return err;
            chat = chat || t == od::json_type::array;
            err = for_each_item(v, [&](od::value message) { return message_tokens(enc, calls, message, total); });
        } else if (key == "tools") {
            err = tools.kept_tools_tokens(v, padded_end);
        } else if (key == "functions") {
            err = tools.functions_tokens(v);
        } else if (key == "prompt" || key == "input") {
            err = prompt_tokens(enc, v, total, 0);
        } else if (key == "suffix") {
            err = string_tokens(enc, v, total);
        }
        if (err) return err;
    }
    if (chat) total += tokens_reply_priming;
    tools.finish();
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

namespace {

// Counts of texts this thread counted lately: a coding agent sends its whole history again
// with every turn, and an application its system prompt with every request; each would be
// counted again (the encoder costs some 80 instructions a byte; finding a text, a hash and a
// compare, well under one). A text is found by its hash (text_hash, under this thread's random
// seed) and then compared whole with the copy kept, so texts that share a hash, by chance or
// made to, are told apart and each counted. Four ways a set: a text takes the slot used
// longest ago among the four its hash picks (one way a set lost a few of a long history's
// messages to each other every turn). The texts kept are bounded: past count_cache_bytes a
// new text is counted but not kept.
struct count_slot {
    std::string text;  // the text counted, or JSON bytes (as key_kind says)
    key_kind kind = key_kind::text;
    const tokenizer::encoder* enc = nullptr;
    std::uint64_t hash = 0;
    std::int64_t count = 0;
    std::uint64_t used = 0;  // the cache's clock when last found or filled; 0: empty
};
constexpr std::size_t count_cache_ways = 4;
constexpr std::size_t count_cache_sets = 1024;  // 4,096 slots, made on first use
constexpr std::size_t count_cache_min = 8;      // shorter texts are counted faster than found
constexpr std::size_t count_cache_bytes = std::size_t{8} << 20;  // text kept, a thread

struct count_cache {
    std::uint64_t seed = random_hash_seed();
    std::unique_ptr<count_slot[]> slots{new count_slot[count_cache_sets * count_cache_ways]};
    std::size_t kept = 0;  // bytes of text in the slots
    std::uint64_t clock = 0;
};

count_cache& thread_cache() {
    thread_local count_cache cache;
    return cache;
}

// The count kept for `key` of its kind, else count()'s, which is kept unless negative (a
// string that does not unescape, tools that do not read).
template <class Count>
std::int64_t cached_count(const tokenizer::encoder* enc, std::string_view key, key_kind kind,
                          Count&& count) {
    count_cache& cache = thread_cache();  // one for every kind of key
    std::uint64_t h = text_hash(cache.seed, key);
    count_slot* set = &cache.slots[(h % count_cache_sets) * count_cache_ways];
    count_slot* oldest = set;
    for (std::size_t i = 0; i < count_cache_ways; ++i) {
        count_slot& slot = set[i];
        if (slot.used != 0 && slot.hash == h && slot.enc == enc && slot.kind == kind &&
            slot.text == key) {
            slot.used = ++cache.clock;
            return slot.count;
        }
        if (slot.used < oldest->used) oldest = &slot;
    }
    std::int64_t n = count();
    if (n < 0) return n;
    std::size_t kept = cache.kept - oldest->text.size();
    if (key.size() <= count_cache_bytes - kept) {
        oldest->text.assign(key.data(), key.size());
        if (oldest->text.capacity() > 2 * key.size() + 64) oldest->text.shrink_to_fit();
        oldest->kind = kind;
        oldest->enc = enc;
        oldest->hash = h;
        oldest->count = n;
        oldest->used = ++cache.clock;
        cache.kept = kept + key.size();
    }
    return n;
}

std::int64_t count_exact(const tokenizer::encoder* enc, std::string_view text) {
    if (text.size() < count_cache_min) {
        return static_cast<std::int64_t>(enc->count(text));
    }
    return cached_count(enc, text, key_kind::text,
                        [&] { return static_cast<std::int64_t>(enc->count(text)); });
}

error_code escaped_tokens(const tokenizer::encoder* enc, std::string_view raw, od::value v,
                          std::int64_t& n) {
    error_code err = simdjson::SUCCESS;
    std::string_view text;
    bool read = false;
    if (raw.size() >= count_cache_min) {
        try {
            n = cached_count(enc, raw, key_kind::escaped, [&]() -> std::int64_t {
                if ((err = v.get_string().get(text))) return -1;
                read = true;
                return static_cast<std::int64_t>(enc->count(text));
            });
            return err;
        } catch (...) {
            // std::bad_alloc only: counted below, without the cache.
        }
    }
    if (!read && (err = v.get_string().get(text))) return err;
    n = count_tokens(enc, text);
    return simdjson::SUCCESS;
}

}  // namespace

std::int64_t count_tokens(const tokenizer::encoder* enc, std::string_view text) noexcept {
    if (enc != nullptr) {
        try {
            return count_exact(enc, text);
        } catch (...) {
            // std::bad_alloc (or no randomness for the seed) only: the estimate needs neither.
        }
    }
    return estimate_tokens(text);
}

std::int64_t estimate_prompt_tokens(std::string_view request_body) noexcept {
    return count_prompt_tokens(nullptr, request_body);
}

namespace {

std::int64_t count_prompt_in(const tokenizer::encoder* enc, simdjson::padded_string_view json) {
    // The body parser: a body the request read just read is walked again from its index.
    od::document* read = nullptr;
    if (json_walk::body_parser::again(json, read)) return 0;
    od::document& doc = *read;
    od::json_type t;
    if (doc.type().get(t) || t != od::json_type::object) return 0;
    std::int64_t total = 0;
    if (request_tokens(enc, doc, json.data() + json.capacity(), total)) return 0;
    return total;
}

}  // namespace

std::int64_t count_prompt_tokens(const tokenizer::encoder* enc, std::string_view request_body) noexcept {
    try {
        simdjson::padded_string padded(request_body.data(), request_body.size());
        return count_prompt_in(enc, padded);
    } catch (...) {
        // Only allocation can throw here.
        return 0;
    }
}

std::int64_t count_padded_prompt_tokens(const tokenizer::encoder* enc,
                                        std::string_view request_body) noexcept {
    try {
        return count_prompt_in(enc, simdjson::padded_string_view(
                                        request_body.data(), request_body.size(),
                                        request_body.size() + json_padding));
    } catch (...) {
        return 0;
    }
}

}  // namespace aigw
