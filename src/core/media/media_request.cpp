// The members of media requests and answers that decide a price (video_object.hpp).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include <simdjson.h>

#include "aigw/api/request.hpp"
#include "aigw/media/video_object.hpp"
#include "aigw/text/log_value.hpp"
#include "core/text/json_walk.hpp"

namespace aigw {

static_assert(json_padding >= simdjson::SIMDJSON_PADDING, "json_padding must cover simdjson's padding");

namespace {

namespace od = simdjson::ondemand;
using json_walk::consume;
using json_walk::consume_document;
using json_walk::token_end;
using json_walk::type_phrase;

// The first reason to refuse the body, kept while the rest is still read: invalid JSON
// anywhere wins over a member's type or value.
struct refusal {
    std::optional<api_error> first;
    void operator()(api_error e) {
        if (!first) first = std::move(e);
    }
};

// Reads the top-level members of a request body with on_member(key, value, type, refuse), the
// members named in `once` allowed once each. nullopt when the body is fine.
template <class F>
std::optional<api_error> read_members(const char* data, std::size_t len, std::size_t capacity,
                                      std::initializer_list<std::string_view> once, F&& on_member) {
    static od::parser parser;
    if (capacity < len + simdjson::SIMDJSON_PADDING) {
        return invalid_json_error("internal: input buffer not padded");
    }
    auto invalid = [](simdjson::error_code err) {
        return invalid_json_error(simdjson::error_message(err));
    };
    od::document doc;
    if (auto err = parser.iterate(simdjson::padded_string_view(data, len, capacity)).get(doc)) {
        return invalid(err);
    }
    od::json_type top;
    if (auto err = doc.type().get(top)) return invalid(err);
    if (top != od::json_type::object) {
        if (auto err = consume_document(doc, top)) return invalid(err);
        return not_an_object_error();
    }
    refusal refuse;
    std::vector<std::string_view> seen;
    auto err = json_walk::for_each_top_field(doc, [&](std::string_view key, od::value v) {
        for (std::string_view name : once) {
            if (key != name) continue;
            if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
                refuse(duplicate_member_error(name));
            }
            seen.push_back(name);
        }
        od::json_type t;
        if (auto e = v.type().get(t)) return e;
        return on_member(key, v, t, refuse);
    });
    if (err) return invalid(err);
    return refuse.first;
}

// A string member of at most `max` bytes, or null; anything else is refused.
simdjson::error_code read_string(std::string_view param, od::value v, od::json_type t,
                                 std::size_t max, std::string& out, refusal& refuse) {
    if (t == od::json_type::null) return consume(v, 1);
    if (t != od::json_type::string) {
        refuse(invalid_type_error(param, "a string", type_phrase(t)));
        return consume(v, 1);
    }
    std::string_view s;
    if (auto err = v.get_string().get(s)) return err;
    if (s.size() > max) {
        refuse(string_too_long_error(param, max, s.size()));
        return simdjson::SUCCESS;
    }
    out.assign(s.data(), s.size());
    return simdjson::SUCCESS;
}

// A whole number in [min, max] from a number token (an integer, or a float with a whole
// value); `raw` is the token as written, for the messages. `integer_only` refuses a float
// with the type error ("a decimal") instead of reading its value.
simdjson::error_code read_whole_number(std::string_view param, od::value v, std::int64_t min,
                                       std::int64_t max, std::string_view expected_type,
                                       std::string_view supported, std::int64_t& out,
                                       refusal& refuse) {
    std::string_view raw = v.raw_json_token();
    raw = raw.substr(0, token_end(raw));
    od::number n;
    if (auto err = v.get_number().get(n)) return err;
    switch (n.get_number_type()) {
    case od::number_type::signed_integer: {
        std::int64_t i = n.get_int64();
        if (i < min) {
            refuse(integer_below_min_error(param, min, raw));
        } else if (i > max) {
            refuse(integer_above_max_error(param, max, raw));
        } else {
            out = i;
        }
        break;
    }
    case od::number_type::unsigned_integer:  // >= 2^63
        refuse(integer_above_max_error(param, max, raw));
        break;
    case od::number_type::floating_point_number: {
        double d = n.get_double();
        if (std::floor(d) != d) {
            if (supported.empty()) {
                refuse(invalid_type_error(param, expected_type, "a decimal"));
            } else {
                refuse(invalid_value_error(param, raw, supported));
            }
        } else if (d < static_cast<double>(min)) {
            refuse(integer_below_min_error(param, min, raw));
        } else if (d > static_cast<double>(max)) {
            refuse(integer_above_max_error(param, max, raw));
        } else {
            out = static_cast<std::int64_t>(d);
        }
        break;
    }
    }
    return simdjson::SUCCESS;
}

constexpr std::string_view seconds_supported = "whole numbers of seconds such as '4', '8' and '12'";

simdjson::error_code read_seconds(od::value v, od::json_type t, std::int64_t& out,
                                  refusal& refuse) {
    if (t == od::json_type::null) return consume(v, 1);
    if (t == od::json_type::number) {
        return read_whole_number("seconds", v, 1, video_seconds_max, "a string", seconds_supported,
                                 out, refuse);
    }
    if (t != od::json_type::string) {
        refuse(invalid_type_error("seconds", "a string", type_phrase(t)));
        return consume(v, 1);
    }
    std::string_view s;
    if (auto err = v.get_string().get(s)) return err;
    bool digits = !s.empty();
    for (char c : s) digits = digits && c >= '0' && c <= '9';
    if (!digits) {
        refuse(invalid_value_error("seconds", s, seconds_supported));
        return simdjson::SUCCESS;
    }
    // Leading zeros aside, more than 18 digits is above any bound.
    std::size_t first = s.find_first_not_of('0');
    std::string_view value = first == std::string_view::npos ? "0" : s.substr(first);
    std::int64_t n = video_seconds_max + 1;
    if (value.size() <= 18) std::from_chars(value.data(), value.data() + value.size(), n);
    if (n < 1) {
        refuse(integer_below_min_error("seconds", 1, s));
    } else if (n > video_seconds_max) {
        refuse(integer_above_max_error("seconds", video_seconds_max, s));
    } else {
        out = n;
    }
    return simdjson::SUCCESS;
}

template <class R>
R refused(api_error e) {
    R r;
    r.error = e.message;
    r.rejection = std::move(e);
    return r;
}

}  // namespace

// ---- requests ----

video_request read_video_request(const char* data, std::size_t len, std::size_t capacity) {
    video_request r;
    std::optional<api_error> e = read_members(
        data, len, capacity, {"model", "seconds", "size"},
        [&](std::string_view key, od::value v, od::json_type t, refusal& refuse) {
            if (key == "model") return read_string("model", v, t, model_name_max, r.model, refuse);
            if (key == "seconds") return read_seconds(v, t, r.seconds, refuse);
            if (key == "size") {
                return read_string("size", v, t, media_short_text_max, r.size, refuse);
            }
            return consume(v, 1);
        });
    if (e) return refused<video_request>(std::move(*e));
    r.ok = true;
    return r;
}

video_request read_video_request(std::string_view json) {
    std::string padded(json);
    padded.append(json_padding, ' ');
    return read_video_request(padded.data(), json.size(), padded.size());
}

image_request read_image_request(const char* data, std::size_t len, std::size_t capacity) {
    image_request r;
    std::optional<api_error> e = read_members(
        data, len, capacity, {"n", "size", "quality"},
        [&](std::string_view key, od::value v, od::json_type t, refusal& refuse) {
            if (key == "n") {
                if (t == od::json_type::null) return consume(v, 1);
                if (t != od::json_type::number) {
                    refuse(invalid_type_error("n", "an integer", type_phrase(t)));
                    return consume(v, 1);
                }
                return read_whole_number("n", v, 1, image_n_max, "an integer", {}, r.n, refuse);
            }
            if (key == "size") {
                return read_string("size", v, t, media_short_text_max, r.size, refuse);
            }
            if (key == "quality") {
                return read_string("quality", v, t, media_short_text_max, r.quality, refuse);
            }
            return consume(v, 1);
        });
    if (e) return refused<image_request>(std::move(*e));
    r.ok = true;
    return r;
}

image_request read_image_request(std::string_view json) {
    std::string padded(json);
    padded.append(json_padding, ' ');
    return read_image_request(padded.data(), json.size(), padded.size());
}

// ---- answers ----

image_response read_image_response(std::string_view json) {
    static od::parser parser;
    static std::string padded;
    padded.assign(json.data(), json.size());
    padded.append(json_padding, ' ');
    image_response r;
    od::document doc;
    if (parser.iterate(simdjson::padded_string_view(padded.data(), json.size(), padded.size()))
            .get(doc)) {
        return r;
    }
    od::json_type top;
    if (doc.type().get(top) || top != od::json_type::object) return r;
    auto text = [](od::value v, od::json_type t, std::string& out) {
        if (t != od::json_type::string) return consume(v, 1);
        std::string_view s;
        if (auto err = v.get_string().get(s)) return err;
        out.assign(s.substr(0, utf8_prefix_length(s, media_short_text_max)));
        return simdjson::SUCCESS;
    };
    auto err = json_walk::for_each_top_field(doc, [&](std::string_view key, od::value v) {
        od::json_type t;
        if (auto e = v.type().get(t)) return e;
        if (key == "data") {
            r.count = 0;
            if (t != od::json_type::array) return consume(v, 1);
            od::array items;
            if (auto e = v.get_array().get(items)) return e;
            for (auto item : items) {
                od::value inner;
                if (auto e = item.get(inner)) return e;
                if (auto e = consume(inner, 2)) return e;
                ++r.count;
            }
            return simdjson::SUCCESS;
        }
        if (key == "size") return text(v, t, r.size);
        if (key == "quality") return text(v, t, r.quality);
        return consume(v, 1);
    });
    if (err) return image_response{};
    r.ok = true;
    return r;
}

}  // namespace aigw
