// Gemini usage: usageMetadata normalised to the canonical usage, from a whole
// GenerateContentResponse and from streamed chunks (cumulative: the last one wins).
#include <memory>
#include <string>
#include <string_view>

#include "aigw/dialects/gemini/usage.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::usage;
using aigw::gemini::usage_metadata;

namespace {

const aigw::usage_parser& reader() { return aigw::gemini::usage_reader(); }

void assert_usage(const usage& u, std::int64_t prompt, std::int64_t completion,
                  std::int64_t cached, std::int64_t reasoning) {
    assert_true(u.present);
    assert_false(u.estimated);
    assert_int_equal(u.prompt_tokens, prompt);
    assert_int_equal(u.completion_tokens, completion);
    assert_int_equal(u.total_tokens, prompt + completion);
    assert_int_equal(u.cached_tokens, cached);
    assert_int_equal(u.cache_write_tokens, 0);
    assert_int_equal(u.reasoning_tokens, reasoning);
}

// A real answer: thoughts, text and a function call, the counts with a cache read, thoughts
// and the per-modality details.
const std::string_view full_response =
    R"({"candidates":[{"content":{"parts":[{"text":"Hi","thought":true},{"text":"Hello"},)"
    R"({"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"c2ln"}],"role":"model"},)"
    R"("finishReason":"STOP","index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"NEGLIGIBLE"}]}],)"
    R"("usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":5,"totalTokenCount":40,"cachedContentTokenCount":4,)"
    R"("thoughtsTokenCount":23,"toolUsePromptTokenCount":3,"promptTokensDetails":[{"modality":"TEXT","tokenCount":12}]},)"
    R"("modelVersion":"gemini-2.5-flash","responseId":"abcXYZ"})";

void normalisation(void**) {
    usage_metadata m;
    assert_false(m.canonical().present);
    m.prompt = 12;
    m.cached = 4;
    m.candidates = 5;
    m.thoughts = 23;
    m.tool_use = 3;
    m.any = true;
    // Tool-use prompt tokens are input; thoughts are output, and the reasoning.
    assert_usage(m.canonical(), 15, 28, 4, 23);

    usage u;
    u.prompt_tokens = 100;
    u.cached_tokens = 60;
    u.completion_tokens = 30;
    u.reasoning_tokens = 20;
    u.present = true;
    usage_metadata back = usage_metadata::from_canonical(u);
    assert_int_equal(back.prompt, 100);
    assert_int_equal(back.cached, 60);
    assert_int_equal(back.candidates, 10);
    assert_int_equal(back.thoughts, 20);
    assert_int_equal(back.tool_use, 0);
    assert_true(back.any);
    // Inconsistent counts never go negative.
    u.reasoning_tokens = 50;
    assert_int_equal(usage_metadata::from_canonical(u).candidates, 0);
    u.prompt_tokens = -1;
    assert_int_equal(usage_metadata::from_canonical(u).prompt, 0);

    // Huge counts saturate instead of overflowing.
    m.prompt = INT64_MAX;
    assert_int_equal(m.canonical().prompt_tokens, INT64_MAX);
    assert_int_equal(m.canonical().total_tokens, INT64_MAX);
}

void whole_response(void**) {
    std::string text;
    usage u = reader().read_response(full_response, &text);
    assert_usage(u, 15, 28, 4, 23);
    // Thoughts, text, the call's name and its args JSON.
    assert_sv_equal(text, R"(HiHelloget_weather{"city":"Paris"})");
    assert_usage(reader().from_response(full_response), 15, 28, 4, 23);

    // A blocked prompt: the prompt was counted, nothing was generated.
    usage blocked = reader().from_response(
        R"({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-2.5-flash","responseId":"r"})");
    assert_usage(blocked, 8, 0, 0, 0);
}

void wrong_types_and_malformed(void**) {
    // Wrong types are skipped, not fatal; 7.0 is a count, -1 and 1.5 are not.
    usage u = reader().from_response(
        R"({"usageMetadata":{"promptTokenCount":"12","candidatesTokenCount":7.0,"thoughtsTokenCount":-1,"cachedContentTokenCount":1.5,"totalTokenCount":null}})");
    assert_usage(u, 0, 7, 0, 0);
    // No count at all: no usage (a total alone is not one of the counts billed).
    for (std::string_view none :
         {R"({"usageMetadata":{}})", R"({"usageMetadata":null})", R"({"usageMetadata":{"totalTokenCount":9}})",
          R"({"usageMetadata":[1,2]})", R"({"candidates":[]})", R"({"error":{"code":429,"message":"x","status":"RESOURCE_EXHAUSTED"}})"}) {
        assert_false(reader().from_response(none).present);
    }
    // Broken JSON, trailing bytes, not an object: no usage, and no text collected.
    for (std::string_view bad :
         {R"({"usageMetadata":{"promptTokenCount":3})", R"({"usageMetadata":{"promptTokenCount":3}} x)",
          R"([{"usageMetadata":{"promptTokenCount":3}}])", "", "null"}) {
        std::string text = "kept";
        assert_false(reader().read_response(bad, &text).present);
        assert_sv_equal(text, "kept");
        assert_false(reader().read_chunk(bad, nullptr).json_object);
    }
    // A later usageMetadata replaces an earlier one, as JSON.parse reads it.
    assert_usage(reader().from_response(
                     R"({"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":9},"usageMetadata":{"promptTokenCount":4}})"),
                 4, 0, 0, 0);
}

void chunks(void**) {
    // An intermediate chunk: partial text, the prompt counted so far.
    std::string text;
    aigw::chunk_info info = reader().read_chunk(
        R"({"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12},"modelVersion":"gemini-2.5-flash","responseId":"r1"})",
        &text);
    assert_true(info.json_object);
    assert_false(info.usage_only);
    assert_true(info.content_bearing);
    assert_usage(info.tokens, 12, 0, 0, 0);
    assert_sv_equal(text, "Hel");

    // A thought is output too; an empty text is not.
    assert_true(reader().is_content_bearing(R"({"candidates":[{"content":{"parts":[{"text":"hm","thought":true}]}}]})"));
    assert_false(reader().is_content_bearing(R"({"candidates":[{"content":{"parts":[{"text":""}]},"finishReason":"STOP"}]})"));
    assert_false(reader().is_content_bearing(R"({"candidates":[{"content":{"role":"model"}}]})"));
    // A function call is output even with no args.
    assert_true(reader().is_content_bearing(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"}}]}}]})"));
    assert_sv_equal(reader().streamed_text(R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":[1,{"b":2}]}}}]}}]})"),
                    R"(f{"a":[1,{"b":2}]})");
    // An error chunk is an object with no usage and no output.
    info = reader().read_chunk(R"({"error":{"code":500,"message":"boom","status":"INTERNAL"}})", nullptr);
    assert_true(info.json_object);
    assert_false(info.tokens.present);
    assert_false(info.content_bearing);
}

void stream_keeps_the_last(void**) {
    std::unique_ptr<aigw::stream_usage> s = reader().stream_reader();
    assert_false(s->total().present);
    s->read_chunk(R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12}})", nullptr);
    assert_usage(s->total(), 12, 0, 0, 0);
    s->read_chunk(R"({"candidates":[{"content":{"parts":[{"text":"b"}]}}],"usageMetadata":{"promptTokenCount":12,"totalTokenCount":14,"candidatesTokenCount":2}})", nullptr);
    assert_usage(s->total(), 12, 2, 0, 0);
    // Cumulative counts: the last chunk's are the stream's, never a sum.
    s->read_chunk(R"({"candidates":[{"content":{"parts":[{"text":"c"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":3,"thoughtsTokenCount":20,"totalTokenCount":35}})", nullptr);
    assert_usage(s->total(), 12, 23, 0, 20);
    // A chunk without usage keeps what came before.
    s->read_chunk(R"({"candidates":[]})", nullptr);
    assert_usage(s->total(), 12, 23, 0, 20);
}

// The modelVersion token the rename splices at, found by the usage read itself: in a whole
// answer, in a chunk, and through the stream reader; never when it is not exactly one
// string written without escapes in a body that reads.
void model_token_of_answers_and_chunks(void**) {
    aigw::model_token at;
    usage u = reader().read_response_model(full_response, nullptr, &at);
    assert_usage(u, 15, 28, 4, 23);
    assert_true(at.found());
    assert_sv_equal(full_response.substr(at.begin, at.end - at.begin), "\"gemini-2.5-flash\"");
    assert_true(reader().reads_model_token());

    const std::string chunk =
        R"({"candidates":[{"content":{"parts":[{"text":"Hel"}]}}],"modelVersion" : "gemini-2.5-pro" ,"usageMetadata":{"promptTokenCount":12}})";
    std::string text;
    aigw::chunk_info info = reader().read_chunk_model(chunk, &text, &at);
    assert_true(info.json_object);
    assert_usage(info.tokens, 12, 0, 0, 0);
    assert_sv_equal(text, "Hel");
    assert_true(at.found());
    assert_sv_equal(std::string_view(chunk).substr(at.begin, at.end - at.begin), "\"gemini-2.5-pro\"");

    std::unique_ptr<aigw::stream_usage> s = reader().stream_reader();
    s->read_chunk_model(chunk, nullptr, &at);
    assert_true(at.found());
    assert_usage(s->total(), 12, 0, 0, 0);

    for (const char* b : {R"({"modelVersion":"a","modelVersion":"b"})", R"({"modelVersion":7})",
                          R"({"modelVersion":"gemini\u002d2"})", R"({"modelVersion":"a")",
                          R"({"candidates":[{"modelVersion":"inner"}]})", R"(["modelVersion"])"}) {
        reader().read_chunk_model(b, nullptr, &at);
        assert_false(at.found());
        reader().read_response_model(b, nullptr, &at);
        assert_false(at.found());
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalisation),
        cmocka_unit_test(whole_response),
        cmocka_unit_test(wrong_types_and_malformed),
        cmocka_unit_test(chunks),
        cmocka_unit_test(stream_keeps_the_last),
        cmocka_unit_test(model_token_of_answers_and_chunks),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
