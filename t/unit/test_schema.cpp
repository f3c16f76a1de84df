// Redis names: the exact strings the gateway, the CLI and operators' scripts agree on.
#include <set>
#include <string>
#include <string_view>

#include "aigw/keys/key_record.hpp"
#include "aigw/keys/key_text.hpp"
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

namespace {

void key_hash_names(void**) {
    const std::string sha = aigw::sha256_hex("sk-aigw-" + std::string(48, 'A'));
    assert_sv_equal(aigw::key_hash_key(sha),
                    "aigw:key:{0f02598e8afab6f0cd43330d7722e17038469aa99ced4faeb27142fd4328bb48}");
    // The braces are a Redis Cluster hash tag: exactly one pair, around the hex alone.
    std::string k = aigw::key_hash_key(sha);
    assert_int_equal(k.find('{'), 9);
    assert_int_equal(k.rfind('{'), 9);
    assert_int_equal(k.find('}'), k.size() - 1);
    assert_sv_equal(k.substr(10, 64), sha);
    assert_sv_equal(aigw::key_hash_key(""), "aigw:key:{}");
}

void id_index_names(void**) {
    assert_sv_equal(aigw::key_id_index("key_0123456789abcdef"), "aigw:keyid:key_0123456789abcdef");
    assert_sv_equal(aigw::key_id_index(""), "aigw:keyid:");
}

void fixed_names(void**) {
    assert_sv_equal(aigw::key_set(), "aigw:keys");
    assert_sv_equal(aigw::invalidate_channel(), "aigw:keys:invalidate");
}

void names_do_not_collide(void**) {
    // A key id can never spell a key hash name or the set, whatever it is.
    const std::string sha(64, 'a');
    std::set<std::string> names = {aigw::key_hash_key(sha), aigw::key_id_index("key_x"),
                                   std::string(aigw::key_set()),
                                   std::string(aigw::invalidate_channel())};
    assert_int_equal(names.size(), 4);
    assert_true(aigw::key_id_index("x").compare(0, 11, "aigw:keyid:") == 0);
    assert_true(aigw::key_hash_key(sha).compare(0, 9, "aigw:key:") == 0);
    assert_false(aigw::key_id_index("x").compare(0, 9, "aigw:key:") == 0);
}

void field_names(void**) {
    using namespace aigw::key_field;
    assert_sv_equal(id, "id");
    assert_sv_equal(name, "name");
    assert_sv_equal(owner, "owner");
    assert_sv_equal(group, "group");
    assert_sv_equal(status, "status");
    assert_sv_equal(expires_at, "expires_at");
    assert_sv_equal(models, "models");
    assert_sv_equal(endpoints, "endpoints");
    assert_sv_equal(ip_allow, "ip_allow");
    assert_sv_equal(created_at, "created_at");
    assert_sv_equal(last4, "last4");
    // encode_key_record writes each of them, and nothing else; endpoints only for a key that
    // names some.
    aigw::key_record r;
    r.id = "key_x";
    r.models = {"*"};
    auto encoded = aigw::encode_key_record(r);
    const std::string_view expected[] = {id,     name,       owner,  group,      status,
                                         expires_at, models, ip_allow, created_at, last4};
    std::set<std::string> got;
    for (const auto& kv : encoded) got.insert(kv.first);
    for (std::string_view f : expected) assert_int_equal(got.count(std::string(f)), 1);
    assert_int_equal(got.size(), 10);
    r.endpoints = {"chat"};
    got.clear();
    for (const auto& kv : aigw::encode_key_record(r)) got.insert(kv.first);
    assert_int_equal(got.count(std::string(endpoints)), 1);
    assert_int_equal(got.size(), 11);
}

void task_names(void**) {
    const std::string account(64, 'a');
    assert_sv_equal(aigw::task_hash_key("video_abc"), "aigw:task:{video_abc}");
    assert_sv_equal(aigw::account_tasks_key(account), "aigw:tasks:{" + account + "}");
    assert_sv_equal(aigw::pending_tasks_key(), "aigw:tasks:pending");
    // The braces are the hash tag: one pair, around the id or the account alone.
    std::string k = aigw::task_hash_key("video_abc");
    assert_int_equal(k.find('{'), 10);
    assert_int_equal(k.find('}'), k.size() - 1);
    // No id or account spells another task name: each is inside braces, the pending set has
    // none.
    std::set<std::string> names = {aigw::task_hash_key("pending"),
                                   aigw::account_tasks_key("pending"),
                                   std::string(aigw::pending_tasks_key()),
                                   aigw::key_hash_key("pending")};
    assert_int_equal(names.size(), 4);
    assert_false(aigw::task_hash_key("x").compare(0, 11, "aigw:tasks:") == 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(key_hash_names),
        cmocka_unit_test(id_index_names),
        cmocka_unit_test(fixed_names),
        cmocka_unit_test(names_do_not_collide),
        cmocka_unit_test(field_names),
        cmocka_unit_test(task_names),
    };
    return cmocka_run_group_tests_name("schema", tests, nullptr, nullptr);
}
