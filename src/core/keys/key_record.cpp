#include "aigw/keys/key_record.hpp"

#include <charconv>

#include "aigw/dialects/endpoints.hpp"
#include "aigw/keys/key_text.hpp"
#include "aigw/schema.hpp"
#include "aigw/text/strings.hpp"

namespace aigw {

namespace {

// Unix seconds: plain decimal digits, no sign, no blanks.
std::optional<std::int64_t> parse_unix_seconds(std::string_view v) {
    if (v.empty() || v.front() < '0' || v.front() > '9') return std::nullopt;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
}

}  // namespace

// ---- the key record ----

std::string_view key_status_name(key_status s) {
    return s == key_status::active ? "active" : "disabled";
}

model_list_result parse_model_list(std::string_view list) {
    model_list_result r;
    for (std::string_view item : split_list(list)) {
        std::size_t star = item.find('*');
        if (star != std::string_view::npos && star != item.size() - 1) {
            r.models.clear();
            r.error = "bad model pattern " + quoted(item) + ": '*' only at the end";
            return r;
        }
        for (char c : item) {
            auto u = static_cast<unsigned char>(c);
            if (u <= 0x20 || u == 0x7f) {
                r.models.clear();
                r.error = "bad model name " + quoted(item) + ": blank or control character";
                return r;
            }
        }
        r.models.emplace_back(item);
    }
    if (r.models.empty()) {
        r.error = "no models (write * for any model)";
        return r;
    }
    r.ok = true;
    return r;
}

std::string join_model_list(const std::vector<std::string>& models) {
    std::string out;
    for (const std::string& m : models) {
        if (!out.empty()) out += ",";
        out += m;
    }
    return out;
}

endpoint_list_result parse_endpoint_list(std::string_view list) {
    endpoint_list_result r;
    const std::vector<std::string_view> families = endpoint_families();
    bool every = false;
    auto fail = [&r](std::string why) {
        r.endpoints.clear();
        r.error = std::move(why);
        return r;
    };
    for (std::string_view item : split_list(list)) {
        for (char c : item) {
            auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7f) {
                return fail("bad endpoint family " + quoted(item) + ": control character");
            }
        }
        if (item == "*") {
            every = true;
            continue;
        }
        bool known = false;
        for (std::string_view f : families) known = known || f == item;
        if (!known) {
            std::string names;
            for (std::string_view f : families) {
                if (!names.empty()) names += ", ";
                names += f;
            }
            return fail("unknown endpoint family " + quoted(item) + " (known: " + names +
                        ", or * for every endpoint)");
        }
        r.endpoints.emplace_back(item);
    }
    if (every && !r.endpoints.empty()) {
        return fail("* (every endpoint) cannot stand beside endpoint families");
    }
    if (!every && r.endpoints.empty()) {
        return fail("no endpoints (write * for every endpoint)");
    }
    r.ok = true;
    return r;
}

std::string join_endpoint_list(const std::vector<std::string>& endpoints) {
    return endpoints.empty() ? std::string("*") : join_model_list(endpoints);
}

bool endpoint_allowed(const key_record& r, std::string_view family) {
    // The model list costs nothing and shows only the key's models.
    if (r.endpoints.empty() || family == "models") return true;
    for (const std::string& e : r.endpoints) {
        if (e == family) return true;
    }
    return false;
}

key_decode_result decode_key_record(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
    key_decode_result r;
    key_record& rec = r.record;
    bool seen_id = false, seen_status = false, seen_models = false;
    auto fail = [&](std::string_view field, const std::string& why) {
        r.ok = false;
        r.record = key_record{};
        r.error = std::string(field) + ": " + why;
        return r;
    };
    for (const auto& [f, v] : fields) {
        if (f == key_field::id) {
            if (v.empty()) return fail(f, "empty");
            rec.id = v;
            seen_id = true;
        } else if (f == key_field::name) {
            rec.name = v;
        } else if (f == key_field::owner) {
            rec.owner = v;
        } else if (f == key_field::group) {
            rec.group = v;
        } else if (f == key_field::status) {
            if (v == key_status_name(key_status::active)) {
                rec.status = key_status::active;
            } else if (v == key_status_name(key_status::disabled)) {
                rec.status = key_status::disabled;
            } else {
                return fail(f, quoted(v) + " is not active or disabled");
            }
            seen_status = true;
        } else if (f == key_field::expires_at || f == key_field::created_at) {
            std::optional<std::int64_t> n = parse_unix_seconds(v);
            if (!n) return fail(f, quoted(v) + " is not unix seconds");
            (f == key_field::expires_at ? rec.expires_at : rec.created_at) = *n;
        } else if (f == key_field::models) {
            model_list_result m = parse_model_list(v);
            if (!m.ok) return fail(f, m.error);
            rec.models = std::move(m.models);
            seen_models = true;
        } else if (f == key_field::endpoints) {
            endpoint_list_result e = parse_endpoint_list(v);
            if (!e.ok) return fail(f, e.error);
            rec.endpoints = std::move(e.endpoints);
        } else if (f == key_field::ip_allow) {
            cidr_list_result c = parse_cidr_list(v);
            if (!c.ok) return fail(f, c.error);
            rec.ip_allow = std::move(c.blocks);
        } else if (f == key_field::last4) {
            rec.last4 = v;
        }
    }
    if (!seen_id) return fail(key_field::id, "missing");
    if (!seen_status) return fail(key_field::status, "missing");
    if (!seen_models) return fail(key_field::models, "missing");
    r.ok = true;
    return r;
}

std::vector<std::pair<std::string, std::string>> encode_key_record(const key_record& r) {
    std::string ip_allow;
    for (const cidr_block& b : r.ip_allow) {
        if (!ip_allow.empty()) ip_allow += ",";
        ip_allow += format_cidr(b);
    }
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back(key_field::id, r.id);
    out.emplace_back(key_field::name, r.name);
    out.emplace_back(key_field::owner, r.owner);
    out.emplace_back(key_field::group, r.group);
    out.emplace_back(key_field::status, key_status_name(r.status));
    out.emplace_back(key_field::expires_at, std::to_string(r.expires_at));
    out.emplace_back(key_field::models, join_model_list(r.models));
    if (!r.endpoints.empty()) {
        out.emplace_back(key_field::endpoints, join_endpoint_list(r.endpoints));
    }
    out.emplace_back(key_field::ip_allow, std::move(ip_allow));
    out.emplace_back(key_field::created_at, std::to_string(r.created_at));
    out.emplace_back(key_field::last4, r.last4);
    return out;
}

bool model_allowed(const key_record& r, std::string_view model) {
    for (const std::string& pattern : r.models) {
        if (!pattern.empty() && pattern.back() == '*') {
            if (starts_with(model, std::string_view(pattern).substr(0, pattern.size() - 1))) {
                return true;
            }
        } else if (model == pattern) {
            return true;
        }
    }
    return false;
}

bool ip_allowed(const key_record& r, std::string_view client_ip) {
    if (r.ip_allow.empty()) return true;
    std::optional<ip_address> ip = parse_ip(client_ip);
    if (!ip) return false;
    for (const cidr_block& b : r.ip_allow) {
        if (cidr_contains(b, *ip)) return true;
    }
    return false;
}

// ---- the checks ----

key_check_result key_check(const key_record& r, std::int64_t now, std::string_view client_ip,
                           std::optional<std::string_view> model) {
    if (r.status != key_status::active) return key_check_result::disabled;
    if (r.expires_at != 0 && now >= r.expires_at) return key_check_result::expired;
    if (!ip_allowed(r, client_ip)) return key_check_result::ip_not_allowed;
    if (model && !model_allowed(r, *model)) return key_check_result::model_not_allowed;
    return key_check_result::ok;
}

std::string_view key_check_name(key_check_result c) {
    switch (c) {
    case key_check_result::ok:
        return "ok";
    case key_check_result::disabled:
        return "key_disabled";
    case key_check_result::expired:
        return "key_expired";
    case key_check_result::ip_not_allowed:
        return "ip_not_allowed";
    case key_check_result::model_not_allowed:
        return "model_not_allowed";
    }
    return "unknown";
}

api_error key_check_error(key_check_result c, std::string_view model) {
    switch (c) {
    case key_check_result::disabled:
        return key_disabled_error();
    case key_check_result::expired:
        return key_expired_error();
    case key_check_result::ip_not_allowed:
        return ip_not_allowed_error();
    case key_check_result::model_not_allowed:
        return model_not_allowed_error(model);
    case key_check_result::ok:
        break;
    }
    return error_for_status(500);
}

}  // namespace aigw
