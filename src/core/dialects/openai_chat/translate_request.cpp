// A chat.completions request body to and from the pivot request (api/request.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aigw/dialects/openai_chat/translate.hpp"
#include "aigw/text/json_write.hpp"
#include "core/dialects/openai_chat/wire.hpp"

namespace aigw {

namespace {

namespace dom = simdjson::dom;

using openai_wire::at_index;
using openai_wire::at_member;

// Reads a request body into a pivot request, member by member. Every check fails with the
// error OpenAI gives, `param` the member's path; null is "not given" for optional members, as
// OpenAI takes it. A member given twice: the last one counts, as in most JSON parsers.
class request_reader : public openai_wire::member_reader {
public:
    using member_reader::member_reader;

    bool read(dom::element root, api::request& req);

private:
    bool read_message(dom::element v, const std::string& at, api::message& m);
    bool read_content(dom::element v, const std::string& at, api::message& m);
    bool read_part(dom::element v, const std::string& at, api::message& m);
    bool read_tool_call(dom::element v, const std::string& at, api::tool_call& call);
    bool read_tool(dom::element v, const std::string& at, api::tool& tool);
    bool read_tool_choice(dom::element v, api::tool_choice& choice);
    bool read_response_format(dom::element v, api::response_format& format);
    bool read_stop(dom::element v, std::vector<std::string>& stop);
};

bool request_reader::read(dom::element root, api::request& req) {
    dom::object top;
    if (root.get_object().get(top)) return fail(not_an_object_error());

    bool has_model = false;
    bool has_messages = false;
    std::optional<bool> stream;
    std::optional<bool> include_usage;
    std::optional<std::int64_t> max_tokens;
    std::optional<std::int64_t> max_completion_tokens;
    for (dom::key_value_pair field : top) {
        std::string_view key = field.key;
        dom::element v = field.value;
        if (key == "model") {
            has_model = !v.is_null();
            if (has_model && !read_string(v, key, req.model)) return false;
        } else if (key == "messages") {
            has_messages = !v.is_null();
            if (!has_messages) continue;
            dom::array items;
            if (v.get_array().get(items)) return wrong_type(key, "an array", v);
            req.messages.clear();
            req.messages.reserve(items.size());
            std::size_t i = 0;
            for (dom::element item : items) {
                req.messages.emplace_back();
                if (!read_message(item, at_index(key, i++), req.messages.back())) return false;
            }
        } else if (key == "tools") {
            req.tools.clear();
            if (v.is_null()) continue;
            dom::array items;
            if (v.get_array().get(items)) return wrong_type(key, "an array", v);
            std::size_t i = 0;
            for (dom::element item : items) {
                req.tools.emplace_back();
                if (!read_tool(item, at_index(key, i++), req.tools.back())) return false;
            }
        } else if (key == "tool_choice") {
            if (!read_tool_choice(v, req.tool_choice)) return false;
        } else if (key == "parallel_tool_calls") {
            if (!read_optional_bool(v, key, req.parallel_tool_calls)) return false;
        } else if (key == "stream") {
            if (!read_optional_bool(v, key, stream)) return false;
        } else if (key == "stream_options") {
            include_usage.reset();
            if (v.is_null()) continue;
            dom::object options;
            if (v.get_object().get(options)) return wrong_type(key, "an object", v);
            for (dom::key_value_pair option : options) {
                if (option.key != "include_usage") continue;
                if (!read_optional_bool(option.value, "stream_options.include_usage",
                                        include_usage)) {
                    return false;
                }
            }
        } else if (key == "max_tokens") {
            if (!read_optional_integer(v, key, max_tokens)) return false;
        } else if (key == "max_completion_tokens") {
            if (!read_optional_integer(v, key, max_completion_tokens)) return false;
        } else if (key == "temperature") {
            if (!read_optional_number(v, key, req.temperature)) return false;
        } else if (key == "top_p") {
            if (!read_optional_number(v, key, req.top_p)) return false;
        } else if (key == "seed") {
            if (!read_optional_integer(v, key, req.seed)) return false;
        } else if (key == "stop") {
            if (!read_stop(v, req.stop)) return false;
        } else if (key == "response_format") {
            if (!read_response_format(v, req.response_format)) return false;
        } else if (key == "reasoning_effort") {
            if (!read_optional_string(v, key, req.reasoning_effort)) return false;
        } else if (key == "user") {
            if (!read_optional_string(v, key, req.user)) return false;
        } else if (key == "n") {
            std::optional<std::int64_t> n;
            if (!read_optional_integer(v, key, n)) return false;
            // Every dialect's answer has one choice; n = 1 asks for nothing more.
            if (n && *n > 1) return fail(untranslatable_error(key, "Several choices ('n' above 1)"));
        } else if (key == "functions" || key == "function_call") {
            // Legacy function calling: dropping it would leave the model without the functions
            // the client counts on.
            if (!v.is_null()) {
                return fail(untranslatable_error(
                    key, "Legacy function calling ('functions', 'function_call'; use 'tools')"));
            }
        }
        // Everything else (logit_bias, logprobs, store, metadata, ...) is what the pivot does not
        // carry: dropped in translation, as api/request.hpp says.
    }

    if (!has_model) return fail(missing_model_error());
    if (req.model.size() > model_name_max) {
        return fail(string_too_long_error("model", model_name_max, req.model.size()));
    }
    if (!has_messages) return fail(missing_parameter_error("messages"));
    if (req.messages.empty()) return fail(empty_array_error("messages"));
    req.stream = stream.value_or(false);
    // OpenAI allows stream_options only on a stream; elsewhere it asks for nothing.
    req.include_usage = req.stream && include_usage.value_or(false);
    // The newer name wins when a client sends both.
    req.max_tokens = max_completion_tokens ? max_completion_tokens : max_tokens;
    return true;
}

bool request_reader::read_message(dom::element v, const std::string& at, api::message& m) {
    dom::object obj;
    if (v.get_object().get(obj)) return wrong_type(at, "an object", v);
    std::optional<dom::element> role;
    std::optional<dom::element> content;
    std::optional<dom::element> tool_calls;
    std::optional<dom::element> tool_call_id;
    std::optional<dom::element> name;
    std::optional<dom::element> reasoning;
    for (dom::key_value_pair field : obj) {
        std::string_view key = field.key;
        bool given = !field.value.is_null();
        if (key == "role") {
            role = field.value;
        } else if (key == "content") {
            content = field.value;
        } else if (key == "tool_calls") {
            tool_calls = field.value;
        } else if (key == "tool_call_id") {
            tool_call_id = field.value;
        } else if (key == "name") {
            name = field.value;
        } else if (key == "reasoning_content") {
            reasoning = field.value;
        } else if (key == "function_call" && given) {
            return fail(untranslatable_error(
                at_member(at, key),
                "Legacy function calling ('function_call' in a message; use 'tool_calls')"));
        }
        // refusal (an assistant's earlier refusal) and audio are not carried.
    }

    if (!role || role->is_null()) return fail(missing_parameter_error(at_member(at, "role")));
    std::string_view r;
    if (role->get_string().get(r)) return wrong_type(at_member(at, "role"), "a string", *role);
    if (r == "system" || r == "developer") {
        m.role = api::role::system;
    } else if (r == "user") {
        m.role = api::role::user;
    } else if (r == "assistant") {
        m.role = api::role::assistant;
    } else if (r == "tool") {
        m.role = api::role::tool;
    } else if (r == "function") {
        return fail(untranslatable_error(at_member(at, "role"),
                                         "Legacy function calling (role 'function'; use 'tool')"));
    } else {
        return fail(invalid_value_error(
            at_member(at, "role"), r,
            "'system', 'assistant', 'user', 'function', 'tool', and 'developer'"));
    }
    bool assistant = m.role == api::role::assistant;

    // Only an assistant message may go without content (it called tools instead).
    if (content && !content->is_null()) {
        if (!read_content(*content, at_member(at, "content"), m)) return false;
    } else if (!assistant) {
        return fail(missing_parameter_error(at_member(at, "content")));
    }
    if (name && !read_optional_string(*name, at_member(at, "name"), m.name)) return false;

    if (assistant && tool_calls && !tool_calls->is_null()) {
        std::string base = at_member(at, "tool_calls");
        dom::array items;
        if (tool_calls->get_array().get(items)) return wrong_type(base, "an array", *tool_calls);
        std::size_t i = 0;
        for (dom::element item : items) {
            m.tool_calls.emplace_back();
            if (!read_tool_call(item, at_index(base, i++), m.tool_calls.back())) return false;
        }
    }
    if (assistant && reasoning &&
        !read_optional_string(*reasoning, at_member(at, "reasoning_content"), m.reasoning)) {
        return false;
    }
    if (m.role == api::role::tool) {
        std::string param = at_member(at, "tool_call_id");
        if (!tool_call_id || tool_call_id->is_null()) return fail(missing_parameter_error(param));
        if (!read_string(*tool_call_id, param, m.tool_call_id)) return false;
    }
    return true;
}

bool request_reader::read_content(dom::element v, const std::string& at, api::message& m) {
    return read_text_or_parts(v, at, m, [&](dom::element part, const std::string& param) {
        return read_part(part, param, m);
    });
}

bool request_reader::read_part(dom::element v, const std::string& at, api::message& m) {
    dom::object obj;
    if (v.get_object().get(obj)) return wrong_type(at, "an object", v);
    std::optional<dom::element> type;
    std::optional<dom::element> text;
    std::optional<dom::element> image;
    for (dom::key_value_pair field : obj) {
        if (field.key == "type") {
            type = field.value;
        } else if (field.key == "text") {
            text = field.value;
        } else if (field.key == "image_url") {
            image = field.value;
        }
    }
    std::string type_param = at_member(at, "type");
    if (!type || type->is_null()) return fail(missing_parameter_error(type_param));
    std::string_view t;
    if (type->get_string().get(t)) return wrong_type(type_param, "a string", *type);

    if (t == "text") {
        std::string param = at_member(at, "text");
        if (!text || text->is_null()) return fail(missing_parameter_error(param));
        api::content_part part;
        if (!read_string(*text, param, part.text)) return false;
        m.content.push_back(std::move(part));
        return true;
    }
    if (t == "image_url") {
        std::string param = at_member(at, "image_url");
        if (!image || image->is_null()) return fail(missing_parameter_error(param));
        api::content_part part;
        part.type = api::content_part::kind::image;
        dom::object obj_url;
        if (image->get_object().get(obj_url)) return wrong_type(param, "an object", *image);
        bool has_url = false;
        for (dom::key_value_pair field : obj_url) {
            if (field.key == "url") {
                has_url = !field.value.is_null();
                if (has_url && !read_string(field.value, at_member(param, "url"), part.url)) {
                    return false;
                }
            } else if (field.key == "detail") {
                if (!read_optional_string(field.value, at_member(param, "detail"), part.detail)) {
                    return false;
                }
            }
        }
        if (!has_url) return fail(missing_parameter_error(at_member(param, "url")));
        m.content.push_back(std::move(part));
        return true;
    }
    if (t == "refusal") return true;  // an assistant's earlier refusal: not carried
    if (t == "input_audio") {
        return fail(untranslatable_error(at, "An audio content part ('input_audio')"));
    }
    if (t == "file") return fail(untranslatable_error(at, "A file content part ('file')"));
    return fail(invalid_value_error(type_param, t,
                                    "'text', 'image_url', 'input_audio', 'refusal', and 'file'"));
}

bool request_reader::read_tool_call(dom::element v, const std::string& at, api::tool_call& call) {
    dom::object obj;
    if (v.get_object().get(obj)) return wrong_type(at, "an object", v);
    std::optional<dom::element> id;
    std::optional<dom::element> function;
    for (dom::key_value_pair field : obj) {
        if (field.key == "id") {
            id = field.value;
        } else if (field.key == "function") {
            function = field.value;
        } else if (field.key == "type" && !field.value.is_null()) {
            std::string_view t;
            if (field.value.get_string().get(t)) {
                return wrong_type(at_member(at, "type"), "a string", field.value);
            }
            if (t == "custom") {
                return fail(untranslatable_error(at_member(at, "type"), "A custom tool call"));
            }
            if (t != "function") {
                return fail(invalid_value_error(at_member(at, "type"), t, "'function'"));
            }
        }
    }
    std::string id_param = at_member(at, "id");
    if (!id || id->is_null()) return fail(missing_parameter_error(id_param));
    if (!read_string(*id, id_param, call.id)) return false;

    std::string fn_param = at_member(at, "function");
    if (!function || function->is_null()) return fail(missing_parameter_error(fn_param));
    dom::object fn;
    if (function->get_object().get(fn)) return wrong_type(fn_param, "an object", *function);
    bool has_name = false;
    for (dom::key_value_pair field : fn) {
        if (field.key == "name") {
            has_name = !field.value.is_null();
            if (has_name && !read_string(field.value, at_member(fn_param, "name"), call.name)) {
                return false;
            }
        } else if (field.key == "arguments") {
            if (!read_optional_string(field.value, at_member(fn_param, "arguments"),
                                      call.arguments)) {
                return false;
            }
        }
    }
    if (!has_name) return fail(missing_parameter_error(at_member(fn_param, "name")));
    return true;
}

bool request_reader::read_tool(dom::element v, const std::string& at, api::tool& tool) {
    dom::object obj;
    if (v.get_object().get(obj)) return wrong_type(at, "an object", v);
    std::optional<dom::element> type;
    std::optional<dom::element> function;
    for (dom::key_value_pair field : obj) {
        if (field.key == "type") {
            type = field.value;
        } else if (field.key == "function") {
            function = field.value;
        }
    }
    std::string type_param = at_member(at, "type");
    if (!type || type->is_null()) return fail(missing_parameter_error(type_param));
    std::string_view t;
    if (type->get_string().get(t)) return wrong_type(type_param, "a string", *type);
    if (t == "custom") return fail(untranslatable_error(type_param, "A custom tool ('custom')"));
    if (t != "function") return fail(invalid_value_error(type_param, t, "'function' and 'custom'"));

    std::string fn_param = at_member(at, "function");
    if (!function || function->is_null()) return fail(missing_parameter_error(fn_param));
    dom::object fn;
    if (function->get_object().get(fn)) return wrong_type(fn_param, "an object", *function);
    bool has_name = false;
    for (dom::key_value_pair field : fn) {
        std::string_view key = field.key;
        if (key == "name") {
            has_name = !field.value.is_null();
            if (has_name && !read_string(field.value, at_member(fn_param, key), tool.name)) {
                return false;
            }
        } else if (key == "description") {
            if (!read_optional_string(field.value, at_member(fn_param, key), tool.description)) {
                return false;
            }
        } else if (key == "parameters") {
            if (!read_json_object(field.value, at_member(fn_param, key), tool.parameters)) {
                return false;
            }
        } else if (key == "strict") {
            std::optional<bool> strict;
            if (!read_optional_bool(field.value, at_member(fn_param, key), strict)) return false;
            tool.strict = strict.value_or(false);
        }
    }
    if (!has_name) return fail(missing_parameter_error(at_member(fn_param, "name")));
    return true;
}

bool request_reader::read_tool_choice(dom::element v, api::tool_choice& choice) {
    choice = api::tool_choice{};
    if (v.is_null()) return true;
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        if (s == "none") {
            choice.how = api::tool_choice::mode::none;
        } else if (s == "auto") {
            choice.how = api::tool_choice::mode::automatic;
        } else if (s == "required") {
            choice.how = api::tool_choice::mode::required;
        } else {
            return fail(invalid_value_error("tool_choice", s, "'none', 'auto', and 'required'"));
        }
        return true;
    }
    dom::object obj;
    if (v.get_object().get(obj)) return wrong_type("tool_choice", "one of a string or object", v);
    std::optional<dom::element> type;
    std::optional<dom::element> function;
    for (dom::key_value_pair field : obj) {
        if (field.key == "type") {
            type = field.value;
        } else if (field.key == "function") {
            function = field.value;
        }
    }
    if (!type || type->is_null()) return fail(missing_parameter_error("tool_choice.type"));
    std::string_view t;
    if (type->get_string().get(t)) return wrong_type("tool_choice.type", "a string", *type);
    if (t == "allowed_tools" || t == "custom") {
        return fail(untranslatable_error("tool_choice.type", "A tool_choice of this type"));
    }
    if (t != "function") {
        return fail(invalid_value_error("tool_choice.type", t,
                                        "'function', 'allowed_tools', and 'custom'"));
    }
    if (!function || function->is_null()) {
        return fail(missing_parameter_error("tool_choice.function"));
    }
    dom::object fn;
    if (function->get_object().get(fn)) {
        return wrong_type("tool_choice.function", "an object", *function);
    }
    bool has_name = false;
    for (dom::key_value_pair field : fn) {
        if (field.key != "name") continue;
        has_name = !field.value.is_null();
        if (has_name && !read_string(field.value, "tool_choice.function.name", choice.name)) {
            return false;
        }
    }
    if (!has_name) return fail(missing_parameter_error("tool_choice.function.name"));
    choice.how = api::tool_choice::mode::function;
    return true;
}

bool request_reader::read_response_format(dom::element v, api::response_format& format) {
    format = api::response_format{};
    if (v.is_null()) return true;
    dom::object obj;
    if (v.get_object().get(obj)) return wrong_type("response_format", "an object", v);
    std::optional<dom::element> type;
    std::optional<dom::element> schema;
    for (dom::key_value_pair field : obj) {
        if (field.key == "type") {
            type = field.value;
        } else if (field.key == "json_schema") {
            schema = field.value;
        }
    }
    if (!type || type->is_null()) return fail(missing_parameter_error("response_format.type"));
    std::string_view t;
    if (type->get_string().get(t)) return wrong_type("response_format.type", "a string", *type);
    if (t == "text") {
        format.type = api::response_format::kind::text;
        return true;
    }
    if (t == "json_object") {
        format.type = api::response_format::kind::json_object;
        return true;
    }
    if (t != "json_schema") {
        return fail(invalid_value_error("response_format.type", t,
                                        "'text', 'json_object', and 'json_schema'"));
    }
    format.type = api::response_format::kind::json_schema;
    if (!schema || schema->is_null()) {
        return fail(missing_parameter_error("response_format.json_schema"));
    }
    dom::object js;
    if (schema->get_object().get(js)) {
        return wrong_type("response_format.json_schema", "an object", *schema);
    }
    bool has_name = false;
    for (dom::key_value_pair field : js) {
        std::string_view key = field.key;
        if (key == "name") {
            has_name = !field.value.is_null();
            if (has_name && !read_string(field.value, "response_format.json_schema.name",
                                         format.name)) {
                return false;
            }
        } else if (key == "schema") {
            if (!read_json_object(field.value, "response_format.json_schema.schema",
                                  format.schema)) {
                return false;
            }
        } else if (key == "strict") {
            std::optional<bool> strict;
            if (!read_optional_bool(field.value, "response_format.json_schema.strict", strict)) {
                return false;
            }
            format.strict = strict.value_or(false);
        }
    }
    if (!has_name) return fail(missing_parameter_error("response_format.json_schema.name"));
    return true;
}

bool request_reader::read_stop(dom::element v, std::vector<std::string>& stop) {
    stop.clear();
    if (v.is_null()) return true;
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        stop.emplace_back(s);
        return true;
    }
    dom::array items;
    if (v.get_array().get(items)) return wrong_type("stop", "one of a string or array", v);
    std::size_t i = 0;
    for (dom::element item : items) {
        stop.emplace_back();
        if (!read_string(item, at_index("stop", i++), stop.back())) return false;
    }
    return true;
}

// ---- writing ----

std::string_view role_name(api::role r) {
    switch (r) {
    case api::role::system: return "system";
    case api::role::user: return "user";
    case api::role::assistant: return "assistant";
    case api::role::tool: return "tool";
    }
    return "user";
}

// JSON text the pivot holds (a JSON Schema), written as it is: every dialect fills it from a
// parsed value, so it is valid JSON.
void write_raw_json(json_writer& w, const std::string& json) {
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

// Content as OpenAI's clients write it: one text part as a plain string, anything else as an
// array of parts. No parts: null for an assistant (it called tools instead), [] otherwise, so
// that reading it back gives no parts again.
void write_content(json_writer& w, const api::message& m) {
    if (m.content.empty()) {
        if (m.role == api::role::assistant) {
            w.Null();
        } else {
            w.StartArray();
            w.EndArray();
        }
        return;
    }
    if (m.content.size() == 1 && m.content[0].type == api::content_part::kind::text) {
        write_text(w, m.content[0].text);
        return;
    }
    w.StartArray();
    for (const api::content_part& part : m.content) {
        w.StartObject();
        w.Key("type");
        if (part.type == api::content_part::kind::text) {
            w.String("text");
            w.Key("text");
            write_text(w, part.text);
        } else {
            w.String("image_url");
            w.Key("image_url");
            w.StartObject();
            w.Key("url");
            write_text(w, part.url);
            if (!part.detail.empty()) {
                w.Key("detail");
                write_text(w, part.detail);
            }
            w.EndObject();
        }
        w.EndObject();
    }
    w.EndArray();
}

void write_message(json_writer& w, const api::message& m) {
    w.StartObject();
    w.Key("role");
    w.String(role_name(m.role).data(), static_cast<rapidjson::SizeType>(role_name(m.role).size()));
    w.Key("content");
    write_content(w, m);
    if (!m.name.empty()) {
        w.Key("name");
        write_text(w, m.name);
    }
    if (m.role == api::role::assistant && !m.tool_calls.empty()) {
        w.Key("tool_calls");
        w.StartArray();
        for (const api::tool_call& call : m.tool_calls) {
            w.StartObject();
            w.Key("id");
            write_text(w, call.id);
            w.Key("type");
            w.String("function");
            w.Key("function");
            w.StartObject();
            w.Key("name");
            write_text(w, call.name);
            w.Key("arguments");
            write_text(w, call.arguments);
            w.EndObject();
            w.EndObject();
        }
        w.EndArray();
    }
    // DeepSeek's thinking mode wants its reasoning back with the tool calls it led to, and
    // other OpenAI-compatible servers that return reasoning_content take it too.
    if (m.role == api::role::assistant && !m.reasoning.empty()) {
        w.Key("reasoning_content");
        write_text(w, m.reasoning);
    }
    if (m.role == api::role::tool) {
        w.Key("tool_call_id");
        write_text(w, m.tool_call_id);
    }
    w.EndObject();
}

void write_tool(json_writer& w, const api::tool& tool) {
    w.StartObject();
    w.Key("type");
    w.String("function");
    w.Key("function");
    w.StartObject();
    w.Key("name");
    write_text(w, tool.name);
    if (!tool.description.empty()) {
        w.Key("description");
        write_text(w, tool.description);
    }
    if (!tool.parameters.empty()) {
        w.Key("parameters");
        write_raw_json(w, tool.parameters);
    }
    if (tool.strict) {
        w.Key("strict");
        w.Bool(true);
    }
    w.EndObject();
    w.EndObject();
}

void write_tool_choice(json_writer& w, const api::tool_choice& choice) {
    switch (choice.how) {
    case api::tool_choice::mode::unset:
        return;
    case api::tool_choice::mode::none:
        w.Key("tool_choice");
        w.String("none");
        return;
    case api::tool_choice::mode::automatic:
        w.Key("tool_choice");
        w.String("auto");
        return;
    case api::tool_choice::mode::required:
        w.Key("tool_choice");
        w.String("required");
        return;
    case api::tool_choice::mode::function:
        w.Key("tool_choice");
        w.StartObject();
        w.Key("type");
        w.String("function");
        w.Key("function");
        w.StartObject();
        w.Key("name");
        write_text(w, choice.name);
        w.EndObject();
        w.EndObject();
        return;
    }
}

void write_response_format(json_writer& w, const api::response_format& format) {
    const char* type = nullptr;
    switch (format.type) {
    case api::response_format::kind::unset: return;
    case api::response_format::kind::text: type = "text"; break;
    case api::response_format::kind::json_object: type = "json_object"; break;
    case api::response_format::kind::json_schema: type = "json_schema"; break;
    }
    w.Key("response_format");
    w.StartObject();
    w.Key("type");
    w.String(type);
    if (format.type == api::response_format::kind::json_schema) {
        w.Key("json_schema");
        w.StartObject();
        w.Key("name");
        write_text(w, format.name);
        if (!format.schema.empty()) {
            w.Key("schema");
            write_raw_json(w, format.schema);
        }
        if (format.strict) {
            w.Key("strict");
            w.Bool(true);
        }
        w.EndObject();
    }
    w.EndObject();
}

}  // namespace

bool openai_chat_request_to_pivot(std::string_view body, api::request& out, api_error& err) {
    return openai_wire::read_request_body<request_reader>(body, out, err);
}

std::string openai_chat_request_from_pivot(const api::request& req) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    w.Key("model");
    write_text(w, req.model);
    w.Key("messages");
    w.StartArray();
    for (const api::message& m : req.messages) write_message(w, m);
    w.EndArray();
    if (!req.tools.empty()) {
        w.Key("tools");
        w.StartArray();
        for (const api::tool& tool : req.tools) write_tool(w, tool);
        w.EndArray();
    }
    write_tool_choice(w, req.tool_choice);
    if (req.parallel_tool_calls) {
        w.Key("parallel_tool_calls");
        w.Bool(*req.parallel_tool_calls);
    }
    if (req.max_tokens) {
        // max_tokens, not max_completion_tokens: every OpenAI-compatible server knows it
        // (DeepSeek, Mistral, vLLM, Ollama ...), where the newer name is ignored or refused by
        // many. OpenAI's own reasoning models refuse max_tokens; serving them through a
        // translating channel needs a channel setting to write the newer name.
        w.Key("max_tokens");
        w.Int64(*req.max_tokens);
    }
    write_number_member(w, "temperature", req.temperature);
    write_number_member(w, "top_p", req.top_p);
    if (req.seed) {
        w.Key("seed");
        w.Int64(*req.seed);
    }
    if (!req.stop.empty()) {
        w.Key("stop");
        w.StartArray();
        for (const std::string& s : req.stop) write_text(w, s);
        w.EndArray();
    }
    write_response_format(w, req.response_format);
    if (!req.reasoning_effort.empty()) {
        w.Key("reasoning_effort");
        write_text(w, req.reasoning_effort);
    }
    if (!req.user.empty()) {
        w.Key("user");
        write_text(w, req.user);
    }
    if (req.stream) {
        w.Key("stream");
        w.Bool(true);
        if (req.include_usage) {
            w.Key("stream_options");
            w.StartObject();
            w.Key("include_usage");
            w.Bool(true);
            w.EndObject();
        }
    }
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace aigw
