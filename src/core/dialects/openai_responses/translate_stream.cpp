// Responses stream events to and from pivot events (translate.hpp).
#include <utility>
#include <vector>

#include "aigw/dialects/openai_chat/translate.hpp"
#include "aigw/dialects/openai_responses/error.hpp"
#include "aigw/dialects/openai_responses/translate.hpp"
#include "aigw/dialects/openai_responses/usage.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/openai_chat/wire.hpp"
#include "core/dialects/openai_responses/wire.hpp"

namespace aigw::responses {

namespace {

namespace dom = simdjson::dom;
using openai_wire::string_member;
using wire::output_item;

using api::make_event;

// An error object ({"code","message",...}; null for none) as the canonical error: OpenAI's
// reading of its error bodies, with the status its code implies, as the stream began 200.
api_error error_of(const dom::element* error) {
    dom::object o;
    bool given = error != nullptr && error->get_object().get(o) == simdjson::SUCCESS;
    int status = given && string_member(o, "code") == "rate_limit_exceeded" ? 429 : 500;
    std::string body = "{\"error\":";
    body += given ? simdjson::minify(o) : std::string("{}");
    body += '}';
    return openai_chat_read_error(status, body);
}

class responses_decoder final : public api::stream_decoder {
public:
    bool decode(std::string_view sse_type, std::string_view data,
                std::vector<api::event>& out) override;

private:
    struct call {
        std::string item_id;
        bool custom = false;
        bool sent = false;  // its arguments came as pieces (or whole) already
        std::string input;  // a custom call's, gathered from its pieces
    };

    call* find_call(std::string_view item_id) {
        for (call& c : calls_) {
            if (c.item_id == item_id) return &c;
        }
        return nullptr;
    }
    std::size_t ordinal(const call* c) const { return static_cast<std::size_t>(c - calls_.data()); }

    // A text that came whole in a .done event or item: said unless its pieces (or the whole,
    // in an earlier event) were.
    void whole(api::event_kind kind, std::string_view item_id, std::string_view text,
               std::vector<api::event>& events) {
        if (!streamed(kind, item_id)) piece(kind, item_id, text, events);
    }
    void piece(api::event_kind kind, std::string_view item_id, std::string_view text,
               std::vector<api::event>& events) {
        if (text.empty()) return;
        if (!streamed(kind, item_id)) streamed_.emplace_back(kind, std::string(item_id));
        events.push_back(make_event(kind, text));
    }
    bool streamed(api::event_kind kind, std::string_view item_id) const {
        for (const auto& s : streamed_) {
            if (s.first == kind && s.second == item_id) return true;
        }
        return false;
    }

    void start(dom::object response, std::vector<api::event>& events);
    void item_added(dom::object item, std::vector<api::event>& events);
    void item_done(dom::object item, std::vector<api::event>& events);
    void arguments(call* c, std::string_view text, std::vector<api::event>& events);
    void end(std::string_view type, dom::object response, std::vector<api::event>& events);

    dom::parser spare_;  // for an event over 1 MiB (openai_wire::parse)
    bool started_ = false;
    std::vector<call> calls_;
    std::vector<std::pair<api::event_kind, std::string>> streamed_;
};

bool responses_decoder::decode(std::string_view sse_type, std::string_view data,
                               std::vector<api::event>& out) {
    dom::element root;
    dom::object o;
    if (openai_wire::parse(data, spare_, root) || root.get_object().get(o)) return false;
    std::string_view type;
    if (o["type"].get_string().get(type)) {
        if (sse_type.empty()) return false;
        type = sse_type;  // the data left its type out: the event: line names it
    }
    std::vector<api::event> events;
    std::string_view item_id = string_member(o, "item_id");
    std::string_view delta = string_member(o, "delta");
    dom::object inner;
    using kind = api::event_kind;
    if (type == "response.created" || type == "response.in_progress" || type == "response.queued") {
        if (o["response"].get_object().get(inner) == simdjson::SUCCESS) start(inner, events);
    } else if (type == "response.output_item.added") {
        if (o["item"].get_object().get(inner) == simdjson::SUCCESS) item_added(inner, events);
    } else if (type == "response.output_item.done") {
        if (o["item"].get_object().get(inner) == simdjson::SUCCESS) item_done(inner, events);
    } else if (type == "response.output_text.delta") {
        piece(kind::text_delta, item_id, delta, events);
    } else if (type == "response.output_text.done") {
        whole(kind::text_delta, item_id, string_member(o, "text"), events);
    } else if (type == "response.refusal.delta") {
        piece(kind::refusal_delta, item_id, delta, events);
    } else if (type == "response.refusal.done") {
        whole(kind::refusal_delta, item_id, string_member(o, "refusal"), events);
    } else if (type == "response.reasoning_summary_text.delta" ||
               type == "response.reasoning_text.delta") {
        piece(kind::reasoning_delta, item_id, delta, events);
    } else if (type == "response.reasoning_summary_text.done" ||
               type == "response.reasoning_text.done") {
        whole(kind::reasoning_delta, item_id, string_member(o, "text"), events);
    } else if (type == "response.reasoning_summary_part.added") {
        // A new summary part after the first starts a paragraph of its own.
        std::int64_t index = 0;
        if (o["summary_index"].get_int64().get(index) == simdjson::SUCCESS && index > 0 &&
            streamed(kind::reasoning_delta, item_id)) {
            events.push_back(make_event(kind::reasoning_delta, "\n\n"));
        }
    } else if (type == "response.function_call_arguments.delta") {
        if (call* c = find_call(item_id)) {
            c->sent = c->sent || !delta.empty();
            if (!delta.empty()) {
                events.push_back(make_event(kind::tool_call_delta, delta, ordinal(c)));
            }
        }
    } else if (type == "response.function_call_arguments.done") {
        arguments(find_call(item_id), string_member(o, "arguments"), events);
    } else if (type == "response.custom_tool_call_input.delta") {
        if (call* c = find_call(item_id)) c->input += delta;
    } else if (type == "response.custom_tool_call_input.done") {
        if (call* c = find_call(item_id)) c->input = string_member(o, "input");
    } else if (type == "response.completed" || type == "response.incomplete" ||
               type == "response.failed") {
        if (o["response"].get_object().get(inner)) return false;
        end(type, inner, events);
    } else if (type == "error") {
        // OpenAI nests the error object; the documented event has its members at the top.
        dom::element error;
        if (o["error"].get(error) || !error.is_object()) error = root;
        api::event e = make_event(kind::error);
        e.error = error_of(&error);
        events.push_back(std::move(e));
    }
    // Anything else (the .done events of parts, built-in tools' progress, keep-alives, types
    // OpenAI adds later): nothing to say.
    for (api::event& e : events) out.push_back(std::move(e));
    return true;
}

void responses_decoder::start(dom::object response, std::vector<api::event>& events) {
    if (started_) return;
    started_ = true;
    api::event e = make_event(api::event_kind::start);
    e.id = string_member(response, "id");
    e.model = string_member(response, "model");
    std::int64_t created = 0;
    if (response["created_at"].get_int64().get(created) == simdjson::SUCCESS) e.created = created;
    events.push_back(std::move(e));
}

void responses_decoder::item_added(dom::object item, std::vector<api::event>& events) {
    std::string_view type = string_member(item, "type");
    if (type != "function_call" && type != "custom_tool_call") return;
    calls_.emplace_back();
    call& c = calls_.back();
    c.item_id = string_member(item, "id");
    c.custom = type == "custom_tool_call";
    api::event e = make_event(api::event_kind::tool_call_start, {}, calls_.size() - 1);
    e.id = string_member(item, "call_id");
    e.name = string_member(item, "name");
    events.push_back(std::move(e));
    if (!c.custom) arguments(&c, string_member(item, "arguments"), events);
}

// A call's arguments whole: sent unless its pieces were.
void responses_decoder::arguments(call* c, std::string_view text, std::vector<api::event>& events) {
    if (c == nullptr || c->sent || text.empty()) return;
    c->sent = true;
    events.push_back(make_event(api::event_kind::tool_call_delta, text, ordinal(c)));
}

// What came only whole, in the finished item: a custom call's input, a server's unstreamed
// text or reasoning.
void responses_decoder::item_done(dom::object item, std::vector<api::event>& events) {
    std::string_view type = string_member(item, "type");
    // A copy: reading the item whole below parses again, in the parser `item` lives in.
    std::string id(string_member(item, "id"));
    if (type == "function_call") {
        arguments(find_call(id), string_member(item, "arguments"), events);
    } else if (type == "custom_tool_call") {
        call* c = find_call(id);
        if (c == nullptr) return;
        std::string_view input = string_member(item, "input");
        if (input.empty()) input = c->input;
        arguments(c, wire::custom_arguments(input), events);
    } else if (type == "message" || type == "reasoning") {
        api::response whole_item;
        std::string one = "{\"output\":[" + simdjson::minify(item) + "]}";
        if (!response_to_pivot(one, whole_item)) return;
        whole(api::event_kind::reasoning_delta, id, whole_item.reasoning, events);
        whole(api::event_kind::text_delta, id, whole_item.text, events);
        whole(api::event_kind::refusal_delta, id, whole_item.refusal, events);
    }
}

void responses_decoder::end(std::string_view type, dom::object response,
                            std::vector<api::event>& events) {
    usage tokens;
    dom::object u;
    if (response["usage"].get_object().get(u) == simdjson::SUCCESS) {
        tokens = usage_reader().from_response("{\"usage\":" + simdjson::minify(u) + "}");
    }
    if (type == "response.failed") {
        if (tokens.present) {
            api::event e = make_event(api::event_kind::usage);
            e.tokens = tokens;
            events.push_back(std::move(e));
        }
        dom::element error;
        bool given = response["error"].get(error) == simdjson::SUCCESS;
        api::event e = make_event(api::event_kind::error);
        e.error = error_of(given ? &error : nullptr);
        events.push_back(std::move(e));
        return;
    }
    api::event finish = make_event(api::event_kind::finish);
    if (type == "response.incomplete") {
        dom::object details;
        bool filtered = response["incomplete_details"].get_object().get(details) ==
                            simdjson::SUCCESS &&
                        string_member(details, "reason") == "content_filter";
        finish.finish = filtered ? api::finish_reason::content_filter : api::finish_reason::length;
    } else {
        finish.finish = calls_.empty() ? api::finish_reason::stop : api::finish_reason::tool_calls;
    }
    events.push_back(std::move(finish));
    if (tokens.present) {
        api::event e = make_event(api::event_kind::usage);
        e.tokens = tokens;
        events.push_back(std::move(e));
    }
    events.push_back(make_event(api::event_kind::done));
}

}  // namespace

std::unique_ptr<api::stream_decoder> make_stream_decoder() {
    return std::make_unique<responses_decoder>();
}

// ---- the encoder ----

namespace {

using wire::write_sv;

// What the response object echoes of the request: all of it but the conversation.
api::request echo_of(const api::request& req) {
    api::request echo;
    echo.model = req.model;
    echo.tools = req.tools;
    echo.tool_choice = req.tool_choice;
    echo.parallel_tool_calls = req.parallel_tool_calls;
    echo.max_tokens = req.max_tokens;
    echo.temperature = req.temperature;
    echo.top_p = req.top_p;
    echo.response_format = req.response_format;
    echo.reasoning_effort = req.reasoning_effort;
    echo.user = req.user;
    return echo;
}

class responses_encoder final : public api::stream_encoder {
public:
    explicit responses_encoder(const api::request& req) : echo_(echo_of(req)) {
        head_.model = req.model;
    }

    void encode(const api::event& e, std::string& out) override;

private:
    using kind = output_item::kind;
    static constexpr std::size_t none = static_cast<std::size_t>(-1);

    // One event: {"type","sequence_number", then what `members` writes}.
    template <class Members>
    void emit(std::string_view type, std::string& out, Members&& members) {
        out += "event: ";
        out += type;
        out += "\ndata: ";
        out += json_text([&](json_writer& w) {
            w.StartObject();
            w.Key("type");
            write_sv(w, type);
            w.Key("sequence_number");
            w.Uint64(seq_++);
            members(w);
            w.EndObject();
        });
        out += "\n\n";
    }
    // The response's lifecycle events: the whole response object as it stands.
    void lifecycle(std::string_view type, std::string& out) {
        emit(type, out, [&](json_writer& w) {
            w.Key("response");
            wire::write_response(w, head_, items_, echo_);
        });
    }
    // "item_id" and "output_index" of the item at `index`, as its events name it.
    void item_ref(json_writer& w, std::size_t index) const {
        w.Key("item_id");
        write_text(w, items_[index].id);
        w.Key("output_index");
        w.Uint64(index);
    }
    // A delta event, the most frequent, written as text (a Writer per event costs more than
    // its bytes; append_json_text writes the Writer's): {"type","sequence_number","item_id",
    // "output_index", then `tail` (members, then the closing brace).
    template <class Tail>
    void delta_event(std::string_view type, std::size_t index, std::string& out, Tail&& tail) {
        out += "event: ";
        out += type;
        out += "\ndata: {\"type\":";
        append_json_text(out, type);
        out += ",\"sequence_number\":";
        append_json_uint(out, seq_++);
        out += ",\"item_id\":";
        append_json_text(out, items_[index].id);
        out += ",\"output_index\":";
        append_json_uint(out, index);
        tail(out);
        out += "\n\n";
    }
    void whole_item(std::string_view type, std::size_t index, std::string& out) {
        emit(type, out, [&](json_writer& w) {
            w.Key("output_index");
            w.Uint64(index);
            w.Key("item");
            wire::write_item(w, items_[index]);
        });
    }

    void begin(const api::event* start, std::string& out);
    std::size_t add_item(kind type, std::string_view prefix, std::string& out);
    void close_open(std::string_view status, std::string& out);
    void close_part(std::string& out);
    void message_delta(bool refusal, std::string_view delta, std::string& out);
    void reasoning_delta(std::string_view delta, std::string& out);
    void call_start(const api::event& e, std::string& out);
    void call_delta(const api::event& e, std::string& out);
    void done(std::string& out);
    void failed(const api_error& error, std::string& out);

    api::request echo_;
    wire::response_head head_;
    std::vector<output_item> items_;
    std::vector<std::pair<std::size_t, std::size_t>> calls_;  // call index -> item index
    std::size_t open_ = none;  // the item whose events are not done
    bool part_open_ = false;   // the open message's last part is not done
    std::uint64_t seq_ = 0;
    bool started_ = false;
    bool ended_ = false;
    bool finished_ = false;
    api::finish_reason finish_ = api::finish_reason::none;
    usage tokens_;
};

void responses_encoder::encode(const api::event& e, std::string& out) {
    if (ended_) return;
    switch (e.kind) {
    case api::event_kind::start:
        begin(&e, out);  // a second start is not a second answer: nothing
        return;
    case api::event_kind::text_delta:
        message_delta(false, e.text, out);
        return;
    case api::event_kind::refusal_delta:
        message_delta(true, e.text, out);
        return;
    case api::event_kind::reasoning_delta:
        reasoning_delta(e.text, out);
        return;
    case api::event_kind::tool_call_start:
        call_start(e, out);
        return;
    case api::event_kind::tool_call_delta:
        call_delta(e, out);
        return;
    case api::event_kind::finish:
        if (!finished_) finish_ = e.finish;
        finished_ = true;
        return;
    case api::event_kind::usage:
        // The last one counts: it goes in the response's final object, where OpenAI puts it.
        if (e.tokens.present || e.tokens.estimated) tokens_ = e.tokens;
        return;
    case api::event_kind::done:
        done(out);
        return;
    case api::event_kind::error:
        failed(e.error, out);
        return;
    }
}

void responses_encoder::begin(const api::event* start, std::string& out) {
    if (started_) return;
    started_ = true;
    head_.id = wire::response_id(start != nullptr ? start->id : std::string());
    head_.created_at = openai_wire::created_or_now(start != nullptr ? start->created : 0);
    if (start != nullptr && !start->model.empty()) head_.model = start->model;
    lifecycle("response.created", out);
    lifecycle("response.in_progress", out);
}

// A new output item, open: whatever item was open is done first. The caller announces it
// (output_item.added) once its members are set.
std::size_t responses_encoder::add_item(kind type, std::string_view prefix, std::string& out) {
    begin(nullptr, out);
    close_open("completed", out);
    std::size_t index = items_.size();
    items_.emplace_back();
    items_.back().type = type;
    items_.back().id = wire::item_id(prefix, head_.id, index);
    open_ = index;
    return index;
}

void responses_encoder::close_part(std::string& out) {
    if (!part_open_) return;
    part_open_ = false;
    std::size_t index = open_;
    const output_item::part& p = items_[index].parts.back();
    std::size_t content_index = items_[index].parts.size() - 1;
    emit(p.refusal ? "response.refusal.done" : "response.output_text.done", out,
         [&](json_writer& w) {
             item_ref(w, index);
             w.Key("content_index");
             w.Uint64(content_index);
             w.Key(p.refusal ? "refusal" : "text");
             write_text(w, p.text);
             if (!p.refusal) {
                 w.Key("logprobs");
                 w.StartArray();
                 w.EndArray();
             }
         });
    emit("response.content_part.done", out, [&](json_writer& w) {
        item_ref(w, index);
        w.Key("content_index");
        w.Uint64(content_index);
        w.Key("part");
        wire::write_part(w, p);
    });
}

// The open item's closing events, its status `status`.
void responses_encoder::close_open(std::string_view status, std::string& out) {
    if (open_ == none) return;
    std::size_t index = open_;
    output_item& item = items_[index];
    switch (item.type) {
    case kind::message:
        close_part(out);
        break;
    case kind::reasoning:
        emit("response.reasoning_summary_text.done", out, [&](json_writer& w) {
            item_ref(w, index);
            w.Key("summary_index");
            w.Uint(0);
            w.Key("text");
            write_text(w, item.text);
        });
        emit("response.reasoning_summary_part.done", out, [&](json_writer& w) {
            item_ref(w, index);
            w.Key("summary_index");
            w.Uint(0);
            w.Key("part");
            wire::write_summary_part(w, item.text);
        });
        break;
    case kind::function_call:
        emit("response.function_call_arguments.done", out, [&](json_writer& w) {
            item_ref(w, index);
            w.Key("name");
            write_text(w, item.name);
            w.Key("arguments");
            write_text(w, item.text);
        });
        break;
    case kind::custom_tool_call: {
        // Its input came as function arguments, {"input":...}: said whole, once complete.
        std::string input = wire::custom_input(item.text);
        if (!input.empty()) {
            emit("response.custom_tool_call_input.delta", out, [&](json_writer& w) {
                item_ref(w, index);
                w.Key("delta");
                write_text(w, input);
            });
        }
        emit("response.custom_tool_call_input.done", out, [&](json_writer& w) {
            item_ref(w, index);
            w.Key("input");
            write_text(w, input);
        });
        break;
    }
    }
    item.status = status;
    whole_item("response.output_item.done", index, out);
    open_ = none;
}

void responses_encoder::message_delta(bool refusal, std::string_view delta, std::string& out) {
    if (delta.empty()) return;  // an empty item is noise a client must skip
    if (open_ == none || items_[open_].type != kind::message) {
        std::size_t index = add_item(kind::message, "msg_", out);
        whole_item("response.output_item.added", index, out);
    }
    std::size_t index = open_;
    output_item& item = items_[index];
    if (!part_open_ || item.parts.back().refusal != refusal) {
        close_part(out);
        item.parts.push_back({refusal, std::string()});
        part_open_ = true;
        emit("response.content_part.added", out, [&](json_writer& w) {
            item_ref(w, index);
            w.Key("content_index");
            w.Uint64(item.parts.size() - 1);
            w.Key("part");
            wire::write_part(w, item.parts.back());
        });
    }
    item.parts.back().text += delta;
    delta_event(refusal ? "response.refusal.delta" : "response.output_text.delta", index, out,
                [&](std::string& o) {
                    o += ",\"content_index\":";
                    append_json_uint(o, item.parts.size() - 1);
                    o += ",\"delta\":";
                    append_json_text(o, delta);
                    o += refusal ? "}" : ",\"logprobs\":[]}";
                });
}

void responses_encoder::reasoning_delta(std::string_view delta, std::string& out) {
    if (delta.empty()) return;
    if (open_ == none || items_[open_].type != kind::reasoning) {
        std::size_t index = add_item(kind::reasoning, "rs_", out);
        whole_item("response.output_item.added", index, out);
        emit("response.reasoning_summary_part.added", out, [&](json_writer& w) {
            item_ref(w, index);
            w.Key("summary_index");
            w.Uint(0);
            w.Key("part");
            wire::write_summary_part(w, "");
        });
    }
    std::size_t index = open_;
    items_[index].text += delta;
    delta_event("response.reasoning_summary_text.delta", index, out, [&](std::string& o) {
        o += ",\"summary_index\":0,\"delta\":";
        append_json_text(o, delta);
        o += '}';
    });
}

void responses_encoder::call_start(const api::event& e, std::string& out) {
    bool custom = wire::is_custom_tool(echo_, e.name);
    std::size_t index = custom ? add_item(kind::custom_tool_call, "ctc_", out)
                               : add_item(kind::function_call, "fc_", out);
    output_item& item = items_[index];
    item.call_id = e.id.empty() ? wire::item_id("call_", head_.id, index) : e.id;
    item.name = e.name;
    calls_.emplace_back(e.index, index);
    whole_item("response.output_item.added", index, out);
}

void responses_encoder::call_delta(const api::event& e, std::string& out) {
    if (e.text.empty()) return;
    // The call's own item, even when another has started since; a piece of a call that never
    // started has no item to go to.
    for (auto it = calls_.rbegin(); it != calls_.rend(); ++it) {
        if (it->first != e.index) continue;
        std::size_t index = it->second;
        items_[index].text += e.text;
        if (items_[index].type == kind::function_call) {
            delta_event("response.function_call_arguments.delta", index, out,
                        [&](std::string& o) {
                            o += ",\"delta\":";
                            append_json_text(o, e.text);
                            o += '}';
                        });
        }
        return;
    }
}

void responses_encoder::done(std::string& out) {
    begin(nullptr, out);
    head_.status = wire::status_of(finish_);
    head_.incomplete_reason = wire::incomplete_reason_of(finish_);
    // What was still being written when the answer was cut is incomplete.
    close_open(head_.status == "incomplete" ? "incomplete" : "completed", out);
    if (tokens_.present || tokens_.estimated) head_.tokens = &tokens_;
    lifecycle(head_.status == "incomplete" ? "response.incomplete" : "response.completed", out);
    ended_ = true;
}

void responses_encoder::failed(const api_error& error, std::string& out) {
    begin(nullptr, out);
    out += error_event(error, seq_++);
    if (open_ != none) items_[open_].status = "incomplete";
    head_.status = "failed";
    head_.error = &error;
    if (tokens_.present || tokens_.estimated) head_.tokens = &tokens_;
    lifecycle("response.failed", out);
    head_.error = nullptr;
    ended_ = true;
}

}  // namespace

std::unique_ptr<api::stream_encoder> make_stream_encoder(const api::request& req) {
    return std::make_unique<responses_encoder>(req);
}

}  // namespace aigw::responses
