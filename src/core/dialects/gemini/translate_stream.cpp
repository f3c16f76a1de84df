// Streamed GenerateContentResponse chunks to and from pivot events (translate.hpp).
#include <utility>
#include <vector>

#include "aigw/dialects/gemini/error.hpp"
#include "aigw/dialects/gemini/translate.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/gemini/wire.hpp"

namespace aigw::gemini {

namespace {

namespace dom = simdjson::dom;

using api::make_event;
using json_walk::string_member;

class gemini_decoder final : public api::stream_decoder {
public:
    bool decode(std::string_view, std::string_view data, std::vector<api::event>& out) override {
        dom::element doc;
        dom::object o;
        if (wire::parse(parser_, data, doc) || doc.get_object().get(o)) return false;
        dom::element error_member;
        if (o["error"].get(error_member) == simdjson::SUCCESS) {
            api::event e = make_event(api::event_kind::error);
            e.error = read_error(0, data);  // the stream began 200: the error's code gives the status
            out.push_back(std::move(e));
            return true;
        }
        dom::array candidates;
        bool has_candidate =
            o["candidates"].get_array().get(candidates) == simdjson::SUCCESS && candidates.size() > 0;
        dom::object feedback;
        std::string_view reason;
        bool blocked = !has_candidate &&
                       o["promptFeedback"].get_object().get(feedback) == simdjson::SUCCESS &&
                       feedback["blockReason"].get_string().get(reason) == simdjson::SUCCESS;
        // A blocked prompt begins no answer: the client's stream is the error alone.
        if (!started_ && !blocked) {
            started_ = true;
            api::event e = make_event(api::event_kind::start);
            e.id = string_member(o, "responseId");
            e.model = string_member(o, "modelVersion");
            out.push_back(std::move(e));
        }
        if (has_candidate) {
            dom::object first;
            if (candidates.at(0).get_object().get(first) == simdjson::SUCCESS) candidate(first, out);
        }
        dom::element usage_object;
        if (o["usageMetadata"].get(usage_object) == simdjson::SUCCESS) {
            usage_metadata m = wire::read_usage(usage_object);
            if (m.any) {
                api::event e = make_event(api::event_kind::usage);
                e.tokens = m.canonical();  // cumulative: it supersedes the one before
                out.push_back(std::move(e));
            }
        }
        if (blocked) {
            api::event e = make_event(api::event_kind::error);
            e.error = content_filter_error(reason);
            out.push_back(std::move(e));
        }
        return true;
    }

private:
    void candidate(dom::object c, std::vector<api::event>& out) {
        dom::object content;
        dom::array parts;
        if (c["content"].get_object().get(content) == simdjson::SUCCESS &&
            content["parts"].get_array().get(parts) == simdjson::SUCCESS) {
            for (dom::element item : parts) {
                dom::object part;
                if (item.get_object().get(part) == simdjson::SUCCESS) this->part(part, out);
            }
        }
        std::string_view reason;
        if (!finished_ && c["finishReason"].get_string().get(reason) == simdjson::SUCCESS) {
            finished_ = true;
            api::event e = make_event(api::event_kind::finish);
            e.finish = wire::finish_from_reason(reason, tools_ > 0);
            out.push_back(std::move(e));
        }
    }

    void part(dom::object p, std::vector<api::event>& out) {
        dom::object fc;
        if (p["functionCall"].get_object().get(fc) == simdjson::SUCCESS) {
            // Gemini sends a call whole: its start, then all its arguments in one piece.
            std::size_t index = tools_++;
            api::event e = make_event(api::event_kind::tool_call_start);
            e.index = index;
            e.id = string_member(fc, "id");
            if (e.id.empty()) e.id = wire::call_id();
            e.name = string_member(fc, "name");
            out.push_back(std::move(e));
            dom::object args;
            std::string json = fc["args"].get_object().get(args) ? std::string("{}") : simdjson::minify(args);
            out.push_back(make_event(api::event_kind::tool_call_delta, json, index));
            return;
        }
        std::string_view text;
        if (p["text"].get_string().get(text) || text.empty()) return;
        bool thought = false;
        if (p["thought"].get_bool().get(thought)) thought = false;
        out.push_back(make_event(thought ? api::event_kind::reasoning_delta : api::event_kind::text_delta, text));
    }

    dom::parser parser_;
    bool started_ = false;
    bool finished_ = false;
    std::size_t tools_ = 0;
};

class gemini_encoder final : public api::stream_encoder {
public:
    explicit gemini_encoder(const api::request& req) : model_(req.model) {}

    void encode(const api::event& e, std::string& out) override {
        if (ended_) return;
        switch (e.kind) {
        case api::event_kind::start:
            if (!started_) {
                if (!e.id.empty()) id_ = e.id;
                if (!e.model.empty()) model_ = e.model;
                start();
            }
            break;
        case api::event_kind::usage:
            if (e.tokens.present) tokens_ = e.tokens;
            break;
        case api::event_kind::text_delta:
        case api::event_kind::refusal_delta:  // Gemini says a refusal as text
            text_chunk(e.text, false, out);
            break;
        case api::event_kind::reasoning_delta:
            text_chunk(e.text, true, out);
            break;
        case api::event_kind::tool_call_start:
            calls_.push_back({e.index, e.id, e.name, std::string()});
            break;
        case api::event_kind::tool_call_delta:
            tool_delta(e);
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
    struct held_call {
        std::size_t index;
        std::string id;
        std::string name;
        std::string arguments;
    };

    void start() {
        if (started_) return;
        started_ = true;
        id_ = wire::response_id(id_);
    }

    // One chunk: {"candidates":[{"content":{"parts":[...],"role":"model"}, finishReason?,
    // "index":0}], usageMetadata?, modelVersion, responseId}; `parts` writes the parts.
    template <class Parts>
    void chunk(Parts&& parts, bool last, std::string& out) {
        start();
        std::string json = json_text([&](json_writer& w) {
            w.StartObject();
            w.Key("candidates");
            w.StartArray();
            w.StartObject();
            w.Key("content");
            w.StartObject();
            w.Key("parts");
            w.StartArray();
            parts(w);
            w.EndArray();
            w.Key("role");
            w.String("model");
            w.EndObject();
            if (last) {
                w.Key("finishReason");
                write_text(w, wire::finish_reason_of(finish_));
            }
            w.Key("index");
            w.Int(0);
            w.EndObject();
            w.EndArray();
            if (last && tokens_.present) {
                w.Key("usageMetadata");
                wire::write_usage(w, tokens_);
            }
            w.Key("modelVersion");
            write_text(w, model_);
            w.Key("responseId");
            write_text(w, id_);
            w.EndObject();
        });
        out += "data: ";
        out += json;
        out += "\r\n\r\n";
    }

    void text_chunk(std::string_view text, bool thought, std::string& out) {
        if (text.empty()) return;  // an empty part is noise a client must skip
        chunk(
            [&](json_writer& w) {
                w.StartObject();
                w.Key("text");
                write_text(w, text);
                if (thought) {
                    w.Key("thought");
                    w.Bool(true);
                }
                w.EndObject();
            },
            false, out);
    }

    void tool_delta(const api::event& e) {
        // The call's own arguments, even when another has started since; a piece of a call
        // that never started has nowhere to go.
        for (auto it = calls_.rbegin(); it != calls_.rend(); ++it) {
            if (it->index == e.index) {
                it->arguments += e.text;
                return;
            }
        }
    }

    void done(std::string& out) {
        chunk(
            [&](json_writer& w) {
                if (calls_.empty()) {
                    // What Gemini's own last chunk carries when the text has all been sent.
                    w.StartObject();
                    w.Key("text");
                    w.String("");
                    w.EndObject();
                }
                for (const held_call& call : calls_) {
                    wire::write_function_call(w, call.id, call.name, call.arguments);
                }
            },
            true, out);
        ended_ = true;
    }

    std::string id_;
    std::string model_;
    usage tokens_;
    bool started_ = false;
    bool ended_ = false;
    std::vector<held_call> calls_;
    api::finish_reason finish_ = api::finish_reason::none;
};

}  // namespace

std::unique_ptr<api::stream_decoder> make_stream_decoder() {
    return std::make_unique<gemini_decoder>();
}

std::unique_ptr<api::stream_encoder> make_stream_encoder(const api::request& req) {
    return std::make_unique<gemini_encoder>(req);
}

}  // namespace aigw::gemini
