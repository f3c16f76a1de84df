// A generateContent request to and from the pivot: what each member becomes, what is refused
// (and which param the error names), and what a round trip keeps.
#include <string>
#include <string_view>

#include "aigw/dialects/gemini/translate.hpp"
#include "pivot_diff.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

namespace gemini = aigw::gemini;
namespace api = aigw::api;
using part_kind = api::content_part::kind;
using mode = api::tool_choice::mode;
using format = api::response_format::kind;

namespace {

api::request to_pivot(std::string_view body) {
    api::request r;
    aigw::api_error err;
    if (!gemini::request_to_pivot(body, r, err)) {
        print_error("refused (%s): %s\n", err.param.c_str(), err.message.c_str());
        fail();
    }
    return r;
}

void assert_refused(std::string_view body, std::string_view code, std::string_view param) {
    api::request r;
    r.model = "untouched";
    aigw::api_error err;
    if (gemini::request_to_pivot(body, r, err)) {
        print_error("accepted: %.*s\n", static_cast<int>(body.size()), body.data());
        fail();
    }
    assert_int_equal(err.status, 400);
    assert_sv_equal(err.type, "invalid_request_error");
    assert_sv_equal(err.code, code);
    assert_sv_equal(err.param, param);
    assert_false(err.message.empty());
    assert_sv_equal(r.model, "untouched");  // nothing written on failure
}

void assert_same(const api::request& a, const api::request& b) {
    std::string d = pivot_diff::diff(a, b);
    if (!d.empty()) print_error("differs at %s\n", d.c_str());
    assert_true(d.empty());
}

void text_conversation(void**) {
    api::request r = to_pivot(
        R"({"contents":[{"role":"user","parts":[{"text":"Hi"},{"text":" there"}]},)"
        R"({"role":"model","parts":[{"text":"Let me think","thought":true,"thoughtSignature":"c2ln"},)"
        R"({"text":"Hello!","thoughtSignature":"c2ln"}]},)"
        R"({"parts":[{"text":"Bye"}]}],)"
        R"("systemInstruction":{"role":"user","parts":[{"text":"Be brief."},{"text":"Be kind."}]},)"
        R"("safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}],)"
        R"("labels":{"a":"b"}})");
    assert_true(r.model.empty());
    assert_false(r.stream);
    assert_int_equal(r.messages.size(), 4);
    const api::message& sys = r.messages[0];
    assert_int_equal(static_cast<int>(sys.role), static_cast<int>(api::role::system));
    assert_int_equal(sys.content.size(), 2);
    assert_sv_equal(sys.content[0].text, "Be brief.");
    assert_sv_equal(sys.content[1].text, "Be kind.");
    assert_int_equal(static_cast<int>(r.messages[1].role), static_cast<int>(api::role::user));
    assert_int_equal(r.messages[1].content.size(), 2);
    assert_sv_equal(r.messages[1].content[1].text, " there");
    const api::message& model = r.messages[2];
    assert_int_equal(static_cast<int>(model.role), static_cast<int>(api::role::assistant));
    assert_sv_equal(model.reasoning, "Let me think");
    assert_true(model.reasoning_signature.empty());
    assert_int_equal(model.content.size(), 1);
    assert_sv_equal(model.content[0].text, "Hello!");
    // A content without a role is the user's.
    assert_int_equal(static_cast<int>(r.messages[3].role), static_cast<int>(api::role::user));
    assert_sv_equal(r.messages[3].content[0].text, "Bye");
}

void system_instruction_forms(void**) {
    api::request r = to_pivot(R"({"systemInstruction":"Answer in French.","contents":[{"parts":[{"text":"x"}]}]})");
    assert_int_equal(r.messages.size(), 2);
    assert_int_equal(static_cast<int>(r.messages[0].role), static_cast<int>(api::role::system));
    assert_sv_equal(r.messages[0].content[0].text, "Answer in French.");
    r = to_pivot(R"({"contents":[{"parts":[{"text":"x"}]}],"system_instruction":{"parts":[{"text":"Snake."}]}})");
    assert_int_equal(r.messages.size(), 2);
    assert_sv_equal(r.messages[0].content[0].text, "Snake.");
    // Empty instructions are none.
    r = to_pivot(R"({"systemInstruction":"","contents":[{"parts":[{"text":"x"}]}]})");
    assert_int_equal(r.messages.size(), 1);
    r = to_pivot(R"({"systemInstruction":{"parts":[{"text":""}]},"contents":[{"parts":[{"text":"x"}]}]})");
    assert_int_equal(r.messages.size(), 1);
}

void snake_case_members(void**) {
    api::request r = to_pivot(
        R"({"contents":[{"role":"user","parts":[{"inline_data":{"mime_type":"image/png","data":"iVBOR"}},)"
        R"({"file_data":{"mime_type":"image/jpeg","file_uri":"https://x.test/a.jpg"}}]},)"
        R"({"role":"model","parts":[{"function_call":{"name":"f","args":{"a":1}}}]},)"
        R"({"role":"user","parts":[{"function_response":{"name":"f","response":{"ok":true}}}]}],)"
        R"("tools":[{"function_declarations":[{"name":"f","parameters_json_schema":{"type":"object"}}]}],)"
        R"("tool_config":{"function_calling_config":{"mode":"ANY","allowed_function_names":["f"]}},)"
        R"("generation_config":{"max_output_tokens":100,"top_p":0.5,"top_k":3,"stop_sequences":["END"],)"
        R"("candidate_count":1,"response_mime_type":"application/json",)"
        R"("response_json_schema":{"type":"object"},"thinking_config":{"thinking_budget":1024}}})");
    assert_int_equal(r.messages.size(), 3);
    assert_sv_equal(r.messages[0].content[0].url, "data:image/png;base64,iVBOR");
    assert_sv_equal(r.messages[0].content[1].url, "https://x.test/a.jpg");
    assert_sv_equal(r.messages[1].tool_calls[0].arguments, R"({"a":1})");
    assert_sv_equal(r.messages[2].tool_call_id, r.messages[1].tool_calls[0].id);
    assert_sv_equal(r.tools[0].parameters, R"({"type":"object"})");
    assert_int_equal(static_cast<int>(r.tool_choice.how), static_cast<int>(mode::function));
    assert_sv_equal(r.tool_choice.name, "f");
    assert_int_equal(*r.max_tokens, 100);
    assert_true(*r.top_p == 0.5);
    assert_int_equal(*r.top_k, 3);
    assert_int_equal(r.stop.size(), 1);
    assert_sv_equal(r.stop[0], "END");
    assert_int_equal(static_cast<int>(r.response_format.type), static_cast<int>(format::json_schema));
    assert_sv_equal(r.response_format.schema, R"({"type":"object"})");
    assert_sv_equal(r.reasoning_effort, "low");
}

void images(void**) {
    api::request r = to_pivot(
        R"({"contents":[{"parts":[{"text":"What is this?"},)"
        R"({"inlineData":{"mimeType":"image/webp","data":"UklGR"}},)"
        R"({"fileData":{"fileUri":"https://x.test/cat"}}]}]})");
    const api::message& m = r.messages[0];
    assert_int_equal(m.content.size(), 3);
    assert_int_equal(static_cast<int>(m.content[1].type), static_cast<int>(part_kind::image));
    assert_sv_equal(m.content[1].url, "data:image/webp;base64,UklGR");
    assert_sv_equal(m.content[2].url, "https://x.test/cat");

    // And back: a data: URL inline, any other URL a file with a type from its extension.
    api::request p;
    p.messages.emplace_back();
    p.messages[0].content.resize(4);
    for (auto& part : p.messages[0].content) part.type = part_kind::image;
    p.messages[0].content[0].url = "data:image/png;base64,iVBOR";
    p.messages[0].content[1].url = "https://x.test/a.PNG?size=2";
    p.messages[0].content[2].url = "https://x.test/photo";
    p.messages[0].content[3].url = "data:,no-base64";
    p.messages[0].content[3].detail = "high";
    assert_sv_equal(gemini::request_from_pivot(p),
                    R"({"contents":[{"role":"user","parts":[)"
                    R"({"inlineData":{"mimeType":"image/png","data":"iVBOR"}},)"
                    R"({"fileData":{"mimeType":"image/png","fileUri":"https://x.test/a.PNG?size=2"}},)"
                    R"({"fileData":{"mimeType":"image/jpeg","fileUri":"https://x.test/photo"}},)"
                    R"({"fileData":{"mimeType":"image/jpeg","fileUri":"data:,no-base64"}}]}]})");
}

void tool_calls_matched(void**) {
    // Two calls of one function without ids (Gemini 2.5), one with an id (Gemini 3), their
    // answers in another order.
    api::request r = to_pivot(
        R"({"contents":[{"role":"user","parts":[{"text":"Weather in Paris and Rome?"}]},)"
        R"({"role":"model","parts":[{"functionCall":{"name":"weather","args":{"city":"Paris"}},"thoughtSignature":"c2ln"},)"
        R"({"functionCall":{"name":"weather","args":{"city":"Rome"}}},)"
        R"({"functionCall":{"id":"fc-7","name":"time"}}]},)"
        R"({"role":"user","parts":[{"functionResponse":{"id":"fc-7","name":"time","response":{"t":"noon"}}},)"
        R"({"functionResponse":{"name":"weather","response":{"temp":21}}},)"
        R"({"functionResponse":{"name":"weather","response":{"temp":25}}},)"
        R"({"text":"Thanks"}]}]})");
    assert_int_equal(r.messages.size(), 6);
    const api::message& model = r.messages[1];
    assert_int_equal(model.tool_calls.size(), 3);
    assert_sv_equal(model.tool_calls[0].id, "call_weather_0");
    assert_sv_equal(model.tool_calls[0].name, "weather");
    assert_sv_equal(model.tool_calls[0].arguments, R"({"city":"Paris"})");
    assert_sv_equal(model.tool_calls[1].id, "call_weather_1");
    assert_sv_equal(model.tool_calls[2].id, "fc-7");
    assert_sv_equal(model.tool_calls[2].arguments, "{}");
    // The answers come first, each a tool message, then the rest of the turn.
    const char* ids[] = {"fc-7", "call_weather_0", "call_weather_1"};
    const char* texts[] = {R"({"t":"noon"})", R"({"temp":21})", R"({"temp":25})"};
    for (int i = 0; i < 3; ++i) {
        const api::message& m = r.messages[2 + i];
        assert_int_equal(static_cast<int>(m.role), static_cast<int>(api::role::tool));
        assert_sv_equal(m.tool_call_id, ids[i]);
        assert_sv_equal(m.content[0].text, texts[i]);
    }
    assert_int_equal(static_cast<int>(r.messages[5].role), static_cast<int>(api::role::user));
    assert_sv_equal(r.messages[5].content[0].text, "Thanks");
    // An answer whose call is not in the request still gets an id, another for each.
    r = to_pivot(R"({"contents":[{"role":"function","parts":[{"functionResponse":{"name":"f","response":{}}},)"
                 R"({"functionResponse":{"name":"f","response":{}}}]}]})");
    assert_sv_equal(r.messages[0].tool_call_id, "call_f_0");
    assert_sv_equal(r.messages[1].tool_call_id, "call_f_1");
    // An answer without id takes the first call of its name that no answer named.
    r = to_pivot(
        R"({"contents":[{"role":"model","parts":[{"functionCall":{"id":"A","name":"f"}},{"functionCall":{"name":"f"}}]},)"
        R"({"parts":[{"functionResponse":{"id":"A","name":"f","response":{}}},{"functionResponse":{"name":"f","response":{}}},)"
        R"({"functionResponse":{"name":"f","response":{}}}]}]})");
    assert_sv_equal(r.messages[0].tool_calls[1].id, "call_f_1");
    assert_sv_equal(r.messages[1].tool_call_id, "A");
    assert_sv_equal(r.messages[2].tool_call_id, "call_f_1");
    assert_sv_equal(r.messages[3].tool_call_id, "call_f_2");
}

void tool_calls_to_gemini(void**) {
    api::request p;
    p.messages.resize(5);
    p.messages[0].content.resize(1);
    p.messages[0].content[0].text = "Weather?";
    p.messages[1].role = api::role::assistant;
    p.messages[1].reasoning = "dropped: no Gemini signature";
    p.messages[1].content.resize(1);
    p.messages[1].content[0].text = "Checking.";
    p.messages[1].tool_calls = {{"call_a", "weather", R"({"city": "Paris"})"},
                                {"call_b", "clock", "not json"}};
    p.messages[2].role = api::role::tool;
    p.messages[2].tool_call_id = "call_a";
    p.messages[2].content.resize(1);
    p.messages[2].content[0].text = R"({"temp": 21})";
    p.messages[3].role = api::role::tool;
    p.messages[3].tool_call_id = "call_b";
    p.messages[3].content.resize(1);
    p.messages[3].content[0].text = "noon";
    p.messages[4].content.resize(1);
    p.messages[4].content[0].text = "And tomorrow?";
    p.messages[4].name = "dropped";
    assert_sv_equal(gemini::request_from_pivot(p),
                    R"({"contents":[{"role":"user","parts":[{"text":"Weather?"}]},)"
                    R"({"role":"model","parts":[{"text":"Checking."},)"
                    R"({"functionCall":{"name":"weather","args":{"city":"Paris"}},"thoughtSignature":"skip_thought_signature_validator"},)"
                    R"({"functionCall":{"name":"clock","args":{}}}]},)"
                    R"({"role":"user","parts":[{"functionResponse":{"name":"weather","response":{"temp":21}}},)"
                    R"({"functionResponse":{"name":"clock","response":{"result":"noon"}}},)"
                    R"({"text":"And tomorrow?"}]}]})");
    // An answer to a call the request does not hold is named by its id.
    api::request orphan;
    orphan.messages.resize(1);
    orphan.messages[0].role = api::role::tool;
    orphan.messages[0].tool_call_id = "call_x";
    orphan.messages[0].content.resize(1);
    orphan.messages[0].content[0].text = "[1,2]";
    assert_sv_equal(gemini::request_from_pivot(orphan),
                    R"({"contents":[{"role":"user","parts":[{"functionResponse":{"name":"call_x","response":{"result":"[1,2]"}}}]}]})");
}

void tools_and_schemas(void**) {
    api::request r = to_pivot(
        R"({"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[)"
        R"({"name":"a","description":"A.","parameters":{"type":"OBJECT","properties":{"n":{"type":"INTEGER"},)"
        R"("type":{"type":"STRING","enum":["OBJECT"]}},"required":["n"]}},)"
        R"({"name":"b","parametersJsonSchema":{"type":"object","properties":{"x":{"type":["string","null"]}}}},)"
        R"({"name":"c"}]},{"functionDeclarations":[{"name":"d"}],"googleSearch":null}]})");
    assert_int_equal(r.tools.size(), 4);
    assert_sv_equal(r.tools[0].name, "a");
    assert_sv_equal(r.tools[0].description, "A.");
    // OpenAPI's capital type names become JSON Schema's; nothing else changes.
    assert_sv_equal(r.tools[0].parameters,
                    R"({"type":"object","properties":{"n":{"type":"integer"},"type":{"type":"string","enum":["OBJECT"]}},"required":["n"]})");
    assert_sv_equal(r.tools[1].parameters, R"({"type":"object","properties":{"x":{"type":["string","null"]}}})");
    assert_true(r.tools[2].parameters.empty());
    assert_sv_equal(r.tools[3].name, "d");

    api::request p;
    p.messages.resize(1);
    p.messages[0].content.resize(1);
    p.messages[0].content[0].text = "x";
    p.tools = {{"a", "A tool.", R"({ "type": "object", "properties": {} })", true},
               {"b", "", "", false},
               {"c", "", "not json", false}};
    p.parallel_tool_calls = false;
    p.user = "dropped";
    assert_sv_equal(gemini::request_from_pivot(p),
                    R"({"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[)"
                    R"({"name":"a","description":"A tool.","parametersJsonSchema":{"type":"object","properties":{}}},)"
                    R"({"name":"b"},{"name":"c"}]}]})");
}

void tool_choice_modes(void**) {
    struct {
        const char* config;
        mode how;
        const char* name;
    } cases[] = {
        {R"({"functionCallingConfig":{"mode":"AUTO"}})", mode::automatic, ""},
        {R"({"functionCallingConfig":{"mode":"VALIDATED"}})", mode::automatic, ""},
        {R"({"functionCallingConfig":{"mode":"ANY"}})", mode::required, ""},
        {R"({"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f","g"]}})", mode::required, ""},
        {R"({"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["g"]}})", mode::function, "g"},
        {R"({"functionCallingConfig":{"mode":"NONE"}})", mode::none, ""},
        {R"({"functionCallingConfig":{"mode":"MODE_UNSPECIFIED"}})", mode::unset, ""},
        {R"({"functionCallingConfig":{}})", mode::unset, ""},
        {R"({"retrievalConfig":{}})", mode::unset, ""},
    };
    for (const auto& c : cases) {
        std::string body = R"({"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f"},{"name":"g"}]}],"toolConfig":)";
        body += c.config;
        body += "}";
        api::request r = to_pivot(body);
        assert_int_equal(static_cast<int>(r.tool_choice.how), static_cast<int>(c.how));
        assert_sv_equal(r.tool_choice.name, c.name);
    }

    // Without tools, no choice among them.
    api::request none = to_pivot(R"({"contents":[{"parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}})");
    assert_int_equal(static_cast<int>(none.tool_choice.how), static_cast<int>(mode::unset));

    struct {
        mode how;
        const char* config;
    } back[] = {
        {mode::unset, ""},
        {mode::automatic, R"(,"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}})"},
        {mode::required, R"(,"toolConfig":{"functionCallingConfig":{"mode":"ANY"}})"},
        {mode::none, R"(,"toolConfig":{"functionCallingConfig":{"mode":"NONE"}})"},
        {mode::function, R"(,"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}})"},
    };
    for (const auto& b : back) {
        api::request p;
        p.tools.resize(1);
        p.tools[0].name = "f";
        p.tool_choice.how = b.how;
        if (b.how == mode::function) p.tool_choice.name = "f";
        std::string expected = R"({"contents":[],"tools":[{"functionDeclarations":[{"name":"f"}]}])";
        expected += b.config;
        expected += "}";
        assert_sv_equal(gemini::request_from_pivot(p), expected);
    }
    // No tools, no toolConfig.
    api::request p;
    p.tool_choice.how = mode::none;
    assert_sv_equal(gemini::request_from_pivot(p), R"({"contents":[]})");
}

void response_formats(void**) {
    const std::string head = R"({"contents":[{"parts":[{"text":"x"}]}],"generationConfig":)";
    api::request r = to_pivot(head + R"({"responseMimeType":"application/json"}})");
    assert_int_equal(static_cast<int>(r.response_format.type), static_cast<int>(format::json_object));
    r = to_pivot(head + R"({"responseMimeType":"text/plain"}})");
    assert_int_equal(static_cast<int>(r.response_format.type), static_cast<int>(format::text));
    r = to_pivot(head + R"({"responseMimeType":"application/json","responseSchema":{"type":"ARRAY","items":{"type":"STRING"}}}})");
    assert_int_equal(static_cast<int>(r.response_format.type), static_cast<int>(format::json_schema));
    assert_sv_equal(r.response_format.schema, R"({"type":"array","items":{"type":"string"}})");
    assert_sv_equal(r.response_format.name, "response");
    r = to_pivot(head + R"({"responseMimeType":"application/json","responseJsonSchema":{"type":"object", "additionalProperties":false}}})");
    assert_sv_equal(r.response_format.schema, R"({"type":"object","additionalProperties":false})");
    r = to_pivot(head + R"({}})");
    assert_int_equal(static_cast<int>(r.response_format.type), static_cast<int>(format::unset));

    struct {
        format type;
        const char* schema;
        const char* config;
    } back[] = {
        {format::text, "", R"({"responseMimeType":"text/plain"})"},
        {format::json_object, "", R"({"responseMimeType":"application/json"})"},
        {format::json_schema, R"({"type": "object"})",
         R"({"responseMimeType":"application/json","responseJsonSchema":{"type":"object"}})"},
        {format::json_schema, "{oops", R"({"responseMimeType":"application/json"})"},
    };
    for (const auto& b : back) {
        api::request p;
        p.response_format.type = b.type;
        p.response_format.name = "dropped";
        p.response_format.schema = b.schema;
        p.response_format.strict = true;
        assert_sv_equal(gemini::request_from_pivot(p),
                        std::string(R"({"contents":[],"generationConfig":)") + b.config + "}");
    }
}

void thinking_budgets(void**) {
    assert_int_equal(gemini::thinking_budget("minimal"), 512);
    assert_int_equal(gemini::thinking_budget("low"), 1024);
    assert_int_equal(gemini::thinking_budget("medium"), 8192);
    assert_int_equal(gemini::thinking_budget("high"), 24576);
    assert_int_equal(gemini::thinking_budget(""), 0);
    assert_int_equal(gemini::thinking_budget("none"), 0);
    assert_sv_equal(gemini::reasoning_effort(0), "");
    assert_sv_equal(gemini::reasoning_effort(-1), "medium");
    assert_sv_equal(gemini::reasoning_effort(1), "low");
    assert_sv_equal(gemini::reasoning_effort(2047), "low");
    assert_sv_equal(gemini::reasoning_effort(2048), "medium");
    assert_sv_equal(gemini::reasoning_effort(16383), "medium");
    assert_sv_equal(gemini::reasoning_effort(16384), "high");
    // Every effort survives the way there and back.
    for (std::string_view effort : {"low", "medium", "high"}) {
        assert_sv_equal(gemini::reasoning_effort(gemini::thinking_budget(effort)), effort);
    }

    const std::string head = R"({"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":)";
    assert_sv_equal(to_pivot(head + R"({"thinkingBudget":24576,"includeThoughts":true}}})").reasoning_effort, "high");
    assert_sv_equal(to_pivot(head + R"({"thinkingBudget":0}}})").reasoning_effort, "");
    assert_sv_equal(to_pivot(head + R"({"thinkingBudget":-1}}})").reasoning_effort, "medium");
    assert_sv_equal(to_pivot(head + R"({"thinkingLevel":"HIGH"}}})").reasoning_effort, "high");
    assert_sv_equal(to_pivot(head + R"({"thinking_level":"low"}}})").reasoning_effort, "low");

    api::request p;
    p.reasoning_effort = "medium";
    assert_sv_equal(gemini::request_from_pivot(p),
                    R"({"contents":[],"generationConfig":{"thinkingConfig":{"thinkingBudget":8192,"includeThoughts":true}}})");
    p.reasoning_effort = "none";  // thinking off is each model's own: no config
    assert_sv_equal(gemini::request_from_pivot(p), R"({"contents":[]})");
}

void sampling_and_stops(void**) {
    api::request r = to_pivot(
        R"({"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":64,"temperature":0.7,)"
        R"("topP":0.9,"topK":40.0,"seed":-3,"stopSequences":["\n\n","STOP"],"candidateCount":1,)"
        R"("presencePenalty":0.5,"responseModalities":["TEXT"],"speechConfig":{},"mediaResolution":"MEDIA_RESOLUTION_LOW"}})");
    assert_int_equal(*r.max_tokens, 64);
    assert_true(*r.temperature == 0.7);
    assert_true(*r.top_p == 0.9);
    assert_int_equal(*r.top_k, 40);
    assert_int_equal(*r.seed, -3);
    assert_int_equal(r.stop.size(), 2);
    assert_sv_equal(r.stop[0], "\n\n");

    api::request p;
    p.max_tokens = 64;
    p.temperature = 0.5;
    p.top_p = 0.25;
    p.top_k = 5;
    p.seed = 42;
    p.stop = {"a", "\"b\""};
    p.stream = true;
    p.include_usage = true;
    assert_sv_equal(gemini::request_from_pivot(p),
                    R"({"contents":[],"generationConfig":{"maxOutputTokens":64,"temperature":0.5,)"
                    R"("topP":0.25,"topK":5,"seed":42,"stopSequences":["a","\"b\""]}})");
}

void system_and_turns_to_gemini(void**) {
    api::request p;
    p.messages.resize(5);
    p.messages[0].role = api::role::system;
    p.messages[0].content.resize(1);
    p.messages[0].content[0].text = "Be brief.";
    p.messages[1].content.resize(2);
    p.messages[1].content[0].text = "Hi";
    p.messages[1].content[1].text = "";  // Gemini refuses an empty text part
    p.messages[2].content.resize(1);
    p.messages[2].content[0].text = "again";
    p.messages[3].role = api::role::system;
    p.messages[3].content.resize(1);
    p.messages[3].content[0].text = "Later rule.";
    p.messages[4].role = api::role::assistant;
    p.messages[4].content.resize(1);
    p.messages[4].content[0].text = "Hello\u00e9";
    assert_sv_equal(gemini::request_from_pivot(p),
                    R"({"contents":[{"role":"user","parts":[{"text":"Hi"},{"text":"again"}]},)"
                    "{\"role\":\"model\",\"parts\":[{\"text\":\"Hello\u00e9\"}]}],"
                    R"("systemInstruction":{"parts":[{"text":"Be brief."},{"text":"Later rule."}]}})");
    // Invalid UTF-8 from a client is written valid.
    api::request bad;
    bad.messages.resize(1);
    bad.messages[0].content.resize(1);
    bad.messages[0].content[0].text = "a\xff";
    assert_sv_equal(gemini::request_from_pivot(bad),
                    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"a\xef\xbf\xbd\"}]}]}");
}

void round_trip(void**) {
    api::request p;
    p.messages.resize(5);
    p.messages[0].role = api::role::system;
    p.messages[0].content.resize(1);
    p.messages[0].content[0].text = "Be brief.";
    p.messages[1].content.resize(3);
    p.messages[1].content[0].text = "Look:";
    p.messages[1].content[1].type = part_kind::image;
    p.messages[1].content[1].url = "data:image/png;base64,iVBOR";
    p.messages[1].content[2].type = part_kind::image;
    p.messages[1].content[2].url = "https://x.test/cat.jpg";
    p.messages[2].role = api::role::assistant;
    p.messages[2].content.resize(1);
    p.messages[2].content[0].text = "A cat. Checking.";
    p.messages[2].tool_calls = {{"call_f_0", "f", R"({"q":[1,2]})"}};
    p.messages[3].role = api::role::tool;
    p.messages[3].tool_call_id = "call_f_0";
    p.messages[3].content.resize(1);
    p.messages[3].content[0].text = R"({"ok":true})";
    p.messages[4].content.resize(1);
    p.messages[4].content[0].text = "Go on";
    p.tools = {{"f", "Finds.", R"({"type":"object","properties":{"q":{"type":"array"}}})", false}};
    p.tool_choice.how = mode::function;
    p.tool_choice.name = "f";
    p.max_tokens = 100;
    p.temperature = 0.5;
    p.top_p = 0.75;
    p.top_k = 7;
    p.seed = 1;
    p.stop = {"END"};
    p.response_format.type = format::json_schema;
    p.response_format.name = "response";
    p.response_format.schema = R"({"type":"object"})";
    p.reasoning_effort = "high";

    api::request back = to_pivot(gemini::request_from_pivot(p));
    assert_same(back, p);
    assert_true(*back.top_k == 7);
    // And a Gemini body the other way: pivot -> Gemini writes what it read.
    std::string body = gemini::request_from_pivot(p);
    assert_sv_equal(gemini::request_from_pivot(to_pivot(body)), body);
}

void refusals(void**) {
    const std::string c = R"("contents":[{"parts":[{"text":"x"}]}])";
    assert_refused("{", "invalid_json", "");
    assert_refused(R"({"contents":[]} x)", "invalid_json", "");
    assert_refused("[]", "invalid_json", "");
    assert_refused("\"x\"", "invalid_json", "");
    assert_refused("{\"contents\":[{\"parts\":[{\"text\":\"\xff\"}]}]}", "invalid_json", "");
    assert_refused("{}", "missing_required_parameter", "contents");
    assert_refused(R"({"contents":null})", "missing_required_parameter", "contents");
    assert_refused(R"({"contents":{}})", "invalid_type", "contents");
    assert_refused(R"({"contents":[]})", "empty_array", "contents");
    assert_refused(R"({"contents":["x"]})", "invalid_type", "contents[0]");
    assert_refused(R"({"contents":[{"role":"user"}]})", "missing_required_parameter", "contents[0].parts");
    assert_refused(R"({"contents":[{"parts":{}}]})", "invalid_type", "contents[0].parts");
    assert_refused(R"({"contents":[{"role":"system","parts":[]}]})", "invalid_value", "contents[0].role");
    assert_refused(R"({"contents":[{"role":7,"parts":[]}]})", "invalid_type", "contents[0].role");
    assert_refused(R"({"contents":[{"parts":[1]}]})", "invalid_type", "contents[0].parts[0]");
    assert_refused(R"({"contents":[{"parts":[{"text":1}]}]})", "invalid_type", "contents[0].parts[0].text");
    assert_refused(R"({"contents":[{"parts":[{"text":"a","thought":"yes"}]}]})", "invalid_type", "contents[0].parts[0].thought");
    assert_refused(R"({"contents":[{"parts":[{"executableCode":{"language":"PYTHON","code":"1"}}]}]})",
                   "untranslatable_parameter", "contents[0].parts[0].executableCode");
    assert_refused(R"({"contents":[{"parts":[{"code_execution_result":{"outcome":"OUTCOME_OK"}}]}]})",
                   "untranslatable_parameter", "contents[0].parts[0].code_execution_result");
    assert_refused(R"({"contents":[{"parts":[{"inlineData":{"mimeType":"audio/wav","data":"UklG"}}]}]})",
                   "untranslatable_parameter", "contents[0].parts[0].inlineData.mimeType");
    assert_refused(R"({"contents":[{"parts":[{"fileData":{"mime_type":"application/pdf","fileUri":"gs://b/a.pdf"}}]}]})",
                   "untranslatable_parameter", "contents[0].parts[0].fileData.mime_type");
    assert_refused(R"({"contents":[{"parts":[{"inlineData":{"data":"UklG"}}]}]})",
                   "missing_required_parameter", "contents[0].parts[0].inlineData.mimeType");
    assert_refused(R"({"contents":[{"parts":[{"inlineData":{"mimeType":"image/png"}}]}]})",
                   "missing_required_parameter", "contents[0].parts[0].inlineData.data");
    assert_refused(R"({"contents":[{"parts":[{"fileData":{"mimeType":"image/png"}}]}]})",
                   "missing_required_parameter", "contents[0].parts[0].fileData.fileUri");
    assert_refused(R"({"contents":[{"parts":[{"inlineData":"x"}]}]})", "invalid_type", "contents[0].parts[0].inlineData");
    assert_refused(R"({"contents":[{"role":"model","parts":[{"inlineData":{"mimeType":"image/png","data":"x"}}]}]})",
                   "untranslatable_parameter", "contents[0].parts[0].inlineData");
    assert_refused(R"({"contents":[{"parts":[{"functionCall":{"name":"f"}}]}]})",
                   "untranslatable_parameter", "contents[0].parts[0].functionCall");
    assert_refused(R"({"contents":[{"role":"model","parts":[{"functionResponse":{"name":"f","response":{}}}]}]})",
                   "untranslatable_parameter", "contents[0].parts[0].functionResponse");
    assert_refused(R"({"contents":[{"role":"model","parts":[{"functionCall":{"args":{}}}]}]})",
                   "missing_required_parameter", "contents[0].parts[0].functionCall.name");
    assert_refused(R"({"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":[1]}}]}]})",
                   "invalid_type", "contents[0].parts[0].functionCall.args");
    assert_refused(R"({"contents":[{"parts":[{"functionResponse":{"name":"f"}}]}]})",
                   "missing_required_parameter", "contents[0].parts[0].functionResponse.response");
    assert_refused(R"({"contents":[{"parts":[{"functionResponse":{"name":"f","response":"ok"}}]}]})",
                   "invalid_type", "contents[0].parts[0].functionResponse.response");
    assert_refused(R"({"contents":[{"parts":[{"function_response":{"id":1,"name":"f","response":{}}}]}]})",
                   "invalid_type", "contents[0].parts[0].function_response.id");
    assert_refused("{" + c + R"(,"systemInstruction":7})", "invalid_type", "systemInstruction");
    assert_refused("{" + c + R"(,"system_instruction":{"parts":[{"inlineData":{}}]}})",
                   "untranslatable_parameter", "system_instruction.parts[0].inlineData");
    assert_refused("{" + c + R"(,"systemInstruction":{}})", "missing_required_parameter", "systemInstruction.parts");
    assert_refused("{" + c + R"(,"cachedContent":"cachedContents/abc"})", "untranslatable_parameter", "cachedContent");
    assert_refused("{" + c + R"(,"tools":{}})", "invalid_type", "tools");
    assert_refused("{" + c + R"(,"tools":[{"googleSearch":{}}]})", "untranslatable_parameter", "tools[0].googleSearch");
    assert_refused("{" + c + R"(,"tools":[{"functionDeclarations":[]},{"code_execution":{}}]})",
                   "untranslatable_parameter", "tools[1].code_execution");
    assert_refused("{" + c + R"(,"tools":[{"urlContext":{}}]})", "untranslatable_parameter", "tools[0].urlContext");
    assert_refused("{" + c + R"(,"tools":[{"functionDeclarations":[{"description":"no name"}]}]})",
                   "missing_required_parameter", "tools[0].functionDeclarations[0].name");
    assert_refused("{" + c + R"(,"tools":[{"functionDeclarations":[{"name":"f","parameters":"{}"}]}]})",
                   "invalid_type", "tools[0].functionDeclarations[0].parameters");
    assert_refused("{" + c + R"(,"tools":[{"function_declarations":[{"name":"f","parameters_json_schema":[]}]}]})",
                   "invalid_type", "tools[0].function_declarations[0].parameters_json_schema");
    assert_refused("{" + c + R"(,"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}})",
                   "invalid_value", "toolConfig.functionCallingConfig.mode");
    assert_refused("{" + c + R"(,"toolConfig":{"functionCallingConfig":{"allowedFunctionNames":[1]}}})",
                   "invalid_type", "toolConfig.functionCallingConfig.allowedFunctionNames[0]");
    assert_refused("{" + c + R"(,"generationConfig":[]})", "invalid_type", "generationConfig");
    assert_refused("{" + c + R"(,"generationConfig":{"candidateCount":2}})",
                   "untranslatable_parameter", "generationConfig.candidateCount");
    assert_refused("{" + c + R"(,"generation_config":{"candidate_count":3}})",
                   "untranslatable_parameter", "generation_config.candidate_count");
    assert_refused("{" + c + R"(,"generationConfig":{"maxOutputTokens":"5"}})", "invalid_type", "generationConfig.maxOutputTokens");
    assert_refused("{" + c + R"(,"generationConfig":{"maxOutputTokens":5.5}})", "invalid_type", "generationConfig.maxOutputTokens");
    assert_refused("{" + c + R"(,"generationConfig":{"temperature":"hot"}})", "invalid_type", "generationConfig.temperature");
    assert_refused("{" + c + R"(,"generationConfig":{"topK":1.5}})", "invalid_type", "generationConfig.topK");
    assert_refused("{" + c + R"(,"generationConfig":{"seed":true}})", "invalid_type", "generationConfig.seed");
    assert_refused("{" + c + R"(,"generationConfig":{"stopSequences":"END"}})", "invalid_type", "generationConfig.stopSequences");
    assert_refused("{" + c + R"(,"generationConfig":{"stopSequences":["a",2]}})", "invalid_type", "generationConfig.stopSequences[1]");
    assert_refused("{" + c + R"(,"generationConfig":{"responseMimeType":"text/x.enum"}})",
                   "untranslatable_parameter", "generationConfig.responseMimeType");
    assert_refused("{" + c + R"(,"generationConfig":{"responseMimeType":"text/html"}})",
                   "invalid_value", "generationConfig.responseMimeType");
    assert_refused("{" + c + R"(,"generationConfig":{"responseMimeType":"application/json","responseSchema":true}})",
                   "invalid_type", "generationConfig.responseSchema");
    assert_refused("{" + c + R"(,"generationConfig":{"thinkingConfig":{"thinkingBudget":"lots"}}})",
                   "invalid_type", "generationConfig.thinkingConfig.thinkingBudget");
    assert_refused("{" + c + R"(,"generationConfig":{"thinking_config":{"thinking_level":"ultra"}}})",
                   "invalid_value", "generationConfig.thinking_config.thinking_level");
    assert_refused("{" + c + R"(,"generationConfig":{"thinkingConfig":[]}})", "invalid_type", "generationConfig.thinkingConfig");
}

void quoted_values_are_whole_characters(void**) {
    // A media type or a tool's name is quoted cut to 64 bytes, never inside a character: here
    // a 2-byte one at bytes 64-65.
    const std::string cut = std::string(63, 'a') + "\xc3\xa9" + std::string(100, 'z');
    api::request r;
    aigw::api_error err;
    assert_false(gemini::request_to_pivot(
        R"({"contents":[{"parts":[{"inlineData":{"mimeType":")" + cut + R"(","data":"UklG"}}]}]})",
        r, err));
    assert_sv_equal(err.code, "untranslatable_parameter");
    assert_true(err.message.find("('" + std::string(63, 'a') + "')") != std::string::npos);
    assert_false(gemini::request_to_pivot(
        R"({"contents":[{"parts":[{"text":"x"}]}],"tools":[{")" + cut + R"(":{}}]})", r, err));
    assert_sv_equal(err.code, "untranslatable_parameter");
    assert_true(err.message.find("('" + std::string(63, 'a') + "')") != std::string::npos);
}

void leniencies(void**) {
    // null is "not given"; the last of duplicates counts, whichever its spelling.
    api::request r = to_pivot(
        R"({"contents":[{"role":null,"parts":[{"text":"x","thought":null}]}],"tools":null,"toolConfig":null,)"
        R"("generationConfig":{"maxOutputTokens":5,"max_output_tokens":7,"temperature":null},"cachedContent":null})");
    assert_int_equal(*r.max_tokens, 7);
    assert_false(r.temperature.has_value());
    assert_int_equal(static_cast<int>(r.messages[0].role), static_cast<int>(api::role::user));
    // Parts with only a signature, and a model turn with nothing left, leave no message.
    r = to_pivot(R"({"contents":[{"parts":[{"text":"x"}]},{"role":"model","parts":[{"thoughtSignature":"c2ln"}]}]})");
    assert_int_equal(r.messages.size(), 1);
    // A user's thought parts are dropped.
    r = to_pivot(R"({"contents":[{"parts":[{"text":"x"},{"text":"hmm","thought":true}]}]})");
    assert_int_equal(r.messages[0].content.size(), 1);
    assert_true(r.messages[0].reasoning.empty());
}

void deep_and_huge(void**) {
    api::request r;
    aigw::api_error err;
    std::string deep = R"({"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":)" +
                       std::string(5000, '[') + std::string(5000, ']') + "}}}]}]}";
    assert_false(gemini::request_to_pivot(deep, r, err));
    assert_sv_equal(err.code, "invalid_json");
    std::string schema = R"({"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":)";
    for (int i = 0; i < 200; ++i) schema += R"({"type":"ARRAY","items":)";
    schema += "{}";
    for (int i = 0; i < 200; ++i) schema += "}";
    schema += "}]}]}";
    assert_false(gemini::request_to_pivot(schema, r, err));
    assert_sv_equal(err.code, "invalid_json");

    std::string big(4 << 20, 'x');
    r = to_pivot(R"({"contents":[{"parts":[{"text":")" + big + R"("}]}]})");
    assert_int_equal(r.messages[0].content[0].text.size(), big.size());
    std::string out = gemini::request_from_pivot(r);
    assert_true(out == R"({"contents":[{"role":"user","parts":[{"text":")" + big + R"("}]}]})");

    // A pivot schema nested too deep to re-read is left out rather than walked.
    api::request p;
    p.tools.resize(1);
    p.tools[0].name = "f";
    p.tools[0].parameters = std::string(5000, '[') + std::string(5000, ']');
    assert_sv_equal(gemini::request_from_pivot(p),
                    R"({"contents":[],"tools":[{"functionDeclarations":[{"name":"f"}]}]})");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_conversation),
        cmocka_unit_test(system_instruction_forms),
        cmocka_unit_test(snake_case_members),
        cmocka_unit_test(images),
        cmocka_unit_test(tool_calls_matched),
        cmocka_unit_test(tool_calls_to_gemini),
        cmocka_unit_test(tools_and_schemas),
        cmocka_unit_test(tool_choice_modes),
        cmocka_unit_test(response_formats),
        cmocka_unit_test(thinking_budgets),
        cmocka_unit_test(sampling_and_stops),
        cmocka_unit_test(system_and_turns_to_gemini),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(refusals),
        cmocka_unit_test(quoted_values_are_whole_characters),
        cmocka_unit_test(leniencies),
        cmocka_unit_test(deep_and_huge),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
