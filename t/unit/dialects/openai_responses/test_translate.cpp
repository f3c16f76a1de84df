// Responses requests and responses to and from the pivot, whole strings for fixed cases: a
// Codex CLI request as a chat-only channel gets it, what is dropped and refused, and the
// response object a client gets.
#include <string>
#include <string_view>

#include "aigw/dialects/openai_chat/translate.hpp"
#include "aigw/dialects/openai_responses/translate.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"
#include "pivot_diff.hpp"

namespace api = aigw::api;
namespace responses = aigw::responses;
using aigw::api_error;

namespace {

// A Codex CLI turn, in short: instructions, a developer message, the user's messages, a
// reasoning item with its encrypted content, a shell call and its output, an apply_patch
// (custom tool) call and its output, the answer, Codex's compaction marker; its three kinds
// of tool; and the members it always sends.
const std::string_view codex_request =
    R"({"model":"gpt-5-codex","instructions":"You are Codex, a coding agent.","input":[)"
    R"({"type":"message","role":"developer","content":[{"type":"input_text","text":"<permissions instructions>workspace-write</permissions instructions>"}]},)"
    R"({"type":"message","role":"user","content":[{"type":"input_text","text":"# AGENTS.md instructions for /repo\n\nRun make test."},)"
    R"({"type":"input_text","text":"<environment_context><cwd>/repo</cwd></environment_context>"}]},)"
    R"({"type":"message","role":"user","content":[{"type":"input_text","text":"Fix the failing test."}]},)"
    R"({"type":"reasoning","summary":[{"type":"summary_text","text":"**Running the tests**"}],"content":null,"encrypted_content":"gAAAAABoEncryptedForOpenAIOnly"},)"
    R"({"type":"function_call","name":"shell","arguments":"{\"command\":[\"make\",\"test\"],\"workdir\":\"/repo\"}","call_id":"call_A1"},)"
    R"({"type":"function_call_output","call_id":"call_A1","output":"FAIL: test_add\nexit 2"},)"
    R"({"type":"custom_tool_call","status":"completed","call_id":"call_B2","name":"apply_patch","input":"*** Begin Patch\n*** Update File: add.c\n-return a - b;\n+return a + b;\n*** End Patch\n"},)"
    R"({"type":"custom_tool_call_output","call_id":"call_B2","output":"Success. Updated: add.c"},)"
    R"({"type":"message","role":"assistant","content":[{"type":"output_text","text":"Fixed: add() subtracted."}]},)"
    R"({"type":"compaction_trigger"},)"
    R"({"type":"message","role":"user","content":[{"type":"input_text","text":"Run it again."}]}],)"
    R"("tools":[{"type":"function","name":"shell","description":"Runs a shell command.","strict":false,)"
    R"("parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}},"workdir":{"type":"string"}},"required":["command"],"additionalProperties":false}},)"
    R"({"type":"custom","name":"apply_patch","description":"Edit files with a patch.","format":{"type":"grammar","syntax":"lark","definition":"start: begin_patch hunk+ end_patch"}},)"
    R"({"type":"web_search"}],)"
    R"("tool_choice":"auto","parallel_tool_calls":false,"reasoning":{"effort":"medium","summary":"auto"},)"
    R"("store":false,"stream":true,"include":["reasoning.encrypted_content"],"prompt_cache_key":"0199a1b2-c3d4","text":{"verbosity":"medium"}})";

api::request to_pivot(std::string_view body) {
    api::request r;
    api_error err;
    if (!responses::request_to_pivot(body, r, err)) {
        print_error("refused: %s (%s)\n", err.message.c_str(), err.param.c_str());
        fail();
    }
    return r;
}

// The refusal of `body`: 400, its param and code.
void refused(std::string_view body, std::string_view param, std::string_view code) {
    api::request r;
    r.model = "untouched";
    api_error err;
    if (responses::request_to_pivot(body, r, err)) {
        print_error("translated: %.*s\n", static_cast<int>(body.size()), body.data());
        fail();
    }
    assert_int_equal(err.status, 400);
    assert_sv_equal(err.param, param);
    assert_sv_equal(err.code, code);
    assert_sv_equal(r.model, "untouched");  // written only on success
}

void codex_request_to_pivot(void**) {
    api::request r = to_pivot(codex_request);
    assert_sv_equal(r.model, "gpt-5-codex");
    assert_true(r.stream);
    assert_true(r.include_usage);
    assert_sv_equal(r.reasoning_effort, "medium");
    assert_false(*r.parallel_tool_calls);
    // instructions, developer, user x2, assistant (reasoning + call), tool, assistant (patch),
    // tool, assistant, user.
    assert_int_equal(r.messages.size(), 10);
    assert_int_equal(static_cast<int>(r.messages[0].role), static_cast<int>(api::role::system));
    assert_int_equal(static_cast<int>(r.messages[1].role), static_cast<int>(api::role::system));
    const api::message& turn = r.messages[4];
    assert_sv_equal(turn.reasoning, "**Running the tests**");
    assert_int_equal(turn.tool_calls.size(), 1);
    assert_sv_equal(turn.tool_calls[0].id, "call_A1");
    assert_sv_equal(r.messages[6].tool_calls[0].arguments,
                    R"({"input":"*** Begin Patch\n*** Update File: add.c\n-return a - b;\n+return a + b;\n*** End Patch\n"})");
    assert_sv_equal(r.messages[7].tool_call_id, "call_B2");
    // web_search dropped; the custom tool a function of one string.
    assert_int_equal(r.tools.size(), 2);
    assert_sv_equal(r.tools[1].parameters, responses::custom_tool_parameters);

    // What a chat-only channel gets: the conversation in order, the patch call as a function
    // call, OpenAI's members (store, include, prompt_cache_key, text.verbosity, the
    // encrypted reasoning, the compaction marker) left out.
    assert_sv_equal(
        aigw::openai_chat_request_from_pivot(r),
        R"({"model":"gpt-5-codex","messages":[)"
        R"({"role":"system","content":"You are Codex, a coding agent."},)"
        R"({"role":"system","content":"<permissions instructions>workspace-write</permissions instructions>"},)"
        R"({"role":"user","content":[{"type":"text","text":"# AGENTS.md instructions for /repo\n\nRun make test."},)"
        R"({"type":"text","text":"<environment_context><cwd>/repo</cwd></environment_context>"}]},)"
        R"({"role":"user","content":"Fix the failing test."},)"
        R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_A1","type":"function","function":{"name":"shell","arguments":"{\"command\":[\"make\",\"test\"],\"workdir\":\"/repo\"}"}}],"reasoning_content":"**Running the tests**"},)"
        R"({"role":"tool","content":"FAIL: test_add\nexit 2","tool_call_id":"call_A1"},)"
        R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_B2","type":"function","function":{"name":"apply_patch","arguments":"{\"input\":\"*** Begin Patch\\n*** Update File: add.c\\n-return a - b;\\n+return a + b;\\n*** End Patch\\n\"}"}}]},)"
        R"({"role":"tool","content":"Success. Updated: add.c","tool_call_id":"call_B2"},)"
        R"({"role":"assistant","content":"Fixed: add() subtracted."},)"
        R"({"role":"user","content":"Run it again."}],)"
        R"("tools":[{"type":"function","function":{"name":"shell","description":"Runs a shell command.",)"
        R"("parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}},"workdir":{"type":"string"}},"required":["command"],"additionalProperties":false}}},)"
        R"({"type":"function","function":{"name":"apply_patch","description":"Edit files with a patch.\n\nThe input follows this lark grammar:\nstart: begin_patch hunk+ end_patch",)"
        R"("parameters":{"type":"object","properties":{"input":{"type":"string","description":"The tool's freeform input, as the tool's description says to write it."}},"required":["input"],"additionalProperties":false}}}],)"
        R"("tool_choice":"auto","parallel_tool_calls":false,"reasoning_effort":"medium","stream":true,"stream_options":{"include_usage":true}})");

    // Codex's local_shell tool is refused, not dropped: the model would have no shell.
    std::string with_local_shell(codex_request);
    with_local_shell.replace(with_local_shell.find(R"({"type":"web_search"})"), 21,
                             R"({"type":"web_search"},{"type":"local_shell"})");
    refused(with_local_shell, "tools[3].type", "untranslatable_parameter");
}

void input_items(void**) {
    // A string is one user message.
    api::request r = to_pivot(R"({"model":"m","input":"Hello"})");
    assert_int_equal(r.messages.size(), 1);
    assert_int_equal(static_cast<int>(r.messages[0].role), static_cast<int>(api::role::user));
    assert_sv_equal(r.messages[0].content[0].text, "Hello");
    assert_false(r.stream);
    assert_false(r.include_usage);

    // Items without a type are messages; images by URL and data URL with their detail; an
    // earlier refusal said as text; an assistant's text and calls one message; a reasoning
    // item's raw text when it has no summary; a tool's output as parts.
    r = to_pivot(
        R"({"model":"m","input":[)"
        R"({"role":"system","content":"Be brief."},)"
        R"({"role":"user","content":[{"type":"input_text","text":"What is this?"},)"
        R"({"type":"input_image","image_url":"https://example.com/a.png","detail":"high"},)"
        R"({"type":"input_image","image_url":"data:image/png;base64,iVBOR"}]},)"
        R"({"type":"message","role":"assistant","content":[{"type":"refusal","refusal":"I can't."}]},)"
        R"({"role":"user","content":"Try again."},)"
        R"({"type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"Look closer."}]},)"
        R"({"type":"message","role":"assistant","status":"completed","id":"msg_1","content":[{"type":"output_text","text":"Let me zoom.","annotations":[]}]},)"
        R"({"type":"function_call","id":"fc_1","call_id":"c1","name":"zoom","arguments":"{}"},)"
        R"({"type":"function_call","call_id":"c2","name":"crop","arguments":"{\"x\":1}"},)"
        R"({"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"zoomed"},{"type":"input_image","image_url":"https://example.com/z.png"}]},)"
        R"({"type":"function_call_output","call_id":"c2","output":"cropped"},)"
        R"({"type":"reasoning","summary":[{"type":"summary_text","text":"cut short"}]},)"
        R"({"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"q"}},)"
        R"({"type":"compaction","encrypted_content":"gAAA"}]})");
    // system, user, assistant, user, assistant (+2 calls), tool, tool; the last reasoning,
    // which nothing follows, is left out.
    assert_int_equal(r.messages.size(), 7);
    assert_int_equal(static_cast<int>(r.messages[0].role), static_cast<int>(api::role::system));
    const api::message& user = r.messages[1];
    assert_int_equal(user.content.size(), 3);
    assert_int_equal(static_cast<int>(user.content[1].type),
                     static_cast<int>(api::content_part::kind::image));
    assert_sv_equal(user.content[1].url, "https://example.com/a.png");
    assert_sv_equal(user.content[1].detail, "high");
    assert_sv_equal(user.content[2].url, "data:image/png;base64,iVBOR");
    assert_true(user.content[2].detail.empty());
    assert_sv_equal(r.messages[2].content[0].text, "I can't.");
    const api::message& turn = r.messages[4];
    assert_sv_equal(turn.reasoning, "Look closer.");
    assert_sv_equal(turn.content[0].text, "Let me zoom.");
    assert_int_equal(turn.tool_calls.size(), 2);
    assert_sv_equal(turn.tool_calls[1].id, "c2");
    assert_sv_equal(turn.tool_calls[1].arguments, R"({"x":1})");
    assert_int_equal(r.messages[5].content.size(), 2);
    assert_sv_equal(r.messages[5].tool_call_id, "c1");
    assert_sv_equal(r.messages[6].content[0].text, "cropped");
}

void members(void**) {
    api::request r = to_pivot(
        R"({"model":"m","input":"x","max_output_tokens":300,"temperature":0.2,"top_p":0.9,)"
        R"("text":{"format":{"type":"json_schema","name":"answer","schema":{"type":"object","properties":{"a":{"type":"string"}}},"strict":true},"verbosity":"low"},)"
        R"("reasoning":{"effort":"high","summary":"detailed"},"user":"u-1","safety_identifier":"hashed-9",)"
        R"("tools":[{"type":"function","name":"f","description":"F.","parameters":{"type":"object"},"strict":true},)"
        R"({"type":"custom","name":"note","format":{"type":"text"}},{"type":"web_search_preview"}],)"
        R"("tool_choice":{"type":"custom","name":"note"},"parallel_tool_calls":true,)"
        R"("metadata":{"k":"v"},"service_tier":"flex","truncation":"auto","top_logprobs":2,"store":true,)"
        R"("client_metadata":{"x":"y"},"max_tool_calls":3,"previous_response_id":null,"background":false})");
    assert_int_equal(*r.max_tokens, 300);
    assert_true(*r.temperature == 0.2);
    assert_true(*r.top_p == 0.9);
    assert_int_equal(static_cast<int>(r.response_format.type),
                     static_cast<int>(api::response_format::kind::json_schema));
    assert_sv_equal(r.response_format.name, "answer");
    assert_sv_equal(r.response_format.schema, R"({"type":"object","properties":{"a":{"type":"string"}}})");
    assert_true(r.response_format.strict);
    assert_sv_equal(r.reasoning_effort, "high");
    assert_sv_equal(r.user, "hashed-9");  // safety_identifier over the older user
    assert_int_equal(r.tools.size(), 2);
    assert_true(r.tools[0].strict);
    assert_sv_equal(r.tools[0].description, "F.");
    assert_sv_equal(r.tools[1].name, "note");
    assert_true(r.tools[1].description.empty());
    assert_sv_equal(r.tools[1].parameters, responses::custom_tool_parameters);
    assert_int_equal(static_cast<int>(r.tool_choice.how),
                     static_cast<int>(api::tool_choice::mode::function));
    assert_sv_equal(r.tool_choice.name, "note");
    assert_true(*r.parallel_tool_calls);

    r = to_pivot(R"({"model":"m","input":"x","text":{"format":{"type":"json_object"}},"user":"u-1"})");
    assert_int_equal(static_cast<int>(r.response_format.type),
                     static_cast<int>(api::response_format::kind::json_object));
    assert_sv_equal(r.user, "u-1");
    // Only a web search tool: no tools left, and what a chat API refuses without them goes.
    r = to_pivot(R"({"model":"m","input":"x","tools":[{"type":"web_search"}],"tool_choice":"required","parallel_tool_calls":false})");
    assert_true(r.tools.empty());
    assert_int_equal(static_cast<int>(r.tool_choice.how),
                     static_cast<int>(api::tool_choice::mode::unset));
    assert_false(r.parallel_tool_calls.has_value());
    // The last of a member given twice counts, as in the client's JSON.parse.
    r = to_pivot(R"({"model":"m","input":"x","temperature":1,"temperature":0.5})");
    assert_true(*r.temperature == 0.5);
}

void refusals(void**) {
    const char* untranslatable = "untranslatable_parameter";
    refused(R"({"model":"m","input":"x","previous_response_id":"resp_1"})", "previous_response_id", untranslatable);
    refused(R"({"model":"m","input":"x","conversation":"conv_1"})", "conversation", untranslatable);
    refused(R"({"model":"m","input":"x","prompt":{"id":"pmpt_1"}})", "prompt", untranslatable);
    refused(R"({"model":"m","input":"x","background":true})", "background", untranslatable);
    refused(R"({"model":"m","input":[{"type":"item_reference","id":"msg_1"}]})", "input[0]", untranslatable);
    refused(R"({"model":"m","input":[{"type":"file_search_call","id":"fs_1"}]})", "input[0].type", untranslatable);
    refused(R"({"model":"m","input":[{"type":"local_shell_call","call_id":"c"}]})", "input[0].type", untranslatable);
    refused(R"({"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"}]}]})",
            "input[0].content[0]", untranslatable);
    refused(R"({"model":"m","input":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]})",
            "input[0].content[0]", untranslatable);
    refused(R"({"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1"}]}]})",
            "input[0].content[0].file_id", untranslatable);
    for (const char* tool : {"file_search", "computer_use_preview", "code_interpreter",
                             "image_generation", "mcp", "shell", "apply_patch"}) {
        refused(std::string(R"({"model":"m","input":"x","tools":[{"type":")") + tool + "\"}]}",
                "tools[0].type", untranslatable);
    }
    // What Codex sends by default and a chat model does without is dropped: its sub-agents'
    // namespace and its client-side tool_search (as web_search is).
    {
        api::request dropped = to_pivot(
            R"({"model":"m","input":"x","tools":[{"type":"namespace","name":"multi_agent_v1","tools":[{"type":"function","name":"close_agent","parameters":{}}]},)"
            R"({"type":"tool_search","execution":"client","parameters":{"type":"object"}},{"type":"function","name":"f","parameters":{}}]})");
        assert_int_equal(dropped.tools.size(), 1);
        assert_sv_equal(dropped.tools[0].name, "f");
    }
    refused(R"({"model":"m","input":"x","tool_choice":{"type":"allowed_tools","mode":"auto","tools":[]}})",
            "tool_choice.type", untranslatable);
    refused(R"({"model":"m","input":"x","tool_choice":{"type":"web_search_preview"}})",
            "tool_choice.type", untranslatable);

    // The message says why, for the one a client is most likely to meet.
    api::request r;
    api_error err;
    assert_false(responses::request_to_pivot(R"({"model":"m","input":"x","previous_response_id":"resp_1"})", r, err));
    assert_true(err.message.find("send the whole conversation") != std::string::npos);
}

void malformed(void**) {
    refused("{", "", "invalid_json");
    refused("[]", "", "invalid_json");  // not_an_object_error carries OpenAI's code
    refused(R"({"input":"x"})", "model", "missing_required_parameter");
    refused(R"({"model":"m"})", "input", "missing_required_parameter");
    refused(R"({"model":"m","input":[]})", "input", "missing_required_parameter");
    refused(R"({"model":"m","input":7})", "input", "invalid_type");
    refused(R"({"model":"m","input":[{"type":"message","content":"x"}]})", "input[0].role", "missing_required_parameter");
    refused(R"({"model":"m","input":[{"role":"tool","content":"x"}]})", "input[0].role", "invalid_value");
    refused(R"({"model":"m","input":[{"role":"user"}]})", "input[0].content", "missing_required_parameter");
    refused(R"({"model":"m","input":[{"role":"user","content":[{"type":"image_url"}]}]})", "input[0].content[0].type", "invalid_value");
    refused(R"({"model":"m","input":[{"role":"user","content":[{"type":"input_image"}]}]})", "input[0].content[0].image_url", "missing_required_parameter");
    refused(R"({"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]})", "input[0].call_id", "missing_required_parameter");
    refused(R"({"model":"m","input":[{"type":"function_call_output","call_id":"c"}]})", "input[0].output", "missing_required_parameter");
    refused(R"({"model":"m","input":[{"type":"reasoning","summary":"x"}]})", "input[0].summary", "invalid_type");
    refused(R"({"model":"m","input":[{"type":7}]})", "input[0].type", "invalid_type");
    refused(R"({"model":"m","input":"x","tools":[{"type":"function"}]})", "tools[0].name", "missing_required_parameter");
    refused(R"({"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":[]}]})", "tools[0].parameters", "invalid_type");
    refused(R"({"model":"m","input":"x","tools":[{"type":"custom","name":"c","format":{"type":"regex"}}]})", "tools[0].format.type", "invalid_value");
    refused(R"({"model":"m","input":"x","tool_choice":"any"})", "tool_choice", "invalid_value");
    refused(R"({"model":"m","input":"x","tool_choice":{"type":"function"}})", "tool_choice.name", "missing_required_parameter");
    refused(R"({"model":"m","input":"x","text":{"format":{"type":"json_schema"}}})", "text.format.name", "missing_required_parameter");
    refused(R"({"model":"m","input":"x","text":{"format":{"type":"yaml"}}})", "text.format.type", "invalid_value");
    refused(R"({"model":"m","input":"x","reasoning":{"effort":1}})", "reasoning.effort", "invalid_type");
    refused(R"({"model":"m","input":"x","max_output_tokens":"9"})", "max_output_tokens", "invalid_type");
    refused(R"({"model":"m","input":"x","stream":"yes"})", "stream", "invalid_type");
    refused(R"({"model":")" + std::string(aigw::model_name_max + 1, 'x') + R"(","input":"x"})", "model", "string_above_max_length");
    std::string deep = R"({"model":"m","input":"x","metadata":)";
    for (int i = 0; i < 5000; ++i) deep += '[';
    for (int i = 0; i < 5000; ++i) deep += ']';
    refused(deep + "}", "", "invalid_json");
}

// What a client of another dialect sends a Responses channel, and reading it back.
void request_from_pivot(void**) {
    api::request r;
    r.model = "gpt-5";
    r.messages.resize(5);
    r.messages[0].role = api::role::system;
    r.messages[0].content.resize(1);
    r.messages[0].content[0].text = "Be brief.";
    r.messages[1].content.resize(2);
    r.messages[1].content[0].text = "Weather?";
    r.messages[1].content[1].type = api::content_part::kind::image;
    r.messages[1].content[1].url = "https://example.com/sky.png";
    r.messages[1].content[1].detail = "low";
    r.messages[2].role = api::role::assistant;
    r.messages[2].content.resize(1);
    r.messages[2].content[0].text = "Checking.";
    r.messages[2].tool_calls.push_back({"toolu_1", "get_weather", R"({"city":"Paris"})"});
    r.messages[3].role = api::role::tool;
    r.messages[3].tool_call_id = "toolu_1";
    r.messages[3].content.resize(1);
    r.messages[3].content[0].text = "18C";
    r.messages[4].content.resize(1);
    r.messages[4].content[0].text = "Thanks";
    r.tools.push_back({"get_weather", "Weather now", R"({"type":"object","properties":{"city":{"type":"string"}}})", false});
    r.tool_choice.how = api::tool_choice::mode::required;
    r.parallel_tool_calls = false;
    r.max_tokens = 1024;
    r.temperature = 0.5;
    r.response_format.type = api::response_format::kind::json_object;
    r.reasoning_effort = "low";
    r.user = "u-7";
    r.stream = true;
    r.include_usage = true;
    std::string body = responses::request_from_pivot(r);
    assert_sv_equal(
        body,
        R"({"model":"gpt-5","input":[{"role":"system","content":"Be brief."},)"
        R"({"role":"user","content":[{"type":"input_text","text":"Weather?"},{"type":"input_image","image_url":"https://example.com/sky.png","detail":"low"}]},)"
        R"({"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking."}]},)"
        R"({"type":"function_call","call_id":"toolu_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},)"
        R"({"type":"function_call_output","call_id":"toolu_1","output":"18C"},)"
        R"({"role":"user","content":"Thanks"}],)"
        R"("tools":[{"type":"function","description":"Weather now","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":false}],)"
        R"("tool_choice":"required","parallel_tool_calls":false,"max_output_tokens":1024,"temperature":0.5,)"
        R"("text":{"format":{"type":"json_object"}},"reasoning":{"effort":"low"},"safety_identifier":"u-7","store":false,"stream":true})");
    api::request back = to_pivot(body);
    std::string d = pivot_diff::diff(back, r);
    if (!d.empty()) print_error("differs at %s\n", d.c_str());
    assert_true(d.empty());

    // Reasoning from another provider does not go to OpenAI, nor seed, stop or top_k.
    r.messages[2].reasoning = "thinking";
    r.seed = 7;
    r.stop = {"END"};
    r.top_k = 5;
    assert_sv_equal(responses::request_from_pivot(r), body);
}

// A response object as OpenAI answers a stored: false request with reasoning, a call and text.
const std::string_view openai_response =
    R"({"id":"resp_67ccd2bed1ec8190b14f964abc054267","object":"response","created_at":1741476542,"status":"completed",)"
    R"("background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,)"
    R"("model":"gpt-5-2025-08-07","output":[)"
    R"({"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"**Weather**"},{"type":"summary_text","text":"Use the tool."}]},)"
    R"({"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Let me check."}],"role":"assistant"},)"
    R"({"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_9","name":"get_weather"},)"
    R"({"id":"ctc_1","type":"custom_tool_call","status":"completed","call_id":"call_10","input":"*** Begin Patch","name":"apply_patch"},)"
    R"({"id":"ws_1","type":"web_search_call","status":"completed","action":{"type":"search","query":"paris"}}],)"
    R"("parallel_tool_calls":true,"store":false,"temperature":1.0,"tool_choice":"auto","tools":[],"top_p":1.0,)"
    R"("usage":{"input_tokens":328,"input_tokens_details":{"cached_tokens":128},"output_tokens":52,"output_tokens_details":{"reasoning_tokens":30},"total_tokens":380},)"
    R"("user":null,"metadata":{}})";

void response_to_pivot(void**) {
    api::response resp;
    assert_true(responses::response_to_pivot(openai_response, resp));
    assert_sv_equal(resp.id, "resp_67ccd2bed1ec8190b14f964abc054267");
    assert_sv_equal(resp.model, "gpt-5-2025-08-07");
    assert_int_equal(resp.created, 1741476542);
    assert_sv_equal(resp.reasoning, "**Weather**\n\nUse the tool.");
    assert_sv_equal(resp.text, "Let me check.");
    assert_int_equal(resp.tool_calls.size(), 2);
    assert_sv_equal(resp.tool_calls[0].id, "call_9");
    assert_sv_equal(resp.tool_calls[0].arguments, R"({"city":"Paris"})");
    assert_sv_equal(resp.tool_calls[1].arguments, R"({"input":"*** Begin Patch"})");
    assert_int_equal(static_cast<int>(resp.finish), static_cast<int>(api::finish_reason::tool_calls));
    std::string d = pivot_diff::diff(resp.tokens, aigw::usage{328, 52, 380, 128, 0, 30, true, false}, "tokens");
    if (!d.empty()) print_error("differs at %s\n", d.c_str());
    assert_true(d.empty());

    assert_true(responses::response_to_pivot(
        R"({"object":"response","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},)"
        R"("output":[{"type":"message","content":[{"type":"output_text","text":"Once"},{"type":"refusal","refusal":"No."}]}]})",
        resp));
    assert_int_equal(static_cast<int>(resp.finish), static_cast<int>(api::finish_reason::length));
    assert_sv_equal(resp.text, "Once");
    assert_sv_equal(resp.refusal, "No.");
    assert_false(resp.tokens.present);
    assert_true(responses::response_to_pivot(
        R"({"status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[]})", resp));
    assert_int_equal(static_cast<int>(resp.finish), static_cast<int>(api::finish_reason::content_filter));

    for (std::string_view bad : {"", "[]", "{}", R"({"output":{}})",
                                 R"({"object":"chat.completion","output":[]})"}) {
        assert_false(responses::response_to_pivot(bad, resp));
    }
}

void response_json(void**) {
    api::response resp;
    resp.id = "msg_01XFDUDYJgAACzvnptvVoYEL";  // an Anthropic answer's
    resp.model = "claude-sonnet-4-5";
    resp.created = 1741476542;
    resp.text = "Hi!";
    resp.finish = api::finish_reason::stop;
    resp.tokens.prompt_tokens = 10;
    resp.tokens.completion_tokens = 3;
    resp.tokens.total_tokens = 13;
    resp.tokens.present = true;
    assert_sv_equal(
        responses::response_from_pivot(resp),
        R"({"id":"resp_msg_01XFDUDYJgAACzvnptvVoYEL","object":"response","created_at":1741476542,"status":"completed",)"
        R"("background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,)"
        R"("max_tool_calls":null,"model":"claude-sonnet-4-5","output":[)"
        R"({"id":"msg_msg_01XFDUDYJgAACzvnptvVoYEL_0","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi!"}],"role":"assistant"}],)"
        R"("parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},)"
        R"("safety_identifier":null,"service_tier":"default","store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},)"
        R"("tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled",)"
        R"("usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":13},)"
        R"("user":null,"metadata":{}})");

    // With the request known: its values echoed, a custom tool's call as custom_tool_call.
    api::request req;
    req.model = "gpt-5-codex";
    req.max_tokens = 64;
    req.temperature = 0.5;
    req.reasoning_effort = "low";
    req.tools.push_back({"apply_patch", "Edit.", std::string(responses::custom_tool_parameters), false});
    req.tools.push_back({"shell", "", "", false});
    req.tool_choice.how = api::tool_choice::mode::required;
    resp = api::response{};
    resp.id = "resp_1";
    resp.created = 1;
    resp.reasoning = "Patch it.";
    resp.tool_calls.push_back({"call_p", "apply_patch", R"({"input":"*** Begin Patch\n"})"});
    resp.tool_calls.push_back({"", "shell", R"({"command":["ls"]})"});
    resp.finish = api::finish_reason::length;
    assert_sv_equal(
        responses::response_json(resp, req),
        R"({"id":"resp_1","object":"response","created_at":1,"status":"incomplete","background":false,"error":null,)"
        R"("incomplete_details":{"reason":"max_output_tokens"},"instructions":null,"max_output_tokens":64,)"
        R"("max_tool_calls":null,"model":"gpt-5-codex","output":[)"
        R"({"id":"rs_1_0","type":"reasoning","summary":[{"type":"summary_text","text":"Patch it."}]},)"
        R"({"id":"ctc_1_1","type":"custom_tool_call","status":"completed","call_id":"call_p","input":"*** Begin Patch\n","name":"apply_patch"},)"
        R"({"id":"fc_1_2","type":"function_call","status":"incomplete","arguments":"{\"command\":[\"ls\"]}","call_id":"call_1_2","name":"shell"}],)"
        R"("parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"reasoning":{"effort":"low","summary":null},)"
        R"("safety_identifier":null,"service_tier":"default","store":false,"temperature":0.5,"text":{"format":{"type":"text"},"verbosity":"medium"},)"
        R"("tool_choice":"required","tools":[{"type":"function","description":"Edit.","name":"apply_patch","parameters":)"
        R"({"type":"object","properties":{"input":{"type":"string","description":"The tool's freeform input, as the tool's description says to write it."}},"required":["input"],"additionalProperties":false},"strict":false},)"
        R"({"type":"function","description":null,"name":"shell","parameters":null,"strict":false}],)"
        R"("top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}})");

    // Read back, the pivot again (but the custom call's arguments, which stay the same).
    api::response back;
    assert_true(responses::response_to_pivot(responses::response_json(resp, req), back));
    assert_sv_equal(back.reasoning, resp.reasoning);
    assert_int_equal(back.tool_calls.size(), 2);
    assert_sv_equal(back.tool_calls[0].arguments, resp.tool_calls[0].arguments);
    assert_sv_equal(back.tool_calls[1].id, "call_1_2");
    assert_int_equal(static_cast<int>(back.finish), static_cast<int>(api::finish_reason::length));

    // No id from the upstream: a new one, "resp_" and 32 hex digits.
    std::string fresh = responses::response_from_pivot(api::response{});
    assert_true(fresh.rfind(R"({"id":"resp_)", 0) == 0);
    assert_true(fresh.find(R"(","object":"response")") == 7 + 5 + 32);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codex_request_to_pivot),
        cmocka_unit_test(input_items),
        cmocka_unit_test(members),
        cmocka_unit_test(refusals),
        cmocka_unit_test(malformed),
        cmocka_unit_test(request_from_pivot),
        cmocka_unit_test(response_to_pivot),
        cmocka_unit_test(response_json),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
