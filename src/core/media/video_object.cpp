#include "aigw/media/video_object.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include <simdjson.h>

#include "aigw/api/request.hpp"
#include "aigw/text/json_splice.hpp"
#include "aigw/text/json_write.hpp"
#include "aigw/text/log_value.hpp"
#include "core/text/json_walk.hpp"

namespace aigw {

namespace {

namespace od = simdjson::ondemand;
using json_walk::consume;
using json_walk::token_end;

// A top-level member the rewrite may replace: how often it appears, and the byte range of its
// string token (quotes included) in the input.
struct member_token {
    int count = 0;
    bool is_string = false;
    std::size_t begin = 0;
    std::size_t end = 0;
};

struct video_scan {
    video_fields fields;
    member_token id, model, remixed_from;
};

std::string bounded(std::string_view s, std::size_t max) {
    return std::string(s.substr(0, utf8_prefix_length(s, max)));
}

// A string member, its token range kept; any other type is validated and left.
simdjson::error_code read_token(od::value v, od::json_type t, const char* base, member_token& m,
                                std::string_view& s) {
    ++m.count;
    m.is_string = false;
    if (t != od::json_type::string) return consume(v, 1);
    std::string_view token = v.raw_json_token();
    if (auto err = v.get_string().get(s)) return err;
    m.is_string = true;
    m.begin = static_cast<std::size_t>(token.data() - base);
    m.end = m.begin + token_end(token);
    return simdjson::SUCCESS;
}

// A string member read as it is (bounded); any other type is validated and left.
simdjson::error_code read_text(od::value v, od::json_type t, std::size_t max, std::string& out) {
    if (t != od::json_type::string) return consume(v, 1);
    std::string_view s;
    if (auto err = v.get_string().get(s)) return err;
    out = bounded(s, max);
    return simdjson::SUCCESS;
}

// A whole number of seconds from "8" or 8 (or 8.0); nullopt for anything else.
std::optional<std::int64_t> seconds_of_text(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || s.front() == '-') return std::nullopt;
    return n;
}

simdjson::error_code read_error_object(od::value v, video_fields& f) {
    od::object o;
    if (auto err = v.get_object().get(o)) return err;
    f.has_error = true;
    for (auto field : o) {
        std::string_view key;
        if (auto err = json_walk::key_of(field, key)) return err;
        od::value inner;
        if (auto err = field.value().get(inner)) return err;
        od::json_type t;
        if (auto err = inner.type().get(t)) return err;
        if (key == "code") {
            if (auto err = read_text(inner, t, video_error_code_max, f.error_code)) return err;
        } else if (key == "message") {
            if (auto err = read_text(inner, t, video_error_message_max, f.error_message)) {
                return err;
            }
        } else if (auto err = consume(inner, 2)) {
            return err;
        }
    }
    return simdjson::SUCCESS;
}

simdjson::error_code read_member(std::string_view key, od::value v, const char* base,
                                 video_scan& scan) {
    video_fields& f = scan.fields;
    od::json_type t;
    if (auto err = v.type().get(t)) return err;
    std::string_view s;
    if (key == "id") {
        if (auto err = read_token(v, t, base, scan.id, s)) return err;
        if (scan.id.is_string) f.id = s;
        return simdjson::SUCCESS;
    }
    if (key == "model") {
        if (auto err = read_token(v, t, base, scan.model, s)) return err;
        if (scan.model.is_string) f.model = bounded(s, model_name_max);
        return simdjson::SUCCESS;
    }
    if (key == "remixed_from_video_id") {
        if (auto err = read_token(v, t, base, scan.remixed_from, s)) return err;
        if (scan.remixed_from.is_string) f.remixed_from = bounded(s, task_id_max);
        return simdjson::SUCCESS;
    }
    if (key == "object") return read_text(v, t, media_short_text_max, f.object);
    if (key == "size") return read_text(v, t, media_short_text_max, f.size);
    if (key == "status") {
        f.status.reset();
        if (t != od::json_type::string) return consume(v, 1);
        if (auto err = v.get_string().get(s)) return err;
        f.status = parse_task_status(s);
        return simdjson::SUCCESS;
    }
    if (key == "seconds") {
        f.seconds = 0;
        if (t == od::json_type::string) {
            if (auto err = v.get_string().get(s)) return err;
            f.seconds = seconds_of_text(s).value_or(0);
            return simdjson::SUCCESS;
        }
        if (t != od::json_type::number) return consume(v, 1);
        std::optional<std::int64_t> n;
        if (auto err = json_walk::read_count(v, n)) return err;
        f.seconds = n.value_or(0);
        return simdjson::SUCCESS;
    }
    if (key == "created_at" || key == "completed_at") {
        std::int64_t& out = key == "created_at" ? f.created_at : f.completed_at;
        out = 0;
        if (t != od::json_type::number) return consume(v, 1);
        std::optional<std::int64_t> n;
        if (auto err = json_walk::read_count(v, n)) return err;
        out = n.value_or(0);
        return simdjson::SUCCESS;
    }
    if (key == "progress") {
        f.progress = 0;
        if (t != od::json_type::number) return consume(v, 1);
        double d = 0;
        if (auto err = v.get_double().get(d)) return err;
        if (d > 0) f.progress = d >= 100 ? 100 : static_cast<int>(std::floor(d));
        return simdjson::SUCCESS;
    }
    if (key == "error") {
        f.has_error = false;
        f.error_code.clear();
        f.error_message.clear();
        if (t != od::json_type::object) return consume(v, 1);
        return read_error_object(v, f);
    }
    return consume(v, 1);
}

// The whole document read and validated, from a padded copy kept per process; `json`'s
// offsets are the copy's.
bool scan_video(std::string_view json, video_scan& scan) {
    static od::parser parser;
    static std::string padded;
    padded.assign(json.data(), json.size());
    padded.append(json_padding, ' ');
    const char* base = padded.data();
    od::document doc;
    if (parser.iterate(simdjson::padded_string_view(base, json.size(), padded.size())).get(doc)) {
        return false;
    }
    od::json_type top;
    if (doc.type().get(top) || top != od::json_type::object) return false;
    auto err = json_walk::for_each_top_field(doc, [&](std::string_view key, od::value v) {
        return read_member(key, v, base, scan);
    });
    if (err) return false;
    scan.fields.ok = scan.id.count == 1 && scan.id.is_string && valid_task_id(scan.fields.id) &&
                     scan.model.count <= 1 && scan.remixed_from.count <= 1;
    return scan.fields.ok;
}

struct edit {
    std::size_t begin;
    std::size_t end;
    std::string text;
};

}  // namespace

// ---- video objects ----

video_fields read_video_object(std::string_view json) {
    video_scan scan;
    if (!scan_video(json, scan)) return video_fields{};
    return std::move(scan.fields);
}

std::optional<std::string> rewrite_video_object(std::string_view json, std::string_view public_id,
                                                std::string_view model,
                                                std::string_view remixed_from) {
    video_scan scan;
    if (!scan_video(json, scan)) return std::nullopt;
    std::vector<edit> edits;
    try {
        edits.push_back({scan.id.begin, scan.id.end, json_quote(public_id)});
        if (!model.empty() && scan.model.count == 1 && scan.model.is_string) {
            edits.push_back({scan.model.begin, scan.model.end, json_quote(model)});
        }
        if (!remixed_from.empty() && scan.remixed_from.count == 1 && scan.remixed_from.is_string) {
            edits.push_back({scan.remixed_from.begin, scan.remixed_from.end,
                             json_quote(remixed_from)});
        }
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
    std::sort(edits.begin(), edits.end(),
              [](const edit& a, const edit& b) { return a.begin < b.begin; });
    std::string out;
    out.reserve(json.size() + 64);
    std::size_t at = 0;
    for (const edit& e : edits) {
        out.append(json, at, e.begin - at);
        out += e.text;
        at = e.end;
    }
    out.append(json, at, std::string_view::npos);
    return out;
}

std::string video_object_from_task(const task_record& t) {
    return json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("id");
        write_text(w, t.id);
        w.Key("object");
        w.String("video");
        w.Key("created_at");
        w.Int64(t.created_at);
        w.Key("status");
        write_text(w, task_status_name(t.status));
        w.Key("completed_at");
        if (t.completed_at != 0) {
            w.Int64(t.completed_at);
        } else {
            w.Null();
        }
        w.Key("error");
        if (t.status == task_status::failed) {
            w.StartObject();
            w.Key("code");
            write_text(w, t.error_code.empty() ? "video_generation_failed" : t.error_code);
            w.Key("message");
            write_text(w, t.error_message.empty() ? "The video could not be generated."
                                                  : t.error_message);
            w.EndObject();
        } else {
            w.Null();
        }
        w.Key("expires_at");
        w.Null();
        w.Key("model");
        write_text(w, t.model);
        w.Key("progress");
        w.Int(t.progress);
        w.Key("prompt");
        w.Null();
        w.Key("remixed_from_video_id");
        write_text_or_null(w, t.remixed_from);
        w.Key("seconds");
        if (t.seconds > 0) {
            write_text(w, std::to_string(t.seconds));
        } else {
            w.Null();
        }
        w.Key("size");
        write_text_or_null(w, t.size);
        w.EndObject();
    });
}

std::string video_list(const std::vector<std::string>& objects_json,
                       const std::vector<std::string>& ids, bool has_more) {
    return json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("object");
        w.String("list");
        w.Key("data");
        w.StartArray();
        for (const std::string& o : objects_json) {
            w.RawValue(o.data(), o.size(), rapidjson::kObjectType);
        }
        w.EndArray();
        w.Key("first_id");
        if (ids.empty()) {
            w.Null();
        } else {
            write_text(w, ids.front());
        }
        w.Key("last_id");
        if (ids.empty()) {
            w.Null();
        } else {
            write_text(w, ids.back());
        }
        w.Key("has_more");
        w.Bool(has_more);
        w.EndObject();
    });
}

std::string video_deleted(std::string_view public_id) {
    return json_text([&](json_writer& w) {
        w.StartObject();
        w.Key("id");
        write_text(w, public_id);
        w.Key("object");
        w.String("video.deleted");
        w.Key("deleted");
        w.Bool(true);
        w.EndObject();
    });
}

}  // namespace aigw
