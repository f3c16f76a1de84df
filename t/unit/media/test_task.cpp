// Media task records: the Redis hash round trip, each decode error, the names of states, the
// public ids the gateway hands out and the ids it takes in paths.
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aigw/media/task.hpp"
#include "aigw/schema.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::callback_state;
using aigw::task_billing;
using aigw::task_record;
using aigw::task_status;

namespace {

using field_list = std::vector<std::pair<std::string_view, std::string_view>>;

const std::string account(64, 'a');

task_record full_record() {
    task_record r;
    r.id = "video_0123456789abcdef0123456789abcdef0123456789abcdef";
    r.channel = "openai-east";
    r.upstream_id = "video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa8";
    r.account = "0f02598e8afab6f0cd43330d7722e17038469aa99ced4faeb27142fd4328bb48";
    r.key_id = "key_0123456789abcdef";
    r.owner = "ops@example.com";
    r.group = "team-a";
    r.model = "sora-2";
    r.upstream_model = "sora-2-2025-10-06";
    r.size = "720x1280";
    r.seconds = 8;
    r.status = task_status::failed;
    r.progress = 100;
    r.created_at = 1758941485;
    r.updated_at = 1758941585;
    r.completed_at = 1758941585;
    r.cost = 800000;
    r.charged = 0;
    r.billing = task_billing::released;
    r.request_id = "req_0123456789abcdef";
    r.remixed_from = "video_fedcba9876543210fedcba9876543210fedcba9876543210";
    r.error_code = "moderation_blocked";
    r.error_message = "Your request was blocked by our moderation system.";
    r.callback_url = "https://hooks.example.com/videos?x=1";
    r.callback = callback_state::pending;
    r.callback_attempts = 3;
    r.callback_next_ms = 1758941589000;
    return r;
}

// The pairs as HGETALL gives them back: views into `encoded`.
field_list as_fields(const std::vector<std::pair<std::string, std::string>>& encoded) {
    field_list out;
    for (const auto& [k, v] : encoded) out.emplace_back(k, v);
    return out;
}

field_list minimal_fields() {
    return {{"id", "video_1"},      {"channel", "c"},      {"upstream_id", "up-1"},
            {"account", account},   {"model", "sora-2"},   {"status", "queued"},
            {"billing", "reserved"}, {"created_at", "1"}};
}

field_list with(field_list f, std::string_view k, std::string_view v) {
    for (auto& [fk, fv] : f) {
        if (fk == k) {
            fv = v;
            return f;
        }
    }
    f.emplace_back(k, v);
    return f;
}

field_list without(field_list f, std::string_view k) {
    field_list out;
    for (const auto& kv : f) {
        if (kv.first != k) out.push_back(kv);
    }
    return out;
}

void expect_error(const field_list& f, std::string_view error) {
    aigw::task_decode_result r = aigw::decode_task_record(f);
    assert_false(r.ok);
    assert_sv_equal(r.error, error);
    // A failed decode leaves nothing half-filled behind.
    assert_true(r.record.id.empty());
    assert_true(r.record.account.empty());
}

bool same(const task_record& a, const task_record& b) {
    return a.id == b.id && a.channel == b.channel && a.upstream_id == b.upstream_id &&
           a.account == b.account && a.key_id == b.key_id && a.owner == b.owner &&
           a.group == b.group && a.model == b.model && a.upstream_model == b.upstream_model &&
           a.size == b.size && a.seconds == b.seconds && a.status == b.status &&
           a.progress == b.progress && a.created_at == b.created_at &&
           a.updated_at == b.updated_at && a.completed_at == b.completed_at &&
           a.cost == b.cost && a.charged == b.charged && a.billing == b.billing &&
           a.request_id == b.request_id && a.remixed_from == b.remixed_from &&
           a.error_code == b.error_code && a.error_message == b.error_message &&
           a.callback_url == b.callback_url && a.callback == b.callback &&
           a.callback_attempts == b.callback_attempts && a.callback_next_ms == b.callback_next_ms;
}

// ---- names ----

void status_names(void**) {
    const std::pair<task_status, std::string_view> all[] = {
        {task_status::queued, "queued"},
        {task_status::in_progress, "in_progress"},
        {task_status::completed, "completed"},
        {task_status::failed, "failed"},
    };
    for (const auto& [s, name] : all) {
        assert_sv_equal(aigw::task_status_name(s), name);
        assert_true(aigw::parse_task_status(name) == s);
    }
    assert_false(aigw::parse_task_status("").has_value());
    assert_false(aigw::parse_task_status("Queued").has_value());
    assert_false(aigw::parse_task_status("cancelled").has_value());
    assert_false(aigw::task_finished(task_status::queued));
    assert_false(aigw::task_finished(task_status::in_progress));
    assert_true(aigw::task_finished(task_status::completed));
    assert_true(aigw::task_finished(task_status::failed));
}

void billing_and_callback_names(void**) {
    const std::pair<task_billing, std::string_view> billing[] = {
        {task_billing::reserved, "reserved"},
        {task_billing::charged, "charged"},
        {task_billing::released, "released"},
    };
    for (const auto& [b, name] : billing) {
        assert_sv_equal(aigw::task_billing_name(b), name);
        assert_true(aigw::parse_task_billing(name) == b);
    }
    assert_false(aigw::parse_task_billing("refunded").has_value());
    const std::pair<callback_state, std::string_view> callbacks[] = {
        {callback_state::none, "none"},
        {callback_state::pending, "pending"},
        {callback_state::delivered, "delivered"},
        {callback_state::failed, "failed"},
    };
    for (const auto& [c, name] : callbacks) {
        assert_sv_equal(aigw::callback_state_name(c), name);
        assert_true(aigw::parse_callback_state(name) == c);
    }
    assert_false(aigw::parse_callback_state("").has_value());
}

// ---- the record ----

void round_trip_full(void**) {
    const task_record r = full_record();
    auto encoded = aigw::encode_task_record(r);
    aigw::task_decode_result d = aigw::decode_task_record(as_fields(encoded));
    assert_true(d.ok);
    assert_true(d.error.empty());
    assert_true(same(d.record, r));
    // Encoding the decoded record gives the same pairs again.
    assert_true(aigw::encode_task_record(d.record) == encoded);
}

void round_trip_each_state(void**) {
    for (task_status s : {task_status::queued, task_status::in_progress, task_status::completed,
                          task_status::failed}) {
        for (task_billing b : {task_billing::reserved, task_billing::charged,
                               task_billing::released}) {
            for (callback_state c : {callback_state::none, callback_state::pending,
                                     callback_state::delivered, callback_state::failed}) {
                task_record r = full_record();
                r.status = s;
                r.billing = b;
                r.callback = c;
                auto encoded = aigw::encode_task_record(r);
                aigw::task_decode_result d = aigw::decode_task_record(as_fields(encoded));
                assert_true(d.ok);
                assert_true(same(d.record, r));
            }
        }
    }
}

void round_trip_defaults_and_extremes(void**) {
    task_record r;
    r.id = "v";
    r.channel = "c";
    r.upstream_id = std::string(128, 'Z');
    r.account = account;
    r.model = "m";
    auto encoded = aigw::encode_task_record(r);
    aigw::task_decode_result d = aigw::decode_task_record(as_fields(encoded));
    assert_true(d.ok);
    assert_true(same(d.record, r));

    r.seconds = INT64_MAX;
    r.cost = INT64_MAX;
    r.callback_next_ms = INT64_MAX;
    r.callback_attempts = 2147483647;
    r.error_message = std::string("line one\r\nline two \xE2\x9C\x93 \"quoted\"");
    encoded = aigw::encode_task_record(r);
    d = aigw::decode_task_record(as_fields(encoded));
    assert_true(d.ok);
    assert_true(same(d.record, r));
}

void encode_writes_every_field_once(void**) {
    namespace f = aigw::task_field;
    const std::string_view expected[] = {
        f::id,          f::channel,       f::upstream_id,   f::account,       f::key_id,
        f::owner,       f::group,         f::model,         f::upstream_model, f::size,
        f::seconds,     f::status,        f::progress,      f::created_at,    f::updated_at,
        f::completed_at, f::cost,         f::charged,       f::billing,       f::request_id,
        f::remixed_from, f::error_code,   f::error_message, f::callback_url,  f::callback,
        f::callback_attempts, f::callback_next_ms,
    };
    auto encoded = aigw::encode_task_record(full_record());
    std::set<std::string> got;
    for (const auto& kv : encoded) got.insert(kv.first);
    assert_int_equal(encoded.size(), 27);
    assert_int_equal(got.size(), 27);
    for (std::string_view name : expected) assert_int_equal(got.count(std::string(name)), 1);
}

void decode_minimal(void**) {
    aigw::task_decode_result d = aigw::decode_task_record(minimal_fields());
    assert_true(d.ok);
    const task_record& r = d.record;
    assert_sv_equal(r.id, "video_1");
    assert_sv_equal(r.channel, "c");
    assert_sv_equal(r.upstream_id, "up-1");
    assert_sv_equal(r.account, account);
    assert_sv_equal(r.model, "sora-2");
    assert_true(r.status == task_status::queued);
    assert_true(r.billing == task_billing::reserved);
    assert_int_equal(r.created_at, 1);
    // Everything else keeps its default.
    assert_true(r.key_id.empty() && r.owner.empty() && r.group.empty());
    assert_true(r.upstream_model.empty() && r.size.empty() && r.request_id.empty());
    assert_true(r.remixed_from.empty() && r.error_code.empty() && r.error_message.empty());
    assert_true(r.callback_url.empty());
    assert_int_equal(r.seconds, 0);
    assert_int_equal(r.progress, 0);
    assert_int_equal(r.updated_at, 0);
    assert_int_equal(r.completed_at, 0);
    assert_int_equal(r.cost, 0);
    assert_int_equal(r.charged, 0);
    assert_true(r.callback == callback_state::none);
    assert_int_equal(r.callback_attempts, 0);
    assert_int_equal(r.callback_next_ms, 0);
}

void decode_ignores_unknown_fields(void**) {
    field_list f = minimal_fields();
    f.emplace_back("prompt", "a cat");
    f.emplace_back("quality", "\x01\x02 not anything");
    f.emplace_back("", "");
    aigw::task_decode_result d = aigw::decode_task_record(f);
    assert_true(d.ok);
    assert_sv_equal(d.record.id, "video_1");
}

void decode_missing_fields(void**) {
    expect_error(without(minimal_fields(), "id"), "id: missing");
    expect_error(without(minimal_fields(), "channel"), "channel: missing");
    expect_error(without(minimal_fields(), "upstream_id"), "upstream_id: missing");
    expect_error(without(minimal_fields(), "account"), "account: missing");
    expect_error(without(minimal_fields(), "model"), "model: missing");
    expect_error(without(minimal_fields(), "status"), "status: missing");
    expect_error(without(minimal_fields(), "billing"), "billing: missing");
    expect_error(without(minimal_fields(), "created_at"), "created_at: missing");
    expect_error({}, "id: missing");
}

void decode_bad_ids_and_names(void**) {
    expect_error(with(minimal_fields(), "id", ""), "id: empty");
    expect_error(with(minimal_fields(), "id", "video/../x"), "id: 'video/../x' is not a task id");
    expect_error(with(minimal_fields(), "id", std::string(129, 'a')),
                 "id: '" + std::string(64, 'a') + "...' is not a task id");
    expect_error(with(minimal_fields(), "upstream_id", ""), "upstream_id: empty");
    expect_error(with(minimal_fields(), "upstream_id", "a b"),
                 "upstream_id: 'a b' is not a task id");
    expect_error(with(minimal_fields(), "channel", ""), "channel: empty");
    expect_error(with(minimal_fields(), "model", ""), "model: empty");
    expect_error(with(minimal_fields(), "account", "abc"),
                 "account: 'abc' is not a sha256 hex digest");
    expect_error(with(minimal_fields(), "account", std::string(64, 'A')),
                 "account: '" + std::string(64, 'A') + "' is not a sha256 hex digest");
    expect_error(with(minimal_fields(), "account", std::string(63, 'a') + "g"),
                 "account: '" + std::string(63, 'a') + "g' is not a sha256 hex digest");
    expect_error(with(minimal_fields(), "account", std::string(65, 'a')),
                 "account: '" + std::string(64, 'a') + "...' is not a sha256 hex digest");
}

void decode_bad_states(void**) {
    expect_error(with(minimal_fields(), "status", "done"),
                 "status: 'done' is not queued, in_progress, completed or failed");
    expect_error(with(minimal_fields(), "status", ""),
                 "status: '' is not queued, in_progress, completed or failed");
    expect_error(with(minimal_fields(), "billing", "refunded"),
                 "billing: 'refunded' is not reserved, charged or released");
    expect_error(with(minimal_fields(), "callback", "sent"),
                 "callback: 'sent' is not none, pending, delivered or failed");
}

void decode_bad_numbers(void**) {
    const std::string_view counts[] = {"seconds", "created_at", "updated_at", "completed_at",
                                       "cost", "charged", "callback_next_ms", "progress",
                                       "callback_attempts"};
    const std::string_view bad[] = {"", "-1", "+1", " 1", "1 ", "1.5", "0x10", "abc",
                                    "9223372036854775808"};
    for (std::string_view field : counts) {
        for (std::string_view v : bad) {
            expect_error(with(minimal_fields(), field, v),
                         std::string(field) + ": '" + std::string(v) +
                             "' is not a non-negative integer");
        }
    }
    expect_error(with(minimal_fields(), "progress", "101"), "progress: '101' is not 0..100");
    expect_error(with(minimal_fields(), "callback_attempts", "2147483648"),
                 "callback_attempts: '2147483648' is too large");
    aigw::task_decode_result d = aigw::decode_task_record(with(minimal_fields(), "progress", "100"));
    assert_true(d.ok);
    assert_int_equal(d.record.progress, 100);
    d = aigw::decode_task_record(with(minimal_fields(), "created_at", "0"));
    assert_true(d.ok);
    assert_int_equal(d.record.created_at, 0);
}

// ---- ids ----

void public_ids(void**) {
    unsigned char random[24];
    for (int i = 0; i < 24; ++i) random[i] = static_cast<unsigned char>(i);
    assert_sv_equal(aigw::task_public_id(random),
                    "video_000102030405060708090a0b0c0d0e0f1011121314151617");
    for (unsigned char& b : random) b = 0xff;
    std::string id = aigw::task_public_id(random);
    assert_sv_equal(id, "video_" + std::string(48, 'f'));
    assert_int_equal(id.size(), 54);
    assert_true(aigw::valid_task_id(id));
    random[0] = 0xa5;
    random[23] = 0x5a;
    id = aigw::task_public_id(random);
    assert_sv_equal(id.substr(0, 8), "video_a5");
    assert_sv_equal(id.substr(52), "5a");
}

void task_ids_in_paths(void**) {
    assert_true(aigw::valid_task_id("video_68d7512d07848190b3e45da0ecbebcde054b0ed16d4d3aa8"));
    assert_true(aigw::valid_task_id("a"));
    assert_true(aigw::valid_task_id("task-ABC_123"));
    assert_true(aigw::valid_task_id(std::string(128, 'x')));
    assert_false(aigw::valid_task_id(std::string(129, 'x')));
    assert_false(aigw::valid_task_id(""));
    const std::string_view bad[] = {"a/b", "..", "a.b", "a b", "a%2e", "a?b", "a#b", "a:b",
                                    "a\\b", "a\nb", "vid\xC3\xA9o", std::string_view("a\0b", 3)};
    for (std::string_view id : bad) assert_false(aigw::valid_task_id(id));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_names),
        cmocka_unit_test(billing_and_callback_names),
        cmocka_unit_test(round_trip_full),
        cmocka_unit_test(round_trip_each_state),
        cmocka_unit_test(round_trip_defaults_and_extremes),
        cmocka_unit_test(encode_writes_every_field_once),
        cmocka_unit_test(decode_minimal),
        cmocka_unit_test(decode_ignores_unknown_fields),
        cmocka_unit_test(decode_missing_fields),
        cmocka_unit_test(decode_bad_ids_and_names),
        cmocka_unit_test(decode_bad_states),
        cmocka_unit_test(decode_bad_numbers),
        cmocka_unit_test(public_ids),
        cmocka_unit_test(task_ids_in_paths),
    };
    return cmocka_run_group_tests_name("media_task", tests, nullptr, nullptr);
}
