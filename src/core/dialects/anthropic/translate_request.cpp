// A Messages request to and from the pivot request (translate.hpp).
#include <algorithm>
#include <optional>

#include "aigw/dialects/anthropic/translate.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/anthropic/wire.hpp"

namespace aigw::anthropic {

std::int64_t thinking_budget(std::string_view effort) noexcept {
    if (effort == "minimal") return min_thinking_budget;
    if (effort == "low") return 2048;
    if (effort == "medium") return 8192;
    if (effort == "high") return 24576;
    return 0;
}

std::string_view reasoning_effort(std::int64_t budget) noexcept {
    if (budget < 6144) return "low";
    if (budget < 16384) return "medium";
    return "high";
}

namespace {

namespace dom = simdjson::dom;
using dom::element;
using dom::element_type;

// The last member named `key` (JSON.parse keeps the last of duplicates, so the client's SDK
// meant that one); nullopt when there is none or it is null, which Anthropic treats alike.
std::optional<element> member(dom::object o, std::string_view key) {
    std::optional<element> found;
    for (dom::key_value_pair field : o) {
        if (field.key == key) found = field.value;
    }
    if (found && found->is_null()) return std::nullopt;
    return found;
}

std::string at(std::string_view param, std::size_t i) {
    std::string s(param);
    s += '[';
    s += std::to_string(i);
    s += ']';
    return s;
}

std::string dot(std::string_view param, std::string_view name) {
    std::string s(param);
    s += '.';
    s += name;
    return s;
}

// Reads one request, failing with a 400 in the canonical words, `param` naming the member.
class request_reader {
public:
    // `need_max_tokens`: false for a count_tokens body, which has none.
    request_reader(api_error& err, bool need_max_tokens)
        : err_(err), need_max_tokens_(need_max_tokens) {}

    bool read(element doc, api::request& out);

private:
    bool fail(api_error e) {
        err_ = std::move(e);
        return false;
    }

    bool wrong_type(const std::string& param, std::string_view expected, element v) {
        return fail(invalid_type_error(param, expected, wire::type_phrase(v.type())));
    }

    bool missing(const std::string& param) {
        api_error e;
        e.status = 400;
        e.type = "invalid_request_error";
        e.code = "missing_required_parameter";
        e.param = param;
        e.message = "Missing required parameter: '" + param + "'.";
        return fail(std::move(e));
    }

    bool bad_value(const std::string& param, std::string message) {
        api_error e;
        e.status = 400;
        e.type = "invalid_request_error";
        e.code = "invalid_value";
        e.param = param;
        e.message = "Invalid '" + param + "': " + std::move(message);
        return fail(std::move(e));
    }

    // What the pivot cannot carry: refused rather than dropped, as the answer would change.
    bool unsupported(const std::string& param, std::string_view what) {
        api_error e;
        e.status = 400;
        e.type = "invalid_request_error";
        e.code = "unsupported_value";
        e.param = param;
        e.message = "Unsupported '" + param + "': ";
        e.message += what;
        e.message += " cannot be translated for this model's provider.";
        return fail(std::move(e));
    }

    bool object(element v, const std::string& param, dom::object& o) {
        return v.get_object().get(o) == simdjson::SUCCESS || wrong_type(param, "an object", v);
    }

    bool array(element v, const std::string& param, dom::array& a) {
        return v.get_array().get(a) == simdjson::SUCCESS || wrong_type(param, "an array", v);
    }

    bool string(element v, const std::string& param, std::string_view& s) {
        return v.get_string().get(s) == simdjson::SUCCESS || wrong_type(param, "a string", v);
    }

    bool integer(element v, const std::string& param, std::int64_t& n) {
        return v.get_int64().get(n) == simdjson::SUCCESS || wrong_type(param, "an integer", v);
    }

    bool number(element v, const std::string& param, double& d) {
        return v.get_double().get(d) == simdjson::SUCCESS || wrong_type(param, "a number", v);
    }

    bool boolean(element v, const std::string& param, bool& b) {
        return v.get_bool().get(b) == simdjson::SUCCESS || wrong_type(param, "a boolean", v);
    }

    // A required string member of `o`.
    bool required_string(dom::object o, std::string_view key, const std::string& param,
                         std::string_view& s) {
        std::optional<element> v = member(o, key);
        if (!v) return missing(dot(param, key));
        return string(*v, dot(param, key), s);
    }

    // A block's "type".
    bool block_type(element block, const std::string& param, dom::object& o,
                    std::string_view& type) {
        return object(block, param, o) && required_string(o, "type", param, type);
    }

    bool system(element v, const std::string& param, api::request& out);
    bool message(element v, const std::string& param, api::request& out);
    bool text_block(dom::object o, const std::string& param, api::content_part& part);
    bool image_block(dom::object o, const std::string& param, api::content_part& part);
    bool tool_result(dom::object o, const std::string& param, api::message& m);
    bool tool_use(dom::object o, const std::string& param, api::message& m);
    bool tools(element v, api::request& out);
    bool tool_choice(element v, api::request& out);
    bool thinking(element v, api::request& out);

    api_error& err_;
    bool need_max_tokens_;
};

bool request_reader::text_block(dom::object o, const std::string& param, api::content_part& part) {
    std::string_view text;
    if (!required_string(o, "text", param, text)) return false;
    part.type = api::content_part::kind::text;
    part.text.assign(text.data(), text.size());
    return true;
}

bool request_reader::image_block(dom::object o, const std::string& param, api::content_part& part) {
    std::string source_param = dot(param, "source");
    std::optional<element> source = member(o, "source");
    dom::object s;
    std::string_view type;
    if (!source) return missing(source_param);
    if (!block_type(*source, source_param, s, type)) return false;
    part.type = api::content_part::kind::image;
    if (type == "base64") {
        std::string_view media_type;
        std::string_view data;
        if (!required_string(s, "media_type", source_param, media_type) ||
            !required_string(s, "data", source_param, data)) {
            return false;
        }
        part.url = "data:";
        part.url += media_type;
        part.url += ";base64,";
        part.url += data;
        return true;
    }
    if (type == "url") {
        std::string_view url;
        if (!required_string(s, "url", source_param, url)) return false;
        part.url.assign(url.data(), url.size());
        return true;
    }
    return unsupported(dot(source_param, "type"), "an image source other than base64 or url");
}

bool request_reader::tool_result(dom::object o, const std::string& param, api::message& m) {
    std::string_view id;
    if (!required_string(o, "tool_use_id", param, id)) return false;
    m.role = api::role::tool;
    m.tool_call_id.assign(id.data(), id.size());
    std::optional<element> content = member(o, "content");
    if (!content) return true;
    std::string content_param = dot(param, "content");
    std::string_view text;
    if (content->get_string().get(text) == simdjson::SUCCESS) {
        api::content_part part;
        part.text.assign(text.data(), text.size());
        m.content.push_back(std::move(part));
        return true;
    }
    dom::array blocks;
    if (!array(*content, content_param, blocks)) return false;
    std::size_t j = 0;
    for (element block : blocks) {
        std::string block_param = at(content_param, j++);
        dom::object b;
        std::string_view type;
        if (!block_type(block, block_param, b, type)) return false;
        api::content_part part;
        if (type == "text") {
            if (!text_block(b, block_param, part)) return false;
        } else if (type == "image") {
            if (!image_block(b, block_param, part)) return false;
        } else {
            return unsupported(dot(block_param, "type"), "tool result content other than text and images");
        }
        m.content.push_back(std::move(part));
    }
    return true;
}

bool request_reader::tool_use(dom::object o, const std::string& param, api::message& m) {
    std::string_view id;
    std::string_view name;
    if (!required_string(o, "id", param, id) || !required_string(o, "name", param, name)) {
        return false;
    }
    api::tool_call call;
    call.id.assign(id.data(), id.size());
    call.name.assign(name.data(), name.size());
    call.arguments = "{}";
    if (std::optional<element> input = member(o, "input")) {
        dom::object args;
        if (!object(*input, dot(param, "input"), args)) return false;
        call.arguments = simdjson::minify(args);
    }
    m.tool_calls.push_back(std::move(call));
    return true;
}

// `param` names the member in errors: "system", or a system message's "messages[i].content".
bool request_reader::system(element v, const std::string& param, api::request& out) {
    std::string_view text;
    if (v.get_string().get(text) == simdjson::SUCCESS) {
        if (text.empty()) return true;
        api::message m;
        m.role = api::role::system;
        m.content.emplace_back();
        m.content.back().text.assign(text.data(), text.size());
        out.messages.push_back(std::move(m));
        return true;
    }
    dom::array blocks;
    if (!array(v, param, blocks)) return false;
    std::size_t i = 0;
    for (element block : blocks) {
        std::string block_param = at(param, i++);
        dom::object b;
        std::string_view type;
        if (!block_type(block, block_param, b, type)) return false;
        if (type != "text") {
            return unsupported(dot(block_param, "type"), "a system block other than text");
        }
        api::message m;
        m.role = api::role::system;
        m.content.emplace_back();
        if (!text_block(b, block_param, m.content.back())) return false;
        out.messages.push_back(std::move(m));
    }
    return true;
}

bool request_reader::message(element v, const std::string& param, api::request& out) {
    dom::object o;
    std::string_view role;
    if (!object(v, param, o) || !required_string(o, "role", param, role)) return false;
    if (role == "system") {
        // A system message in the conversation (Claude Code sends them with the
        // mid-conversation-system beta): text only, kept where it is.
        std::optional<element> content = member(o, "content");
        if (!content) return missing(dot(param, "content"));
        return system(*content, dot(param, "content"), out);
    }
    if (role != "user" && role != "assistant") {
        return bad_value(dot(param, "role"), "expected 'user', 'assistant' or 'system'.");
    }
    bool user = role == "user";
    api::message m;
    m.role = user ? api::role::user : api::role::assistant;
    std::string content_param = dot(param, "content");
    std::optional<element> content = member(o, "content");
    if (!content) return missing(content_param);
    std::string_view text;
    if (content->get_string().get(text) == simdjson::SUCCESS) {
        m.content.emplace_back();
        m.content.back().text.assign(text.data(), text.size());
        out.messages.push_back(std::move(m));
        return true;
    }
    dom::array blocks;
    if (!array(*content, content_param, blocks)) return false;
    std::size_t thinking_blocks = 0;
    std::size_t j = 0;
    for (element block : blocks) {
        std::string block_param = at(content_param, j++);
        dom::object b;
        std::string_view type;
        if (!block_type(block, block_param, b, type)) return false;
        if (type == "text") {
            m.content.emplace_back();
            if (!text_block(b, block_param, m.content.back())) return false;
        } else if (type == "image" && user) {
            m.content.emplace_back();
            if (!image_block(b, block_param, m.content.back())) return false;
        } else if (type == "tool_result" && user) {
            // OpenAI wants a call's answer right after the call: the results go first.
            api::message result;
            if (!tool_result(b, block_param, result)) return false;
            out.messages.push_back(std::move(result));
        } else if (type == "tool_use" && !user) {
            if (!tool_use(b, block_param, m)) return false;
        } else if (type == "thinking" && !user) {
            std::string_view thinking;
            if (!required_string(b, "thinking", block_param, thinking)) return false;
            m.reasoning.append(thinking.data(), thinking.size());
            std::string_view signature;
            if (std::optional<element> sig = member(b, "signature")) {
                if (!string(*sig, dot(block_param, "signature"), signature)) return false;
            }
            // A signature covers one block: reasoning joined from several has none.
            ++thinking_blocks;
            m.reasoning_signature = thinking_blocks == 1 ? std::string(signature) : std::string();
        } else if (type == "redacted_thinking") {
            continue;  // encrypted for Anthropic alone: nothing another provider can read
        } else {
            std::string what = "a ";
            what += type;
            what += " block in a";
            what += user ? " user" : "n assistant";
            what += " message";
            return unsupported(dot(block_param, "type"), what);
        }
    }
    if (!m.content.empty() || !m.tool_calls.empty() || !m.reasoning.empty()) {
        out.messages.push_back(std::move(m));
    }
    return true;
}

bool request_reader::tools(element v, api::request& out) {
    dom::array items;
    if (!array(v, "tools", items)) return false;
    std::size_t i = 0;
    for (element item : items) {
        std::string param = at("tools", i++);
        dom::object o;
        if (!object(item, param, o)) return false;
        if (std::optional<element> type = member(o, "type")) {
            std::string_view t;
            if (!string(*type, dot(param, "type"), t)) return false;
            if (t != "custom") return unsupported(dot(param, "type"), "a server tool");
        }
        std::string_view name;
        if (!required_string(o, "name", param, name)) return false;
        api::tool tool;
        tool.name.assign(name.data(), name.size());
        if (std::optional<element> description = member(o, "description")) {
            std::string_view d;
            if (!string(*description, dot(param, "description"), d)) return false;
            tool.description.assign(d.data(), d.size());
        }
        std::optional<element> schema = member(o, "input_schema");
        dom::object s;
        if (!schema) return missing(dot(param, "input_schema"));
        if (!object(*schema, dot(param, "input_schema"), s)) return false;
        tool.parameters = simdjson::minify(s);
        if (std::optional<element> strict = member(o, "strict")) {
            if (!boolean(*strict, dot(param, "strict"), tool.strict)) return false;
        }
        out.tools.push_back(std::move(tool));
    }
    return true;
}

bool request_reader::tool_choice(element v, api::request& out) {
    dom::object o;
    std::string_view type;
    if (!block_type(v, "tool_choice", o, type)) return false;
    using mode = api::tool_choice::mode;
    if (type == "auto") {
        out.tool_choice.how = mode::automatic;
    } else if (type == "any") {
        out.tool_choice.how = mode::required;
    } else if (type == "none") {
        out.tool_choice.how = mode::none;
    } else if (type == "tool") {
        std::string_view name;
        if (!required_string(o, "name", "tool_choice", name)) return false;
        out.tool_choice.how = mode::function;
        out.tool_choice.name.assign(name.data(), name.size());
    } else {
        return bad_value("tool_choice.type", "expected 'auto', 'any', 'tool' or 'none'.");
    }
    if (std::optional<element> d = member(o, "disable_parallel_tool_use")) {
        bool disable = false;
        if (!boolean(*d, "tool_choice.disable_parallel_tool_use", disable)) return false;
        out.parallel_tool_calls = !disable;
    }
    return true;
}

bool request_reader::thinking(element v, api::request& out) {
    dom::object o;
    std::string_view type;
    if (!block_type(v, "thinking", o, type)) return false;
    if (type != "enabled") return true;  // disabled: no effort asked, the provider's default
    std::optional<element> budget = member(o, "budget_tokens");
    std::int64_t n = 0;
    if (!budget) return missing("thinking.budget_tokens");
    if (!integer(*budget, "thinking.budget_tokens", n)) return false;
    out.reasoning_effort = reasoning_effort(n);
    return true;
}

bool request_reader::read(element doc, api::request& out) {
    dom::object top;
    if (doc.get_object().get(top)) return fail(not_an_object_error());

    std::optional<element> model = member(top, "model");
    std::string_view model_name;
    if (!model) return fail(missing_model_error());
    if (!string(*model, "model", model_name)) return false;
    out.model.assign(model_name.data(), model_name.size());

    std::optional<element> max_tokens = member(top, "max_tokens");
    std::int64_t max = 0;
    if (!max_tokens && need_max_tokens_) return missing("max_tokens");
    if (max_tokens) {
        if (!integer(*max_tokens, "max_tokens", max)) return false;
        if (max < 1) return bad_value("max_tokens", "expected a value of at least 1.");
        out.max_tokens = max;
    }

    if (std::optional<element> s = member(top, "system")) {
        if (!system(*s, "system", out)) return false;
    }
    std::optional<element> messages = member(top, "messages");
    dom::array items;
    if (!messages) return missing("messages");
    if (!array(*messages, "messages", items)) return false;
    std::size_t i = 0;
    for (element item : items) {
        if (!message(item, at("messages", i++), out)) return false;
    }

    if (std::optional<element> v = member(top, "stream")) {
        if (!boolean(*v, "stream", out.stream)) return false;
    }
    out.include_usage = out.stream;  // Anthropic streams always carry usage
    if (std::optional<element> v = member(top, "temperature")) {
        double d = 0;
        if (!number(*v, "temperature", d)) return false;
        out.temperature = d;
    }
    if (std::optional<element> v = member(top, "top_p")) {
        double d = 0;
        if (!number(*v, "top_p", d)) return false;
        out.top_p = d;
    }
    if (std::optional<element> v = member(top, "top_k")) {
        std::int64_t k = 0;
        if (!integer(*v, "top_k", k)) return false;
        out.top_k = k;
    }
    if (std::optional<element> v = member(top, "stop_sequences")) {
        dom::array stops;
        if (!array(*v, "stop_sequences", stops)) return false;
        std::size_t j = 0;
        for (element stop : stops) {
            std::string_view s;
            if (!string(stop, at("stop_sequences", j++), s)) return false;
            out.stop.emplace_back(s);
        }
    }
    if (std::optional<element> v = member(top, "metadata")) {
        dom::object meta;
        if (!object(*v, "metadata", meta)) return false;
        if (std::optional<element> user = member(meta, "user_id")) {
            std::string_view u;
            if (!string(*user, "metadata.user_id", u)) return false;
            out.user.assign(u.data(), u.size());
        }
    }
    if (std::optional<element> v = member(top, "tools")) {
        if (!tools(*v, out)) return false;
    }
    if (std::optional<element> v = member(top, "tool_choice")) {
        if (!tool_choice(*v, out)) return false;
    }
    if (std::optional<element> v = member(top, "thinking")) {
        if (!thinking(*v, out)) return false;
    }
    return true;
}

// --- the pivot -> Messages ---

// One content block on its way out: text (written last, so it can become a plain string), or
// any other block already written as JSON.
struct block {
    bool is_text = false;
    bool is_tool_result = false;
    std::string text;
    std::string json;
};

struct out_message {
    bool user = true;
    std::vector<block> blocks;
};

template <class F>
std::string json_of(F&& write) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    write(w);
    return std::string(buf.GetString(), buf.GetSize());
}

void write_image(json_writer& w, std::string_view url) {
    w.StartObject();
    w.Key("type");
    w.String("image");
    w.Key("source");
    w.StartObject();
    constexpr std::string_view scheme = "data:";
    constexpr std::string_view base64 = ";base64,";
    std::size_t mark = url.find(base64);
    if (url.substr(0, scheme.size()) == scheme && mark != std::string_view::npos &&
        mark > scheme.size()) {
        w.Key("type");
        w.String("base64");
        w.Key("media_type");
        write_text(w, url.substr(scheme.size(), mark - scheme.size()));
        w.Key("data");
        write_text(w, url.substr(mark + base64.size()));
    } else {
        w.Key("type");
        w.String("url");
        w.Key("url");
        write_text(w, url);
    }
    w.EndObject();
    w.EndObject();
}

// The message's content parts as blocks: text (empty text left out) and images.
void add_parts(const std::vector<api::content_part>& parts, std::vector<block>& blocks) {
    for (const api::content_part& part : parts) {
        block b;
        if (part.type == api::content_part::kind::text) {
            if (part.text.empty()) continue;
            b.is_text = true;
            b.text = part.text;
        } else {
            b.json = json_of([&](json_writer& w) { write_image(w, part.url); });
        }
        blocks.push_back(std::move(b));
    }
}

void write_text_block(json_writer& w, std::string_view text) {
    w.StartObject();
    w.Key("type");
    w.String("text");
    w.Key("text");
    write_text(w, text);
    w.EndObject();
}

void write_blocks(json_writer& w, const std::vector<block>& blocks) {
    w.StartArray();
    for (const block& b : blocks) {
        if (b.is_text) {
            write_text_block(w, b.text);
        } else {
            w.RawValue(b.json.data(), b.json.size(), rapidjson::kObjectType);
        }
    }
    w.EndArray();
}

out_message convert(const api::message& m) {
    out_message out;
    out.user = m.role != api::role::assistant;
    if (m.role == api::role::tool) {
        std::vector<block> content;
        add_parts(m.content, content);
        block b;
        b.is_tool_result = true;
        b.json = json_of([&](json_writer& w) {
            w.StartObject();
            w.Key("type");
            w.String("tool_result");
            w.Key("tool_use_id");
            write_text(w, m.tool_call_id);
            if (content.size() == 1 && content.front().is_text) {
                w.Key("content");
                write_text(w, content.front().text);
            } else if (!content.empty()) {
                w.Key("content");
                write_blocks(w, content);
            }
            w.EndObject();
        });
        out.blocks.push_back(std::move(b));
        return out;
    }
    if (m.role == api::role::assistant && !m.reasoning.empty() && !m.reasoning_signature.empty()) {
        block b;
        b.json = json_of([&](json_writer& w) {
            w.StartObject();
            w.Key("type");
            w.String("thinking");
            w.Key("thinking");
            write_text(w, m.reasoning);
            w.Key("signature");
            write_text(w, m.reasoning_signature);
            w.EndObject();
        });
        out.blocks.push_back(std::move(b));
    }
    add_parts(m.content, out.blocks);
    if (m.role == api::role::assistant) {
        for (const api::tool_call& call : m.tool_calls) {
            block b;
            b.json = json_of([&](json_writer& w) {
                w.StartObject();
                w.Key("type");
                w.String("tool_use");
                w.Key("id");
                write_text(w, call.id);
                w.Key("name");
                write_text(w, call.name);
                w.Key("input");
                std::string input = wire::object_json(call.arguments);
                w.RawValue(input.data(), input.size(), rapidjson::kObjectType);
                w.EndObject();
            });
            out.blocks.push_back(std::move(b));
        }
    }
    return out;
}

void write_messages(json_writer& w, const std::vector<api::message>& messages) {
    std::vector<out_message> out;
    for (const api::message& m : messages) {
        if (m.role == api::role::system) continue;
        out_message next = convert(m);
        if (next.blocks.empty()) continue;
        if (!out.empty() && out.back().user == next.user) {
            // Anthropic wants the roles to alternate: one turn's messages become one.
            for (block& b : next.blocks) out.back().blocks.push_back(std::move(b));
        } else {
            out.push_back(std::move(next));
        }
    }
    w.Key("messages");
    w.StartArray();
    for (out_message& m : out) {
        if (m.user) {
            // A user turn's tool results must come before the rest of it.
            std::stable_partition(m.blocks.begin(), m.blocks.end(),
                                  [](const block& b) { return b.is_tool_result; });
        }
        w.StartObject();
        w.Key("role");
        w.String(m.user ? "user" : "assistant");
        w.Key("content");
        if (m.blocks.size() == 1 && m.blocks.front().is_text) {
            write_text(w, m.blocks.front().text);
        } else {
            write_blocks(w, m.blocks);
        }
        w.EndObject();
    }
    w.EndArray();
}

// What Anthropic's Messages API has for OpenAI's response_format: no JSON mode, so the model is
// told in the system prompt, after the client's own instructions ("" for text or none).
std::string json_output_instruction(const api::response_format& f) {
    using kind = api::response_format::kind;
    if (f.type == kind::json_object) {
        return "Respond with one valid JSON object and nothing else: no prose, no code fences.";
    }
    if (f.type != kind::json_schema) return {};
    std::string text =
        "Respond with one valid JSON object and nothing else (no prose, no code fences) that "
        "conforms to this JSON Schema";
    if (!f.name.empty()) text += " (\"" + f.name + "\")";
    text += ":\n";
    text += f.schema.empty() ? std::string("{}") : f.schema;
    return text;
}

void write_system(json_writer& w, const api::request& req) {
    std::vector<const std::string*> texts;
    for (const api::message& m : req.messages) {
        if (m.role != api::role::system) continue;
        for (const api::content_part& part : m.content) {
            if (part.type == api::content_part::kind::text && !part.text.empty()) {
                texts.push_back(&part.text);
            }
        }
    }
    std::string json_output = json_output_instruction(req.response_format);
    if (!json_output.empty()) texts.push_back(&json_output);
    if (texts.empty()) return;
    w.Key("system");
    if (texts.size() == 1) {
        write_text(w, *texts.front());
        return;
    }
    w.StartArray();
    for (const std::string* text : texts) write_text_block(w, *text);
    w.EndArray();
}

void write_tools(json_writer& w, const api::request& req) {
    if (req.tools.empty()) return;
    w.Key("tools");
    w.StartArray();
    for (const api::tool& tool : req.tools) {
        w.StartObject();
        w.Key("name");
        write_text(w, tool.name);
        if (!tool.description.empty()) {
            w.Key("description");
            write_text(w, tool.description);
        }
        w.Key("input_schema");
        std::string schema = wire::object_json(tool.parameters);
        if (schema == "{}") schema = R"({"type":"object","properties":{}})";
        w.RawValue(schema.data(), schema.size(), rapidjson::kObjectType);
        w.EndObject();
    }
    w.EndArray();

    using mode = api::tool_choice::mode;
    mode how = req.tool_choice.how;
    bool serial = req.parallel_tool_calls.has_value() && !*req.parallel_tool_calls;
    if (how == mode::unset && !serial) return;
    w.Key("tool_choice");
    w.StartObject();
    w.Key("type");
    switch (how) {
    case mode::none: w.String("none"); break;
    case mode::required: w.String("any"); break;
    case mode::function:
        w.String("tool");
        w.Key("name");
        write_text(w, req.tool_choice.name);
        break;
    case mode::unset:
    case mode::automatic: w.String("auto"); break;
    }
    if (serial && how != mode::none) {
        w.Key("disable_parallel_tool_use");
        w.Bool(true);
    }
    w.EndObject();
}

}  // namespace

namespace {

bool read_request_body(std::string_view body, api::request& out, api_error& err,
                       bool need_max_tokens) {
    dom::parser parser;
    dom::element doc;
    if (auto code = wire::parse(parser, body, doc)) {
        err = invalid_json_error(simdjson::error_message(code));
        return false;
    }
    out = api::request{};
    request_reader reader(err, need_max_tokens);
    return reader.read(doc, out);
}

}  // namespace

bool request_to_pivot(std::string_view body, api::request& out, api_error& err) {
    return read_request_body(body, out, err, true);
}

bool count_request_to_pivot(std::string_view body, api::request& out, api_error& err) {
    return read_request_body(body, out, err, false);
}

std::string request_from_pivot(const api::request& req, std::int64_t max_tokens_default) {
    using mode = api::tool_choice::mode;
    bool forced_tool = req.tool_choice.how == mode::required || req.tool_choice.how == mode::function;
    std::int64_t budget = forced_tool ? 0 : thinking_budget(req.reasoning_effort);
    std::int64_t max_tokens = max_tokens_default;
    if (req.max_tokens) {
        max_tokens = *req.max_tokens;
        // The budget is part of max_tokens and must stay below it.
        if (budget >= max_tokens) budget = max_tokens - 1;
        if (budget < min_thinking_budget) budget = 0;
    } else if (budget > 0) {
        max_tokens += budget;
    }
    bool thinking = budget > 0;

    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    w.Key("model");
    write_text(w, req.model);
    w.Key("max_tokens");
    w.Int64(max_tokens);
    write_system(w, req);
    write_messages(w, req.messages);
    write_tools(w, req);
    if (thinking) {
        w.Key("thinking");
        w.StartObject();
        w.Key("type");
        w.String("enabled");
        w.Key("budget_tokens");
        w.Int64(budget);
        w.EndObject();
    }
    if (req.temperature && !thinking) {
        w.Key("temperature");
        w.Double(std::clamp(*req.temperature, 0.0, 1.0));
    }
    if (req.top_p && (!thinking || *req.top_p >= 0.95)) {
        w.Key("top_p");
        w.Double(*req.top_p);
    }
    if (req.top_k && !thinking) {
        w.Key("top_k");
        w.Int64(*req.top_k);
    }
    if (!req.stop.empty()) {
        w.Key("stop_sequences");
        w.StartArray();
        for (const std::string& s : req.stop) write_text(w, s);
        w.EndArray();
    }
    if (!req.user.empty()) {
        w.Key("metadata");
        w.StartObject();
        w.Key("user_id");
        write_text(w, req.user);
        w.EndObject();
    }
    if (req.stream) {
        w.Key("stream");
        w.Bool(true);
    }
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace aigw::anthropic
