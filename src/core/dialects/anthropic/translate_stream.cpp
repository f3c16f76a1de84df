// Messages stream events to and from pivot events (translate.hpp).
#include <utility>
#include <vector>

#include "aigw/dialects/anthropic/error.hpp"
#include "aigw/dialects/anthropic/translate.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/anthropic/wire.hpp"

namespace aigw::anthropic {

namespace {

namespace dom = simdjson::dom;

using api::make_event;
using json_walk::string_member;

class messages_decoder final : public api::stream_decoder {
public:
    bool decode(std::string_view sse_type, std::string_view data,
                std::vector<api::event>& out) override {
        dom::element doc;
        dom::object o;
        if (wire::parse(parser_, data, doc) || doc.get_object().get(o)) return false;
        std::string_view type;
        if (o["type"].get_string().get(type)) {
            if (sse_type.empty() || sse_type == "message") return false;
            type = sse_type;  // the data left its type out: the event: line names it
        }
        if (type == "message_start") return message_start(o, out);
        if (type == "content_block_start") return block_start(o, out);
        if (type == "content_block_delta") return block_delta(o, out);
        if (type == "message_delta") return message_delta(o, out);
        if (type == "message_stop") {
            out.push_back(make_event(api::event_kind::done));
            return true;
        }
        if (type == "error") return error(o, data, out);
        // ping, content_block_stop, and event types Anthropic may add: nothing to say.
        return true;
    }

private:
    enum class block_kind : unsigned char { text, thinking, tool, other };

    struct block {
        std::uint64_t index;
        block_kind kind;
        std::size_t tool;  // block_kind::tool: its rank among the message's tool calls
    };

    const block* find(std::uint64_t index) const {
        // The block a delta is for is nearly always the last one started.
        for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
            if (it->index == index) return &*it;
        }
        return nullptr;
    }

    void add_usage(dom::element usage_object, std::vector<api::event>& out) {
        usage_counts c = wire::read_counts(usage_object);
        if (!c.any()) return;
        counts_.merge(c);
        api::event e = make_event(api::event_kind::usage);
        e.tokens = counts_.canonical();
        out.push_back(std::move(e));
    }

    bool message_start(dom::object o, std::vector<api::event>& out) {
        dom::object message;
        if (o["message"].get_object().get(message)) return false;
        api::event e = make_event(api::event_kind::start);
        e.id = string_member(message, "id");
        e.model = string_member(message, "model");
        out.push_back(std::move(e));
        dom::element usage;
        if (message["usage"].get(usage) == simdjson::SUCCESS) add_usage(usage, out);
        return true;
    }

    bool block_start(dom::object o, std::vector<api::event>& out) {
        std::uint64_t index = 0;
        dom::object content;
        std::string_view type;
        if (o["index"].get_uint64().get(index) || o["content_block"].get_object().get(content) ||
            content["type"].get_string().get(type)) {
            return false;
        }
        if (type == "text") {
            blocks_.push_back({index, block_kind::text, 0});
            std::string_view text = string_member(content, "text");
            if (!text.empty()) out.push_back(make_event(api::event_kind::text_delta, text));
        } else if (type == "thinking") {
            blocks_.push_back({index, block_kind::thinking, 0});
            std::string_view text = string_member(content, "thinking");
            if (!text.empty()) out.push_back(make_event(api::event_kind::reasoning_delta, text));
        } else if (type == "tool_use") {
            std::size_t tool = tools_++;
            blocks_.push_back({index, block_kind::tool, tool});
            api::event e = make_event(api::event_kind::tool_call_start);
            e.index = tool;
            e.id = string_member(content, "id");
            e.name = string_member(content, "name");
            out.push_back(std::move(e));
            // Anthropic starts with "input":{} and streams the input; a server that sends it
            // whole here has it passed on as the first piece.
            dom::object input;
            if (content["input"].get_object().get(input) == simdjson::SUCCESS && input.size() > 0) {
                out.push_back(make_event(api::event_kind::tool_call_delta, simdjson::minify(input), tool));
            }
        } else {
            // redacted_thinking, server tools and their results: Anthropic's own business.
            blocks_.push_back({index, block_kind::other, 0});
        }
        return true;
    }

    bool block_delta(dom::object o, std::vector<api::event>& out) {
        std::uint64_t index = 0;
        dom::object delta;
        std::string_view type;
        if (o["index"].get_uint64().get(index) || o["delta"].get_object().get(delta) ||
            delta["type"].get_string().get(type)) {
            return false;
        }
        std::string_view text;
        if (type == "text_delta") {
            if (delta["text"].get_string().get(text)) return false;
            if (!text.empty()) out.push_back(make_event(api::event_kind::text_delta, text));
        } else if (type == "thinking_delta") {
            if (delta["thinking"].get_string().get(text)) return false;
            if (!text.empty()) out.push_back(make_event(api::event_kind::reasoning_delta, text));
        } else if (type == "input_json_delta") {
            const block* b = find(index);
            if (b == nullptr || delta["partial_json"].get_string().get(text)) return false;
            if (b->kind == block_kind::tool && !text.empty()) {
                out.push_back(make_event(api::event_kind::tool_call_delta, text, b->tool));
            }
        }
        // signature_delta, citations_delta and deltas added later: nothing to say.
        return true;
    }

    bool message_delta(dom::object o, std::vector<api::event>& out) {
        dom::object delta;
        if (o["delta"].get_object().get(delta) == simdjson::SUCCESS) {
            std::string_view reason;
            if (delta["stop_reason"].get_string().get(reason) == simdjson::SUCCESS) {
                api::event e = make_event(api::event_kind::finish);
                e.finish = wire::finish_from_stop_reason(reason);
                out.push_back(std::move(e));
            }
        }
        dom::element usage;
        if (o["usage"].get(usage) == simdjson::SUCCESS) add_usage(usage, out);
        return true;
    }

    bool error(dom::object o, std::string_view data, std::vector<api::event>& out) {
        dom::object err;
        std::string_view s;
        if (o["error"].get_object().get(err) || err["type"].get_string().get(s) ||
            err["message"].get_string().get(s)) {
            return false;
        }
        api::event e = make_event(api::event_kind::error);
        e.error = read_error(0, data);  // the stream began 200: the type gives the status
        out.push_back(std::move(e));
        return true;
    }

    dom::parser parser_;
    std::vector<block> blocks_;
    std::size_t tools_ = 0;
    usage_counts counts_;
};

class messages_encoder final : public api::stream_encoder {
public:
    explicit messages_encoder(const api::request& req) : model_(req.model) {}

    void encode(const api::event& e, std::string& out) override {
        if (ended_) return;
        switch (e.kind) {
        case api::event_kind::start:
            if (!started_ && !e.id.empty()) id_ = e.id;
            if (!started_ && !e.model.empty()) model_ = e.model;
            break;
        case api::event_kind::usage:
            if (e.tokens.present) tokens_ = e.tokens;
            break;
        case api::event_kind::text_delta:
        case api::event_kind::refusal_delta:  // Anthropic says a refusal as text
            delta(block_kind::text, e.text, out);
            break;
        case api::event_kind::reasoning_delta:
            delta(block_kind::thinking, e.text, out);
            break;
        case api::event_kind::tool_call_start:
            tool_start(e, out);
            break;
        case api::event_kind::tool_call_delta:
            tool_delta(e, out);
            break;
        case api::event_kind::finish:
            finish_ = e.finish;
            break;
        case api::event_kind::done:
            done(out);
            break;
        case api::event_kind::error:
            out += error_event(e.error);
            ended_ = true;
            break;
        }
    }

private:
    enum class block_kind : unsigned char { none, text, thinking, tool };

    static void emit(std::string_view type, const rapidjson::StringBuffer& json, std::string& out) {
        out += "event: ";
        out += type;
        out += "\ndata: ";
        out.append(json.GetString(), json.GetSize());
        out += "\n\n";
    }

    void start(std::string& out) {
        if (started_) return;
        started_ = true;
        id_ = wire::message_id(id_);
        rapidjson::StringBuffer buf;
        json_writer w(buf);
        w.StartObject();
        w.Key("type");
        w.String("message_start");
        w.Key("message");
        w.StartObject();
        w.Key("id");
        write_text(w, id_);
        w.Key("type");
        w.String("message");
        w.Key("role");
        w.String("assistant");
        w.Key("model");
        write_text(w, model_);
        w.Key("content");
        w.StartArray();
        w.EndArray();
        w.Key("stop_reason");
        w.Null();
        w.Key("stop_sequence");
        w.Null();
        w.Key("usage");
        wire::write_usage(w, tokens_);
        w.EndObject();
        w.EndObject();
        emit("message_start", buf, out);
    }

    // content_block_start for a new block of `kind` (`tool`: its call).
    void open(block_kind kind, const api::event* tool, std::string& out) {
        close(out);
        open_ = kind;
        open_index_ = next_index_++;
        rapidjson::StringBuffer buf;
        json_writer w(buf);
        w.StartObject();
        w.Key("type");
        w.String("content_block_start");
        w.Key("index");
        w.Uint64(open_index_);
        w.Key("content_block");
        w.StartObject();
        w.Key("type");
        switch (kind) {
        case block_kind::thinking:
            w.String("thinking");
            w.Key("thinking");
            w.String("");
            w.Key("signature");
            w.String("");
            break;
        case block_kind::tool: {
            w.String("tool_use");
            w.Key("id");
            std::string id = tool->id;
            if (id.empty()) id = "toolu_" + id_ + "_" + std::to_string(open_index_);
            write_text(w, id);
            w.Key("name");
            write_text(w, tool->name);
            w.Key("input");
            w.StartObject();
            w.EndObject();
            break;
        }
        case block_kind::none:
        case block_kind::text:
            w.String("text");
            w.Key("text");
            w.String("");
            break;
        }
        w.EndObject();
        w.EndObject();
        emit("content_block_start", buf, out);
    }

    void close(std::string& out) {
        if (open_ == block_kind::none) return;
        open_ = block_kind::none;
        rapidjson::StringBuffer buf;
        json_writer w(buf);
        w.StartObject();
        w.Key("type");
        w.String("content_block_stop");
        w.Key("index");
        w.Uint64(open_index_);
        w.EndObject();
        emit("content_block_stop", buf, out);
    }

    void write_delta(std::size_t index, std::string_view delta_type, std::string_view field,
                     std::string_view text, std::string& out) {
        rapidjson::StringBuffer buf;
        json_writer w(buf);
        w.StartObject();
        w.Key("type");
        w.String("content_block_delta");
        w.Key("index");
        w.Uint64(index);
        w.Key("delta");
        w.StartObject();
        w.Key("type");
        write_text(w, delta_type);
        w.Key(field.data(), static_cast<rapidjson::SizeType>(field.size()));
        write_text(w, text);
        w.EndObject();
        w.EndObject();
        emit("content_block_delta", buf, out);
    }

    void delta(block_kind kind, std::string_view text, std::string& out) {
        if (text.empty()) return;  // an empty block is noise a client must skip
        start(out);
        if (open_ != kind) open(kind, nullptr, out);
        if (kind == block_kind::text) {
            write_delta(open_index_, "text_delta", "text", text, out);
        } else {
            write_delta(open_index_, "thinking_delta", "thinking", text, out);
        }
    }

    void tool_start(const api::event& e, std::string& out) {
        start(out);
        open(block_kind::tool, &e, out);
        tool_blocks_.emplace_back(e.index, open_index_);
        tool_calls_ = true;
    }

    void tool_delta(const api::event& e, std::string& out) {
        if (e.text.empty()) return;
        // The call's own block, even when another has started since (a client finds a block by
        // its index); a piece of a call that never started has no block to go to.
        for (auto it = tool_blocks_.rbegin(); it != tool_blocks_.rend(); ++it) {
            if (it->first == e.index) {
                write_delta(it->second, "input_json_delta", "partial_json", e.text, out);
                return;
            }
        }
    }

    void done(std::string& out) {
        start(out);
        close(out);
        rapidjson::StringBuffer buf;
        json_writer w(buf);
        w.StartObject();
        w.Key("type");
        w.String("message_delta");
        w.Key("delta");
        w.StartObject();
        w.Key("stop_reason");
        write_text(w, wire::stop_reason_of(finish_, tool_calls_));
        w.Key("stop_sequence");
        w.Null();
        w.EndObject();
        w.Key("usage");
        if (tokens_.present) {
            wire::write_usage(w, tokens_);
        } else {
            w.StartObject();
            w.Key("output_tokens");
            w.Int64(0);
            w.EndObject();
        }
        w.EndObject();
        emit("message_delta", buf, out);
        out += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        ended_ = true;
    }

    std::string id_;
    std::string model_;
    usage tokens_;
    bool started_ = false;
    bool ended_ = false;
    block_kind open_ = block_kind::none;
    std::size_t open_index_ = 0;
    std::size_t next_index_ = 0;
    std::vector<std::pair<std::size_t, std::size_t>> tool_blocks_;  // call index -> block index
    api::finish_reason finish_ = api::finish_reason::none;
    bool tool_calls_ = false;
};

}  // namespace

std::unique_ptr<api::stream_decoder> make_stream_decoder() {
    return std::make_unique<messages_decoder>();
}

std::unique_ptr<api::stream_encoder> make_stream_encoder(const api::request& req) {
    return std::make_unique<messages_encoder>(req);
}

}  // namespace aigw::anthropic
