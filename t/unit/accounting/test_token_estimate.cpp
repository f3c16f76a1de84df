// The token estimate: the text heuristic, its streaming form, and prompt estimates of requests.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>
#include <vector>

#include "aigw/accounting/token_estimate.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::estimate_prompt_tokens;
using aigw::estimate_tokens;

namespace {

void ascii_text(void**) {
    assert_int_equal(estimate_tokens(""), 0);
    assert_int_equal(estimate_tokens("a"), 1);
    assert_int_equal(estimate_tokens("abcd"), 1);
    assert_int_equal(estimate_tokens("abcde"), 2);
    // cl100k: Hello | , | how | are | you | today | ? = 7
    assert_int_equal(estimate_tokens("Hello, how are you today?"), 7);
    assert_int_equal(estimate_tokens(std::string(4000, 'x')), 1000);
}

void cjk_and_other_scripts(void**) {
    assert_int_equal(estimate_tokens("\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c"), 4);  // 你好世界
    assert_int_equal(estimate_tokens("\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf"), 5);  // こんにちは
    assert_int_equal(estimate_tokens("\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94"), 5);  // 안녕하세요
    assert_int_equal(estimate_tokens("\xe3\x80\x82"), 1);  // 。 CJK punctuation
    assert_int_equal(estimate_tokens("\xef\xbc\x81"), 1);  // ！ full-width
    // Привет: six two-byte characters, half a token each.
    assert_int_equal(estimate_tokens("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"), 3);
    assert_int_equal(estimate_tokens("caf\xc3\xa9"), 2);  // 3 quarters + 2 quarters
    assert_int_equal(estimate_tokens("\xf0\x9f\x91\x8b"), 1);  // an emoji
    assert_int_equal(estimate_tokens("\xf0\x9f\x91\x8b\xf0\x9f\x91\x8b"), 2);
    assert_int_equal(estimate_tokens("Hi \xe4\xbd\xa0\xe5\xa5\xbd"), 3);  // 1 + 2
    assert_int_equal(estimate_tokens("\xe2\x82\xac"), 1);  // € is "other": half, rounded up
}

void invalid_utf8_still_counts(void**) {
    assert_int_equal(estimate_tokens("\xff"), 1);
    assert_int_equal(estimate_tokens("\xff\xfe\xfd\xfc"), 2);
    assert_int_equal(estimate_tokens("\xe4\xbd"), 1);        // a cut 3-byte character
    assert_int_equal(estimate_tokens("\xe4" "abc"), 2);      // lead byte then ASCII
    assert_int_equal(estimate_tokens("\xc0\xaf"), 1);        // overlong forms are stray bytes
    assert_int_equal(estimate_tokens(std::string(1, '\0')), 1);
}

void counter_sums_a_stream(void**) {
    // Deltas as a model streams them: the sum is the estimate of the whole, not of each piece.
    std::vector<std::string> deltas = {"Hello", ",", " how", " are", " you", " today", "?"};
    aigw::token_counter c;
    assert_int_equal(c.tokens(), 0);
    std::string whole;
    for (const auto& d : deltas) {
        c.add(d);
        whole += d;
    }
    assert_int_equal(c.tokens(), estimate_tokens(whole));
    assert_int_equal(c.tokens(), 7);
    aigw::token_counter mixed;
    mixed.add("\xe4\xbd\xa0");
    mixed.add("ok");
    mixed.add("\xd0\x9f");
    assert_int_equal(mixed.tokens(), estimate_tokens("\xe4\xbd\xa0ok\xd0\x9f"));
    aigw::token_counter empty_pieces;
    empty_pieces.add("");
    assert_int_equal(empty_pieces.tokens(), 0);
}

void chat_prompt(void**) {
    // Per message 3 + role + content; 3 for the reply's priming.
    //   system(2) + "You are a helpful assistant."(7) + 3 = 12
    //   user(1) + "Hello!"(2) + 3 = 6
    const char* body = R"({"model":"gpt-4o","messages":[)"
                       R"({"role":"system","content":"You are a helpful assistant."},)"
                       R"({"role":"user","content":"Hello!"}],"stream":true})";
    assert_int_equal(estimate_prompt_tokens(body), 12 + 6 + 3);
    // A name costs its text and one more.
    const char* named = R"({"messages":[{"role":"user","name":"bob","content":"Hello!"}]})";
    assert_int_equal(estimate_prompt_tokens(named), 3 + 1 + 2 + 1 + 1 + 3);
    assert_int_equal(estimate_prompt_tokens(R"({"messages":[]})"), 3);
}

void content_parts_and_images(void**) {
    const char* body =
        R"({"messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"},)"
        R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA"}}]}]})";
    // 3 + user(1) + text(6) + image(85) + 3
    assert_int_equal(estimate_prompt_tokens(body), 3 + 1 + 6 + 85 + 3);
}

void tool_calls_and_tools(void**) {
    const char* conversation =
        R"({"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",)"
        R"("function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},)"
        R"({"role":"tool","tool_call_id":"call_1","content":"18C"}]})";
    // assistant(3) + a call: 3 + get_weather(3) + {"city":"Paris"}(4); 3 + 13 = 16
    // the tool's answer speaks as the function it answers: get_weather(3) + 18C(1) + 3 = 7
    // (the call id is not counted); priming 3
    assert_int_equal(estimate_prompt_tokens(conversation), 16 + 7 + 3);

    // Tools as OpenAI's cookbook counts them (gpt-4o's constants without an encoder):
    // 7 + get_weather(3); properties 3, then 3 + "city:string:"(3); 12 once.
    std::string tools = R"([{"type":"function","function":{"name":"get_weather","parameters":)"
                        R"({"type":"object","properties":{"city":{"type":"string"}}}}}])";
    std::string with_tools = R"({"messages":[{"role":"user","content":"hi"}],"tools":)" + tools + "}";
    assert_int_equal(estimate_prompt_tokens(with_tools), 3 + 1 + 1 + 3 + 7 + 3 + 3 + 3 + 3 + 12);
    std::string legacy = R"({"messages":[],"functions":[{"name":"f"}]})";
    assert_int_equal(estimate_prompt_tokens(legacy), 3 + 7 + 1 + 12);
}

void completions_and_embeddings(void**) {
    assert_int_equal(estimate_prompt_tokens(R"({"model":"m","prompt":"Say this is a test"})"), 5);
    assert_int_equal(estimate_prompt_tokens(R"({"prompt":["abcd","abcdefgh"]})"), 3);
    assert_int_equal(estimate_prompt_tokens(R"({"prompt":[1,2,3]})"), 3);
    assert_int_equal(estimate_prompt_tokens(R"({"prompt":[[1,2],[3]]})"), 3);
    assert_int_equal(estimate_prompt_tokens(R"({"prompt":"abcd","suffix":"abcd"})"), 2);
    assert_int_equal(estimate_prompt_tokens(
        R"({"model":"text-embedding-3-small","input":"The food was delicious and the waiter..."})"), 10);
    assert_int_equal(estimate_prompt_tokens(R"({"input":["abcd","abcd"],"encoding_format":"float"})"), 2);
    // Deeper than token arrays of arrays: not a prompt shape, not counted.
    assert_int_equal(estimate_prompt_tokens(R"({"prompt":[[[1,2]]]})"), 0);
}

void wrong_shapes_and_bad_json(void**) {
    assert_int_equal(estimate_prompt_tokens(""), 0);
    assert_int_equal(estimate_prompt_tokens("[]"), 0);
    assert_int_equal(estimate_prompt_tokens("{"), 0);
    assert_int_equal(estimate_prompt_tokens(R"({"messages":[{"role":"user","content":"hi"}]} x)"), 0);
    assert_int_equal(estimate_prompt_tokens(R"({"messages":[{"role":"user","content":"hi)"), 0);
    assert_int_equal(estimate_prompt_tokens(R"({"messages":"hi"})"), 0);
    assert_int_equal(estimate_prompt_tokens(R"({"model":"m"})"), 0);
    // Wrong types inside a message are skipped; the message's framing still counts.
    assert_int_equal(estimate_prompt_tokens(R"({"messages":[{"role":7,"content":{"a":1},"name":null}]})"),
                     3 + 3);
    assert_int_equal(estimate_prompt_tokens(R"({"messages":[null,"x"]})"), 3 + 3 + 3);
    assert_int_equal(estimate_prompt_tokens(R"({"tools":{"a":1},"prompt":true})"), 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ascii_text),
        cmocka_unit_test(cjk_and_other_scripts),
        cmocka_unit_test(invalid_utf8_still_counts),
        cmocka_unit_test(counter_sums_a_stream),
        cmocka_unit_test(chat_prompt),
        cmocka_unit_test(content_parts_and_images),
        cmocka_unit_test(tool_calls_and_tools),
        cmocka_unit_test(completions_and_embeddings),
        cmocka_unit_test(wrong_shapes_and_bad_json),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
