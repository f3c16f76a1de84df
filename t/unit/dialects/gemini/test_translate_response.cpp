// A whole GenerateContentResponse to and from the pivot: Gemini's bodies read (an answer, a
// blocked prompt), the exact bytes written for a client, a round trip, and what is not one.
#include <string>
#include <string_view>

#include "aigw/dialects/gemini/translate.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

namespace api = aigw::api;
namespace gemini = aigw::gemini;

namespace {

api::response to_pivot(std::string_view body) {
    api::response resp;
    assert_true(gemini::response_to_pivot(body, resp));
    return resp;
}

void real_answer(void**) {
    api::response r = to_pivot(
        R"({"candidates":[{"content":{"parts":[{"text":"Hm, ","thought":true},{"text":"weather.","thought":true},{"text":"Hello"},{"text":" there"},)"
        R"({"functionCall":{"name":"get_weather","args":{"city":"Paris","units":["C"]}},"thoughtSignature":"c2lnbmF0dXJl"},)"
        R"({"functionCall":{"id":"fc_7","name":"get_time","args":{}}}],"role":"model"},)"
        R"("finishReason":"STOP","index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HATE_SPEECH","probability":"NEGLIGIBLE"}]}],)"
        R"("usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":5,"totalTokenCount":40,"cachedContentTokenCount":4,)"
        R"("thoughtsTokenCount":23,"toolUsePromptTokenCount":0,"promptTokensDetails":[{"modality":"TEXT","tokenCount":12}]},)"
        R"("modelVersion":"gemini-2.5-flash","responseId":"abcXYZ"})");
    assert_sv_equal(r.id, "abcXYZ");
    assert_sv_equal(r.model, "gemini-2.5-flash");
    assert_int_equal(r.created, 0);
    assert_sv_equal(r.reasoning, "Hm, weather.");
    assert_sv_equal(r.text, "Hello there");
    assert_int_equal(r.tool_calls.size(), 2);
    // No id from Gemini: one made up, "call_" and 32 hex digits.
    assert_sv_equal(r.tool_calls[0].id.substr(0, 5), "call_");
    assert_int_equal(r.tool_calls[0].id.size(), 37);
    assert_sv_equal(r.tool_calls[0].name, "get_weather");
    assert_sv_equal(r.tool_calls[0].arguments, R"({"city":"Paris","units":["C"]})");
    assert_sv_equal(r.tool_calls[1].id, "fc_7");
    assert_sv_equal(r.tool_calls[1].arguments, "{}");
    // STOP after calls is tool_calls.
    assert_int_equal(static_cast<int>(r.finish), static_cast<int>(api::finish_reason::tool_calls));
    assert_true(r.tokens.present);
    assert_int_equal(r.tokens.prompt_tokens, 12);
    assert_int_equal(r.tokens.completion_tokens, 28);
    assert_int_equal(r.tokens.total_tokens, 40);
    assert_int_equal(r.tokens.cached_tokens, 4);
    assert_int_equal(r.tokens.reasoning_tokens, 23);
    assert_false(r.blocked);
}

void finish_reasons(void**) {
    struct {
        const char* reason;
        api::finish_reason want;
    } cases[] = {
        {"STOP", api::finish_reason::stop},
        {"MAX_TOKENS", api::finish_reason::length},
        {"SAFETY", api::finish_reason::content_filter},
        {"RECITATION", api::finish_reason::content_filter},
        {"BLOCKLIST", api::finish_reason::content_filter},
        {"PROHIBITED_CONTENT", api::finish_reason::content_filter},
        {"SPII", api::finish_reason::content_filter},
        {"IMAGE_SAFETY", api::finish_reason::content_filter},
        {"MALFORMED_FUNCTION_CALL", api::finish_reason::stop},
        {"LANGUAGE", api::finish_reason::stop},
        {"OTHER", api::finish_reason::stop},
        {"UNEXPECTED_TOOL_CALL", api::finish_reason::stop},
        {"FINISH_REASON_UNSPECIFIED", api::finish_reason::stop},
        {"SOMETHING_NEW", api::finish_reason::stop},
    };
    for (const auto& c : cases) {
        std::string body = R"({"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"finishReason":")" +
                           std::string(c.reason) + R"("}]})";
        assert_int_equal(static_cast<int>(to_pivot(body).finish), static_cast<int>(c.want));
    }
    // No finishReason: none. MAX_TOKENS after a call stays length.
    assert_int_equal(static_cast<int>(to_pivot(R"({"candidates":[{"content":{"parts":[]}}]})").finish),
                     static_cast<int>(api::finish_reason::none));
    assert_int_equal(static_cast<int>(to_pivot(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"}}]},"finishReason":"MAX_TOKENS"}]})").finish),
                     static_cast<int>(api::finish_reason::length));
}

void blocked_prompt(void**) {
    api::response r = to_pivot(
        R"({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH","blocked":true}]},)"
        R"("usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-2.5-flash","responseId":"blk1"})");
    assert_true(r.blocked);
    assert_sv_equal(r.block_reason, "SAFETY");
    assert_sv_equal(r.id, "blk1");
    assert_true(r.text.empty());
    assert_true(r.tokens.present);
    assert_int_equal(r.tokens.prompt_tokens, 8);
    assert_int_equal(r.tokens.completion_tokens, 0);
    // An empty candidates array with a block reason is a blocked prompt too.
    assert_true(to_pivot(R"({"candidates":[],"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}})").blocked);
    // promptFeedback without a block reason beside an answer: the answer.
    api::response answer = to_pivot(R"({"candidates":[{"content":{"parts":[{"text":"ok"}]}}],"promptFeedback":{"safetyRatings":[]}})");
    assert_false(answer.blocked);
    assert_sv_equal(answer.text, "ok");
}

void not_a_response(void**) {
    for (std::string_view bad :
         {"", "[]", "null", R"({"candidates":{}})", R"({"candidates":"x"})", R"({"candidates":[]} x)",
          R"({"error":{"code":500,"message":"x","status":"INTERNAL"}})", R"({"usageMetadata":{"promptTokenCount":1}})",
          R"({"promptFeedback":{"safetyRatings":[]}})"}) {
        api::response r;
        r.text = "kept";
        assert_false(gemini::response_to_pivot(bad, r));
        assert_sv_equal(r.text, "kept");
    }
    // Nesting past the bound is refused, not recursed into.
    std::string deep = R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":)" +
                       std::string(3000, '[') + std::string(3000, ']') + "}}}]}}]}";
    api::response r;
    assert_false(gemini::response_to_pivot(deep, r));
    // Parts of other kinds and of wrong types are skipped.
    api::response odd = to_pivot(
        R"({"candidates":[{"content":{"parts":[5,{"inlineData":{"mimeType":"image/png","data":"AA=="}},{"text":7},{"text":"a","thought":"yes"},{"functionCall":"f"}]}}]})");
    assert_sv_equal(odd.text, "a");
    assert_true(odd.tool_calls.empty());
}

void written_for_a_client(void**) {
    api::response r;
    r.id = "chatcmpl-1";
    r.model = "gpt-4o";
    r.reasoning = "think";
    r.text = "Hello \"you\"";
    r.tool_calls.push_back({"call_1", "get_weather", R"({"city": "Paris"})"});
    r.tool_calls.push_back({"", "noop", R"({"cut)"});
    r.finish = api::finish_reason::tool_calls;
    r.tokens.prompt_tokens = 100;
    r.tokens.cached_tokens = 60;
    r.tokens.completion_tokens = 30;
    r.tokens.reasoning_tokens = 20;
    r.tokens.total_tokens = 130;
    r.tokens.present = true;
    assert_sv_equal(gemini::response_from_pivot(r),
                    R"({"candidates":[{"content":{"parts":[{"text":"think","thought":true},{"text":"Hello \"you\""},)"
                    R"({"functionCall":{"id":"call_1","name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"noop","args":{}}}],"role":"model"},)"
                    R"("finishReason":"STOP","index":0}],)"
                    R"("usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":10,"totalTokenCount":130,"cachedContentTokenCount":60,"thoughtsTokenCount":20},)"
                    R"("modelVersion":"gpt-4o","responseId":"chatcmpl-1"})");

    // A refusal is said as text; length and content_filter have their words; no usage, no member.
    api::response refusal;
    refusal.id = "x";
    refusal.model = "m";
    refusal.refusal = "I can't.";
    refusal.finish = api::finish_reason::content_filter;
    assert_sv_equal(gemini::response_from_pivot(refusal),
                    R"({"candidates":[{"content":{"parts":[{"text":"I can't."}],"role":"model"},"finishReason":"SAFETY","index":0}],"modelVersion":"m","responseId":"x"})");
    api::response cut;
    cut.id = "y";
    cut.text = "abc";
    cut.finish = api::finish_reason::length;
    assert_sv_equal(gemini::response_from_pivot(cut),
                    R"({"candidates":[{"content":{"parts":[{"text":"abc"}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"modelVersion":"","responseId":"y"})");

    // A blocked prompt is said as Gemini says it.
    api::response blocked;
    blocked.id = "b";
    blocked.model = "m";
    blocked.blocked = true;
    blocked.block_reason = "SAFETY";
    assert_sv_equal(gemini::response_from_pivot(blocked),
                    R"({"promptFeedback":{"blockReason":"SAFETY"},"modelVersion":"m","responseId":"b"})");

    // No id: one made up, 32 hex digits.
    api::response anon;
    api::response back = to_pivot(gemini::response_from_pivot(anon));
    assert_int_equal(back.id.size(), 32);
    assert_true(back.id.find_first_not_of("0123456789abcdef") == std::string::npos);
}

void round_trip(void**) {
    api::response r;
    r.id = "r1";
    r.model = "gemini-2.5-pro";
    r.reasoning = "why";
    r.text = "what \xe2\x82\xac";
    r.tool_calls.push_back({"c1", "f", R"({"a":[1,{"b":null}]})"});
    r.finish = api::finish_reason::tool_calls;
    r.tokens.prompt_tokens = 7;
    r.tokens.completion_tokens = 9;
    r.tokens.reasoning_tokens = 4;
    r.tokens.total_tokens = 16;
    r.tokens.present = true;
    api::response back = to_pivot(gemini::response_from_pivot(r));
    assert_sv_equal(back.id, r.id);
    assert_sv_equal(back.model, r.model);
    assert_sv_equal(back.reasoning, r.reasoning);
    assert_sv_equal(back.text, r.text);
    assert_int_equal(back.tool_calls.size(), 1);
    assert_sv_equal(back.tool_calls[0].id, "c1");
    assert_sv_equal(back.tool_calls[0].name, "f");
    assert_sv_equal(back.tool_calls[0].arguments, r.tool_calls[0].arguments);
    assert_int_equal(static_cast<int>(back.finish), static_cast<int>(api::finish_reason::tool_calls));
    assert_int_equal(back.tokens.prompt_tokens, 7);
    assert_int_equal(back.tokens.completion_tokens, 9);
    assert_int_equal(back.tokens.reasoning_tokens, 4);
    assert_int_equal(back.tokens.total_tokens, 16);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_answer),
        cmocka_unit_test(finish_reasons),
        cmocka_unit_test(blocked_prompt),
        cmocka_unit_test(not_a_response),
        cmocka_unit_test(written_for_a_client),
        cmocka_unit_test(round_trip),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
