#include "aigw/dialects/openai_responses/usage.hpp"

#include <optional>
#include <string>

#include <simdjson.h>

#include "core/text/json_walk.hpp"

namespace aigw::responses {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using json_walk::for_each_field;
using json_walk::for_each_item;
using json_walk::if_string;
using json_walk::read_count;

// One count inside a *_details object ({"cached_tokens": 5}).
error_code read_detail(od::value v, std::string_view name, std::optional<std::int64_t>& out) {
    return for_each_field(v, [&](std::string_view key, od::value inner) {
        return key == name ? read_count(inner, out) : simdjson::SUCCESS;
    });
}

// A usage object, or null (an in-progress response's): then nothing is present.
error_code read_usage(od::value v, usage& u) {
    std::optional<std::int64_t> input, output, total, cached, reasoning;
    error_code err = for_each_field(v, [&](std::string_view key, od::value inner) {
        if (key == "input_tokens") return read_count(inner, input);
        if (key == "output_tokens") return read_count(inner, output);
        if (key == "total_tokens") return read_count(inner, total);
        if (key == "input_tokens_details") return read_detail(inner, "cached_tokens", cached);
        if (key == "output_tokens_details") {
            return read_detail(inner, "reasoning_tokens", reasoning);
        }
        return simdjson::SUCCESS;
    });
    if (err) return err;
    u = usage{};  // a later "usage" member replaces an earlier one, as in JSON.parse
    if (!input && !output && !total) return simdjson::SUCCESS;
    u.prompt_tokens = input.value_or(0);
    u.completion_tokens = output.value_or(0);
    u.total_tokens = total ? *total : saturating_add(u.prompt_tokens, u.completion_tokens);
    u.cached_tokens = cached.value_or(0);
    u.reasoning_tokens = reasoning.value_or(0);
    u.present = true;
    return simdjson::SUCCESS;
}

// The text of a response's output items: message parts' text and refusals, reasoning
// summaries and text, calls' names, arguments and inputs.
error_code read_output(od::value v, std::string& text) {
    auto add = [&](std::string_view s) { text.append(s.data(), s.size()); };
    auto part = [&](od::value p) {
        return for_each_field(p, [&](std::string_view key, od::value inner) {
            if (key == "text" || key == "refusal") return if_string(inner, add);
            return simdjson::SUCCESS;
        });
    };
    return for_each_item(v, [&](od::value item) {
        return for_each_field(item, [&](std::string_view key, od::value inner) {
            if (key == "name" || key == "arguments" || key == "input") return if_string(inner, add);
            if (key == "content" || key == "summary") return for_each_item(inner, part);
            return simdjson::SUCCESS;
        });
    });
}

// The stream events that carry a piece of the answer in "delta".
bool is_output_delta(std::string_view type) {
    return type == "response.output_text.delta" || type == "response.refusal.delta" ||
           type == "response.function_call_arguments.delta" ||
           type == "response.custom_tool_call_input.delta" ||
           type == "response.reasoning_summary_text.delta" ||
           type == "response.reasoning_text.delta";
}

struct body_facts {
    usage tokens;
    std::string type;       // a stream event's
    std::string delta;
    std::string item_type;  // output_item.added's item
    std::string item_name;
    std::string output;     // a whole response's text
};

// A response object, or one stream event's data: its top-level members, and in an event
// the "response" object's usage and the "item" added. False on any JSON error or a top level
// that is not an object.
bool read_json(std::string_view json, body_facts& facts) {
    auto copy_to = [](std::string& out) {
        return [&out](std::string_view s) { out.assign(s.data(), s.size()); };
    };
    auto member = [&](std::string_view key, od::value v) -> error_code {
        if (key == "usage") return read_usage(v, facts.tokens);
        if (key == "output") return read_output(v, facts.output);
        if (key == "type") return if_string(v, copy_to(facts.type));
        if (key == "delta") return if_string(v, copy_to(facts.delta));
        if (key == "response") {
            return for_each_field(v, [&](std::string_view inner_key, od::value inner) {
                return inner_key == "usage" ? read_usage(inner, facts.tokens) : simdjson::SUCCESS;
            });
        }
        if (key == "item") {
            return for_each_field(v, [&](std::string_view inner_key, od::value inner) {
                if (inner_key == "type") return if_string(inner, copy_to(facts.item_type));
                if (inner_key == "name") return if_string(inner, copy_to(facts.item_name));
                return simdjson::SUCCESS;
            });
        }
        return simdjson::SUCCESS;
    };
    return json_walk::read_object(json, [&](od::document& doc, const char*) {
        return json_walk::for_each_top_field(doc, member);
    });
}

class responses_usage final : public usage_parser {
public:
    // Usage only in "usage" members (usage.hpp): chunks without one can wait unread.
    bool defers_unreported_chunks() const noexcept override { return true; }

    usage read_response(std::string_view body, std::string* completion_text) const noexcept override {
        try {
            body_facts facts;
            if (!read_json(body, facts)) return usage{};
            if (completion_text != nullptr) completion_text->append(facts.output);
            return facts.tokens;
        } catch (...) {
            return usage{};  // only allocation can throw
        }
    }

    chunk_info read_chunk(std::string_view data, std::string* text) const noexcept override {
        try {
            body_facts facts;
            if (!read_json(data, facts)) return chunk_info{};
            chunk_info info;
            info.json_object = true;
            info.tokens = facts.tokens;
            std::string produced;
            if (is_output_delta(facts.type)) {
                produced = std::move(facts.delta);
                info.content_bearing = !produced.empty();
            } else if (facts.type == "response.output_item.added" &&
                       (facts.item_type == "function_call" ||
                        facts.item_type == "custom_tool_call")) {
                produced = std::move(facts.item_name);
                info.content_bearing = true;
            }
            if (text != nullptr) text->append(produced);
            return info;
        } catch (...) {
            return chunk_info{};
        }
    }
};

}  // namespace

const usage_parser& usage_reader() noexcept {
    static const responses_usage parser;
    return parser;
}

}  // namespace aigw::responses
