// Credential parameters of a query string: stripped for the upstream, masked for the logs.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstring>
#include <optional>
#include <string>

#include "aigw/keys/query_credentials.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

namespace {

const char* raw = "sk-aigw-QueryKey000000000000000000000000000000000QRY1";

std::string or_none(const std::optional<std::string>& s) {
    return s ? *s : std::string("<none>");
}

void names(void**) {
    assert_true(aigw::is_credential_param("key"));
    assert_true(aigw::is_credential_param("KEY"));
    assert_true(aigw::is_credential_param("k%65y"));
    assert_true(aigw::is_credential_param("%4B%45%59"));
    assert_false(aigw::is_credential_param("keys"));
    assert_false(aigw::is_credential_param("api-version"));
    assert_false(aigw::is_credential_param(""));
    assert_false(aigw::is_credential_param("ke%"));
}

void strip(void**) {
    std::string k = std::string("key=") + raw;
    assert_string_equal(or_none(aigw::strip_credential_params("alt=sse&" + k + "&x=%20y")).c_str(),
                        "alt=sse&x=%20y");
    assert_string_equal(or_none(aigw::strip_credential_params(k)).c_str(), "");
    assert_string_equal(or_none(aigw::strip_credential_params(k + "&a=1")).c_str(), "a=1");
    assert_string_equal(or_none(aigw::strip_credential_params("a=1&" + k)).c_str(), "a=1");
    assert_string_equal(or_none(aigw::strip_credential_params("a=1&key&KEY=2&b")).c_str(), "a=1&b");
    assert_string_equal(or_none(aigw::strip_credential_params("a=1&&b=2&key=x")).c_str(), "a=1&b=2");
    assert_false(aigw::strip_credential_params("a=1&keys=2&b=key").has_value());
    assert_false(aigw::strip_credential_params("").has_value());
}

void mask(void**) {
    std::string line = std::string("GET /v1/models?alt=sse&key=") + raw + "&b=2 HTTP/1.1";
    std::string masked = or_none(aigw::mask_credential_params(line));
    assert_string_equal(masked.c_str(), "GET /v1/models?alt=sse&key=sk-aigw-\xe2\x80\xa6QRY1&b=2 HTTP/1.1");
    assert_null(strstr(masked.c_str(), raw));
    std::string uri = std::string("/v1/models?Key=") + raw;
    assert_string_equal(or_none(aigw::mask_credential_params(uri)).c_str(),
                        "/v1/models?Key=sk-aigw-\xe2\x80\xa6QRY1");
    // A short or odd value shows no tail at all.
    assert_string_equal(or_none(aigw::mask_credential_params("/x?key=abc")).c_str(),
                        "/x?key=\xe2\x80\xa6");
    assert_false(aigw::mask_credential_params("GET /v1/models HTTP/1.1").has_value());
    assert_false(aigw::mask_credential_params("GET /v1/models?keys=1&key HTTP/1.1").has_value());
}

void value(void**) {
    std::string r(raw);
    assert_string_equal(aigw::query_credential_value("alt=sse&key=" + r, 256).c_str(), raw);
    assert_string_equal(aigw::query_credential_value("KEY=" + r + "&alt=sse", 256).c_str(), raw);
    // Percent-decoded, the first credential wins, and the length is bounded.
    assert_string_equal(aigw::query_credential_value("k%65y=sk%2Daigw&key=b", 256).c_str(),
                        "sk-aigw");
    assert_string_equal(aigw::query_credential_value("key=" + r, 8).c_str(), "sk-aigw-");
    assert_string_equal(aigw::query_credential_value("alt=sse&keys=1", 256).c_str(), "");
    assert_string_equal(aigw::query_credential_value("key", 256).c_str(), "");
    assert_string_equal(aigw::query_credential_value("", 256).c_str(), "");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(strip),
        cmocka_unit_test(mask),
        cmocka_unit_test(value),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
