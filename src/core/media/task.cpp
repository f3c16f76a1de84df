#include "aigw/media/task.hpp"

#include <charconv>
#include <climits>

#include "aigw/schema.hpp"
#include "aigw/text/strings.hpp"

namespace aigw {

namespace {

constexpr std::string_view status_names[] = {"queued", "in_progress", "completed", "failed"};
constexpr std::string_view billing_names[] = {"reserved", "charged", "released"};
constexpr std::string_view callback_names[] = {"none", "pending", "delivered", "failed"};

template <class E, std::size_t N>
std::optional<E> parse_name(const std::string_view (&names)[N], std::string_view v) {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == v) return static_cast<E>(i);
    }
    return std::nullopt;
}

// Plain decimal digits, no sign, no blanks, within int64.
std::optional<std::int64_t> parse_count(std::string_view v) {
    if (v.empty() || v.front() < '0' || v.front() > '9') return std::nullopt;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
}

bool is_lower_hex(std::string_view s) {
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

}  // namespace

// ---- names ----

std::string_view task_status_name(task_status s) {
    return status_names[static_cast<std::size_t>(s)];
}

std::optional<task_status> parse_task_status(std::string_view name) {
    return parse_name<task_status>(status_names, name);
}

bool task_finished(task_status s) {
    return s == task_status::completed || s == task_status::failed;
}

std::string_view task_billing_name(task_billing b) {
    return billing_names[static_cast<std::size_t>(b)];
}

std::optional<task_billing> parse_task_billing(std::string_view name) {
    return parse_name<task_billing>(billing_names, name);
}

std::string_view callback_state_name(callback_state c) {
    return callback_names[static_cast<std::size_t>(c)];
}

std::optional<callback_state> parse_callback_state(std::string_view name) {
    return parse_name<callback_state>(callback_names, name);
}

// ---- ids ----

std::string task_public_id(const unsigned char (&random)[24]) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "video_";
    for (unsigned char b : random) {
        out += hex[b >> 4];
        out += hex[b & 0x0f];
    }
    return out;
}

bool valid_task_id(std::string_view id) {
    if (id.empty() || id.size() > task_id_max) return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

// ---- the record ----

task_decode_result decode_task_record(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
    namespace f = task_field;
    task_decode_result r;
    task_record& rec = r.record;
    bool seen_id = false, seen_channel = false, seen_upstream_id = false, seen_account = false,
         seen_model = false, seen_status = false, seen_billing = false, seen_created_at = false;
    auto fail = [&](std::string_view field, const std::string& why) {
        r.ok = false;
        r.record = task_record{};
        r.error = std::string(field) + ": " + why;
        return r;
    };
    // The text fields, read as they are.
    const std::pair<std::string_view, std::string task_record::*> texts[] = {
        {f::key_id, &task_record::key_id},
        {f::owner, &task_record::owner},
        {f::group, &task_record::group},
        {f::upstream_model, &task_record::upstream_model},
        {f::size, &task_record::size},
        {f::request_id, &task_record::request_id},
        {f::remixed_from, &task_record::remixed_from},
        {f::error_code, &task_record::error_code},
        {f::error_message, &task_record::error_message},
        {f::callback_url, &task_record::callback_url},
    };
    // The counts: non-negative int64.
    const std::pair<std::string_view, std::int64_t task_record::*> counts[] = {
        {f::seconds, &task_record::seconds},
        {f::created_at, &task_record::created_at},
        {f::updated_at, &task_record::updated_at},
        {f::completed_at, &task_record::completed_at},
        {f::cost, &task_record::cost},
        {f::charged, &task_record::charged},
        {f::callback_next_ms, &task_record::callback_next_ms},
    };
    for (const auto& [k, v] : fields) {
        if (k == f::id || k == f::upstream_id) {
            if (v.empty()) return fail(k, "empty");
            if (!valid_task_id(v)) return fail(k, quoted(v) + " is not a task id");
            (k == f::id ? rec.id : rec.upstream_id) = v;
            (k == f::id ? seen_id : seen_upstream_id) = true;
            continue;
        }
        if (k == f::channel || k == f::model) {
            if (v.empty()) return fail(k, "empty");
            (k == f::channel ? rec.channel : rec.model) = v;
            (k == f::channel ? seen_channel : seen_model) = true;
            continue;
        }
        if (k == f::account) {
            if (v.size() != 64 || !is_lower_hex(v)) {
                return fail(k, quoted(v) + " is not a sha256 hex digest");
            }
            rec.account = v;
            seen_account = true;
            continue;
        }
        if (k == f::status) {
            std::optional<task_status> s = parse_task_status(v);
            if (!s) return fail(k, quoted(v) + " is not queued, in_progress, completed or failed");
            rec.status = *s;
            seen_status = true;
            continue;
        }
        if (k == f::billing) {
            std::optional<task_billing> b = parse_task_billing(v);
            if (!b) return fail(k, quoted(v) + " is not reserved, charged or released");
            rec.billing = *b;
            seen_billing = true;
            continue;
        }
        if (k == f::callback) {
            std::optional<callback_state> c = parse_callback_state(v);
            if (!c) return fail(k, quoted(v) + " is not none, pending, delivered or failed");
            rec.callback = *c;
            continue;
        }
        if (k == f::progress || k == f::callback_attempts) {
            std::optional<std::int64_t> n = parse_count(v);
            if (!n) return fail(k, quoted(v) + " is not a non-negative integer");
            if (k == f::progress) {
                if (*n > 100) return fail(k, quoted(v) + " is not 0..100");
                rec.progress = static_cast<int>(*n);
            } else {
                if (*n > INT_MAX) return fail(k, quoted(v) + " is too large");
                rec.callback_attempts = static_cast<int>(*n);
            }
            continue;
        }
        bool known = false;
        for (const auto& [name, member] : counts) {
            if (k != name) continue;
            std::optional<std::int64_t> n = parse_count(v);
            if (!n) return fail(k, quoted(v) + " is not a non-negative integer");
            rec.*member = *n;
            if (k == f::created_at) seen_created_at = true;
            known = true;
            break;
        }
        if (known) continue;
        for (const auto& [name, member] : texts) {
            if (k != name) continue;
            rec.*member = v;
            break;
        }
    }
    if (!seen_id) return fail(f::id, "missing");
    if (!seen_channel) return fail(f::channel, "missing");
    if (!seen_upstream_id) return fail(f::upstream_id, "missing");
    if (!seen_account) return fail(f::account, "missing");
    if (!seen_model) return fail(f::model, "missing");
    if (!seen_status) return fail(f::status, "missing");
    if (!seen_billing) return fail(f::billing, "missing");
    if (!seen_created_at) return fail(f::created_at, "missing");
    r.ok = true;
    return r;
}

std::vector<std::pair<std::string, std::string>> encode_task_record(const task_record& r) {
    namespace f = task_field;
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(27);
    out.emplace_back(f::id, r.id);
    out.emplace_back(f::channel, r.channel);
    out.emplace_back(f::upstream_id, r.upstream_id);
    out.emplace_back(f::account, r.account);
    out.emplace_back(f::key_id, r.key_id);
    out.emplace_back(f::owner, r.owner);
    out.emplace_back(f::group, r.group);
    out.emplace_back(f::model, r.model);
    out.emplace_back(f::upstream_model, r.upstream_model);
    out.emplace_back(f::size, r.size);
    out.emplace_back(f::seconds, std::to_string(r.seconds));
    out.emplace_back(f::status, task_status_name(r.status));
    out.emplace_back(f::progress, std::to_string(r.progress));
    out.emplace_back(f::created_at, std::to_string(r.created_at));
    out.emplace_back(f::updated_at, std::to_string(r.updated_at));
    out.emplace_back(f::completed_at, std::to_string(r.completed_at));
    out.emplace_back(f::cost, std::to_string(r.cost));
    out.emplace_back(f::charged, std::to_string(r.charged));
    out.emplace_back(f::billing, task_billing_name(r.billing));
    out.emplace_back(f::request_id, r.request_id);
    out.emplace_back(f::remixed_from, r.remixed_from);
    out.emplace_back(f::error_code, r.error_code);
    out.emplace_back(f::error_message, r.error_message);
    out.emplace_back(f::callback_url, r.callback_url);
    out.emplace_back(f::callback, callback_state_name(r.callback));
    out.emplace_back(f::callback_attempts, std::to_string(r.callback_attempts));
    out.emplace_back(f::callback_next_ms, std::to_string(r.callback_next_ms));
    return out;
}

}  // namespace aigw
