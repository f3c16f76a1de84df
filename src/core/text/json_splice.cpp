#include "aigw/text/json_splice.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include "core/text/json_walk.hpp"

namespace aigw {

namespace {

namespace od = simdjson::ondemand;

using edit = json_edit;

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The scanners below walk JSON that parse_request already validated, so they only need to
// know where strings, containers and scalars end.
std::size_t skip_string(std::string_view s, std::size_t i) {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return s.size();
}

std::size_t skip_value(std::string_view s, std::size_t i) {
    if (s[i] == '"') {
        return skip_string(s, i);
    }
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, i);
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
            ++i;
        }
        return s.size();
    }
    while (i < s.size() && !is_ws(s[i]) && s[i] != ',' && s[i] != '}' && s[i] != ']') ++i;
    return i;
}

// Offset of the '}' closing the object that ends just before `end`, and whether it is empty
// (in a valid object only its own '{' can precede the '}' with nothing but white space).
std::size_t closing_brace(std::string_view s, std::size_t end, bool* empty) {
    std::size_t close = end;
    while (close > 0 && is_ws(s[close - 1])) --close;
    if (close == 0 || s[close - 1] != '}') {
        throw std::invalid_argument("json_splice: body is not the JSON object that was parsed");
    }
    --close;
    std::size_t prev = close;
    while (prev > 0 && is_ws(s[prev - 1])) --prev;
    *empty = prev > 0 && s[prev - 1] == '{';
    return close;
}

struct include_usage_field {
    bool found = false;
    bool is_true = false;
    std::size_t value_begin = 0;  // relative to the object's first byte
};

// The last "include_usage" of a stream_options object (keys compared unescaped, as
// parse_request compares "model").
include_usage_field find_include_usage(std::string_view object) {
    static od::parser parser;  // per worker, keeps its buffers
    simdjson::padded_string copy(object.data(), object.size());
    include_usage_field r;
    od::document doc;
    od::object obj;
    auto broken = [] {
        return std::invalid_argument("json_splice: stream_options is not the parsed object");
    };
    if (parser.iterate(copy).get(doc) || doc.get_object().get(obj)) throw broken();
    for (auto field : obj) {
        std::string_view key;
        od::value v;
        if (json_walk::key_of(field, key) || field.value().get(v)) throw broken();
        if (key != "include_usage") continue;
        r.found = true;
        r.value_begin = static_cast<std::size_t>(v.raw_json_token().data() - copy.data());
        bool b = false;
        r.is_true = !v.get_bool().get(b) && b;
    }
    return r;
}

void check_parsed(const request_fields& f) {
    if (f.status != request_parse_status::ok) {
        throw std::invalid_argument("json_splice: the body did not parse as a request");
    }
}

void add_include_usage(std::string_view body, const request_fields& f, std::vector<edit>& edits,
                       bool* client_asked) {
    constexpr std::string_view whole = R"({"include_usage":true})";
    if (!f.has_stream_options) {
        bool empty = false;
        std::size_t close = closing_brace(body, body.size(), &empty);
        std::string text = empty ? "" : ",";
        text += R"("stream_options":)";
        text += whole;
        edits.push_back({close, close, std::move(text)});
        return;
    }
    std::size_t begin = f.stream_options_begin;
    if (begin >= body.size()) {
        throw std::invalid_argument("json_splice: stream_options offset outside the body");
    }
    std::size_t end = skip_value(body, begin);
    if (body[begin] != '{') {
        // null or a type the upstream would refuse: the object that asks for usage instead.
        edits.push_back({begin, end, std::string(whole)});
        return;
    }
    include_usage_field iu = find_include_usage(body.substr(begin, end - begin));
    if (iu.is_true) {
        *client_asked = true;
        return;
    }
    if (iu.found) {
        std::size_t vb = begin + iu.value_begin;
        edits.push_back({vb, skip_value(body, vb), "true"});
        return;
    }
    bool empty = false;
    std::size_t close = closing_brace(body, end, &empty);
    edits.push_back({close, close, std::string(empty ? "" : ",") + R"("include_usage":true)"});
}

edit model_edit(std::string_view body, std::size_t token_begin, std::size_t token_end,
                std::string_view new_model) {
    if (token_begin >= token_end || token_end > body.size() || token_end - token_begin < 2 ||
        body[token_begin] != '"' || body[token_end - 1] != '"') {
        throw std::invalid_argument("json_splice: model token range is not a string in the body");
    }
    return {token_begin, token_end, json_quote(new_model)};
}

std::string apply(std::string_view body, std::vector<edit>& edits) {
    std::sort(edits.begin(), edits.end(),
              [](const edit& a, const edit& b) { return a.begin < b.begin; });
    std::size_t size = body.size();
    for (const edit& e : edits) size += e.text.size() - (e.end - e.begin);
    std::string out;
    out.reserve(size);
    std::size_t at = 0;
    for (const edit& e : edits) {
        out.append(body, at, e.begin - at);
        out += e.text;
        at = e.end;
    }
    out.append(body, at, std::string_view::npos);
    return out;
}

}  // namespace

std::string json_quote(std::string_view s) {
    // A model name is printable ASCII without quotes or backslashes almost always: it is its
    // own JSON text between quotes, and the writer (with its validation) is not needed.
    bool plain = true;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
            plain = false;
            break;
        }
    }
    if (plain) {
        std::string out;
        out.reserve(s.size() + 2);
        out += '"';
        out.append(s);
        out += '"';
        return out;
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>
        w(buf);
    if (!w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()))) {
        throw std::invalid_argument("json_quote: not valid UTF-8");
    }
    return std::string(buf.GetString(), buf.GetSize());
}

std::string splice_model(std::string_view body, std::size_t token_begin, std::size_t token_end,
                         std::string_view new_model) {
    std::vector<edit> edits{model_edit(body, token_begin, token_end, new_model)};
    return apply(body, edits);
}

rewritten_request inject_stream_options_include_usage(std::string_view body,
                                                      const request_fields& f) {
    return rewrite_request(body, f, std::nullopt, true);
}

request_edits rewrite_request_edits(std::string_view body, const request_fields& f,
                                    std::optional<std::string_view> new_model,
                                    bool include_usage) {
    check_parsed(f);
    request_edits r;
    if (new_model) {
        if (!f.has_model) {
            throw std::invalid_argument("json_splice: no model in the body to replace");
        }
        r.edits.push_back(model_edit(body, f.model_token_begin, f.model_token_end, *new_model));
    }
    if (include_usage) {
        add_include_usage(body, f, r.edits, &r.client_asked_usage);
    }
    std::sort(r.edits.begin(), r.edits.end(),
              [](const edit& a, const edit& b) { return a.begin < b.begin; });
    // An edit that writes what is there already changes nothing.
    r.edits.erase(std::remove_if(r.edits.begin(), r.edits.end(),
                                 [&](const edit& e) {
                                     return body.substr(e.begin, e.end - e.begin) == e.text;
                                 }),
                  r.edits.end());
    return r;
}

rewritten_request rewrite_request(std::string_view body, const request_fields& f,
                                  std::optional<std::string_view> new_model, bool include_usage) {
    request_edits e = rewrite_request_edits(body, f, new_model, include_usage);
    rewritten_request r;
    r.client_asked_usage = e.client_asked_usage;
    r.body = apply(body, e.edits);
    r.changed = r.body != body;
    return r;
}

}  // namespace aigw
