// GET /v1/models in Anthropic's shape: the gateway's own list, one model, and an upstream's
// list narrowed to what a key may use.
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/anthropic/models.hpp"

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

void rfc3339(void**) {
    using aigw::anthropic::rfc3339_utc;
    assert_sv_equal(rfc3339_utc(0), "1970-01-01T00:00:00Z");
    assert_sv_equal(rfc3339_utc(1700000000), "2023-11-14T22:13:20Z");
    assert_sv_equal(rfc3339_utc(951782400), "2000-02-29T00:00:00Z");  // a leap day
    assert_sv_equal(rfc3339_utc(1739923199), "2025-02-18T23:59:59Z");
    assert_sv_equal(rfc3339_utc(4102444800), "2100-01-01T00:00:00Z");
    assert_sv_equal(rfc3339_utc(-5), "1970-01-01T00:00:00Z");
}

void gateway_list(void**) {
    std::vector<std::string> ids = {"claude-sonnet", "secret", "claude-haiku"};
    auto allow = [](std::string_view id) { return id != "secret"; };
    assert_sv_equal(aigw::anthropic::model_list_json(ids, allow, 1700000000),
                    R"({"data":[)"
                    R"({"type":"model","id":"claude-sonnet","display_name":"claude-sonnet","created_at":"2023-11-14T22:13:20Z"},)"
                    R"({"type":"model","id":"claude-haiku","display_name":"claude-haiku","created_at":"2023-11-14T22:13:20Z"}],)"
                    R"("has_more":false,"first_id":"claude-sonnet","last_id":"claude-haiku"})");
    auto none = [](std::string_view) { return false; };
    assert_sv_equal(aigw::anthropic::model_list_json(ids, none, 0),
                    R"({"data":[],"has_more":false,"first_id":null,"last_id":null})");
    assert_sv_equal(aigw::anthropic::model_object_json("claude-\"x\"", 0),
                    R"({"type":"model","id":"claude-\"x\"","display_name":"claude-\"x\"","created_at":"1970-01-01T00:00:00Z"})");
}

void upstream_list(void**) {
    const std::string upstream =
        R"({"data":[{"type":"model","id":"claude-opus-4-1","display_name":"Claude Opus 4.1","created_at":"2025-08-05T00:00:00Z"},)"
        R"({"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},)"
        R"({"type":"model","display_name":"no id"},)"
        R"({"type":"model","id":"claude-haiku-4-5", "display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"}],)"
        R"("has_more":true,"first_id":"claude-opus-4-1","last_id":"claude-haiku-4-5"})";
    auto allow = [](std::string_view id) { return id != "claude-opus-4-1"; };
    auto narrowed = aigw::anthropic::filter_model_list(upstream, allow);
    assert_true(narrowed.has_value());
    assert_sv_equal(*narrowed,
                    R"({"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},)"
                    R"({"type":"model","id":"claude-haiku-4-5","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z"}],)"
                    R"("has_more":true,"first_id":"claude-sonnet-4-5","last_id":"claude-haiku-4-5"})");
    auto none = [](std::string_view) { return false; };
    assert_sv_equal(*aigw::anthropic::filter_model_list(R"({"data":[{"id":"a"}]})", none),
                    R"({"data":[],"has_more":false,"first_id":null,"last_id":null})");
    for (std::string_view bad : {"", "[]", R"({"data":{}})", R"({"object":"list"})", R"({"data":[)"}) {
        assert_false(aigw::anthropic::filter_model_list(bad, allow).has_value());
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc3339),
        cmocka_unit_test(gateway_list),
        cmocka_unit_test(upstream_list),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
