#include "aigw/dialects/anthropic/models.hpp"

#include <cstdio>

#include <simdjson.h>

#include "aigw/text/json_write.hpp"
#include "core/dialects/anthropic/wire.hpp"

namespace aigw::anthropic {

std::string rfc3339_utc(long long unix_seconds) {
    if (unix_seconds < 0) unix_seconds = 0;
    long long days = unix_seconds / 86400;
    long long secs = unix_seconds % 86400;
    // Days since 1970-01-01 -> year, month, day in the proleptic Gregorian calendar (Howard
    // Hinnant's civil_from_days): no time zone database, no locale, no gmtime_r.
    long long z = days + 719468;
    long long era = z / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = yoe + era * 400;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    long long d = doy - (153 * mp + 2) / 5 + 1;
    long long m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", y, m, d,
                          secs / 3600, secs / 60 % 60, secs % 60);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

namespace {

void write_model(json_writer& w, std::string_view id, long long created) {
    w.StartObject();
    w.Key("type");
    w.String("model");
    w.Key("id");
    write_text(w, id);
    w.Key("display_name");
    write_text(w, id);
    w.Key("created_at");
    write_text(w, rfc3339_utc(created));
    w.EndObject();
}

// The ids of the first and last entries written: null when there are none.
struct page_ends {
    bool any = false;
    std::string_view first;
    std::string_view last;

    void add(std::string_view id) {
        if (!any) first = id;
        any = true;
        last = id;
    }

    void write(json_writer& w, bool has_more) const {
        w.Key("has_more");
        w.Bool(has_more);
        w.Key("first_id");
        if (any) write_text(w, first); else w.Null();
        w.Key("last_id");
        if (any) write_text(w, last); else w.Null();
    }
};

}  // namespace

std::string model_list_json(const std::vector<std::string>& ids,
                            const std::function<bool(std::string_view)>& allowed,
                            long long created, std::size_t limit) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    page_ends ends;
    w.StartObject();
    w.Key("data");
    w.StartArray();
    std::size_t listed = 0;
    bool more = false;
    for (const std::string& id : ids) {
        if (!allowed(id)) continue;
        if (limit != 0 && listed == limit) {
            more = true;
            break;
        }
        write_model(w, id, created);
        ends.add(id);
        listed++;
    }
    w.EndArray();
    ends.write(w, more);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

std::string model_object_json(std::string_view id, long long created) {
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    write_model(w, id, created);
    return std::string(buf.GetString(), buf.GetSize());
}

std::optional<std::string> filter_model_list(std::string_view body,
                                             const std::function<bool(std::string_view)>& allowed) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::array data;
    if (wire::parse(parser, body, doc) || doc["data"].get_array().get(data)) {
        return std::nullopt;
    }
    bool has_more = false;
    if (doc["has_more"].get_bool().get(has_more)) has_more = false;

    rapidjson::StringBuffer buf;
    json_writer w(buf);
    page_ends ends;
    w.StartObject();
    w.Key("data");
    w.StartArray();
    for (simdjson::dom::element item : data) {
        std::string_view id;
        if (item["id"].get_string().get(id) || !allowed(id)) {
            continue;  // not a model object: nothing a key could be allowed
        }
        std::string entry = simdjson::minify(item);
        w.RawValue(entry.data(), entry.size(), rapidjson::kObjectType);
        ends.add(id);
    }
    w.EndArray();
    ends.write(w, has_more);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace aigw::anthropic
