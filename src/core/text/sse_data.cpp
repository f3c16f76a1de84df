#include "aigw/text/sse_data.hpp"

#include <cstring>

#include <simdjson.h>

#include "aigw/api/request.hpp"
#include "aigw/text/json_splice.hpp"
#include "aigw/text/strings.hpp"
#include "core/text/json_walk.hpp"

namespace aigw {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// Where the holder's model token is, after the whole document is validated.
struct held_model {
    bool type_matches = false;
    int holders = 0;
    int models = 0;         // "model" members in the holder; only exactly one is renamed
    std::size_t begin = 0;  // begin == end: the model is not a string
    std::size_t end = 0;
};

error_code read_holder(od::value v, const char* base, held_model& found) {
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != od::json_type::object) return json_walk::consume(v, 1);
    ++found.holders;
    od::object o;
    if (auto err = v.get_object().get(o)) return err;
    for (auto field : o) {
        std::string_view key;
        od::value inner;
        if (auto err = json_walk::key_of(field, key)) return err;
        if (auto err = field.value().get(inner)) return err;
        if (key == "model") {
            ++found.models;
            if (auto err = inner.type().get(t)) return err;
            if (t == od::json_type::string) {
                std::string_view token = inner.raw_json_token();
                std::string_view s;
                if (auto err = inner.get_string().get(s)) return err;
                found.begin = static_cast<std::size_t>(token.data() - base);
                found.end = found.begin + json_walk::token_end(token);
                continue;
            }
        }
        if (auto err = json_walk::consume(inner, 2)) return err;
    }
    return simdjson::SUCCESS;
}

std::optional<std::string> rename_payload(std::string_view payload, std::string_view holder,
                                          std::string_view quoted_holder,
                                          bool (*names_model)(std::string_view),
                                          std::string_view model) {
    // Only a payload with the holder names the model: a bytes check spares the others the parse.
    if (find_bytes(payload, quoted_holder) == std::string_view::npos) return std::nullopt;
    // One parser and one padded copy per worker process: both keep their buffers.
    static od::parser parser;
    static std::string padded;
    padded.assign(payload.data(), payload.size());
    padded.append(json_padding, ' ');
    const char* base = padded.data();

    od::document doc;
    od::object obj;
    if (parser.iterate(simdjson::padded_string_view(base, payload.size(), padded.size())).get(doc) ||
        doc.get_object().get(obj)) {
        return std::nullopt;
    }
    held_model found;
    for (auto field : obj) {
        std::string_view key;
        od::value v;
        if (json_walk::key_of(field, key) || field.value().get(v)) return std::nullopt;
        if (key == "type") {
            od::json_type t;
            if (v.type().get(t)) return std::nullopt;
            if (t == od::json_type::string) {
                std::string_view type;
                if (v.get_string().get(type)) return std::nullopt;
                found.type_matches = names_model(type);
                continue;
            }
        } else if (key == holder) {
            if (read_holder(v, base, found)) return std::nullopt;
            continue;
        }
        if (json_walk::consume(v, 1)) return std::nullopt;
    }
    if (!json_walk::at_end(doc) || !found.type_matches || found.holders != 1 ||
        found.models != 1 || found.end <= found.begin) {
        return std::nullopt;
    }
    std::string renamed = splice_model(payload, found.begin, found.end, model);
    if (renamed == payload) return std::nullopt;
    return renamed;
}

}  // namespace

std::optional<std::string> rename_held_model(std::string_view event, std::string_view holder,
                                             bool (*names_model)(std::string_view type),
                                             std::string_view model) {
    std::string quoted_holder = "\"";
    quoted_holder += holder;
    quoted_holder += '"';
    // Most events hold no such key anywhere: one search over the whole event spares them the
    // walk over its lines.
    if (find_bytes(event, quoted_holder) == std::string_view::npos) return std::nullopt;
    return rewrite_data_lines(event, [&](std::string_view payload) {
        return rename_payload(payload, holder, quoted_holder, names_model, model);
    });
}

std::optional<std::string_view> single_data_payload(std::string_view event) noexcept {
    std::optional<std::string_view> found;
    int lines = 0;
    for_each_data_payload(event, [&](std::string_view payload, std::size_t) {
        if (++lines == 1) found = payload;
    });
    if (lines != 1) return std::nullopt;
    return found;
}

// memchr, as string_view::find_first_of tests the bytes one by one (that alone cost more than
// the parse).
std::size_t sse_line_end(std::string_view s, std::size_t at) noexcept {
    const char* line = s.data() + at;
    std::size_t len = s.size() - at;
    if (const void* lf = std::memchr(line, '\n', len)) {
        len = static_cast<std::size_t>(static_cast<const char*>(lf) - line);
    }
    if (const void* cr = std::memchr(line, '\r', len)) {
        len = static_cast<std::size_t>(static_cast<const char*>(cr) - line);
    }
    return at + len;
}

}  // namespace aigw
