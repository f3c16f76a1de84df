// A Responses request body to and from the pivot request (translate.hpp).
#include <array>
#include <optional>
#include <utility>

#include "aigw/dialects/openai_responses/translate.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/openai_chat/wire.hpp"
#include "core/dialects/openai_responses/wire.hpp"

namespace aigw::responses {

namespace {

namespace dom = simdjson::dom;
using openai_wire::at_index;
using openai_wire::at_member;

// The members of `o` named in `keys`, the last of each (JSON.parse keeps the last of
// duplicates, so the client's SDK meant that one); a null one counts as not given, as OpenAI
// takes it.
template <std::size_t N>
std::array<std::optional<dom::element>, N> members_of(dom::object o,
                                                      const std::array<std::string_view, N>& keys) {
    std::array<std::optional<dom::element>, N> found;
    for (dom::key_value_pair field : o) {
        for (std::size_t i = 0; i < N; ++i) {
            if (field.key == keys[i]) found[i] = field.value;
        }
    }
    for (std::optional<dom::element>& v : found) {
        if (v && v->is_null()) v.reset();
    }
    return found;
}

// Web search (web_search, web_search_preview and their dated names): dropped, not refused.
bool is_web_search(std::string_view type) {
    return type.substr(0, 10) == "web_search";
}

// Input items a translated channel has no use for, dropped (translate.hpp): Codex's
// compaction markers and summaries (encrypted for OpenAI alone), and earlier web searches.
bool is_dropped_item(std::string_view type) {
    return type == "compaction_trigger" || type == "compaction" ||
           type == "compaction_summary" || type == "web_search_call";
}

// The assistant message an assistant-side item joins: the last message when it is the
// assistant's and `joins` accepts it, else a new one. A turn's reasoning, text and calls
// arrive as separate items; a chat assistant message holds them together.
api::message& assistant_turn(std::vector<api::message>& messages,
                             bool (*joins)(const api::message&)) {
    if (messages.empty() || messages.back().role != api::role::assistant ||
        !joins(messages.back())) {
        messages.emplace_back();
        messages.back().role = api::role::assistant;
    }
    return messages.back();
}

// Reasoning and text join a turn that has said nothing yet; calls join any.
bool nothing_said(const api::message& m) { return m.content.empty() && m.tool_calls.empty(); }
bool any_turn(const api::message&) { return true; }

class request_reader : public openai_wire::member_reader {
public:
    using member_reader::member_reader;

    bool read(dom::element root, api::request& req);

private:
    bool untranslatable(std::string_view param, std::string_view what) {
        return fail(untranslatable_error(param, what));
    }
    bool object(dom::element v, std::string_view param, dom::object& o) {
        return v.get_object().get(o) == simdjson::SUCCESS || wrong_type(param, "an object", v);
    }
    bool array(dom::element v, std::string_view param, dom::array& a) {
        return v.get_array().get(a) == simdjson::SUCCESS || wrong_type(param, "an array", v);
    }
    // A member that must be there, and a string.
    bool required_string(const std::optional<dom::element>& v, const std::string& param,
                         std::string& out) {
        if (!v) return fail(missing_parameter_error(param));
        return read_string(*v, param, out);
    }

    bool input(dom::element v, std::vector<api::message>& out);
    bool item(dom::element v, const std::string& at, std::vector<api::message>& out);
    bool message_item(dom::object o, const std::string& at, std::vector<api::message>& out);
    // A message's content, or a call output's: text, or parts part() reads.
    bool content(dom::element v, const std::string& at, api::message& m) {
        auto each = [&](dom::element p, const std::string& param) { return part(p, param, m); };
        return read_text_or_parts(v, at, m, each);
    }
    bool part(dom::element v, const std::string& at, api::message& m);
    bool call_item(dom::object o, const std::string& at, bool custom,
                   std::vector<api::message>& out);
    bool call_output_item(dom::object o, const std::string& at, std::vector<api::message>& out);
    bool reasoning_item(dom::object o, const std::string& at, std::vector<api::message>& out);
    bool texts(dom::element v, const std::string& at, std::string& out);
    bool tools(dom::element v, std::vector<api::tool>& out);
    bool tool(dom::element v, const std::string& at, std::vector<api::tool>& out);
    bool custom_tool(dom::object o, const std::string& at, api::tool& tool);
    bool tool_choice(dom::element v, api::tool_choice& out);
    bool text_config(dom::element v, api::response_format& out);
    bool reasoning(dom::element v, std::string& effort);
};

bool request_reader::read(dom::element root, api::request& req) {
    dom::object top;
    if (root.get_object().get(top)) return fail(not_an_object_error());

    bool has_model = false;
    std::string instructions;
    std::optional<dom::element> input_items;
    std::optional<bool> stream;
    std::optional<bool> background;
    std::string user;
    std::string safety_identifier;
    for (dom::key_value_pair field : top) {
        std::string_view key = field.key;
        dom::element v = field.value;
        bool given = !v.is_null();
        bool ok = true;
        if (key == "model") {
            has_model = given;
            ok = !given || read_string(v, key, req.model);
        } else if (key == "instructions") {
            ok = read_optional_string(v, key, instructions);
        } else if (key == "input") {
            input_items.reset();
            if (given) input_items = v;
        } else if (key == "tools") {
            ok = tools(v, req.tools);
        } else if (key == "tool_choice") {
            ok = tool_choice(v, req.tool_choice);
        } else if (key == "parallel_tool_calls") {
            ok = read_optional_bool(v, key, req.parallel_tool_calls);
        } else if (key == "max_output_tokens") {
            ok = read_optional_integer(v, key, req.max_tokens);
        } else if (key == "temperature") {
            ok = read_optional_number(v, key, req.temperature);
        } else if (key == "top_p") {
            ok = read_optional_number(v, key, req.top_p);
        } else if (key == "stream") {
            ok = read_optional_bool(v, key, stream);
        } else if (key == "text") {
            ok = text_config(v, req.response_format);
        } else if (key == "reasoning") {
            ok = reasoning(v, req.reasoning_effort);
        } else if (key == "user") {
            ok = read_optional_string(v, key, user);
        } else if (key == "safety_identifier") {
            ok = read_optional_string(v, key, safety_identifier);
        } else if (key == "background") {
            ok = read_optional_bool(v, key, background);
        } else if (key == "previous_response_id" && given) {
            return untranslatable(
                key, "A previous response ('previous_response_id': the gateway keeps no "
                     "responses for a model served through another API, so send the whole "
                     "conversation in 'input', as with 'store': false)");
        } else if (key == "conversation" && given) {
            return untranslatable(key, "A stored conversation ('conversation')");
        } else if (key == "prompt" && given) {
            return untranslatable(key, "A stored prompt ('prompt')");
        }
        // Everything else (store, include, prompt_cache_key, metadata, service_tier, ...) shapes
        // OpenAI's own service: dropped in translation (translate.hpp).
        if (!ok) return false;
    }

    if (!has_model) return fail(missing_model_error());
    if (req.model.size() > model_name_max) {
        return fail(string_too_long_error("model", model_name_max, req.model.size()));
    }
    if (background.value_or(false)) {
        return untranslatable("background", "A background response ('background': true)");
    }
    if (!instructions.empty()) {
        api::message m;
        m.role = api::role::system;
        m.content.emplace_back();
        m.content.back().text = std::move(instructions);
        req.messages.push_back(std::move(m));
    }
    if (input_items && !input(*input_items, req.messages)) return false;
    if (req.messages.empty()) return fail(missing_parameter_error("input"));
    if (req.tools.empty()) {
        // Only dropped tools, or none: a chat API refuses these without tools.
        req.tool_choice = api::tool_choice{};
        req.parallel_tool_calls.reset();
    }
    req.stream = stream.value_or(false);
    req.include_usage = req.stream;  // the Responses API always reports a stream's usage
    req.user = safety_identifier.empty() ? std::move(user) : std::move(safety_identifier);
    return true;
}

bool request_reader::input(dom::element v, std::vector<api::message>& out) {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        api::message m;
        m.content.emplace_back();
        m.content.back().text.assign(s.data(), s.size());
        out.push_back(std::move(m));
        return true;
    }
    dom::array items;
    if (v.get_array().get(items)) {
        return wrong_type("input", "one of a string or array of input items", v);
    }
    std::size_t i = 0;
    for (dom::element it : items) {
        if (!item(it, at_index("input", i++), out)) return false;
    }
    // A turn's reasoning without its text or calls (OpenAI's encrypted reasoning of a turn that
    // was cut short) cannot stand alone in a chat conversation.
    for (auto m = out.begin(); m != out.end();) {
        bool alone = m->role == api::role::assistant && nothing_said(*m);
        m = alone ? out.erase(m) : m + 1;
    }
    return true;
}

bool request_reader::item(dom::element v, const std::string& at, std::vector<api::message>& out) {
    dom::object o;
    if (!object(v, at, o)) return false;
    auto [type] = members_of<1>(o, {"type"});
    if (!type) return message_item(o, at, out);  // an EasyInputMessage names no type
    std::string_view t;
    if (type->get_string().get(t)) return wrong_type(at_member(at, "type"), "a string", *type);
    if (t == "message") return message_item(o, at, out);
    if (t == "function_call") return call_item(o, at, false, out);
    if (t == "custom_tool_call") return call_item(o, at, true, out);
    if (t == "function_call_output" || t == "custom_tool_call_output") {
        return call_output_item(o, at, out);
    }
    if (t == "reasoning") return reasoning_item(o, at, out);
    if (is_dropped_item(t)) return true;
    if (t == "item_reference") {
        return untranslatable(at, "A stored item ('item_reference': the gateway keeps no "
                                  "responses for a model served through another API)");
    }
    std::string what = "An input item of type '";
    what += t;
    what += "'";
    return untranslatable(at_member(at, "type"), what);
}

bool request_reader::message_item(dom::object o, const std::string& at,
                                  std::vector<api::message>& out) {
    auto [role, body] = members_of<2>(o, {"role", "content"});
    std::string r;
    if (!required_string(role, at_member(at, "role"), r)) return false;
    api::message m;
    if (r == "system" || r == "developer") {
        m.role = api::role::system;
    } else if (r == "user") {
        m.role = api::role::user;
    } else if (r == "assistant") {
        m.role = api::role::assistant;
    } else {
        return fail(invalid_value_error(at_member(at, "role"), r,
                                        "'user', 'assistant', 'system', and 'developer'"));
    }
    std::string content_param = at_member(at, "content");
    if (!body) return fail(missing_parameter_error(content_param));
    if (!content(*body, content_param, m)) return false;
    if (m.role != api::role::assistant) {
        out.push_back(std::move(m));
        return true;
    }
    api::message& turn = assistant_turn(out, nothing_said);
    for (api::content_part& p : m.content) turn.content.push_back(std::move(p));
    return true;
}

bool request_reader::part(dom::element v, const std::string& at, api::message& m) {
    dom::object o;
    if (!object(v, at, o)) return false;
    auto [type, text, refusal, image_url, file_id, detail] =
        members_of<6>(o, {"type", "text", "refusal", "image_url", "file_id", "detail"});
    std::string t;
    if (!required_string(type, at_member(at, "type"), t)) return false;
    api::content_part p;
    if (t == "input_text" || t == "output_text") {
        if (!required_string(text, at_member(at, "text"), p.text)) return false;
    } else if (t == "refusal") {
        // An assistant's earlier refusal: said again as its text.
        if (!required_string(refusal, at_member(at, "refusal"), p.text)) return false;
    } else if (t == "input_image") {
        if (file_id && !image_url) {
            return untranslatable(at_member(at, "file_id"), "An image by file id ('file_id')");
        }
        p.type = api::content_part::kind::image;
        if (!required_string(image_url, at_member(at, "image_url"), p.url)) return false;
        if (detail && !read_string(*detail, at_member(at, "detail"), p.detail)) return false;
    } else if (t == "input_file") {
        return untranslatable(at, "A file content part ('input_file')");
    } else if (t == "input_audio") {
        return untranslatable(at, "An audio content part ('input_audio')");
    } else {
        return fail(invalid_value_error(
            at_member(at, "type"), t,
            "'input_text', 'input_image', 'input_file', 'output_text', and 'refusal'"));
    }
    m.content.push_back(std::move(p));
    return true;
}

bool request_reader::call_item(dom::object o, const std::string& at, bool custom,
                               std::vector<api::message>& out) {
    auto [call_id, name, arguments, input_text] =
        members_of<4>(o, {"call_id", "name", "arguments", "input"});
    api::tool_call call;
    if (!required_string(call_id, at_member(at, "call_id"), call.id) ||
        !required_string(name, at_member(at, "name"), call.name)) {
        return false;
    }
    if (custom) {
        std::string raw;
        if (!required_string(input_text, at_member(at, "input"), raw)) return false;
        call.arguments = wire::custom_arguments(raw);
    } else if (!required_string(arguments, at_member(at, "arguments"), call.arguments)) {
        return false;
    }
    assistant_turn(out, any_turn).tool_calls.push_back(std::move(call));
    return true;
}

bool request_reader::call_output_item(dom::object o, const std::string& at,
                                      std::vector<api::message>& out) {
    auto [call_id, output] = members_of<2>(o, {"call_id", "output"});
    api::message m;
    m.role = api::role::tool;
    if (!required_string(call_id, at_member(at, "call_id"), m.tool_call_id)) return false;
    std::string output_param = at_member(at, "output");
    if (!output) return fail(missing_parameter_error(output_param));
    if (!content(*output, output_param, m)) return false;
    out.push_back(std::move(m));
    return true;
}

bool request_reader::reasoning_item(dom::object o, const std::string& at,
                                    std::vector<api::message>& out) {
    auto [summary, raw] = members_of<2>(o, {"summary", "content"});
    std::string text;
    if (summary && !texts(*summary, at_member(at, "summary"), text)) return false;
    if (text.empty() && raw && !texts(*raw, at_member(at, "content"), text)) return false;
    if (text.empty()) return true;  // encrypted_content alone: OpenAI's, nothing to carry
    api::message& turn = assistant_turn(out, nothing_said);
    if (!turn.reasoning.empty()) turn.reasoning += "\n\n";
    turn.reasoning += text;
    return true;
}

// The "text" of each part of a reasoning item's summary or content, a blank line between.
bool request_reader::texts(dom::element v, const std::string& at, std::string& out) {
    dom::array parts;
    if (!array(v, at, parts)) return false;
    std::size_t i = 0;
    for (dom::element p : parts) {
        std::string param = at_index(at, i++);
        dom::object o;
        if (!object(p, param, o)) return false;
        auto [text] = members_of<1>(o, {"text"});
        std::string s;
        if (!required_string(text, at_member(param, "text"), s)) return false;
        if (s.empty()) continue;
        if (!out.empty()) out += "\n\n";
        out += s;
    }
    return true;
}

bool request_reader::tools(dom::element v, std::vector<api::tool>& out) {
    out.clear();
    if (v.is_null()) return true;
    dom::array items;
    if (!array(v, "tools", items)) return false;
    std::size_t i = 0;
    for (dom::element it : items) {
        if (!tool(it, at_index("tools", i++), out)) return false;
    }
    return true;
}

bool request_reader::tool(dom::element v, const std::string& at, std::vector<api::tool>& out) {
    dom::object o;
    if (!object(v, at, o)) return false;
    auto [type, name, description, parameters, strict] =
        members_of<5>(o, {"type", "name", "description", "parameters", "strict"});
    std::string type_param = at_member(at, "type");
    std::string t;
    if (!required_string(type, type_param, t)) return false;
    // Dropped, not refused: what Codex sends by default and a chat model can do without.
    // Web search runs at OpenAI; tool_search (execution "client") is answered by a call type
    // of its own; a namespace's functions are called by namespace and name, which a chat
    // model cannot say (Codex's multi_agent_v1: no sub-agents through a translated channel).
    if (is_web_search(t) || t == "tool_search" || t == "namespace") return true;
    api::tool tool;
    if (t == "custom") {
        if (!custom_tool(o, at, tool)) return false;
    } else if (t == "function") {
        std::optional<bool> is_strict;
        if (!required_string(name, at_member(at, "name"), tool.name) ||
            (description &&
             !read_string(*description, at_member(at, "description"), tool.description)) ||
            (parameters &&
             !read_json_object(*parameters, at_member(at, "parameters"), tool.parameters)) ||
            (strict && !read_optional_bool(*strict, at_member(at, "strict"), is_strict))) {
            return false;
        }
        tool.strict = is_strict.value_or(false);
    } else if (t == "local_shell") {
        return untranslatable(type_param, "The local_shell tool (a shell function tool is "
                                          "translated: Codex sends one for most models)");
    } else {
        std::string what = "A built-in tool ('";
        what += t;
        what += "')";
        return untranslatable(type_param, what);
    }
    out.push_back(std::move(tool));
    return true;
}

// {"type":"custom","name","description","format":{"type":"text"} or {"type":"grammar",
// "syntax","definition"}} -> a function tool taking its input as one string.
bool request_reader::custom_tool(dom::object o, const std::string& at, api::tool& tool) {
    auto [name, description, format] = members_of<3>(o, {"name", "description", "format"});
    if (!required_string(name, at_member(at, "name"), tool.name) ||
        (description &&
         !read_string(*description, at_member(at, "description"), tool.description))) {
        return false;
    }
    tool.parameters = std::string(custom_tool_parameters);
    if (!format) return true;
    std::string format_param = at_member(at, "format");
    dom::object f;
    if (!object(*format, format_param, f)) return false;
    auto [type, syntax, definition] = members_of<3>(f, {"type", "syntax", "definition"});
    std::string t;
    if (!required_string(type, at_member(format_param, "type"), t)) return false;
    if (t == "text") return true;
    if (t != "grammar") {
        return fail(
            invalid_value_error(at_member(format_param, "type"), t, "'text' and 'grammar'"));
    }
    std::string grammar_syntax;
    std::string grammar;
    if (!required_string(syntax, at_member(format_param, "syntax"), grammar_syntax) ||
        !required_string(definition, at_member(format_param, "definition"), grammar)) {
        return false;
    }
    // The model has no other way to learn the input's format.
    if (!tool.description.empty()) tool.description += "\n\n";
    tool.description += "The input follows this ";
    tool.description += grammar_syntax;
    tool.description += " grammar:\n";
    tool.description += grammar;
    return true;
}

bool request_reader::tool_choice(dom::element v, api::tool_choice& out) {
    using mode = api::tool_choice::mode;
    out = api::tool_choice{};
    if (v.is_null()) return true;
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        if (s == "none") {
            out.how = mode::none;
        } else if (s == "auto") {
            out.how = mode::automatic;
        } else if (s == "required") {
            out.how = mode::required;
        } else {
            return fail(invalid_value_error("tool_choice", s, "'none', 'auto', and 'required'"));
        }
        return true;
    }
    dom::object o;
    if (v.get_object().get(o)) return wrong_type("tool_choice", "one of a string or object", v);
    auto [type, name] = members_of<2>(o, {"type", "name"});
    std::string t;
    if (!required_string(type, "tool_choice.type", t)) return false;
    if (t == "allowed_tools") {
        return untranslatable("tool_choice.type",
                              "A tool_choice of allowed tools ('allowed_tools')");
    }
    if (t != "function" && t != "custom") {
        return untranslatable("tool_choice.type", "A tool_choice that forces a built-in tool");
    }
    // A custom tool is a function tool on the way.
    if (!required_string(name, "tool_choice.name", out.name)) return false;
    out.how = mode::function;
    return true;
}

bool request_reader::text_config(dom::element v, api::response_format& out) {
    using kind = api::response_format::kind;
    out = api::response_format{};
    if (v.is_null()) return true;
    dom::object o;
    if (!object(v, "text", o)) return false;
    auto [format] = members_of<1>(o, {"format"});  // verbosity: dropped
    if (!format) return true;
    dom::object f;
    if (!object(*format, "text.format", f)) return false;
    auto [type, name, schema, strict] = members_of<4>(f, {"type", "name", "schema", "strict"});
    std::string t;
    if (!required_string(type, "text.format.type", t)) return false;
    if (t == "text") {
        out.type = kind::text;
    } else if (t == "json_object") {
        out.type = kind::json_object;
    } else if (t == "json_schema") {
        out.type = kind::json_schema;
        std::optional<bool> is_strict;
        if (!required_string(name, "text.format.name", out.name) ||
            (schema && !read_json_object(*schema, "text.format.schema", out.schema)) ||
            (strict && !read_optional_bool(*strict, "text.format.strict", is_strict))) {
            return false;
        }
        out.strict = is_strict.value_or(false);
    } else {
        return fail(invalid_value_error("text.format.type", t,
                                        "'text', 'json_schema', and 'json_object'"));
    }
    return true;
}

bool request_reader::reasoning(dom::element v, std::string& effort) {
    effort.clear();
    if (v.is_null()) return true;
    dom::object o;
    if (!object(v, "reasoning", o)) return false;
    auto [given] = members_of<1>(o, {"effort"});  // summary, generate_summary: dropped
    return !given || read_string(*given, "reasoning.effort", effort);
}

// ---- writing ----

using wire::write_sv;

// A message's content as input parts: one text as a plain string, else input_text and
// input_image parts.
void write_input_content(json_writer& w, const std::vector<api::content_part>& parts) {
    if (parts.size() == 1 && parts[0].type == api::content_part::kind::text) {
        write_text(w, parts[0].text);
        return;
    }
    w.StartArray();
    for (const api::content_part& p : parts) {
        w.StartObject();
        w.Key("type");
        if (p.type == api::content_part::kind::text) {
            w.String("input_text");
            w.Key("text");
            write_text(w, p.text);
        } else {
            w.String("input_image");
            w.Key("image_url");
            write_text(w, p.url);
            w.Key("detail");
            write_sv(w, p.detail.empty() ? std::string_view("auto") : std::string_view(p.detail));
        }
        w.EndObject();
    }
    w.EndArray();
}

void write_input_message(json_writer& w, std::string_view role, const api::message& m) {
    w.StartObject();
    w.Key("role");
    write_sv(w, role);
    w.Key("content");
    write_input_content(w, m.content);
    w.EndObject();
}

// An assistant's turn: its text as an output_text message, then a function_call item per call.
void write_assistant(json_writer& w, const api::message& m) {
    std::string text;
    for (const api::content_part& p : m.content) {
        if (p.type == api::content_part::kind::text) text += p.text;
    }
    if (!text.empty()) {
        w.StartObject();
        w.Key("type");
        w.String("message");
        w.Key("role");
        w.String("assistant");
        w.Key("content");
        w.StartArray();
        w.StartObject();
        w.Key("type");
        w.String("output_text");
        w.Key("text");
        write_text(w, text);
        w.EndObject();
        w.EndArray();
        w.EndObject();
    }
    for (const api::tool_call& call : m.tool_calls) {
        w.StartObject();
        w.Key("type");
        w.String("function_call");
        w.Key("call_id");
        write_text(w, call.id);
        w.Key("name");
        write_text(w, call.name);
        w.Key("arguments");
        write_text(w, call.arguments);
        w.EndObject();
    }
}

void write_call_output(json_writer& w, const api::message& m) {
    w.StartObject();
    w.Key("type");
    w.String("function_call_output");
    w.Key("call_id");
    write_text(w, m.tool_call_id);
    w.Key("output");
    if (m.content.empty()) {
        w.String("");
    } else {
        write_input_content(w, m.content);
    }
    w.EndObject();
}

void write_input(json_writer& w, const std::vector<api::message>& messages) {
    w.Key("input");
    w.StartArray();
    for (const api::message& m : messages) {
        switch (m.role) {
        case api::role::system: write_input_message(w, "system", m); break;
        case api::role::user: write_input_message(w, "user", m); break;
        case api::role::assistant: write_assistant(w, m); break;
        case api::role::tool: write_call_output(w, m); break;
        }
    }
    w.EndArray();
}

// The pivot's members in the Responses API's words, into an open object.
void write_request(json_writer& w, const api::request& req) {
    w.Key("model");
    write_text(w, req.model);
    write_input(w, req.messages);
    if (!req.tools.empty()) {
        w.Key("tools");
        wire::write_tools(w, req.tools);
    }
    if (req.tool_choice.how != api::tool_choice::mode::unset) {
        w.Key("tool_choice");
        wire::write_tool_choice(w, req.tool_choice);
    }
    if (req.parallel_tool_calls) {
        w.Key("parallel_tool_calls");
        w.Bool(*req.parallel_tool_calls);
    }
    if (req.max_tokens) {
        w.Key("max_output_tokens");
        w.Int64(*req.max_tokens);
    }
    write_number_member(w, "temperature", req.temperature);
    write_number_member(w, "top_p", req.top_p);
    if (req.response_format.type != api::response_format::kind::unset) {
        w.Key("text");
        w.StartObject();
        w.Key("format");
        wire::write_format(w, req.response_format);
        w.EndObject();
    }
    if (!req.reasoning_effort.empty()) {
        w.Key("reasoning");
        w.StartObject();
        w.Key("effort");
        write_text(w, req.reasoning_effort);
        w.EndObject();
    }
    if (!req.user.empty()) {
        w.Key("safety_identifier");
        write_text(w, req.user);
    }
    // The gateway keeps nothing, and a channel should keep nothing for it either.
    w.Key("store");
    w.Bool(false);
    if (req.stream) {
        w.Key("stream");
        w.Bool(true);
    }
}

}  // namespace

bool request_to_pivot(std::string_view body, api::request& out, api_error& err) {
    return openai_wire::read_request_body<request_reader>(body, out, err);
}

std::string request_from_pivot(const api::request& req) {
    return json_text([&](json_writer& w) {
        w.StartObject();
        write_request(w, req);
        w.EndObject();
    });
}

}  // namespace aigw::responses
