#include "core/text/json_walk.hpp"

#include <algorithm>
#include <cmath>

namespace aigw::json_walk {

namespace od = simdjson::ondemand;

simdjson::error_code parse(simdjson::dom::parser& parser, std::string_view json,
                           simdjson::dom::element& out) {
    constexpr std::size_t depth = max_depth;
    // The parser keeps its buffers; it is sized again only when a larger input comes.
    if (parser.max_depth() != depth || parser.capacity() < json.size()) {
        std::size_t capacity =
            std::max<std::size_t>(json.size(), simdjson::dom::MINIMAL_DOCUMENT_CAPACITY);
        if (auto err = parser.allocate(capacity, depth)) return err;
    }
    return parser.parse(json.data(), json.size()).get(out);
}

std::string object_json(std::string_view json) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::object o;
    if (json.empty() || parse(parser, json, doc) || doc.get_object().get(o)) return "{}";
    return simdjson::minify(o);
}

std::optional<std::int64_t> count_of(simdjson::dom::element v) noexcept {
    std::int64_t n = 0;
    if (v.get_int64().get(n)) {
        double d = 0;
        if (v.get_double().get(d) || !(d >= 0 && d <= 9007199254740992.0) ||
            static_cast<double>(static_cast<std::int64_t>(d)) != d) {
            return std::nullopt;
        }
        n = static_cast<std::int64_t>(d);
    }
    if (n < 0) return std::nullopt;
    return n;
}

std::string_view string_member(simdjson::dom::object o, std::string_view key) noexcept {
    std::string_view s;
    return o[key].get_string().get(s) == simdjson::SUCCESS ? s : std::string_view();
}

simdjson::padded_string_view padded_in(std::string& buf, std::string_view json) {
    constexpr std::size_t keep_max = 256 * 1024;
    std::size_t need = json.size() + simdjson::SIMDJSON_PADDING;
    if (buf.capacity() > keep_max && need <= keep_max) {
        std::string().swap(buf);
    }
    buf.assign(json.data(), json.size());
    buf.append(simdjson::SIMDJSON_PADDING, ' ');
    return simdjson::padded_string_view(buf.data(), json.size(), buf.size());
}

// Every value is read with the getter of its type, which is what validates it.
simdjson::error_code consume(od::value v, int depth) {
    if (depth > max_depth) {
        return simdjson::DEPTH_ERROR;
    }
    od::json_type t;
    if (auto err = v.type().get(t)) {
        return err;
    }
    switch (t) {
    case od::json_type::object: {
        od::object o;
        if (auto err = v.get_object().get(o)) return err;
        for (auto field : o) {
            std::string_view key;
            if (auto err = field.unescaped_key().get(key)) return err;
            od::value inner;
            if (auto err = field.value().get(inner)) return err;
            if (auto err = consume(inner, depth + 1)) return err;
        }
        return simdjson::SUCCESS;
    }
    case od::json_type::array: {
        od::array a;
        if (auto err = v.get_array().get(a)) return err;
        for (auto item : a) {
            od::value inner;
            if (auto err = item.get(inner)) return err;
            if (auto err = consume(inner, depth + 1)) return err;
        }
        return simdjson::SUCCESS;
    }
    case od::json_type::string: {
        std::string_view s;
        return v.get_string().get(s);
    }
    case od::json_type::number: {
        od::number n;
        return v.get_number().get(n);
    }
    case od::json_type::boolean: {
        bool b;
        return v.get_bool().get(b);
    }
    case od::json_type::null: {
        bool is_null = false;
        if (auto err = v.is_null().get(is_null)) return err;
        return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
    }
    return simdjson::INCORRECT_TYPE;
}

bool at_end(od::document& doc) {
    const char* loc = nullptr;
    return doc.current_location().get(loc) == simdjson::OUT_OF_BOUNDS;
}

std::string_view type_phrase(od::json_type t) {
    switch (t) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
    }
    return "an unknown type";
}

// A document is not a value in On-Demand; non-object tops are consumed by their own getters.
simdjson::error_code consume_document(od::document& doc, od::json_type top) {
    simdjson::error_code err = simdjson::SUCCESS;
    switch (top) {
    case od::json_type::array: {
        od::array a;
        if ((err = doc.get_array().get(a))) return err;
        for (auto item : a) {
            od::value inner;
            if ((err = item.get(inner))) return err;
            if ((err = consume(inner, 1))) return err;
        }
        break;
    }
    case od::json_type::string: {
        std::string_view s;
        err = doc.get_string().get(s);
        break;
    }
    case od::json_type::number: {
        od::number n;
        err = doc.get_number().get(n);
        break;
    }
    case od::json_type::boolean: {
        bool b;
        err = doc.get_bool().get(b);
        break;
    }
    case od::json_type::null: {
        bool is_null = false;
        if ((err = doc.is_null().get(is_null))) return err;
        if (!is_null) return simdjson::N_ATOM_ERROR;
        break;
    }
    case od::json_type::object:
        break;
    }
    if (err) return err;
    return at_end(doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

// The raw token of a string value runs from its opening quote to the next structural
// character; trailing white space is not part of the value.
std::size_t token_end(std::string_view token) {
    std::size_t n = token.size();
    while (n > 0 && (token[n - 1] == ' ' || token[n - 1] == '\t' || token[n - 1] == '\n' ||
                     token[n - 1] == '\r')) {
        --n;
    }
    return n;
}

simdjson::error_code read_count(od::value v, std::optional<std::int64_t>& out) {
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    if (t != od::json_type::number) return simdjson::SUCCESS;
    od::number n;
    if (auto err = v.get_number().get(n)) return err;
    switch (n.get_number_type()) {
    case od::number_type::signed_integer:
        if (n.get_int64() >= 0) out = n.get_int64();
        break;
    case od::number_type::floating_point_number: {
        // Beyond 2^53 a double is no longer a count.
        double d = n.get_double();
        if (d >= 0 && d <= 9007199254740992.0 && std::floor(d) == d) {
            out = static_cast<std::int64_t>(d);
        }
        break;
    }
    case od::number_type::unsigned_integer:  // >= 2^63: nothing real
        break;
    }
    return simdjson::SUCCESS;
}

}  // namespace aigw::json_walk
