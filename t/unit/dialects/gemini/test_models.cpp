// GET /v1beta/models in Gemini's shape: the gateway's own list, one model, and an upstream's
// list narrowed to what a key may use.
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/gemini/models.hpp"

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

constexpr std::string_view methods =
    R"("supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens"]})";

void gateway_list(void**) {
    std::vector<std::string> ids = {"gemini-2.5-flash", "secret", "gpt-4o"};
    auto allow = [](std::string_view id) { return id != "secret"; };
    std::string expected =
        R"({"models":[{"name":"models/gemini-2.5-flash","baseModelId":"gemini-2.5-flash",)"
        R"("version":"001","displayName":"gemini-2.5-flash",)" + std::string(methods) +
        R"(,{"name":"models/gpt-4o","baseModelId":"gpt-4o","version":"001","displayName":"gpt-4o",)" +
        std::string(methods) + "]}";
    assert_sv_equal(aigw::gemini::model_list_json(ids, allow), expected);
    auto none = [](std::string_view) { return false; };
    assert_sv_equal(aigw::gemini::model_list_json(ids, none), R"({"models":[]})");
    assert_sv_equal(aigw::gemini::model_object_json("a\"b"),
                    R"({"name":"models/a\"b","baseModelId":"a\"b","version":"001","displayName":"a\"b",)" +
                        std::string(methods));
}

void upstream_list(void**) {
    const std::string upstream =
        R"({"models":[{"name":"models/gemini-2.5-pro","version":"2.5","displayName":"Gemini 2.5 Pro"},)"
        R"({"name": "models/gemini-2.5-flash", "displayName":"Gemini 2.5 Flash","inputTokenLimit":1048576},)"
        R"({"displayName":"no name"},)"
        R"({"name":"embedding-001"}],)"
        R"("nextPageToken":"Cg1tb2RlbHM"})";
    auto allow = [](std::string_view id) { return id != "gemini-2.5-pro"; };
    auto narrowed = aigw::gemini::filter_model_list(upstream, allow);
    assert_true(narrowed.has_value());
    assert_sv_equal(*narrowed,
                    R"({"models":[{"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash","inputTokenLimit":1048576},)"
                    R"({"name":"embedding-001"}],"nextPageToken":"Cg1tb2RlbHM"})");
    // The allowed ids are without "models/".
    auto only_flash = [](std::string_view id) { return id == "gemini-2.5-flash"; };
    assert_sv_equal(*aigw::gemini::filter_model_list(upstream, only_flash),
                    R"({"models":[{"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash","inputTokenLimit":1048576}],"nextPageToken":"Cg1tb2RlbHM"})");
    auto none = [](std::string_view) { return false; };
    assert_sv_equal(*aigw::gemini::filter_model_list(upstream, none),
                    R"({"models":[],"nextPageToken":"Cg1tb2RlbHM"})");
    // Google leaves an empty list out.
    assert_sv_equal(*aigw::gemini::filter_model_list("{}", allow), R"({"models":[]})");
    for (std::string_view bad :
         {"", "[]", R"({"models":{}})", R"({"data":[]})", R"({"models":[)", "null",
          R"({"models":[]} x)"}) {
        assert_false(aigw::gemini::filter_model_list(bad, allow).has_value());
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gateway_list),
        cmocka_unit_test(upstream_list),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
