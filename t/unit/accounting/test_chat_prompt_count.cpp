// Chat prompt counts with an exact encoder, against the prompt_tokens OpenAI's API reported for
// published requests:
//   - OpenAI's cookbook, "How to count tokens with tiktoken" (openai/openai-cookbook,
//     examples/How_to_count_tokens_with_tiktoken.ipynb): a 6-message chat and a tools request,
//     for gpt-3.5-turbo, gpt-4 (cl100k_base), gpt-4o and gpt-4o-mini (o200k_base);
//   - hmarr/openai-chat-tokens (tests/token-counts.test.ts): gpt-3.5-turbo, legacy functions;
//   - pamelafox/openai-messages-token-helper (tests/functions.py): gpt-35-turbo, tools;
//   - forestwanglin/openai-java issue 5: gpt-4, a tool call and its answer.
// The cookbook's are matched exactly; the others are shown with our difference.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "aigw/accounting/token_estimate.hpp"
#include "aigw/accounting/tokenizer.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::count_prompt_tokens;
using aigw::tokenizer::encoder;
using aigw::tokenizer::encoding_id;

namespace {

const encoder* o200k() { return encoder::get(encoding_id::o200k_base); }
const encoder* cl100k() { return encoder::get(encoding_id::cl100k_base); }

std::int64_t text(const encoder* enc, const std::string& s) { return static_cast<std::int64_t>(enc->count(s)); }

int setup(void**) { return o200k() != nullptr && cl100k() != nullptr ? 0 : -1; }

const char* six_messages =
    R"({"model":"gpt-4o","messages":[)"
    R"({"role":"system","content":"You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},)"
    R"({"role":"system","name":"example_user","content":"New synergies will help drive top-line growth."},)"
    R"({"role":"system","name":"example_assistant","content":"Things working well together will increase revenue."},)"
    R"({"role":"system","name":"example_user","content":"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},)"
    R"({"role":"system","name":"example_assistant","content":"Let's talk later when we're less busy about how to do better."},)"
    R"({"role":"user","content":"This late pivot means we don't have time to boil the ocean for the client deliverable."}],)"
    R"("temperature":0,"max_tokens":1})";

const char* weather_function =
    R"({"name":"get_current_weather","description":"Get the current weather in a given location",)"
    R"("parameters":{"type":"object","properties":{)"
    R"("location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},)"
    R"("unit":{"type":"string","description":"The unit of temperature to return","enum":["celsius","fahrenheit"]}},)"
    R"("required":["location"]}})";

const char* weather_messages =
    R"([{"role":"system","content":"You are a helpful assistant that can answer to questions about the weather."},)"
    R"({"role":"user","content":"What's the weather like in San Francisco?"}])";

void cookbook_messages_match_the_api(void**) {
    // The API's usage.prompt_tokens: 124 for gpt-4o and gpt-4o-mini, 129 for gpt-3.5-turbo,
    // gpt-4 and gpt-4-0613.
    assert_int_equal(count_prompt_tokens(o200k(), six_messages), 124);
    assert_int_equal(count_prompt_tokens(cl100k(), six_messages), 129);
}

void cookbook_tools_match_the_api(void**) {
    // The API's usage.prompt_tokens: 101 for gpt-4o and gpt-4o-mini, 105 for gpt-3.5-turbo and
    // gpt-4.
    std::string body = std::string(R"({"model":"gpt-4o","messages":)") + weather_messages +
                       R"(,"tools":[{"type":"function","function":)" + weather_function + R"(}],"temperature":0})";
    assert_int_equal(count_prompt_tokens(o200k(), body), 101);
    assert_int_equal(count_prompt_tokens(cl100k(), body), 105);
    // The messages alone: 33 and 34, so the definitions are 68 and 71.
    std::string bare = std::string(R"({"messages":)") + weather_messages + "}";
    assert_int_equal(count_prompt_tokens(o200k(), bare), 33);
    assert_int_equal(count_prompt_tokens(cl100k(), bare), 34);
    // The legacy form of the same definition counts the same.
    std::string legacy = std::string(R"({"messages":)") + weather_messages + R"(,"functions":[)" + weather_function + "]}";
    assert_int_equal(count_prompt_tokens(o200k(), legacy), 101);
    assert_int_equal(count_prompt_tokens(cl100k(), legacy), 105);
}

void a_name_adds_its_tokens_and_one(void**) {
    const encoder* enc = o200k();
    std::int64_t plain = count_prompt_tokens(enc, R"({"messages":[{"role":"user","content":"Hello!"}]})");
    assert_int_equal(plain, 3 + text(enc, "user") + text(enc, "Hello!") + 3);
    std::int64_t named =
        count_prompt_tokens(enc, R"({"messages":[{"role":"user","name":"example_user","content":"Hello!"}]})");
    assert_int_equal(named, plain + text(enc, "example_user") + 1);
    // An empty name is no name.
    assert_int_equal(count_prompt_tokens(enc, R"({"messages":[{"role":"user","name":"","content":"Hello!"}]})"),
                     plain);
}

void empty_requests(void**) {
    for (const encoder* enc : {o200k(), cl100k()}) {
        assert_int_equal(count_prompt_tokens(enc, R"({"messages":[]})"), 3);
        // No function: no func_end either.
        assert_int_equal(count_prompt_tokens(enc, R"({"messages":[],"tools":[]})"), 3);
        assert_int_equal(count_prompt_tokens(enc, R"({"messages":[],"functions":[]})"), 3);
        assert_int_equal(count_prompt_tokens(enc, R"({"messages":[],"tools":[{"type":"web_search"}]})"), 3);
        // A message with nothing in it is its framing.
        assert_int_equal(count_prompt_tokens(enc, R"({"messages":[{}]})"), 3 + 3);
        assert_int_equal(count_prompt_tokens(enc, R"({"messages":[{"role":"assistant","content":null}]})"),
                         3 + 1 + 3);
    }
}

void tool_calls_and_their_answers(void**) {
    // forestwanglin/openai-java issue 5: gpt-4 reported 35 prompt tokens.
    const char* published =
        R"({"model":"gpt-4","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"call_Id8ycVMsW8gdsf7kSXfgAcf1",)"
        R"("type":"function","function":{"name":"get_current_weather","arguments":"{\n  \"location\": \"Boston, MA\"\n}"}}]},)"
        R"({"role":"tool","tool_call_id":"call_Id8ycVMsW8gdsf7kSXfgAcf1","name":"get_current_weather","content":"29 degree celcius"}]})";
    assert_int_equal(count_prompt_tokens(cl100k(), published), 35);

    const encoder* enc = o200k();
    std::int64_t name = text(enc, "get_weather");
    std::int64_t args = text(enc, R"({"city":"Paris"})");
    std::int64_t answer = text(enc, "18C");
    std::int64_t assistant = 3 + text(enc, "assistant") + 3 + name + args;
    // The answer speaks as the function it answers; the ids are never counted.
    const char* short_id =
        R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function",)"
        R"("function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},)"
        R"({"role":"tool","tool_call_id":"c1","content":"18C"}]})";
    const char* long_id =
        R"({"messages":[{"role":"assistant","tool_calls":[{"type":"function","id":"call_Id8ycVMsW8gdsf7kSXfgAcf1",)"
        R"("function":{"arguments":"{\"city\":\"Paris\"}","name":"get_weather"}}]},)"
        R"({"content":"18C","tool_call_id":"call_Id8ycVMsW8gdsf7kSXfgAcf1","role":"tool"}]})";
    assert_int_equal(count_prompt_tokens(enc, short_id), assistant + 3 + name + answer + 3);
    assert_int_equal(count_prompt_tokens(enc, long_id), assistant + 3 + name + answer + 3);
    // An answer to no call we saw: the role speaks.
    const char* unknown = R"({"messages":[{"role":"tool","tool_call_id":"c9","content":"18C"}]})";
    assert_int_equal(count_prompt_tokens(enc, unknown), 3 + text(enc, "tool") + answer + 3);
    // Parallel calls: each one its name, arguments and 3.
    const char* two =
        R"({"messages":[{"role":"assistant","content":"","tool_calls":[)"
        R"({"id":"a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},)"
        R"({"id":"b","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}]})";
    assert_int_equal(count_prompt_tokens(enc, two), 3 + text(enc, "assistant") + 2 * (3 + name + args) + 3);
}

struct published {
    const char* body;
    std::int64_t api;   // usage.prompt_tokens as published
    std::int64_t ours;  // count_prompt_tokens with cl100k_base
};

void check_table(const char* source, const published* rows, std::size_t n) {
    for (std::size_t i = 0; i < n; i++) {
        std::int64_t got = count_prompt_tokens(cl100k(), rows[i].body);
        std::printf("# %s %zu: api %lld, ours %lld (%+lld)\n", source, i, static_cast<long long>(rows[i].api),
                    static_cast<long long>(got), static_cast<long long>(got - rows[i].api));
        assert_int_equal(got, rows[i].ours);
    }
}

void legacy_functions_against_the_api(void**) {
    // hmarr/openai-chat-tokens: gpt-3.5-turbo (cl100k_base) with legacy functions. Messages,
    // function answers and function calls match; definitions are within 1 without a system
    // message, 3 or 4 over with one (the cookbook's own tools example, with a system message,
    // matches), and nested objects a few over.
    static const published rows[] = {
        {R"({"messages":[{"role":"user","content":"hello"}]})", 8, 8},
        {R"({"messages":[{"role":"user","content":"hello world"}]})", 9, 9},
        {R"({"messages":[{"role":"system","content":"hello:"}]})", 9, 9},
        {R"({"messages":[{"role":"system","content":"# Important: you're the best robot"},)"
         R"({"role":"user","content":"hello robot"},{"role":"assistant","content":"hello world"}]})",
         27, 27},
        {R"({"messages":[{"role":"user","content":"hello world"},{"role":"function","name":"do_stuff","content":"{}"}]})",
         15, 15},
        {R"({"messages":[{"role":"user","content":"hello world"},)"
         R"({"role":"function","name":"do_stuff","content":"{\"foo\": \"bar\", \"baz\": 1.5}"}]})",
         28, 28},
        {R"({"messages":[{"role":"function","name":"dance_the_tango","content":"{\"a\": { \"b\" : { \"c\": false}}}"}]})",
         24, 24},
        {R"({"messages":[{"role":"assistant","content":"","function_call":{"name":"do_stuff",)"
         R"("arguments":"{\"foo\": \"bar\", \"baz\": 1.5}"}}]})",
         26, 26},
        {R"({"messages":[{"role":"assistant","content":"","function_call":{"name":"do_stuff",)"
         R"("arguments":"{\"foo\":\"bar\", \"baz\":\n\n 1.5}"}}]})",
         25, 25},
        {R"({"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"foo",)"
         R"("parameters":{"type":"object","properties":{}}}]})",
         31, 31},
        {R"({"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"foo","description":"Do a foo",)"
         R"("parameters":{"type":"object","properties":{}}}]})",
         36, 35},
        {R"({"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"bing_bong",)"
         R"("description":"Do a bing bong","parameters":{"type":"object","properties":{"foo":{"type":"string"}}}}]})",
         49, 49},
        {R"({"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"bing_bong",)"
         R"("description":"Do a bing bong","parameters":{"type":"object","properties":{"foo":{"type":"string"},)"
         R"("bar":{"type":"number","description":"A number"}}}}]})",
         57, 56},
        {R"({"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"bing_bong",)"
         R"("description":"Do a bing bong","parameters":{"type":"object","properties":{"foo":{"type":"object",)"
         R"("properties":{"bar":{"type":"string","enum":["a","b","c"]},"baz":{"type":"boolean"}}}}}}]})",
         68, 71},
        {R"({"messages":[{"role":"system","content":"Hello"},{"role":"user","content":"Hi there"}],)"
         R"("functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{}}}]})",
         35, 38},
        {R"({"messages":[{"role":"system","content":"Hello:"},{"role":"user","content":"Hi there"}],)"
         R"("functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{}}}]})",
         35, 39},
        {R"({"messages":[{"role":"system","content":"Hello:"},{"role":"system","content":"Hello"},)"
         R"({"role":"user","content":"Hi there"}],)"
         R"("functions":[{"name":"do_stuff","parameters":{"type":"object","properties":{}}}]})",
         40, 44},
        {R"({"messages":[{"role":"user","content":"hello"}],"functions":[{"name":"get_recipe","parameters":)"
         R"({"type":"object","required":["ingredients","instructions","time_to_cook"],"properties":{)"
         R"("ingredients":{"type":"array","items":{"type":"object","required":["name","unit","amount"],)"
         R"("properties":{"name":{"type":"string"},"unit":{"enum":["grams","ml","cups","pieces","teaspoons"],)"
         R"("type":"string"},"amount":{"type":"number"}}}},)"
         R"("instructions":{"type":"array","items":{"type":"string"},)"
         R"j("description":"Steps to prepare the recipe (no numbering)"},)j"
         R"("time_to_cook":{"type":"number","description":"Total time to prepare the recipe in minutes"}}}}]})",
         106, 113},
    };
    check_table("hmarr/openai-chat-tokens", rows, sizeof rows / sizeof rows[0]);
}

#define BOT(choice) R"({"messages":[{"role":"system","content":"You are a bot."}],"tool_choice":")" choice R"(","tools":[{"type":"function","function":)"

void tools_against_the_api(void**) {
    // pamelafox/openai-messages-token-helper: gpt-35-turbo (cl100k_base), one system message.
    // 0 to 8 over: 3 or 4 over with this system message as above, more for integers, enums
    // and properties without a description; 1 under for tool_choice "none", which we do not
    // count.
    static const published rows[] = {
        {BOT("auto") R"({"name":"search_sources","description":"Retrieve sources from the Azure AI Search index",)"
                     R"("parameters":{"type":"object","properties":{"search_query":{"type":"string",)"
                     R"("description":"Query string to retrieve documents from azure search eg: 'Health care plan'"}},)"
                     R"("required":["search_query"]}}}]})",
         66, 70},
        {BOT("none") R"({"name":"search_sources","description":"Retrieve sources from the Azure AI Search index",)"
                     R"("parameters":{"type":"object","properties":{"search_query":{"type":"string",)"
                     R"("description":"Query string to retrieve documents from azure search eg: 'Health care plan'"}},)"
                     R"("required":["search_query"]}}}]})",
         67, 70},
        {BOT("auto") R"({"name":"search_sources","description":"Retrieve sources from the Azure AI Search index"}}]})",
         42, 45},
        {BOT("auto") R"({"name":"search_sources","description":"Retrieve sources from the Azure AI Search index",)"
                     R"("parameters":{"type":"object","properties":{"search_query":{"type":"string"}},)"
                     R"("required":["search_query"]}}}]})",
         49, 55},
        {BOT("none") R"({"name":"data_demonstration","description":"This is the main function description",)"
                     R"("parameters":{"type":"object","properties":{"integer_enum":{"type":"integer","enum":[-1,1]}}}}}]})",
         54, 62},
        {BOT("none") R"({"name":"summarize_order","description":"Summarize the customer order request",)"
                     R"("parameters":{"type":"object","properties":{)"
                     R"("product_name":{"type":"string","description":"Product name ordered by customer"},)"
                     R"("quantity":{"type":"integer","description":"Quantity ordered by customer"},)"
                     R"("unit":{"type":"string","enum":["meals","days"],"description":"unit of measurement of the customer order"}},)"
                     R"("required":["product_name","quantity","unit"]}}}]})",
         86, 91},
        {BOT("none") R"({"name":"data_demonstration","description":"This is the main function description",)"
                     R"("parameters":{"type":"object","properties":{"object_1":{"type":"object",)"
                     R"("description":"The object data type as a property","properties":{"string1":{"type":"string"}}}},)"
                     R"("required":["object_1"]}}}]})",
         65, 70},
        {BOT("none") R"({"name":"human_escalation","description":"Check if user wants to escalate to a human",)"
                     R"("parameters":{"type":"object","properties":{"requires_escalation":{"type":"boolean",)"
                     R"("description":"If user is showing signs of frustration or anger in the query. Also if the user )"
                     R"(says they want to talk to a real person and not a chat bot."}},"required":["requires_escalation"]}}}]})",
         89, 91},
        {BOT("none") R"({"name":"get_coordinates","description":"Get the latitude and longitude of multiple mailing addresses",)"
                     R"("parameters":{"type":"object","properties":{"addresses":{"type":"array",)"
                     R"("description":"The mailing addresses to be located","items":{"type":"string"}}},)"
                     R"("required":["addresses"]}}}]})",
         59, 60},
        {BOT("none") R"({"name":"get_null","description":"Get the null value","parameters":{"type":"object",)"
                     R"("properties":{"null_value":{"type":"null","description":"The null value to be returned"}},)"
                     R"("required":["null_value"]}}}]})",
         55, 55},
    };
    check_table("pamelafox/openai-messages-token-helper", rows, sizeof rows / sizeof rows[0]);
}

#undef BOT

void nested_schemas(void**) {
    // Past the cookbook's first level: nested property lines, each with prop_key, without the
    // parameters' prop_init; items, anyOf and $defs walked; enum values of other types by
    // their JSON text; a list of types joined by " | ".
    const encoder* enc = o200k();
    const char* body =
        R"({"tools":[{"type":"function","function":{"name":"order","description":"Place an order.",)"
        R"("parameters":{"type":"object","properties":{)"
        R"("items":{"type":"array","description":"What to buy","items":{"type":"object","properties":{)"
        R"("sku":{"type":"string"},"qty":{"type":"integer","enum":[1,2,3]}}}},)"
        R"("note":{"type":["string","null"]},)"
        R"("ship":{"anyOf":[{"$ref":"#/$defs/address"},{"type":"null"}]}},)"
        R"("$defs":{"address":{"type":"object","properties":{"city":{"type":"string","description":"City."}}}}}}}]})";
    std::int64_t want = 7 + text(enc, "order:Place an order") + 3;
    want += 3 + text(enc, "items:array:What to buy");
    want += 3 + text(enc, "sku:string:");
    want += 3 + text(enc, "qty:integer:") - 3 + (3 + text(enc, "1")) + (3 + text(enc, "2")) + (3 + text(enc, "3"));
    want += 3 + text(enc, "note:string | null:");
    want += 3 + text(enc, "ship::");
    want += 3 + text(enc, "city:string:City");
    want += 12;
    assert_int_equal(count_prompt_tokens(enc, body), want);
    // A custom tool counts as a function without parameters.
    assert_int_equal(count_prompt_tokens(enc, R"({"tools":[{"type":"custom","custom":{"name":"sql","description":"Run SQL."}}]})"),
                     7 + text(enc, "sql:Run SQL") + 12);
}

void tools_of_other_apis(void**) {
    // The gateway counts a client's body in its own dialect: the same function in the
    // Responses API's, Anthropic's and Gemini's tool shapes counts as in Chat's.
    const char* name = R"("name":"get_current_weather","description":"Get the current weather in a given location")";
    const char* schema =
        R"({"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},)"
        R"("unit":{"type":"string","description":"The unit of temperature to return","enum":["celsius","fahrenheit"]}}})";
    std::string chat = std::string(R"({"tools":[{"type":"function","function":{)") + name + R"(,"parameters":)" + schema + "}}]}";
    std::string responses = std::string(R"({"tools":[{"type":"function",)") + name + R"(,"parameters":)" + schema + "}]}";
    std::string anthropic = std::string(R"({"tools":[{)") + name + R"(,"input_schema":)" + schema + "}]}";
    std::string gemini = std::string(R"({"tools":[{"functionDeclarations":[{)") + name + R"(,"parameters":)" + schema + "}]}]}";
    for (const encoder* enc : {o200k(), cl100k()}) {
        std::int64_t want = count_prompt_tokens(enc, chat);
        assert_int_equal(want, enc == o200k() ? 68 : 71);  // the cookbook example's definitions
        assert_int_equal(count_prompt_tokens(enc, responses), want);
        assert_int_equal(count_prompt_tokens(enc, anthropic), want);
        assert_int_equal(count_prompt_tokens(enc, gemini), want);
    }
    // A built-in tool with a name counts by its name; one without, not at all.
    const encoder* enc = o200k();
    assert_int_equal(count_prompt_tokens(enc, R"({"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5}]})"),
                     7 + text(enc, "web_search") + 12);
    assert_int_equal(count_prompt_tokens(enc, R"({"tools":[{"type":"web_search_preview"},{"googleSearch":{}}]})"), 0);
}

void no_encoder_keeps_the_structure(void**) {
    // Without an encoder each text is estimated; the constants are gpt-4o's.
    std::string body = std::string(R"({"messages":)") + weather_messages +
                       R"(,"tools":[{"type":"function","function":)" + weather_function + "}]}";
    using aigw::estimate_tokens;
    std::int64_t want = 3 + estimate_tokens("system") +
                        estimate_tokens("You are a helpful assistant that can answer to questions about the weather.") +
                        3 + estimate_tokens("user") + estimate_tokens("What's the weather like in San Francisco?") + 3;
    want += 7 + estimate_tokens("get_current_weather:Get the current weather in a given location") + 3;
    want += 3 + estimate_tokens("location:string:The city and state, e.g. San Francisco, CA");
    want += 3 + estimate_tokens("unit:string:The unit of temperature to return") - 3 +
            (3 + estimate_tokens("celsius")) + (3 + estimate_tokens("fahrenheit"));
    want += 12;
    assert_int_equal(count_prompt_tokens(nullptr, body), want);
    assert_int_equal(aigw::estimate_prompt_tokens(body), want);
}

void bad_definitions_are_skipped(void**) {
    const encoder* enc = o200k();
    // Wrong types inside a definition count nothing; the function still counts its framing.
    assert_int_equal(count_prompt_tokens(enc, R"({"tools":[{"type":"function","function":{"name":7,"parameters":[]}}]})"),
                     7 + 0 + 12);
    assert_int_equal(count_prompt_tokens(enc, R"({"tools":[{"function":{"name":"f","parameters":{"properties":{"a":7}}}}]})"),
                     7 + text(enc, "f") + 3 + 3 + text(enc, "a::") + 12);
    assert_int_equal(count_prompt_tokens(enc, R"({"tools":[1,"x",null,{"function":null}]})"), 0);
    // An empty enum costs nothing of its own.
    assert_int_equal(count_prompt_tokens(enc, R"({"functions":[{"name":"f","parameters":{"properties":{"a":{"enum":[]}}}}]})"),
                     7 + text(enc, "f") + 3 + 3 + text(enc, "a::") + 12);
    // Invalid JSON inside the definitions: 0, as for any invalid body.
    assert_int_equal(count_prompt_tokens(enc, R"({"tools":[{"function":{"name":"f","parameters":{"properties":{"a":}}}}]})"), 0);
    // Schemas nested past the walker's limit are not counted, and nothing breaks.
    std::string deep = R"({"functions":[{"name":"f","parameters":)";
    for (int i = 0; i < 100; i++) deep += R"({"properties":{"p":)";
    deep += "{}";
    for (int i = 0; i < 100; i++) deep += "}}";
    deep += "}]}";
    assert_true(count_prompt_tokens(enc, deep) > 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cookbook_messages_match_the_api),
        cmocka_unit_test(cookbook_tools_match_the_api),
        cmocka_unit_test(a_name_adds_its_tokens_and_one),
        cmocka_unit_test(empty_requests),
        cmocka_unit_test(tool_calls_and_their_answers),
        cmocka_unit_test(legacy_functions_against_the_api),
        cmocka_unit_test(tools_against_the_api),
        cmocka_unit_test(nested_schemas),
        cmocka_unit_test(tools_of_other_apis),
        cmocka_unit_test(no_encoder_keeps_the_structure),
        cmocka_unit_test(bad_definitions_are_skipped),
    };
    return cmocka_run_group_tests(tests, setup, nullptr);
}
