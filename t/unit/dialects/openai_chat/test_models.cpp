// The /v1/models answers: the upstream's list narrowed to a key's models, and the gateway's
// own list from its model table.
#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/endpoints.hpp"
#include "aigw/dialects/openai_chat/models.hpp"

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

bool all(std::string_view) { return true; }

void list_from_table(void**) {
    std::vector<std::string> ids = {"gpt-4o", "gpt-4o-mini", "caf\xc3\xa9-\"q\""};
    std::string json = aigw::model_list_json(ids, all, 1795468492, "system");
    assert_sv_equal(json,
                    R"({"object":"list","data":[)"
                    R"({"id":"gpt-4o","object":"model","created":1795468492,"owned_by":"system"},)"
                    R"({"id":"gpt-4o-mini","object":"model","created":1795468492,"owned_by":"system"},)"
                    "{\"id\":\"caf\xc3\xa9-\\\"q\\\"\",\"object\":\"model\",\"created\":1795468492,"
                    "\"owned_by\":\"system\"}]}");
    // What a JSON parser reads back is the name, quotes and all.
    simdjson::dom::parser p;
    std::string_view id;
    assert_int_equal(p.parse(json)["data"].at(2)["id"].get_string().get(id), simdjson::SUCCESS);
    assert_sv_equal(id, "caf\xc3\xa9-\"q\"");
}

void list_narrowed_by_key(void**) {
    std::vector<std::string> ids = {"gpt-4o", "gpt-4o-mini", "o3"};
    std::string json = aigw::model_list_json(
        ids, [](std::string_view id) { return id != "gpt-4o-mini"; }, 7, "system");
    assert_sv_equal(json,
                    R"({"object":"list","data":[)"
                    R"({"id":"gpt-4o","object":"model","created":7,"owned_by":"system"},)"
                    R"({"id":"o3","object":"model","created":7,"owned_by":"system"}]})");
    assert_sv_equal(aigw::model_list_json(ids, [](std::string_view) { return false; }, 7, "system"),
                    R"({"object":"list","data":[]})");
    assert_sv_equal(aigw::model_list_json({}, all, 7, "system"), R"({"object":"list","data":[]})");
}

void one_model(void**) {
    assert_sv_equal(aigw::model_object_json("deepseek-chat", 42, "system"),
                    R"({"id":"deepseek-chat","object":"model","created":42,"owned_by":"system"})");
}

void upstream_list_filtered(void**) {
    std::string upstream =
        R"({"object":"list","data":[{"id":"a","object":"model","created":1,"owned_by":"x"},)"
        R"({"id":"b","object":"model","created":2,"owned_by":"y"},{"no_id":true}]})";
    auto out = aigw::filter_model_list(upstream, [](std::string_view id) { return id == "b"; });
    assert_true(out.has_value());
    assert_sv_equal(*out,
                    R"({"object":"list","data":[{"id":"b","object":"model","created":2,"owned_by":"y"}]})");
    assert_false(aigw::filter_model_list("not json", all).has_value());
    assert_false(aigw::filter_model_list(R"({"object":"list"})", all).has_value());
}

void id_from_path(void**) {
    assert_sv_equal(aigw::model_id_from_path("/v1/models/gpt-4o"), "gpt-4o");
    assert_sv_equal(aigw::model_id_from_path("/v1/models/ft:gpt-4o:org/x"), "ft:gpt-4o:org/x");
    assert_sv_equal(aigw::model_id_from_path("/v1/models/"), "");
    assert_sv_equal(aigw::model_id_from_path("/v1/models"), "");
    assert_sv_equal(aigw::model_id_from_path("/v1/chat/completions"), "");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_from_table),
        cmocka_unit_test(list_narrowed_by_key),
        cmocka_unit_test(one_model),
        cmocka_unit_test(upstream_list_filtered),
        cmocka_unit_test(id_from_path),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
