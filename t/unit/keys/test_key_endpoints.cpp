// A key's endpoint allow-list: the `endpoints` field read and written, the --endpoints list
// parsed, which families a list allows (the model list always), and the 403 the access phase
// answers with, in every client dialect's error shape.
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aigw/api/error.hpp"
#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/keys/key_record.hpp"
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

using aigw::key_record;

namespace {

using field_list = std::vector<std::pair<std::string_view, std::string_view>>;

field_list fields_with_endpoints(std::string_view endpoints) {
    return {
        {"id", "key_0123456789abcdef"}, {"status", "active"},         {"models", "*"},
        {"endpoints", endpoints},       {"created_at", "1700000000"}, {"last4", "WxY9"},
    };
}

void assert_parse_fails(std::string_view list, std::string_view error_starts) {
    aigw::endpoint_list_result r = aigw::parse_endpoint_list(list);
    if (r.ok || r.error.compare(0, error_starts.size(), error_starts) != 0) {
        print_error("parse_endpoint_list(\"%.*s\"): ok=%d error=\"%s\", want an error starting "
                    "\"%.*s\"\n",
                    static_cast<int>(list.size()), list.data(), r.ok, r.error.c_str(),
                    static_cast<int>(error_starts.size()), error_starts.data());
    }
    assert_false(r.ok);
    assert_true(r.error.compare(0, error_starts.size(), error_starts) == 0);
    assert_true(r.endpoints.empty());
}

void assert_decode_fails(std::string_view endpoints, std::string_view error_starts) {
    aigw::key_decode_result r = aigw::decode_key_record(fields_with_endpoints(endpoints));
    if (r.ok || r.error.compare(0, error_starts.size(), error_starts) != 0) {
        print_error("endpoints \"%.*s\": ok=%d error=\"%s\", want an error starting \"%.*s\"\n",
                    static_cast<int>(endpoints.size()), endpoints.data(), r.ok, r.error.c_str(),
                    static_cast<int>(error_starts.size()), error_starts.data());
    }
    assert_false(r.ok);
    assert_true(r.error.compare(0, error_starts.size(), error_starts) == 0);
    // Nothing half-filled is left behind.
    assert_true(r.record.id.empty());
    assert_true(r.record.endpoints.empty());
}

key_record record_with(std::string_view list) {
    aigw::endpoint_list_result e = aigw::parse_endpoint_list(list);
    assert_true(e.ok);
    key_record r;
    r.id = "key_e";
    r.models = {"*"};
    r.endpoints = e.endpoints;
    return r;
}

// ---- the families ----

void families_are_endpoint_familys_names(void**) {
    std::vector<std::string_view> f = aigw::endpoint_families();
    const std::vector<std::string_view> want = {"chat",      "completions", "embeddings",
                                                "models",    "messages",    "responses",
                                                "gemini",    "images",      "videos"};
    assert_int_equal(f.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) assert_sv_equal(f[i], want[i]);
    // Every path the gateway serves has one of them.
    for (std::string_view path :
         {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models",
          "/v1/models/gpt-4o", "/v1/messages", "/v1/messages/count_tokens", "/v1/responses",
          "/v1/responses/compact", "/v1/responses/resp_1", "/v1beta/models/g:generateContent",
          "/v1beta/models/g:streamGenerateContent", "/v1beta/models/g:countTokens",
          "/v1beta/models", "/v1/images/generations", "/v1/images/edits",
          "/v1/images/variations", "/v1/videos", "/v1/videos/v1", "/v1/videos/v1/content",
          "/v1/videos/v1/remix"}) {
        const aigw::endpoint_info* ep = aigw::find_endpoint(path);
        assert_non_null(ep);
        std::string_view family = aigw::endpoint_family(*ep);
        bool listed = false;
        for (std::string_view name : f) listed = listed || name == family;
        assert_true(listed);
    }
}

// ---- parse and join ----

void parse_lists(void**) {
    aigw::endpoint_list_result r = aigw::parse_endpoint_list(" chat , embeddings,,");
    assert_true(r.ok);
    assert_true(r.error.empty());
    assert_int_equal(r.endpoints.size(), 2);
    assert_sv_equal(r.endpoints[0], "chat");
    assert_sv_equal(r.endpoints[1], "embeddings");
    assert_sv_equal(aigw::join_endpoint_list(r.endpoints), "chat,embeddings");

    r = aigw::parse_endpoint_list("images,videos");
    assert_true(r.ok);
    assert_sv_equal(aigw::join_endpoint_list(r.endpoints), "images,videos");

    // "*" is every endpoint: the empty list, written back as "*".
    for (std::string_view every : {"*", " * ", "*,", "\t*"}) {
        r = aigw::parse_endpoint_list(every);
        assert_true(r.ok);
        assert_true(r.endpoints.empty());
        assert_sv_equal(aigw::join_endpoint_list(r.endpoints), "*");
    }

    // Each family on its own.
    for (std::string_view f : aigw::endpoint_families()) {
        r = aigw::parse_endpoint_list(f);
        assert_true(r.ok);
        assert_int_equal(r.endpoints.size(), 1);
        assert_sv_equal(r.endpoints[0], f);
    }
    r = aigw::parse_endpoint_list(
        "chat,completions,embeddings,models,messages,responses,gemini,images,videos");
    assert_true(r.ok);
    assert_int_equal(r.endpoints.size(), 9);
}

void parse_bad_lists(void**) {
    assert_parse_fails("", "no endpoints (write * for every endpoint)");
    assert_parse_fails(" , ,", "no endpoints");
    assert_parse_fails("x", "unknown endpoint family 'x' (known: chat, completions, embeddings, "
                            "models, messages, responses, gemini, images, videos, or * for "
                            "every endpoint)");
    // Names are exact: no plural, singular or case variants, no path.
    for (std::string_view bad : {"Chat", "CHAT", "image", "video", "embedding", "model",
                                 "chat_completions", "/v1/images/generations", "all", "**",
                                 "chat embeddings", "chat;images"}) {
        assert_parse_fails(bad, "unknown endpoint family '");
    }
    // One bad item spoils the list.
    assert_parse_fails("chat,imagez", "unknown endpoint family 'imagez'");
    assert_parse_fails("chat,*", "* (every endpoint) cannot stand beside endpoint families");
    assert_parse_fails("*,images", "* (every endpoint) cannot stand beside");
    // Control bytes, inside or at an end a trim does not take off.
    const std::string_view controls[] = {"chat\x01", "ch\tat", "images\r\n", "\x7f",
                                         "chat,vid\x1b[0meos", std::string_view("chat\0", 5)};
    for (std::string_view bad : controls) {
        assert_parse_fails(bad, "bad endpoint family '");
    }
    // The quoted value is printable and bounded: it may reach error_log.
    aigw::endpoint_list_result r =
        aigw::parse_endpoint_list("x\r\n[alert] " + std::string(500, 'z'));
    assert_false(r.ok);
    assert_true(r.error.find('\r') == std::string::npos);
    assert_true(r.error.find('\n') == std::string::npos);
    assert_true(r.error.size() < 120);
    r = aigw::parse_endpoint_list(std::string(500, 'q'));
    assert_false(r.ok);
    assert_true(r.error.size() < 220);
}

// ---- the record ----

void decode_endpoints(void**) {
    aigw::key_decode_result r = aigw::decode_key_record(fields_with_endpoints("chat, embeddings"));
    assert_true(r.ok);
    assert_int_equal(r.record.endpoints.size(), 2);
    assert_sv_equal(r.record.endpoints[0], "chat");
    assert_sv_equal(r.record.endpoints[1], "embeddings");

    // "*" and a record without the field (every key made before the field) allow everything.
    r = aigw::decode_key_record(fields_with_endpoints("*"));
    assert_true(r.ok);
    assert_true(r.record.endpoints.empty());
    r = aigw::decode_key_record({{"id", "key_x"}, {"status", "active"}, {"models", "*"}});
    assert_true(r.ok);
    assert_true(r.record.endpoints.empty());
}

void decode_bad_endpoints(void**) {
    assert_decode_fails("x", "endpoints: unknown endpoint family 'x'");
    assert_decode_fails("chat,imagess", "endpoints: unknown endpoint family 'imagess'");
    assert_decode_fails("", "endpoints: no endpoints");
    assert_decode_fails(" , ", "endpoints: no endpoints");
    assert_decode_fails("chat,*", "endpoints: * (every endpoint) cannot stand beside");
    assert_decode_fails("chat\x01", "endpoints: bad endpoint family 'chat?': control character");
}

void encode_endpoints(void**) {
    // No list: no field, so a key without one reads back the same and old readers see nothing new.
    key_record any = record_with("*");
    auto e = aigw::encode_key_record(any);
    for (const auto& kv : e) assert_true(kv.first != aigw::key_field::endpoints);

    key_record media = record_with("images, videos");
    e = aigw::encode_key_record(media);
    std::map<std::string, std::string> m(e.begin(), e.end());
    assert_int_equal(m.count(std::string(aigw::key_field::endpoints)), 1);
    assert_sv_equal(m["endpoints"], "images,videos");

    // Round trips, with and without the field.
    for (const key_record* k : {&any, &media}) {
        auto encoded = aigw::encode_key_record(*k);
        field_list back;
        for (const auto& [f, v] : encoded) back.emplace_back(f, v);
        aigw::key_decode_result again = aigw::decode_key_record(back);
        assert_true(again.ok);
        assert_true(again.record.endpoints == k->endpoints);
        assert_true(aigw::encode_key_record(again.record) == encoded);
    }
}

// ---- what a list allows ----

void allowed_families(void**) {
    key_record every = record_with("*");
    for (std::string_view f : aigw::endpoint_families()) {
        assert_true(aigw::endpoint_allowed(every, f));
    }

    key_record chat = record_with("chat");
    assert_true(aigw::endpoint_allowed(chat, "chat"));
    assert_false(aigw::endpoint_allowed(chat, "embeddings"));
    assert_false(aigw::endpoint_allowed(chat, "images"));
    assert_false(aigw::endpoint_allowed(chat, "videos"));
    assert_false(aigw::endpoint_allowed(chat, "messages"));
    assert_false(aigw::endpoint_allowed(chat, "completions"));
    assert_false(aigw::endpoint_allowed(chat, "Chat"));
    assert_false(aigw::endpoint_allowed(chat, ""));
    // The model list, whatever the list says.
    assert_true(aigw::endpoint_allowed(chat, "models"));

    key_record media = record_with("images,videos");
    assert_true(aigw::endpoint_allowed(media, "images"));
    assert_true(aigw::endpoint_allowed(media, "videos"));
    assert_false(aigw::endpoint_allowed(media, "chat"));
    assert_true(aigw::endpoint_allowed(media, "models"));

    // Through the endpoint table, as the access phase asks it.
    key_record claude = record_with("messages");
    auto allowed = [&claude](std::string_view path) {
        return aigw::endpoint_allowed(claude, aigw::endpoint_family(*aigw::find_endpoint(path)));
    };
    assert_true(allowed("/v1/messages"));
    assert_true(allowed("/v1/messages/count_tokens"));
    assert_true(allowed("/v1/models"));
    assert_true(allowed("/v1/models/claude-sonnet-4-5"));
    assert_true(allowed("/v1beta/models"));
    assert_false(allowed("/v1/chat/completions"));
    assert_false(allowed("/v1beta/models/g:countTokens"));
    assert_false(allowed("/v1/images/edits"));
    assert_false(allowed("/v1/videos/v1/remix"));
}

// ---- the error ----

void error_in_every_dialect(void**) {
    aigw::api_error e = aigw::endpoint_not_allowed_error("images");
    assert_int_equal(e.status, 403);
    assert_sv_equal(e.type, "permission_error");
    assert_sv_equal(e.code, "endpoint_not_allowed");
    assert_true(e.param.empty());
    assert_sv_equal(e.message, "This API key may not use the images endpoints.");

    using aigw::dialect_id;
    assert_sv_equal(aigw::dialect_of(dialect_id::openai_chat).error_body(e),
                    "{\"error\":{\"message\":\"This API key may not use the images endpoints.\","
                    "\"type\":\"permission_error\",\"param\":null,"
                    "\"code\":\"endpoint_not_allowed\"}}");
    assert_sv_equal(aigw::dialect_of(dialect_id::openai_responses).error_body(e),
                    aigw::dialect_of(dialect_id::openai_chat).error_body(e));
    assert_sv_equal(aigw::dialect_of(dialect_id::anthropic).error_body(e),
                    "{\"type\":\"error\",\"error\":{\"type\":\"permission_error\","
                    "\"message\":\"This API key may not use the images endpoints.\"}}");
    assert_sv_equal(aigw::dialect_of(dialect_id::gemini).error_body(e),
                    "{\"error\":{\"code\":403,\"message\":\"This API key may not use the images "
                    "endpoints.\",\"status\":\"PERMISSION_DENIED\"}}");

    // The family is the gateway's own word, yet bounded like any value in a message.
    e = aigw::endpoint_not_allowed_error(std::string(300, 'f'));
    assert_true(e.message.size() < 120);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(families_are_endpoint_familys_names),
        cmocka_unit_test(parse_lists),
        cmocka_unit_test(parse_bad_lists),
        cmocka_unit_test(decode_endpoints),
        cmocka_unit_test(decode_bad_endpoints),
        cmocka_unit_test(encode_endpoints),
        cmocka_unit_test(allowed_families),
        cmocka_unit_test(error_in_every_dialect),
    };
    return cmocka_run_group_tests_name("key endpoints", tests, nullptr, nullptr);
}
