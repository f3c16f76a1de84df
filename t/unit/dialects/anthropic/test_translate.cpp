// Messages requests and responses to and from the pivot, whole strings for fixed cases.
#include <string>
#include <string_view>

#include "aigw/dialects/anthropic/translate.hpp"

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
using aigw::api_error;
namespace anthropic = aigw::anthropic;

namespace {

// What Claude Code sends, in short: system blocks with cache_control, thinking with a
// signature, a tool call and its results (one with an image), a user image by URL.
const std::string_view claude_request =
    R"({"model":"claude-sonnet-4-5","max_tokens":32000,)"
    R"("system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"Be careful."}],)"
    R"("messages":[)"
    R"({"role":"user","content":"What's the weather in Paris?"},)"
    R"({"role":"assistant","content":[{"type":"thinking","thinking":"Need the tool.","signature":"sig1"},)"
    R"({"type":"text","text":"Let me check."},)"
    R"({"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris","units":["c"]}}]},)"
    R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},)"
    R"({"type":"tool_result","tool_use_id":"toolu_2","is_error":true,"content":[{"type":"text","text":"a"},)"
    R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]},)"
    R"({"type":"text","text":"And tomorrow?","cache_control":{"type":"ephemeral"}},)"
    R"({"type":"image","source":{"type":"url","url":"https://example.com/map.png"}}]}],)"
    R"("tools":[{"name":"get_weather","description":"Weather now","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"cache_control":{"type":"ephemeral"}}],)"
    R"("tool_choice":{"type":"auto","disable_parallel_tool_use":true},)"
    R"("thinking":{"type":"enabled","budget_tokens":10000},)"
    R"("temperature":1,"top_p":0.9,"top_k":40,"stop_sequences":["END"],"metadata":{"user_id":"u-42"},"stream":true})";

void request_to_pivot(void**) {
    api::request r;
    api_error err;
    assert_true(anthropic::request_to_pivot(claude_request, r, err));
    assert_sv_equal(r.model, "claude-sonnet-4-5");
    assert_int_equal(*r.max_tokens, 32000);
    assert_true(r.stream);
    assert_true(r.include_usage);
    assert_sv_equal(r.reasoning_effort, "medium");
    assert_true(*r.temperature == 1.0);
    assert_true(*r.top_p == 0.9);
    assert_int_equal(*r.top_k, 40);
    assert_int_equal(r.stop.size(), 1);
    assert_sv_equal(r.stop[0], "END");
    assert_sv_equal(r.user, "u-42");
    assert_int_equal(static_cast<int>(r.tool_choice.how), static_cast<int>(api::tool_choice::mode::automatic));
    assert_false(*r.parallel_tool_calls);
    assert_int_equal(r.tools.size(), 1);
    assert_sv_equal(r.tools[0].name, "get_weather");
    assert_sv_equal(r.tools[0].description, "Weather now");
    assert_sv_equal(r.tools[0].parameters,
                    R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})");

    // system x2, user, assistant, tool, tool, user.
    assert_int_equal(r.messages.size(), 7);
    assert_int_equal(static_cast<int>(r.messages[0].role), static_cast<int>(api::role::system));
    assert_sv_equal(r.messages[0].content[0].text, "You are Claude Code.");
    assert_sv_equal(r.messages[1].content[0].text, "Be careful.");
    assert_int_equal(static_cast<int>(r.messages[2].role), static_cast<int>(api::role::user));
    assert_sv_equal(r.messages[2].content[0].text, "What's the weather in Paris?");
    const api::message& assistant = r.messages[3];
    assert_int_equal(static_cast<int>(assistant.role), static_cast<int>(api::role::assistant));
    assert_sv_equal(assistant.reasoning, "Need the tool.");
    assert_sv_equal(assistant.reasoning_signature, "sig1");
    assert_int_equal(assistant.content.size(), 1);
    assert_sv_equal(assistant.content[0].text, "Let me check.");
    assert_int_equal(assistant.tool_calls.size(), 1);
    assert_sv_equal(assistant.tool_calls[0].id, "toolu_1");
    assert_sv_equal(assistant.tool_calls[0].name, "get_weather");
    assert_sv_equal(assistant.tool_calls[0].arguments, R"({"city":"Paris","units":["c"]})");
    assert_int_equal(static_cast<int>(r.messages[4].role), static_cast<int>(api::role::tool));
    assert_sv_equal(r.messages[4].tool_call_id, "toolu_1");
    assert_sv_equal(r.messages[4].content[0].text, "18C");
    assert_sv_equal(r.messages[5].tool_call_id, "toolu_2");
    assert_int_equal(r.messages[5].content.size(), 2);
    assert_int_equal(static_cast<int>(r.messages[5].content[1].type), static_cast<int>(api::content_part::kind::image));
    assert_sv_equal(r.messages[5].content[1].url, "data:image/png;base64,iVBOR");
    const api::message& user = r.messages[6];
    assert_int_equal(static_cast<int>(user.role), static_cast<int>(api::role::user));
    assert_int_equal(user.content.size(), 2);
    assert_sv_equal(user.content[0].text, "And tomorrow?");
    assert_sv_equal(user.content[1].url, "https://example.com/map.png");
}

void request_round_trip(void**) {
    api::request r;
    api_error err;
    assert_true(anthropic::request_to_pivot(claude_request, r, err));
    // What comes back differs only where the pivot is coarser: the budget is the effort's,
    // temperature and top_k yield to thinking, cache_control and is_error are gone.
    assert_sv_equal(
        anthropic::request_from_pivot(r),
        R"({"model":"claude-sonnet-4-5","max_tokens":32000,)"
        R"("system":[{"type":"text","text":"You are Claude Code."},{"type":"text","text":"Be careful."}],)"
        R"("messages":[)"
        R"({"role":"user","content":"What's the weather in Paris?"},)"
        R"({"role":"assistant","content":[{"type":"thinking","thinking":"Need the tool.","signature":"sig1"},)"
        R"({"type":"text","text":"Let me check."},)"
        R"({"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris","units":["c"]}}]},)"
        R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},)"
        R"({"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"a"},)"
        R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]},)"
        R"({"type":"text","text":"And tomorrow?"},)"
        R"({"type":"image","source":{"type":"url","url":"https://example.com/map.png"}}]}],)"
        R"("tools":[{"name":"get_weather","description":"Weather now","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],)"
        R"("tool_choice":{"type":"auto","disable_parallel_tool_use":true},)"
        R"("thinking":{"type":"enabled","budget_tokens":8192},)"
        R"("stop_sequences":["END"],"metadata":{"user_id":"u-42"},"stream":true})");
}

api::message text_message(api::role role, std::string text) {
    api::message m;
    m.role = role;
    m.content.emplace_back();
    m.content.back().text = std::move(text);
    return m;
}

// A request as an OpenAI client says it: system messages anywhere, parallel tool results
// as separate messages, a user message right after them, a data: URL, arguments cut short.
void request_from_openai_shape(void**) {
    api::request r;
    r.model = "claude-haiku";
    r.messages.push_back(text_message(api::role::system, "Rule one."));
    r.messages.push_back(text_message(api::role::user, "Hi"));
    r.messages.back().content.emplace_back();
    r.messages.back().content.back().type = api::content_part::kind::image;
    r.messages.back().content.back().url = "data:image/jpeg;base64,/9j/4AAQ";
    r.messages.back().content.back().detail = "high";
    r.messages.push_back(text_message(api::role::user, "again"));
    r.messages.push_back(text_message(api::role::system, "Rule two."));
    api::message call = text_message(api::role::assistant, "");
    call.reasoning = "unsigned thoughts";  // no signature: Anthropic would refuse it
    call.tool_calls.push_back({"call_a", "f", R"({"x": 1})"});
    call.tool_calls.push_back({"call_b", "g", R"({"y":)"});
    r.messages.push_back(call);
    api::message result = text_message(api::role::tool, "A");
    result.tool_call_id = "call_a";
    r.messages.push_back(result);
    result = text_message(api::role::tool, "");
    result.tool_call_id = "call_b";
    r.messages.push_back(result);
    r.messages.push_back(text_message(api::role::user, "thanks"));
    r.messages.push_back(text_message(api::role::assistant, ""));  // nothing to send
    api::tool tool;
    tool.name = "f";
    r.tools.push_back(tool);
    r.tool_choice.how = api::tool_choice::mode::function;
    r.tool_choice.name = "f";
    r.reasoning_effort = "high";  // a forced tool: no thinking
    r.temperature = 1.5;
    r.top_k = 5;
    r.seed = 7;
    r.stop = {"a", "b"};
    assert_sv_equal(
        anthropic::request_from_pivot(r),
        R"({"model":"claude-haiku","max_tokens":4096,"system":[{"type":"text","text":"Rule one."},{"type":"text","text":"Rule two."}],)"
        R"("messages":[)"
        R"({"role":"user","content":[{"type":"text","text":"Hi"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},{"type":"text","text":"again"}]},)"
        R"({"role":"assistant","content":[{"type":"tool_use","id":"call_a","name":"f","input":{"x":1}},{"type":"tool_use","id":"call_b","name":"g","input":{}}]},)"
        R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"call_a","content":"A"},{"type":"tool_result","tool_use_id":"call_b"},{"type":"text","text":"thanks"}]}],)"
        R"("tools":[{"name":"f","input_schema":{"type":"object","properties":{}}}],)"
        R"("tool_choice":{"type":"tool","name":"f"},)"
        R"("temperature":1.0,"top_k":5,"stop_sequences":["a","b"]})");
}

void response_format_as_instruction(void**) {
    // No JSON mode at Anthropic: the schema goes to the model as the last system text.
    api::request r;
    r.model = "m";
    r.messages.push_back(text_message(api::role::user, "Extract."));
    r.response_format.type = api::response_format::kind::json_schema;
    r.response_format.name = "person";
    r.response_format.schema = R"({"type":"object","properties":{"name":{"type":"string"}}})";
    assert_sv_equal(
        anthropic::request_from_pivot(r),
        R"({"model":"m","max_tokens":4096,"system":"Respond with one valid JSON object and nothing else (no prose, no code fences) that conforms to this JSON Schema (\"person\"):\n{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}",)"
        R"("messages":[{"role":"user","content":"Extract."}]})");
    // After the client's own instructions; json_object without a schema.
    r.messages.insert(r.messages.begin(), text_message(api::role::system, "Be terse."));
    r.response_format.type = api::response_format::kind::json_object;
    assert_sv_equal(
        anthropic::request_from_pivot(r),
        R"({"model":"m","max_tokens":4096,"system":[{"type":"text","text":"Be terse."},)"
        R"({"type":"text","text":"Respond with one valid JSON object and nothing else: no prose, no code fences."}],)"
        R"("messages":[{"role":"user","content":"Extract."}]})");
    // text asks nothing.
    r.response_format.type = api::response_format::kind::text;
    assert_true(anthropic::request_from_pivot(r).find("Respond with") == std::string::npos);
}

void thinking_budgets(void**) {
    assert_int_equal(anthropic::thinking_budget("minimal"), 1024);
    assert_int_equal(anthropic::thinking_budget("low"), 2048);
    assert_int_equal(anthropic::thinking_budget("medium"), 8192);
    assert_int_equal(anthropic::thinking_budget("high"), 24576);
    assert_int_equal(anthropic::thinking_budget(""), 0);
    assert_int_equal(anthropic::thinking_budget("max"), 0);
    for (const char* effort : {"low", "medium", "high"}) {
        assert_sv_equal(anthropic::reasoning_effort(anthropic::thinking_budget(effort)), effort);
    }
    assert_sv_equal(anthropic::reasoning_effort(1024), "low");
    assert_sv_equal(anthropic::reasoning_effort(4000), "low");      // think
    assert_sv_equal(anthropic::reasoning_effort(10000), "medium");  // think hard
    assert_sv_equal(anthropic::reasoning_effort(31999), "high");    // ultrathink

    api::request r;
    r.model = "m";
    r.messages.push_back(text_message(api::role::user, "q"));
    r.reasoning_effort = "high";
    r.temperature = 0.2;
    r.top_p = 0.5;
    // No max_tokens: the default on top of the budget.
    assert_sv_equal(anthropic::request_from_pivot(r),
                    R"({"model":"m","max_tokens":28672,"messages":[{"role":"user","content":"q"}],)"
                    R"("thinking":{"type":"enabled","budget_tokens":24576}})");
    // A max_tokens below the budget cuts it; top_p from 0.95 stays.
    r.max_tokens = 5000;
    r.top_p = 0.95;
    assert_sv_equal(anthropic::request_from_pivot(r),
                    R"({"model":"m","max_tokens":5000,"messages":[{"role":"user","content":"q"}],)"
                    R"("thinking":{"type":"enabled","budget_tokens":4999},"top_p":0.95})");
    // Too little room for the smallest budget: no thinking, and the sampling stays.
    r.max_tokens = 1024;
    assert_sv_equal(anthropic::request_from_pivot(r, 100),
                    R"({"model":"m","max_tokens":1024,"messages":[{"role":"user","content":"q"}],)"
                    R"("temperature":0.2,"top_p":0.95})");
    r.max_tokens.reset();
    r.reasoning_effort.clear();
    assert_sv_equal(anthropic::request_from_pivot(r, 100),
                    R"({"model":"m","max_tokens":100,"messages":[{"role":"user","content":"q"}],)"
                    R"("temperature":0.2,"top_p":0.95})");
}

void tool_choices(void**) {
    struct {
        const char* json;
        api::tool_choice::mode how;
        const char* back;
    } cases[] = {
        {R"({"type":"auto"})", api::tool_choice::mode::automatic, R"({"type":"auto"})"},
        {R"({"type":"any"})", api::tool_choice::mode::required, R"({"type":"any"})"},
        {R"({"type":"none"})", api::tool_choice::mode::none, R"({"type":"none"})"},
        {R"({"type":"tool","name":"f"})", api::tool_choice::mode::function, R"({"type":"tool","name":"f"})"},
        {R"({"type":"any","disable_parallel_tool_use":true})", api::tool_choice::mode::required,
         R"({"type":"any","disable_parallel_tool_use":true})"},
    };
    for (const auto& c : cases) {
        std::string body = R"({"model":"m","max_tokens":9,"messages":[],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":)";
        body += c.json;
        body += '}';
        api::request r;
        api_error err;
        assert_true(anthropic::request_to_pivot(body, r, err));
        assert_int_equal(static_cast<int>(r.tool_choice.how), static_cast<int>(c.how));
        std::string out = anthropic::request_from_pivot(r);
        std::string expected = R"({"model":"m","max_tokens":9,"messages":[],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":)";
        expected += c.back;
        expected += '}';
        assert_sv_equal(out, expected);
    }
}

void assert_refused(std::string_view body, int status, std::string_view param,
                    std::string_view code) {
    api::request r;
    api_error err;
    if (anthropic::request_to_pivot(body, r, err)) {
        print_error("accepted: %.*s\n", static_cast<int>(body.size()), body.data());
        fail();
    }
    assert_int_equal(err.status, status);
    assert_sv_equal(err.param, param);
    assert_sv_equal(err.code, code);
    assert_false(err.message.empty());
}

void requests_refused(void**) {
    assert_refused("{", 400, "", "invalid_json");
    assert_refused("[]", 400, "", "invalid_json");
    assert_refused(R"({"max_tokens":1,"messages":[]})", 400, "model", "missing_required_parameter");
    assert_refused(R"({"model":1,"max_tokens":1,"messages":[]})", 400, "model", "invalid_type");
    assert_refused(R"({"model":"m","messages":[]})", 400, "max_tokens", "missing_required_parameter");
    assert_refused(R"({"model":"m","max_tokens":"1","messages":[]})", 400, "max_tokens", "invalid_type");
    assert_refused(R"({"model":"m","max_tokens":1.5,"messages":[]})", 400, "max_tokens", "invalid_type");
    assert_refused(R"({"model":"m","max_tokens":0,"messages":[]})", 400, "max_tokens", "invalid_value");
    assert_refused(R"({"model":"m","max_tokens":1})", 400, "messages", "missing_required_parameter");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":{}})", 400, "messages", "invalid_type");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"tool","content":"x"}]})", 400,
                   "messages[0].role", "invalid_value");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"system","content":[{"type":"image"}]}]})",
                   400, "messages[0].content[0].type", "unsupported_value");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"system"}]})", 400,
                   "messages[0].content", "missing_required_parameter");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"user"}]})", 400,
                   "messages[0].content", "missing_required_parameter");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":5}]}]})",
                   400, "messages[0].content[0].text", "invalid_type");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"text":"x"}]}]})",
                   400, "messages[0].content[0].type", "missing_required_parameter");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{}}]}]})",
                   400, "messages[0].content[0].type", "unsupported_value");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]})",
                   400, "messages[0].content[0].source.type", "unsupported_value");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]}]})",
                   400, "messages[0].content[0].type", "unsupported_value");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"b","input":[]}]}]})",
                   400, "messages[0].content[0].input", "invalid_type");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":[{"type":"document"}]}]}]})",
                   400, "messages[0].content[0].content[0].type", "unsupported_value");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search"}]})",
                   400, "tools[0].type", "unsupported_value");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"f"}]})", 400,
                   "tools[0].input_schema", "missing_required_parameter");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[],"tool_choice":{"type":"some"}})", 400,
                   "tool_choice.type", "invalid_value");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[],"tool_choice":{"type":"tool"}})", 400,
                   "tool_choice.name", "missing_required_parameter");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[],"thinking":{"type":"enabled"}})", 400,
                   "thinking.budget_tokens", "missing_required_parameter");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[],"temperature":"hot"})", 400,
                   "temperature", "invalid_type");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[],"stop_sequences":["a",1]})", 400,
                   "stop_sequences[1]", "invalid_type");
    assert_refused(R"({"model":"m","max_tokens":1,"messages":[],"system":[{"type":"image"}]})", 400,
                   "system[0].type", "unsupported_value");
    std::string deep = R"({"model":"m","max_tokens":1,"messages":[],"metadata":)";
    for (int i = 0; i < 1000; ++i) deep += '[';
    for (int i = 0; i < 1000; ++i) deep += ']';
    deep += '}';
    assert_refused(deep, 400, "", "invalid_json");
}

void request_leniencies(void**) {
    // Nulls are absent; the last of duplicate members counts (as JSON.parse keeps it);
    // redacted thinking is dropped; thinking disabled asks no effort; custom tools pass.
    api::request r;
    api_error err;
    assert_true(anthropic::request_to_pivot(
        R"({"model":"a","model":"b","max_tokens":5,"system":null,"temperature":null,"stream":false,)"
        R"("messages":[{"role":"assistant","content":[{"type":"redacted_thinking","data":"xx"},)"
        R"({"type":"thinking","thinking":"one","signature":"s1"},{"type":"thinking","thinking":"two","signature":"s2"}]}],)"
        R"("thinking":{"type":"disabled"},"tools":[{"type":"custom","name":"f","input_schema":{}}]})",
        r, err));
    assert_sv_equal(r.model, "b");
    assert_false(r.temperature.has_value());
    assert_false(r.include_usage);
    assert_true(r.reasoning_effort.empty());
    assert_int_equal(r.messages.size(), 1);
    assert_sv_equal(r.messages[0].reasoning, "onetwo");
    assert_true(r.messages[0].reasoning_signature.empty());  // one signature covers one block
    assert_int_equal(r.tools.size(), 1);

    // A system message inside the conversation (Claude Code's mid-conversation-system beta)
    // stays where it is, as a string or as text blocks.
    assert_true(anthropic::request_to_pivot(
        R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"},)"
        R"({"role":"system","content":"Agents: x"},{"role":"system","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]})",
        r, err));
    assert_int_equal(r.messages.size(), 4);
    assert_int_equal(static_cast<int>(r.messages[0].role), static_cast<int>(api::role::user));
    assert_int_equal(static_cast<int>(r.messages[1].role), static_cast<int>(api::role::system));
    assert_sv_equal(r.messages[1].content.at(0).text, "Agents: x");
    assert_int_equal(static_cast<int>(r.messages[3].role), static_cast<int>(api::role::system));
    assert_sv_equal(r.messages[3].content.at(0).text, "b");
}

const std::string_view claude_message =
    R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",)"
    R"("content":[{"type":"thinking","thinking":"The user wants weather.","signature":"EqQBCgIYAhIM"},)"
    R"({"type":"text","text":"I'll check "},{"type":"text","text":"that."},)"
    R"({"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"location":"San Francisco, CA"}},)"
    R"({"type":"redacted_thinking","data":"EmwKAhgB"}],)"
    R"("stop_reason":"tool_use","stop_sequence":null,)"
    R"("usage":{"input_tokens":2095,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":503}})";

void response_to_pivot(void**) {
    api::response resp;
    assert_true(anthropic::response_to_pivot(claude_message, resp));
    assert_sv_equal(resp.id, "msg_01XFDUDYJgAACzvnptvVoYEL");
    assert_sv_equal(resp.model, "claude-sonnet-4-5-20250929");
    assert_sv_equal(resp.text, "I'll check that.");
    assert_sv_equal(resp.reasoning, "The user wants weather.");
    assert_int_equal(resp.tool_calls.size(), 1);
    assert_sv_equal(resp.tool_calls[0].id, "toolu_01A");
    assert_sv_equal(resp.tool_calls[0].name, "get_weather");
    assert_sv_equal(resp.tool_calls[0].arguments, R"({"location":"San Francisco, CA"})");
    assert_int_equal(static_cast<int>(resp.finish), static_cast<int>(api::finish_reason::tool_calls));
    assert_true(resp.tokens.present);
    assert_int_equal(resp.tokens.prompt_tokens, 4195);
    assert_int_equal(resp.tokens.cached_tokens, 2000);
    assert_int_equal(resp.tokens.cache_write_tokens, 100);
    assert_int_equal(resp.tokens.completion_tokens, 503);
    assert_int_equal(resp.tokens.total_tokens, 4698);

    struct {
        const char* reason;
        api::finish_reason finish;
    } reasons[] = {
        {"end_turn", api::finish_reason::stop},          {"stop_sequence", api::finish_reason::stop},
        {"max_tokens", api::finish_reason::length},      {"tool_use", api::finish_reason::tool_calls},
        {"refusal", api::finish_reason::content_filter}, {"pause_turn", api::finish_reason::stop},
        {"model_context_window_exceeded", api::finish_reason::length},
    };
    for (const auto& c : reasons) {
        std::string body = R"({"type":"message","content":[],"stop_reason":")";
        body += c.reason;
        body += "\"}";
        assert_true(anthropic::response_to_pivot(body, resp));
        assert_int_equal(static_cast<int>(resp.finish), static_cast<int>(c.finish));
        assert_false(resp.tokens.present);
    }
    for (std::string_view bad : {"", "[]", R"({"type":"message"})", R"({"content":{}})",
                                 R"({"type":"error","content":[],"error":{"type":"api_error","message":"x"}})"}) {
        assert_false(anthropic::response_to_pivot(bad, resp));
    }
}

void response_from_pivot(void**) {
    api::response resp;
    assert_true(anthropic::response_to_pivot(claude_message, resp));
    assert_sv_equal(
        anthropic::response_from_pivot(resp),
        R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",)"
        R"("content":[{"type":"thinking","thinking":"The user wants weather.","signature":""},)"
        R"({"type":"text","text":"I'll check that."},)"
        R"({"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"location":"San Francisco, CA"}}],)"
        R"("stop_reason":"tool_use","stop_sequence":null,)"
        R"("usage":{"input_tokens":2095,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":503}})");

    // From an OpenAI answer: its id, a refusal, OpenAI's counts.
    api::response openai;
    openai.id = "chatcmpl-9x";
    openai.model = "gpt-4o";
    openai.refusal = "I can't help with that.";
    openai.finish = api::finish_reason::content_filter;
    openai.tokens.prompt_tokens = 30;
    openai.tokens.cached_tokens = 10;
    openai.tokens.completion_tokens = 8;
    openai.tokens.total_tokens = 38;
    openai.tokens.present = true;
    assert_sv_equal(anthropic::response_from_pivot(openai),
                    R"({"id":"msg_chatcmpl-9x","type":"message","role":"assistant","model":"gpt-4o",)"
                    R"("content":[{"type":"text","text":"I can't help with that."}],)"
                    R"("stop_reason":"refusal","stop_sequence":null,)"
                    R"("usage":{"input_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":10,"output_tokens":8}})");

    api::response empty;
    std::string out = anthropic::response_from_pivot(empty);
    assert_true(out.rfind(R"({"id":"msg_)", 0) == 0);
    assert_int_equal(out.find(R"(","type":"message")"), 7 + 4 + 32);  // "msg_" and 32 hex digits
    assert_true(out.find(R"("content":[],"stop_reason":"end_turn")") != std::string::npos);
    empty.tool_calls.push_back({"c", "f", "not json"});
    out = anthropic::response_from_pivot(empty);
    assert_true(out.find(R"({"type":"tool_use","id":"c","name":"f","input":{}}],"stop_reason":"tool_use")") !=
                std::string::npos);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_to_pivot),
        cmocka_unit_test(request_round_trip),
        cmocka_unit_test(request_from_openai_shape),
        cmocka_unit_test(response_format_as_instruction),
        cmocka_unit_test(thinking_budgets),
        cmocka_unit_test(tool_choices),
        cmocka_unit_test(requests_refused),
        cmocka_unit_test(request_leniencies),
        cmocka_unit_test(response_to_pivot),
        cmocka_unit_test(response_from_pivot),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
