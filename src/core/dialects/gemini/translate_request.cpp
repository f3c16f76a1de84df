// A GenerateContentRequest to and from the pivot request (translate.hpp).
#include <array>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "aigw/dialects/gemini/translate.hpp"
#include "aigw/text/json_write.hpp"
#include "aigw/text/log_value.hpp"
#include "core/dialects/openai_chat/wire.hpp"

namespace aigw::gemini {

std::int64_t thinking_budget(std::string_view effort) noexcept {
    if (effort == "minimal") return 512;
    if (effort == "low") return 1024;
    if (effort == "medium") return 8192;
    if (effort == "high") return 24576;
    return 0;  // "none", or a word Gemini has no budget for: the model's default
}

std::string_view reasoning_effort(std::int64_t budget) noexcept {
    if (budget == 0) return {};
    if (budget < 0) return "medium";  // -1: dynamic, the model decides
    if (budget < 2048) return "low";
    if (budget < 16384) return "medium";
    return "high";
}

namespace {

namespace dom = simdjson::dom;
using openai_wire::at_index;
using openai_wire::at_member;

// The API reads every member in camelCase or snake_case ("max_output_tokens"): the camelCase
// name of `key`, built in `buf` when it has an underscore.
std::string_view camel(std::string_view key, std::string& buf) {
    if (key.find('_') == std::string_view::npos) return key;
    buf.clear();
    bool upper = false;
    for (char c : key) {
        if (c == '_') {
            upper = !buf.empty();
            continue;
        }
        buf += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
        upper = false;
    }
    return buf;
}

// A member as the client spelled it, for the param of an error.
struct member {
    dom::element value;
    std::string_view key;
};

// The members of `o` named (in camelCase) in `names`, the last of each whichever its spelling
// (JSON.parse keeps the last of duplicates); a null one counts as not given.
template <std::size_t N>
std::array<std::optional<member>, N> members_of(dom::object o,
                                                const std::array<std::string_view, N>& names) {
    std::array<std::optional<member>, N> found;
    std::string buf;
    for (dom::key_value_pair field : o) {
        std::string_view name = camel(field.key, buf);
        for (std::size_t i = 0; i < N; ++i) {
            if (name != names[i]) continue;
            found[i].reset();
            if (!field.value.is_null()) found[i] = member{field.value, field.key};
        }
    }
    return found;
}

// Gemini's OpenAPI Schema names its types in capitals ("OBJECT"); JSON Schema in lower case.
std::string_view json_schema_type(std::string_view t) {
    static constexpr std::string_view names[][2] = {
        {"STRING", "string"}, {"NUMBER", "number"}, {"INTEGER", "integer"},
        {"BOOLEAN", "boolean"}, {"ARRAY", "array"}, {"OBJECT", "object"}, {"NULL", "null"},
    };
    for (const auto& n : names) {
        if (t == n[0]) return n[1];
    }
    return {};
}

// A Schema (OpenAPI's subset) as JSON Schema text: the same JSON with its capital type names
// in lower case. The tree is at most json_walk::max_depth deep (the parser refuses deeper), so
// the recursion is bounded.
void write_schema(json_writer& w, dom::element v) {
    dom::object o;
    dom::array a;
    if (v.get_object().get(o) == simdjson::SUCCESS) {
        w.StartObject();
        for (dom::key_value_pair field : o) {
            write_text(w, field.key);
            std::string_view s;
            std::string_view lower;
            if (field.key == "type" && field.value.get_string().get(s) == simdjson::SUCCESS &&
                !(lower = json_schema_type(s)).empty()) {
                write_text(w, lower);
            } else {
                write_schema(w, field.value);
            }
        }
        w.EndObject();
    } else if (v.get_array().get(a) == simdjson::SUCCESS) {
        w.StartArray();
        for (dom::element item : a) write_schema(w, item);
        w.EndArray();
    } else {
        std::string scalar = simdjson::minify(v);
        w.RawValue(scalar.data(), scalar.size(), rapidjson::kStringType);
    }
}

std::string schema_text(dom::element v) {
    return json_text([&](json_writer& w) { write_schema(w, v); });
}

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
    // A member that must be there, and a string; `name` its camelCase name, for a missing one.
    bool required_string(const std::optional<member>& m, const std::string& at,
                         std::string_view name, std::string& out) {
        if (!m) return fail(missing_parameter_error(at_member(at, name)));
        return read_string(m->value, at_member(at, m->key), out);
    }

    bool system_instruction(const member& m, api::request& req);
    bool content(dom::element v, const std::string& at, api::request& req);
    bool part(dom::element v, const std::string& at, bool user, api::message& m,
              std::vector<api::message>& results);
    bool media(const member& m, const std::string& at, bool inline_data, api::content_part& part);
    bool function_call(const member& m, const std::string& at, api::message& out);
    bool function_response(const member& m, const std::string& at, api::message& out);
    bool tools(const member& m, std::vector<api::tool>& out);
    bool tool_config(const member& m, api::tool_choice& out);
    bool generation_config(const member& m, api::request& req);
    bool thinking_config(const member& m, const std::string& at, std::string& effort);

    // The ids of the calls read so far, by function name, in order: a functionResponse
    // without an id answers the first of its name not yet answered.
    std::map<std::string, std::vector<std::string>, std::less<>> calls_;
    std::set<std::string, std::less<>> answered_;  // the call ids answered so far
};

bool request_reader::read(dom::element root, api::request& req) {
    dom::object top;
    if (root.get_object().get(top)) return fail(not_an_object_error());
    auto [contents, system, tool_list, config, generation, cached] = members_of<6>(
        top, {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig",
              "cachedContent"});
    // safetySettings, labels and the rest shape Google's own service: dropped (translate.hpp).
    if (cached) {
        return untranslatable(cached->key, "A cached content ('cachedContent': the gateway "
                                           "keeps no cache for a model served through another "
                                           "API)");
    }
    if (system && !system_instruction(*system, req)) return false;
    if (!contents) return fail(missing_parameter_error("contents"));
    dom::array items;
    if (!array(contents->value, contents->key, items)) return false;
    if (items.size() == 0) return fail(empty_array_error(contents->key));
    std::size_t i = 0;
    for (dom::element item : items) {
        if (!content(item, at_index(contents->key, i++), req)) return false;
    }
    if (tool_list && !tools(*tool_list, req.tools)) return false;
    if (config && !tool_config(*config, req.tool_choice)) return false;
    // Chat APIs refuse a tool choice without tools; Gemini ignores it.
    if (req.tools.empty()) req.tool_choice = api::tool_choice{};
    if (generation && !generation_config(*generation, req)) return false;
    return true;
}

// A Content whose parts are text, or a plain string: role::system messages, first.
bool request_reader::system_instruction(const member& m, api::request& req) {
    api::message sys;
    sys.role = api::role::system;
    std::string_view s;
    if (m.value.get_string().get(s) == simdjson::SUCCESS) {
        if (s.empty()) return true;
        sys.content.emplace_back();
        sys.content.back().text.assign(s.data(), s.size());
        req.messages.push_back(std::move(sys));
        return true;
    }
    std::string at(m.key);
    dom::object o;
    if (!object(m.value, at, o)) return false;
    auto [parts] = members_of<1>(o, {"parts"});
    dom::array items;
    if (!parts) return fail(missing_parameter_error(at_member(at, "parts")));
    std::string parts_at = at_member(at, parts->key);
    if (!array(parts->value, parts_at, items)) return false;
    std::size_t i = 0;
    for (dom::element item : items) {
        std::string part_at = at_index(parts_at, i++);
        dom::object p;
        if (!object(item, part_at, p)) return false;
        auto [text, inline_data, file_data, call, response, code, code_result] = members_of<7>(
            p, {"text", "inlineData", "fileData", "functionCall", "functionResponse",
                "executableCode", "codeExecutionResult"});
        for (const std::optional<member>* other :
             {&inline_data, &file_data, &call, &response, &code, &code_result}) {
            if (*other) {
                return untranslatable(at_member(part_at, (*other)->key),
                                      "A system instruction part other than text");
            }
        }
        if (!text) continue;
        api::content_part t;
        if (!read_string(text->value, at_member(part_at, text->key), t.text)) return false;
        if (!t.text.empty()) sys.content.push_back(std::move(t));
    }
    if (!sys.content.empty()) req.messages.push_back(std::move(sys));
    return true;
}

bool request_reader::content(dom::element v, const std::string& at, api::request& req) {
    dom::object o;
    if (!object(v, at, o)) return false;
    auto [role, parts] = members_of<2>(o, {"role", "parts"});
    bool user = true;
    if (role) {
        std::string r;
        if (!read_string(role->value, at_member(at, role->key), r)) return false;
        // "function" is the role older SDKs gave a turn of function responses.
        if (r == "model") {
            user = false;
        } else if (r != "user" && r != "function" && !r.empty()) {
            return fail(invalid_value_error(at_member(at, role->key), r, "'user' and 'model'"));
        }
    }
    if (!parts) return fail(missing_parameter_error(at_member(at, "parts")));
    std::string parts_at = at_member(at, parts->key);
    dom::array items;
    if (!array(parts->value, parts_at, items)) return false;
    api::message m;
    m.role = user ? api::role::user : api::role::assistant;
    std::vector<api::message> results;
    std::size_t i = 0;
    for (dom::element item : items) {
        if (!part(item, at_index(parts_at, i++), user, m, results)) return false;
    }
    // OpenAI wants a call's answer right after the call: a turn's answers go first.
    for (api::message& r : results) req.messages.push_back(std::move(r));
    if (!m.content.empty() || !m.tool_calls.empty() || !m.reasoning.empty()) {
        req.messages.push_back(std::move(m));
    }
    return true;
}

bool request_reader::part(dom::element v, const std::string& at, bool user, api::message& m,
                          std::vector<api::message>& results) {
    dom::object o;
    if (!object(v, at, o)) return false;
    auto [text, thought, inline_data, file_data, call, response, code, code_result] =
        members_of<8>(o, {"text", "thought", "inlineData", "fileData", "functionCall",
                          "functionResponse", "executableCode", "codeExecutionResult"});
    // thoughtSignature, videoMetadata and the like: dropped.
    if (code) return untranslatable(at_member(at, code->key), "An executableCode part");
    if (code_result) {
        return untranslatable(at_member(at, code_result->key), "A codeExecutionResult part");
    }
    std::optional<bool> is_thought;
    if (thought && !read_optional_bool(thought->value, at_member(at, thought->key), is_thought)) {
        return false;
    }
    if (text) {
        std::string s;
        if (!read_string(text->value, at_member(at, text->key), s)) return false;
        if (is_thought.value_or(false)) {
            // A user turn's thoughts are nothing a model answers: dropped.
            if (!user) m.reasoning += s;
        } else {
            m.content.emplace_back();
            m.content.back().text = std::move(s);
        }
    }
    for (const std::optional<member>* media_member : {&inline_data, &file_data}) {
        if (!*media_member) continue;
        if (!user) {
            return untranslatable(at_member(at, (*media_member)->key),
                                  "A media part in a model turn");
        }
        api::content_part image;
        if (!media(**media_member, at, media_member == &inline_data, image)) return false;
        m.content.push_back(std::move(image));
    }
    if (call) {
        if (user) {
            return untranslatable(at_member(at, call->key), "A functionCall part in a user turn");
        }
        if (!function_call(*call, at, m)) return false;
    }
    if (response) {
        if (!user) {
            return untranslatable(at_member(at, response->key),
                                  "A functionResponse part in a model turn");
        }
        api::message answer;
        if (!function_response(*response, at, answer)) return false;
        results.push_back(std::move(answer));
    }
    return true;
}

// inlineData {mimeType, data} as a data: URL, fileData {mimeType, fileUri} as its URL: images
// only, the one kind of media every dialect carries.
bool request_reader::media(const member& m, const std::string& part_at, bool inline_data,
                           api::content_part& part) {
    std::string at = at_member(part_at, m.key);
    dom::object o;
    if (!object(m.value, at, o)) return false;
    auto [mime_type, data, uri] = members_of<3>(o, {"mimeType", "data", "fileUri"});
    std::string mime;
    if (inline_data) {
        if (!required_string(mime_type, at, "mimeType", mime)) return false;
    } else if (mime_type && !read_string(mime_type->value, at_member(at, mime_type->key), mime)) {
        return false;
    }
    // A file's type may be left to the server: an image is assumed, and refused there if not.
    if (!(mime.empty() && !inline_data) && mime.compare(0, 6, "image/") != 0) {
        std::string what = "A media part other than an image ('";
        what += mime.substr(0, utf8_prefix_length(mime, 64));
        what += "')";
        return untranslatable(at_member(at, mime_type->key), what);
    }
    part.type = api::content_part::kind::image;
    if (inline_data) {
        std::string bytes;
        if (!required_string(data, at, "data", bytes)) return false;
        part.url = "data:" + mime + ";base64," + bytes;
        return true;
    }
    return required_string(uri, at, "fileUri", part.url);
}

bool request_reader::function_call(const member& m, const std::string& part_at,
                                   api::message& out) {
    std::string at = at_member(part_at, m.key);
    dom::object o;
    if (!object(m.value, at, o)) return false;
    auto [id, name, args] = members_of<3>(o, {"id", "name", "args"});
    api::tool_call call;
    if (!required_string(name, at, "name", call.name)) return false;
    if (id && !read_string(id->value, at_member(at, id->key), call.id)) return false;
    call.arguments = "{}";
    if (args) {
        if (!args->value.is_object()) {
            return wrong_type(at_member(at, args->key), "an object", args->value);
        }
        call.arguments = simdjson::minify(args->value);
    }
    std::vector<std::string>& ids = calls_[call.name];
    if (call.id.empty()) {
        // Gemini's calls before Gemini 3 have no id: one from the name and the call's rank.
        call.id = "call_" + call.name + "_" + std::to_string(ids.size());
    }
    ids.push_back(call.id);
    out.tool_calls.push_back(std::move(call));
    return true;
}

bool request_reader::function_response(const member& m, const std::string& part_at,
                                       api::message& out) {
    std::string at = at_member(part_at, m.key);
    dom::object o;
    if (!object(m.value, at, o)) return false;
    auto [id, name, response] = members_of<3>(o, {"id", "name", "response"});
    std::string fn;
    if (!required_string(name, at, "name", fn)) return false;
    out.role = api::role::tool;
    if (id && !read_string(id->value, at_member(at, id->key), out.tool_call_id)) return false;
    if (out.tool_call_id.empty()) {
        auto calls = calls_.find(fn);
        if (calls != calls_.end()) {
            for (const std::string& call_id : calls->second) {
                if (answered_.count(call_id) == 0) {
                    out.tool_call_id = call_id;
                    break;
                }
            }
        }
        if (out.tool_call_id.empty()) {
            // No call of that name left in the request: an id no other answer gets.
            std::size_t n = calls != calls_.end() ? calls->second.size() : 0;
            do {
                out.tool_call_id = "call_" + fn + "_" + std::to_string(n++);
            } while (answered_.count(out.tool_call_id) != 0);
        }
    }
    answered_.insert(out.tool_call_id);
    if (!response) return fail(missing_parameter_error(at_member(at, "response")));
    if (!response->value.is_object()) {
        return wrong_type(at_member(at, response->key), "an object", response->value);
    }
    out.content.emplace_back();
    out.content.back().text = simdjson::minify(response->value);
    return true;
}

bool request_reader::tools(const member& m, std::vector<api::tool>& out) {
    std::string at(m.key);
    dom::array items;
    if (!array(m.value, at, items)) return false;
    std::size_t i = 0;
    std::string buf;
    for (dom::element item : items) {
        std::string tool_at = at_index(at, i++);
        dom::object o;
        if (!object(item, tool_at, o)) return false;
        for (dom::key_value_pair field : o) {
            if (field.value.is_null() || camel(field.key, buf) == "functionDeclarations") continue;
            std::string what = "A built-in tool ('";
            what += field.key.substr(0, utf8_prefix_length(field.key, 64));
            what += "')";
            return untranslatable(at_member(tool_at, field.key), what);
        }
        auto [declarations] = members_of<1>(o, {"functionDeclarations"});
        if (!declarations) continue;
        std::string list_at = at_member(tool_at, declarations->key);
        dom::array list;
        if (!array(declarations->value, list_at, list)) return false;
        std::size_t j = 0;
        for (dom::element declaration : list) {
            std::string d_at = at_index(list_at, j++);
            dom::object d;
            if (!object(declaration, d_at, d)) return false;
            auto [name, description, parameters, json_schema] = members_of<4>(
                d, {"name", "description", "parameters", "parametersJsonSchema"});
            api::tool tool;
            if (!required_string(name, d_at, "name", tool.name)) return false;
            if (description &&
                !read_string(description->value, at_member(d_at, description->key),
                             tool.description)) {
                return false;
            }
            if (json_schema) {
                if (!read_json_object(json_schema->value, at_member(d_at, json_schema->key),
                                      tool.parameters)) {
                    return false;
                }
            } else if (parameters) {
                if (!parameters->value.is_object()) {
                    return wrong_type(at_member(d_at, parameters->key), "an object",
                                      parameters->value);
                }
                tool.parameters = schema_text(parameters->value);
            }
            out.push_back(std::move(tool));
        }
    }
    return true;
}

bool request_reader::tool_config(const member& m, api::tool_choice& out) {
    std::string at(m.key);
    dom::object o;
    if (!object(m.value, at, o)) return false;
    auto [calling] = members_of<1>(o, {"functionCallingConfig"});
    if (!calling) return true;  // retrievalConfig alone: nothing the pivot carries
    at = at_member(at, calling->key);
    dom::object c;
    if (!object(calling->value, at, c)) return false;
    auto [mode, allowed] = members_of<2>(c, {"mode", "allowedFunctionNames"});
    std::vector<std::string> names;
    if (allowed) {
        std::string list_at = at_member(at, allowed->key);
        dom::array list;
        if (!array(allowed->value, list_at, list)) return false;
        std::size_t i = 0;
        for (dom::element item : list) {
            names.emplace_back();
            if (!read_string(item, at_index(list_at, i++), names.back())) return false;
        }
    }
    if (!mode) return true;
    std::string word;
    std::string mode_at = at_member(at, mode->key);
    if (!read_string(mode->value, mode_at, word)) return false;
    using how = api::tool_choice::mode;
    if (word == "AUTO" || word == "VALIDATED") {
        out.how = how::automatic;
    } else if (word == "ANY") {
        out.how = names.size() == 1 ? how::function : how::required;
        if (names.size() == 1) out.name = std::move(names.front());
    } else if (word == "NONE") {
        out.how = how::none;
    } else if (word != "MODE_UNSPECIFIED") {
        return fail(invalid_value_error(mode_at, word, "'AUTO', 'ANY', 'NONE' and 'VALIDATED'"));
    }
    return true;
}

bool request_reader::generation_config(const member& m, api::request& req) {
    std::string at(m.key);
    dom::object o;
    if (!object(m.value, at, o)) return false;
    auto [max, temperature, top_p, top_k, seed, stops, count, mime, schema, json_schema,
          thinking] =
        members_of<11>(o, {"maxOutputTokens", "temperature", "topP", "topK", "seed",
                           "stopSequences", "candidateCount", "responseMimeType",
                           "responseSchema", "responseJsonSchema", "thinkingConfig"});
    auto param = [&at](const std::optional<member>& v) { return at_member(at, v->key); };
    if (count) {
        std::optional<std::int64_t> n;
        if (!read_optional_integer(count->value, param(count), n)) return false;
        if (n && *n > 1) {
            return untranslatable(param(count), "Several candidates ('candidateCount' above 1)");
        }
    }
    if (max && !read_optional_integer(max->value, param(max), req.max_tokens)) return false;
    if (temperature && !read_optional_number(temperature->value, param(temperature),
                                             req.temperature)) {
        return false;
    }
    if (top_p && !read_optional_number(top_p->value, param(top_p), req.top_p)) return false;
    if (top_k) {
        // An int32 in the API, which older SDKs sent as a float: 40.0 is 40.
        double k = 0;
        std::int64_t n = 0;
        if (top_k->value.get_int64().get(n) == simdjson::SUCCESS) {
            req.top_k = n;
        } else if (top_k->value.get_double().get(k) == simdjson::SUCCESS && k >= 0 &&
                   k <= 2147483647.0 && static_cast<double>(static_cast<std::int64_t>(k)) == k) {
            req.top_k = static_cast<std::int64_t>(k);
        } else {
            return wrong_type(param(top_k), "an integer", top_k->value);
        }
    }
    if (seed && !read_optional_integer(seed->value, param(seed), req.seed)) return false;
    if (stops) {
        std::string list_at = param(stops);
        dom::array list;
        if (!array(stops->value, list_at, list)) return false;
        std::size_t i = 0;
        for (dom::element item : list) {
            req.stop.emplace_back();
            if (!read_string(item, at_index(list_at, i++), req.stop.back())) return false;
        }
    }
    using kind = api::response_format::kind;
    std::string mime_type;
    if (mime && !read_string(mime->value, param(mime), mime_type)) return false;
    if (mime_type == "application/json") {
        req.response_format.type = kind::json_object;
        if (json_schema) {
            req.response_format.schema = simdjson::minify(json_schema->value);
        } else if (schema) {
            if (!schema->value.is_object()) {
                return wrong_type(param(schema), "an object", schema->value);
            }
            req.response_format.schema = schema_text(schema->value);
        }
        if (json_schema || schema) {
            req.response_format.type = kind::json_schema;
            req.response_format.name = "response";  // OpenAI wants one; Gemini has none
        }
    } else if (mime_type == "text/plain") {
        req.response_format.type = kind::text;
    } else if (mime_type == "text/x.enum") {
        return untranslatable(param(mime), "An enum answer ('text/x.enum')");
    } else if (!mime_type.empty()) {
        return fail(invalid_value_error(param(mime), mime_type,
                                        "'text/plain', 'application/json' and 'text/x.enum'"));
    }
    if (thinking && !thinking_config(*thinking, at, req.reasoning_effort)) return false;
    return true;
}

bool request_reader::thinking_config(const member& m, const std::string& config_at,
                                     std::string& effort) {
    std::string at = at_member(config_at, m.key);
    dom::object o;
    if (!object(m.value, at, o)) return false;
    auto [budget, level, include] =
        members_of<3>(o, {"thinkingBudget", "thinkingLevel", "includeThoughts"});
    std::optional<bool> shown;
    if (include && !read_optional_bool(include->value, at_member(at, include->key), shown)) {
        return false;
    }
    if (level) {
        // Gemini 3's word for it: LOW, HIGH (and MINIMAL, MEDIUM), the pivot's words in capitals.
        std::string word;
        std::string level_at = at_member(at, level->key);
        if (!read_string(level->value, level_at, word)) return false;
        for (char& c : word) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        if (word != "minimal" && word != "low" && word != "medium" && word != "high") {
            return fail(invalid_value_error(level_at, word,
                                            "'MINIMAL', 'LOW', 'MEDIUM' and 'HIGH'"));
        }
        effort = std::move(word);
        return true;
    }
    std::optional<std::int64_t> n;
    if (budget && !read_optional_integer(budget->value, at_member(at, budget->key), n)) {
        return false;
    }
    if (n) effort = std::string(reasoning_effort(*n));
    return true;
}

// --- the pivot -> GenerateContentRequest ---

// One turn on its way out: its parts already written as JSON.
struct turn {
    bool user = true;
    std::vector<std::string> parts;
};

// `json` compact when it is a JSON object, else nullopt.
std::optional<std::string> object_text(std::string_view json) {
    dom::parser spare;
    dom::element root;
    if (json.empty() || openai_wire::parse(json, spare, root) || !root.is_object()) {
        return std::nullopt;
    }
    return simdjson::minify(root);
}

std::string text_part(std::string_view text) {
    return json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("text");
        write_text(w, text);
        w.EndObject();
    });
}

// A file's media type from its URL's extension; JPEG when it has none Gemini knows.
std::string_view image_type(std::string_view url) {
    std::size_t end = url.find_first_of("?#");
    if (end != std::string_view::npos) url = url.substr(0, end);
    std::size_t dot = url.rfind('.');
    std::string ext;
    if (dot != std::string_view::npos) {
        for (char c : url.substr(dot + 1)) {
            ext += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        }
    }
    if (ext == "png") return "image/png";
    if (ext == "webp") return "image/webp";
    if (ext == "gif") return "image/gif";
    if (ext == "heic") return "image/heic";
    if (ext == "heif") return "image/heif";
    return "image/jpeg";
}

std::string image_part(std::string_view url) {
    return json_text([&](json_writer& w) {
        constexpr std::string_view scheme = "data:";
        constexpr std::string_view base64 = ";base64,";
        std::size_t mark = url.find(base64);
        w.StartObject();
        if (url.substr(0, scheme.size()) == scheme && mark != std::string_view::npos &&
            mark > scheme.size()) {
            w.Key("inlineData");
            w.StartObject();
            w.Key("mimeType");
            write_text(w, url.substr(scheme.size(), mark - scheme.size()));
            w.Key("data");
            write_text(w, url.substr(mark + base64.size()));
        } else {
            w.Key("fileData");
            w.StartObject();
            w.Key("mimeType");
            write_text(w, image_type(url));
            w.Key("fileUri");
            write_text(w, url);
        }
        w.EndObject();
        w.EndObject();
    });
}

void add_parts(const std::vector<api::content_part>& content, std::vector<std::string>& parts) {
    for (const api::content_part& part : content) {
        if (part.type == api::content_part::kind::image) {
            parts.push_back(image_part(part.url));
        } else if (!part.text.empty()) {  // Gemini refuses an empty text part
            parts.push_back(text_part(part.text));
        }
    }
}

// Gemini 3 wants the signature of the thought behind a turn's first call; calls made by
// another provider have none, and this value is the one Google documents for them.
constexpr std::string_view foreign_signature = "skip_thought_signature_validator";

std::vector<turn> turns_of(const std::vector<api::message>& messages) {
    std::vector<turn> out;
    std::map<std::string_view, std::string_view> call_names;  // tool_call_id -> function
    for (const api::message& m : messages) {
        if (m.role == api::role::system) continue;
        turn next;
        next.user = m.role != api::role::assistant;
        if (m.role == api::role::tool) {
            std::string text;
            for (const api::content_part& part : m.content) {
                if (part.type == api::content_part::kind::text) text += part.text;
            }
            auto call = call_names.find(m.tool_call_id);
            std::string_view name = call != call_names.end() ? call->second
                                                             : std::string_view(m.tool_call_id);
            std::optional<std::string> response = object_text(text);
            next.parts.push_back(json_text([&](json_writer& w) {
                w.StartObject();
                w.Key("functionResponse");
                w.StartObject();
                w.Key("name");
                write_text(w, name);
                w.Key("response");
                if (response) {
                    w.RawValue(response->data(), response->size(), rapidjson::kObjectType);
                } else {
                    w.StartObject();
                    w.Key("result");
                    write_text(w, text);
                    w.EndObject();
                }
                w.EndObject();
                w.EndObject();
            }));
            for (const api::content_part& part : m.content) {
                if (part.type == api::content_part::kind::image) {
                    next.parts.push_back(image_part(part.url));
                }
            }
        } else {
            add_parts(m.content, next.parts);
        }
        if (m.role == api::role::assistant) {
            bool first = true;
            for (const api::tool_call& call : m.tool_calls) {
                call_names[call.id] = call.name;
                std::string args = object_text(call.arguments).value_or("{}");
                next.parts.push_back(json_text([&](json_writer& w) {
                    w.StartObject();
                    w.Key("functionCall");
                    w.StartObject();
                    w.Key("name");
                    write_text(w, call.name);
                    w.Key("args");
                    w.RawValue(args.data(), args.size(), rapidjson::kObjectType);
                    w.EndObject();
                    if (first) {
                        w.Key("thoughtSignature");
                        write_text(w, foreign_signature);
                    }
                    w.EndObject();
                }));
                first = false;
            }
        }
        if (next.parts.empty()) continue;
        if (!out.empty() && out.back().user == next.user) {
            // Gemini wants the roles to alternate: one role's messages become one turn.
            for (std::string& p : next.parts) out.back().parts.push_back(std::move(p));
        } else {
            out.push_back(std::move(next));
        }
    }
    return out;
}

void write_parts(json_writer& w, const std::vector<std::string>& parts) {
    w.Key("parts");
    w.StartArray();
    for (const std::string& p : parts) w.RawValue(p.data(), p.size(), rapidjson::kObjectType);
    w.EndArray();
}

void write_system(json_writer& w, const std::vector<api::message>& messages) {
    std::vector<std::string> parts;
    for (const api::message& m : messages) {
        if (m.role != api::role::system) continue;
        for (const api::content_part& part : m.content) {
            if (part.type == api::content_part::kind::text && !part.text.empty()) {
                parts.push_back(text_part(part.text));
            }
        }
    }
    if (parts.empty()) return;
    w.Key("systemInstruction");
    w.StartObject();
    write_parts(w, parts);
    w.EndObject();
}

void write_tools(json_writer& w, const api::request& req) {
    if (req.tools.empty()) return;
    w.Key("tools");
    w.StartArray();
    w.StartObject();
    w.Key("functionDeclarations");
    w.StartArray();
    for (const api::tool& tool : req.tools) {
        w.StartObject();
        w.Key("name");
        write_text(w, tool.name);
        if (!tool.description.empty()) {
            w.Key("description");
            write_text(w, tool.description);
        }
        if (std::optional<std::string> schema = object_text(tool.parameters)) {
            w.Key("parametersJsonSchema");
            w.RawValue(schema->data(), schema->size(), rapidjson::kObjectType);
        }
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    w.EndArray();

    using mode = api::tool_choice::mode;
    mode how = req.tool_choice.how;
    if (how == mode::unset) return;
    w.Key("toolConfig");
    w.StartObject();
    w.Key("functionCallingConfig");
    w.StartObject();
    w.Key("mode");
    switch (how) {
    case mode::none: w.String("NONE"); break;
    case mode::required: w.String("ANY"); break;
    case mode::function:
        w.String("ANY");
        w.Key("allowedFunctionNames");
        w.StartArray();
        write_text(w, req.tool_choice.name);
        w.EndArray();
        break;
    case mode::unset:
    case mode::automatic: w.String("AUTO"); break;
    }
    w.EndObject();
    w.EndObject();
}

void write_generation_config(json_writer& w, const api::request& req) {
    using kind = api::response_format::kind;
    const api::response_format& format = req.response_format;
    std::optional<std::string> schema;
    if (format.type == kind::json_schema) schema = object_text(format.schema);
    std::int64_t budget = thinking_budget(req.reasoning_effort);
    bool any = req.max_tokens || req.temperature || req.top_p || req.top_k || req.seed ||
               !req.stop.empty() || format.type != kind::unset || budget > 0;
    if (!any) return;
    w.Key("generationConfig");
    w.StartObject();
    if (req.max_tokens) {
        w.Key("maxOutputTokens");
        w.Int64(*req.max_tokens);
    }
    write_number_member(w, "temperature", req.temperature);
    write_number_member(w, "topP", req.top_p);
    if (req.top_k) {
        w.Key("topK");
        w.Int64(*req.top_k);
    }
    if (req.seed) {
        w.Key("seed");
        w.Int64(*req.seed);
    }
    if (!req.stop.empty()) {
        w.Key("stopSequences");
        w.StartArray();
        for (const std::string& s : req.stop) write_text(w, s);
        w.EndArray();
    }
    if (format.type == kind::text) {
        w.Key("responseMimeType");
        w.String("text/plain");
    } else if (format.type != kind::unset) {
        w.Key("responseMimeType");
        w.String("application/json");
        if (schema) {
            w.Key("responseJsonSchema");
            w.RawValue(schema->data(), schema->size(), rapidjson::kObjectType);
        }
    }
    if (budget > 0) {
        w.Key("thinkingConfig");
        w.StartObject();
        w.Key("thinkingBudget");
        w.Int64(budget);
        w.Key("includeThoughts");
        w.Bool(true);
        w.EndObject();
    }
    w.EndObject();
}

}  // namespace

bool request_to_pivot(std::string_view body, api::request& out, api_error& err) {
    return openai_wire::read_request_body<request_reader>(body, out, err);
}

std::string request_from_pivot(const api::request& req) {
    std::vector<turn> turns = turns_of(req.messages);
    return json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("contents");
        w.StartArray();
        for (const turn& t : turns) {
            w.StartObject();
            w.Key("role");
            w.String(t.user ? "user" : "model");
            write_parts(w, t.parts);
            w.EndObject();
        }
        w.EndArray();
        write_system(w, req.messages);
        write_tools(w, req);
        write_generation_config(w, req);
        w.EndObject();
    });
}

}  // namespace aigw::gemini
