// A chat.completion.chunk stream to and from pivot events (api/stream.hpp).
#include <string>
#include <utility>
#include <vector>

#include "aigw/dialects/openai_chat/error.hpp"
#include "aigw/dialects/openai_chat/translate.hpp"
#include "aigw/dialects/openai_chat/usage.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/openai_chat/wire.hpp"

namespace aigw {

namespace {

namespace dom = simdjson::dom;
using member = simdjson::simdjson_result<dom::element>;

std::string_view trimmed(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view string_or_empty(member v) {
    std::string_view s;
    if (v.get_string().get(s)) return {};
    return s;
}

// api_error holds its type and code as views of static text: an upstream's own words are kept
// when they are among these, and otherwise said in general terms.
constexpr std::string_view known_types[] = {
    "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
    "rate_limit_error", "insufficient_quota", "tokens", "requests", "server_error",
    "overloaded_error", "api_error",
};
constexpr std::string_view known_codes[] = {
    "context_length_exceeded", "rate_limit_exceeded", "insufficient_quota", "invalid_api_key",
    "model_not_found", "content_filter", "invalid_prompt", "server_error", "invalid_value",
    "invalid_type", "missing_required_parameter", "unsupported_parameter", "unsupported_value",
};

template <std::size_t N>
std::string_view interned(std::string_view s, const std::string_view (&known)[N]) {
    for (std::string_view k : known) {
        if (k == s) return k;
    }
    return {};
}

int status_of_type(std::string_view type) {
    if (type == "invalid_request_error") return 400;
    if (type == "authentication_error") return 401;
    if (type == "permission_error") return 403;
    if (type == "not_found_error") return 404;
    if (type == "rate_limit_error" || type == "insufficient_quota" || type == "tokens" ||
        type == "requests") {
        return 429;
    }
    if (type == "overloaded_error") return 503;
    return 500;
}

// {"message","type","param","code"}, or a bare message string, as an upstream reported it in
// the middle of a stream.
api_error upstream_error(dom::element v) {
    api_error e;
    e.type = "api_error";
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        e.message.assign(s.data(), s.size());
    } else {
        e.message = std::string(string_or_empty(v["message"]));
        std::string_view type = interned(string_or_empty(v["type"]), known_types);
        if (!type.empty()) e.type = type;
        e.code = interned(string_or_empty(v["code"]), known_codes);
        e.param = std::string(string_or_empty(v["param"]));
    }
    if (e.message.empty()) e.message = "The upstream model provider reported an error.";
    e.status = status_of_type(e.type);
    return e;
}

class chat_decoder final : public api::stream_decoder {
public:
    bool decode(std::string_view type, std::string_view data,
                std::vector<api::event>& out) override;

private:
    // A tool call seen in the stream: OpenAI names it by its `index` in every piece, and its
    // id in the first.
    struct call_slot {
        std::int64_t wire_index;  // -1: the piece had none (legacy function_call, or a server
                                  // that sends each call whole)
        std::string id;
        std::size_t ordinal;      // api::event::index: in order of appearance
    };

    void read_delta(dom::object delta, std::vector<api::event>& events);
    void read_tool_call(dom::element item, bool legacy, std::vector<api::event>& events);

    bool started_ = false;
    bool finished_ = false;
    std::vector<call_slot> calls_;
};

bool chat_decoder::decode(std::string_view type, std::string_view data,
                          std::vector<api::event>& out) {
    std::string_view d = trimmed(data);
    if (d == "[DONE]") {
        api::event e;
        e.kind = api::event_kind::done;
        out.push_back(std::move(e));
        return true;
    }
    dom::parser spare;
    dom::element root;
    if (openai_wire::parse(d, spare, root)) return false;
    dom::object top;
    if (root.get_object().get(top)) return false;
    // The members this reads, in one pass over the chunk: each the first of its name, as
    // operator[] would find it.
    enum { error_m, choices_m, usage_m, id_m, model_m, created_m, members };
    static constexpr std::string_view names[members] = {"error", "choices", "usage",
                                                        "id",    "model",   "created"};
    dom::element found[members];
    bool has[members] = {};
    for (dom::key_value_pair field : top) {
        for (int m = 0; m < members; ++m) {
            if (!has[m] && field.key == names[m]) {
                has[m] = true;
                found[m] = field.value;
                break;
            }
        }
    }
    auto string_of = [&](int m) {
        std::string_view s;
        if (!has[m] || found[m].get_string().get(s)) return std::string_view();
        return s;
    };

    if (has[error_m] && !found[error_m].is_null()) {
        api::event e;
        e.kind = api::event_kind::error;
        e.error = upstream_error(found[error_m]);
        out.push_back(std::move(e));
        return true;
    }
    if (type == "error") {
        api::event e;
        e.kind = api::event_kind::error;
        e.error = upstream_error(root);
        out.push_back(std::move(e));
        return true;
    }
    dom::array choices;
    if (!has[choices_m] || found[choices_m].get_array().get(choices)) return false;

    usage tokens;
    if (has[usage_m] && found[usage_m].is_object()) tokens = openai_usage_parser().from_chunk(d);

    std::string_view id = string_of(id_m);
    // Azure's first chunk carries only prompt_filter_results: no id, no choices. The answer
    // starts with the first chunk that has something of it.
    if (!started_ && (!id.empty() || choices.size() > 0 || tokens.present)) {
        started_ = true;
        api::event e;
        e.kind = api::event_kind::start;
        e.id = std::string(id);
        e.model = std::string(string_of(model_m));
        std::int64_t created = 0;
        if (has[created_m] && found[created_m].get_int64().get(created) == simdjson::SUCCESS) {
            e.created = created;
        }
        out.push_back(std::move(e));
    }

    dom::element choice;
    if (openai_wire::first_choice(choices, choice)) {
        dom::object delta;
        if (choice["delta"].get_object().get(delta) == simdjson::SUCCESS) read_delta(delta, out);
        std::string_view finish;
        if (choice["finish_reason"].get_string().get(finish) == simdjson::SUCCESS && !finished_) {
            // Once: a server that repeats the reason would otherwise end the answer twice.
            finished_ = true;
            api::event e;
            e.kind = api::event_kind::finish;
            e.finish = openai_wire::finish_from_wire(finish);
            out.push_back(std::move(e));
        }
    }
    if (tokens.present) {
        api::event e;
        e.kind = api::event_kind::usage;
        e.tokens = tokens;
        out.push_back(std::move(e));
    }
    return true;
}

void chat_decoder::read_delta(dom::object delta, std::vector<api::event>& events) {
    auto text_event = [&](api::event_kind kind, std::string_view text) {
        if (text.empty()) return;
        api::event e;
        e.kind = kind;
        e.text = std::string(text);
        events.push_back(std::move(e));
    };
    // DeepSeek's name; "reasoning" (OpenRouter, vLLM) only without it: servers that send both
    // send the same text twice.
    member reasoning = delta["reasoning_content"];
    if (!reasoning.is_string()) reasoning = delta["reasoning"];
    text_event(api::event_kind::reasoning_delta, string_or_empty(reasoning));
    text_event(api::event_kind::text_delta, string_or_empty(delta["content"]));
    text_event(api::event_kind::refusal_delta, string_or_empty(delta["refusal"]));

    dom::array calls;
    if (delta["tool_calls"].get_array().get(calls) == simdjson::SUCCESS) {
        for (dom::element item : calls) read_tool_call(item, false, events);
    }
    member function_call = delta["function_call"];
    if (function_call.is_object()) read_tool_call(function_call.value_unsafe(), true, events);
}

// One piece of a tool call: {"index","id","type","function":{"name","arguments"}}, or a legacy
// function_call ({"name","arguments"}, `legacy`).
void chat_decoder::read_tool_call(dom::element item, bool legacy, std::vector<api::event>& events) {
    std::int64_t wire_index = -1;
    std::string_view id;
    member fn = legacy ? member(dom::element(item)) : item["function"];
    if (!legacy) {
        if (item["index"].get_int64().get(wire_index) || wire_index < 0) wire_index = -1;
        id = string_or_empty(item["id"]);
    }
    std::string_view name = string_or_empty(fn["name"]);
    std::string arguments;
    member args = fn["arguments"];
    if (args.is_object()) {
        arguments = simdjson::minify(args.value_unsafe());  // a server that sends the object
    } else {
        arguments = std::string(string_or_empty(args));
    }

    // The call this piece continues: the latest with its index; without an index, the latest
    // call unless the piece brings an id (then it is a new one).
    call_slot* slot = nullptr;
    if (wire_index >= 0) {
        for (auto it = calls_.rbegin(); it != calls_.rend(); ++it) {
            if (it->wire_index == wire_index) {
                slot = &*it;
                break;
            }
        }
    } else if (id.empty() && !calls_.empty()) {
        slot = &calls_.back();
    }
    // Some servers give every call index 0 and tell them apart by id.
    bool fresh = slot == nullptr || (!id.empty() && !slot->id.empty() && id != slot->id);
    if (fresh) {
        calls_.push_back(call_slot{wire_index, std::string(id), calls_.size()});
        slot = &calls_.back();
        api::event e;
        e.kind = api::event_kind::tool_call_start;
        e.index = slot->ordinal;
        e.id = std::string(id);
        e.name = std::string(name);
        events.push_back(std::move(e));
    }
    if (!arguments.empty()) {
        api::event e;
        e.kind = api::event_kind::tool_call_delta;
        e.index = slot->ordinal;
        e.text = std::move(arguments);
        events.push_back(std::move(e));
    }
}

// Pieces of a chat.completion.chunk's delta, appended inside its open object.
struct role_delta {
    void operator()(std::string& out) const {
        out += "\"role\":\"assistant\",\"content\":\"\",\"refusal\":null";
    }
};

// The chunks are written as text, not through a Writer: every chunk of a stream starts with
// the same id, object, created and model, made once, and a Writer with its buffer per chunk
// cost more than the chunk's text (append_json_text writes the Writer's bytes).
class chat_encoder final : public api::stream_encoder {
public:
    explicit chat_encoder(const api::request& req)
        : include_usage_(req.include_usage), request_model_(req.model) {}

    void encode(const api::event& e, std::string& out) override;

private:
    // The answer's first chunk, once: from the start event, or made up for an event that came
    // before any (another dialect's decoder that starts late).
    void begin(const api::event* start, std::string& out);
    // One chunk with one choice: `delta` appends the delta's members; `finish` null for none.
    template <class Delta>
    void chunk(std::string& out, Delta&& delta, const std::string_view* finish);
    void usage_chunk(std::string& out);

    bool include_usage_;
    std::string request_model_;
    bool started_ = false;
    bool finished_ = false;
    bool done_ = false;
    bool called_tools_ = false;
    // "data: {" and the members every chunk starts with: id, object, created, model.
    std::string head_;
    usage tokens_;
    bool has_tokens_ = false;
};

template <class Delta>
void chat_encoder::chunk(std::string& out, Delta&& delta, const std::string_view* finish) {
    out += head_;
    out += "\"choices\":[{\"index\":0,\"delta\":{";
    delta(out);
    out += "},\"logprobs\":null,\"finish_reason\":";
    if (finish != nullptr) {
        append_json_text(out, *finish);
    } else {
        out += "null";
    }
    // With include_usage OpenAI writes "usage":null in every chunk but the last.
    out += include_usage_ ? "}],\"usage\":null}\n\n" : "}]}\n\n";
}

void chat_encoder::usage_chunk(std::string& out) {
    out += head_;
    out += "\"choices\":[],\"usage\":";
    out += json_text([&](json_writer& w) { openai_wire::write_usage(w, tokens_); });
    out += "}\n\n";
}

void chat_encoder::begin(const api::event* start, std::string& out) {
    if (started_) return;
    started_ = true;
    bool given_id = start != nullptr && !start->id.empty();
    head_ = "data: {\"id\":";
    append_json_text(head_, given_id ? start->id : openai_wire::new_id("chatcmpl-"));
    head_ += ",\"object\":\"chat.completion.chunk\",\"created\":";
    head_ += std::to_string(openai_wire::created_or_now(start != nullptr ? start->created : 0));
    head_ += ",\"model\":";
    append_json_text(head_, start != nullptr && !start->model.empty() ? start->model
                                                                       : request_model_);
    head_ += ',';
    chunk(out, role_delta{}, nullptr);
}

void chat_encoder::encode(const api::event& e, std::string& out) {
    if (done_) return;
    switch (e.kind) {
    case api::event_kind::start:
        begin(&e, out);  // a second start is not a second answer: nothing
        return;
    case api::event_kind::text_delta:
    case api::event_kind::reasoning_delta:
    case api::event_kind::refusal_delta: {
        if (e.text.empty()) return;
        begin(nullptr, out);
        const char* key = e.kind == api::event_kind::text_delta        ? "content"
                          : e.kind == api::event_kind::reasoning_delta ? "reasoning_content"
                                                                       : "refusal";
        chunk(out, [&](std::string& o) {
            o += '"';
            o += key;
            o += "\":";
            append_json_text(o, e.text);
        }, nullptr);
        return;
    }
    case api::event_kind::tool_call_start:
        begin(nullptr, out);
        called_tools_ = true;
        chunk(out, [&](std::string& o) {
            o += "\"tool_calls\":[{\"index\":";
            append_json_uint(o, e.index);
            o += ",\"id\":";
            append_json_text(o, e.id.empty() ? openai_wire::new_id("call_") : e.id);
            o += ",\"type\":\"function\",\"function\":{\"name\":";
            append_json_text(o, e.name);
            o += ",\"arguments\":\"\"}}]";
        }, nullptr);
        return;
    case api::event_kind::tool_call_delta:
        if (e.text.empty()) return;
        begin(nullptr, out);
        chunk(out, [&](std::string& o) {
            o += "\"tool_calls\":[{\"index\":";
            append_json_uint(o, e.index);
            o += ",\"function\":{\"arguments\":";
            append_json_text(o, e.text);
            o += "}}]";
        }, nullptr);
        return;
    case api::event_kind::finish: {
        if (finished_) return;
        finished_ = true;
        begin(nullptr, out);
        std::string_view finish = openai_wire::finish_to_wire(e.finish, called_tools_);
        chunk(out, [](std::string&) {}, &finish);
        return;
    }
    case api::event_kind::usage:
        // Held for the chunk before [DONE], where OpenAI puts it: one chunk however many usage
        // events a dialect sends (Gemini reports usage with every piece).
        tokens_ = e.tokens;
        has_tokens_ = true;
        return;
    case api::event_kind::error:
        out += error_sse_event(e.error);
        return;
    case api::event_kind::done:
        done_ = true;
        if (include_usage_ && has_tokens_) {
            begin(nullptr, out);
            usage_chunk(out);
        }
        out += "data: [DONE]\n\n";
        return;
    }
}

}  // namespace

std::unique_ptr<api::stream_decoder> openai_chat_stream_decoder() {
    return std::make_unique<chat_decoder>();
}

std::unique_ptr<api::stream_encoder> openai_chat_stream_encoder(const api::request& req) {
    return std::make_unique<chat_encoder>(req);
}

api_error openai_chat_read_error(int status, std::string_view body) {
    dom::parser parser;
    dom::element root;
    dom::element error;
    if (openai_wire::parse(body, parser, root) || root["error"].get(error) ||
        !error.is_object()) {
        return upstream_bad_response_error(status);
    }
    api_error e = upstream_error(error);
    if (status >= 400 && status < 600) {
        e.status = status;
    }
    return e;
}

}  // namespace aigw
