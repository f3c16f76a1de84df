// A chat.completions request to and from the pivot: every field both ways, the exact bytes
// written for a channel, round trips, and every refusal with OpenAI's param path.
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aigw/dialects/openai_chat/request.hpp"
#include "aigw/dialects/openai_chat/translate.hpp"
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

using aigw::api_error;
using aigw::openai_chat_request_from_pivot;
using aigw::openai_chat_request_to_pivot;
namespace api = aigw::api;

namespace {

api::request to_pivot(std::string_view body) {
    api::request req;
    api_error err;
    bool ok = openai_chat_request_to_pivot(body, req, err);
    if (!ok) print_error("refused: %s (param %s)\n", err.message.c_str(), err.param.c_str());
    assert_true(ok);
    return req;
}

void assert_same(const api::request& got, const api::request& expected) {
    std::string d = pivot_diff::diff(got, expected);
    if (!d.empty()) print_error("requests differ at %s\n", d.c_str());
    assert_true(d.empty());
}

// The pivot survives being written for a channel and read back.
void assert_round_trip(const api::request& req) {
    std::string body = openai_chat_request_from_pivot(req);
    api::request back;
    api_error err;
    bool ok = openai_chat_request_to_pivot(body, back, err);
    if (!ok) print_error("%s refused: %s\n", body.c_str(), err.message.c_str());
    assert_true(ok);
    assert_same(back, req);
}

api::content_part text_part(std::string text) {
    api::content_part p;
    p.text = std::move(text);
    return p;
}

api::content_part image_part(std::string url, std::string detail = {}) {
    api::content_part p;
    p.type = api::content_part::kind::image;
    p.url = std::move(url);
    p.detail = std::move(detail);
    return p;
}

api::message message(api::role role, std::vector<api::content_part> content) {
    api::message m;
    m.role = role;
    m.content = std::move(content);
    return m;
}

// ---- reading ----

void every_field(void**) {
    const std::string_view body = R"({
      "model": "gpt-4o",
      "messages": [
        {"role": "developer", "content": "Be brief."},
        {"role": "system", "content": [{"type": "text", "text": "Answer in French."}]},
        {"role": "user", "name": "ann", "content": [
          {"type": "text", "text": "What is this?"},
          {"type": "image_url", "image_url": {"url": "https://x.test/a.png", "detail": "high"}},
          {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}}]},
        {"role": "assistant", "content": null, "refusal": null,
         "reasoning_content": "They want the weather.",
         "tool_calls": [{"id": "call_1", "type": "function",
                         "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}},
                        {"id": "call_2", "type": "function",
                         "function": {"name": "time", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "noon"}]}
      ],
      "tools": [
        {"type": "function", "function": {"name": "weather", "description": "The weather",
          "parameters": {"type": "object",
                         "properties": {"city": {"type": "string", "maxLength": 1.5e2}},
                         "required": ["city"]},
          "strict": true}},
        {"type": "function", "function": {"name": "time"}}
      ],
      "tool_choice": {"type": "function", "function": {"name": "weather"}},
      "parallel_tool_calls": false,
      "stream": true,
      "stream_options": {"include_usage": true},
      "max_tokens": 100,
      "temperature": 0.7,
      "top_p": 1,
      "seed": -42,
      "stop": ["\n\n", "END"],
      "response_format": {"type": "json_schema", "json_schema": {"name": "answer",
        "description": "not carried", "schema": {"type": "object"}, "strict": true}},
      "reasoning_effort": "low",
      "user": "user-7",
      "n": 1,
      "logit_bias": {"50256": -100},
      "store": false
    })";
    api::request req = to_pivot(body);

    api::request expected;
    expected.model = "gpt-4o";
    expected.messages.push_back(message(api::role::system, {text_part("Be brief.")}));
    expected.messages.push_back(message(api::role::system, {text_part("Answer in French.")}));
    api::message user = message(api::role::user,
                                {text_part("What is this?"),
                                 image_part("https://x.test/a.png", "high"),
                                 image_part("data:image/png;base64,iVBO")});
    user.name = "ann";
    expected.messages.push_back(user);
    api::message assistant = message(api::role::assistant, {});
    assistant.reasoning = "They want the weather.";
    assistant.tool_calls.push_back({"call_1", "weather", R"({"city":"Paris"})"});
    assistant.tool_calls.push_back({"call_2", "time", "{}"});
    expected.messages.push_back(assistant);
    api::message tool1 = message(api::role::tool, {text_part("sunny")});
    tool1.tool_call_id = "call_1";
    expected.messages.push_back(tool1);
    api::message tool2 = message(api::role::tool, {text_part("noon")});
    tool2.tool_call_id = "call_2";
    expected.messages.push_back(tool2);
    api::tool weather;
    weather.name = "weather";
    weather.description = "The weather";
    // Minified, numbers as simdjson writes them.
    weather.parameters = R"({"type":"object","properties":{"city":{"type":"string",)"
                         R"("maxLength":150.0}},"required":["city"]})";
    weather.strict = true;
    expected.tools.push_back(weather);
    api::tool time;
    time.name = "time";
    expected.tools.push_back(time);
    expected.tool_choice.how = api::tool_choice::mode::function;
    expected.tool_choice.name = "weather";
    expected.parallel_tool_calls = false;
    expected.stream = true;
    expected.include_usage = true;
    expected.max_tokens = 100;
    expected.temperature = 0.7;
    expected.top_p = 1.0;
    expected.seed = -42;
    expected.stop = {"\n\n", "END"};
    expected.response_format.type = api::response_format::kind::json_schema;
    expected.response_format.name = "answer";
    expected.response_format.schema = R"({"type":"object"})";
    expected.response_format.strict = true;
    expected.reasoning_effort = "low";
    expected.user = "user-7";
    assert_same(req, expected);
}

void smallest_request(void**) {
    api::request req = to_pivot(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
    api::request expected;
    expected.model = "m";
    expected.messages.push_back(message(api::role::user, {text_part("hi")}));
    assert_same(req, expected);
}

void nulls_are_not_given(void**) {
    api::request req = to_pivot(R"({"model":"m","messages":[
        {"role":"user","content":"hi","name":null},
        {"role":"assistant","content":null,"tool_calls":null,"reasoning_content":null}],
      "tools":null,"tool_choice":null,"parallel_tool_calls":null,"stream":null,
      "stream_options":null,"max_tokens":null,"max_completion_tokens":null,"temperature":null,
      "top_p":null,"seed":null,"stop":null,"response_format":null,"reasoning_effort":null,
      "user":null,"n":null,"functions":null,"function_call":null})");
    api::request expected;
    expected.model = "m";
    expected.messages.push_back(message(api::role::user, {text_part("hi")}));
    expected.messages.push_back(message(api::role::assistant, {}));
    assert_same(req, expected);
}

void max_tokens_names(void**) {
    const std::string head = R"({"model":"m","messages":[{"role":"user","content":"x"}],)";
    assert_true(to_pivot(head + R"("max_tokens":5})").max_tokens == 5);
    assert_true(to_pivot(head + R"("max_completion_tokens":6})").max_tokens == 6);
    // Both: the newer name wins, whatever the order.
    assert_true(to_pivot(head + R"("max_completion_tokens":6,"max_tokens":5})").max_tokens == 6);
    assert_true(to_pivot(head + R"("max_tokens":5,"max_completion_tokens":6})").max_tokens == 6);
    assert_false(to_pivot(head + R"("max_tokens":null})").max_tokens.has_value());
}

void stop_forms(void**) {
    const std::string head = R"({"model":"m","messages":[{"role":"user","content":"x"}],)";
    assert_true(to_pivot(head + R"("stop":"END"})").stop == std::vector<std::string>{"END"});
    assert_true(to_pivot(head + R"("stop":[]})").stop.empty());
    assert_true((to_pivot(head + R"("stop":["a","b"]})").stop ==
                 std::vector<std::string>{"a", "b"}));
}

void tool_choice_forms(void**) {
    const std::string head = R"({"model":"m","messages":[{"role":"user","content":"x"}],)";
    using mode = api::tool_choice::mode;
    assert_true(to_pivot(head + R"("tool_choice":"none"})").tool_choice.how == mode::none);
    assert_true(to_pivot(head + R"("tool_choice":"auto"})").tool_choice.how == mode::automatic);
    assert_true(to_pivot(head + R"("tool_choice":"required"})").tool_choice.how ==
                mode::required);
    api::tool_choice f =
        to_pivot(head + R"("tool_choice":{"type":"function","function":{"name":"f"}}})")
            .tool_choice;
    assert_true(f.how == mode::function);
    assert_sv_equal(f.name, "f");
}

void response_format_forms(void**) {
    const std::string head = R"({"model":"m","messages":[{"role":"user","content":"x"}],)";
    using kind = api::response_format::kind;
    assert_true(to_pivot(head + R"("response_format":{"type":"text"}})").response_format.type ==
                kind::text);
    assert_true(to_pivot(head + R"("response_format":{"type":"json_object"}})")
                    .response_format.type == kind::json_object);
    api::response_format js = to_pivot(head + R"("response_format":{"type":"json_schema",)"
                                              R"("json_schema":{"name":"n"}}})")
                                  .response_format;
    assert_true(js.type == kind::json_schema);
    assert_sv_equal(js.name, "n");
    assert_sv_equal(js.schema, "");
    assert_false(js.strict);
}

void include_usage_only_on_a_stream(void**) {
    const std::string head = R"({"model":"m","messages":[{"role":"user","content":"x"}],)";
    api::request r = to_pivot(head + R"("stream":true,"stream_options":{"include_usage":true}})");
    assert_true(r.stream);
    assert_true(r.include_usage);
    r = to_pivot(head + R"("stream":true})");
    assert_true(r.stream);
    assert_false(r.include_usage);
    r = to_pivot(head + R"("stream_options":{"include_usage":true}})");
    assert_false(r.stream);
    assert_false(r.include_usage);
}

void assistant_text_parts(void**) {
    // An assistant's earlier refusal (as a part or a member) is not carried; its text is.
    api::request r = to_pivot(R"({"model":"m","messages":[{"role":"assistant","refusal":"no",)"
                              R"("content":[{"type":"text","text":"a"},)"
                              R"({"type":"refusal","refusal":"no"}]}]})");
    assert_same(r, [] {
        api::request e;
        e.model = "m";
        e.messages.push_back(message(api::role::assistant, {text_part("a")}));
        return e;
    }());
}

void duplicate_members_last_wins(void**) {
    api::request r = to_pivot(R"({"model":"a","model":"b","messages":[{"role":"user","content":"x"}],)"
                              R"("temperature":1,"temperature":0.5})");
    assert_sv_equal(r.model, "b");
    assert_true(r.temperature == 0.5);
}

void unknown_members_ignored(void**) {
    api::request r = to_pivot(R"({"x":{"deep":[1,2,{"y":null}]},"model":"m","audio":{"voice":"a"},)"
                              R"("messages":[{"role":"user","content":"x","extra":1}],)"
                              R"("metadata":{"k":"v"},"logprobs":true,"top_logprobs":2})");
    assert_sv_equal(r.model, "m");
    assert_int_equal(r.messages.size(), 1);
}

// ---- writing ----

void exact_bytes_smallest(void**) {
    api::request req;
    req.model = "gpt-4o-mini";
    req.messages.push_back(message(api::role::user, {text_part("Hello!")}));
    assert_sv_equal(openai_chat_request_from_pivot(req),
                    R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]})");
}

void exact_bytes_everything(void**) {
    api::request req;
    req.model = "gpt-4o";
    req.messages.push_back(message(api::role::system, {text_part("Be brief.")}));
    api::message user = message(api::role::user, {text_part("What is \"this\"?"),
                                                  image_part("https://x.test/a.png", "low")});
    user.name = "ann";
    req.messages.push_back(user);
    api::message assistant = message(api::role::assistant, {});
    assistant.reasoning = "Look it up.";
    assistant.tool_calls.push_back({"call_1", "lookup", R"({"q":"this"})"});
    req.messages.push_back(assistant);
    api::message tool = message(api::role::tool, {text_part("a cat")});
    tool.tool_call_id = "call_1";
    req.messages.push_back(tool);
    api::tool lookup;
    lookup.name = "lookup";
    lookup.description = "Search";
    lookup.parameters = R"({"type":"object","properties":{"q":{"type":"string"}}})";
    lookup.strict = true;
    req.tools.push_back(lookup);
    req.tool_choice.how = api::tool_choice::mode::required;
    req.parallel_tool_calls = true;
    req.stream = true;
    req.include_usage = true;
    req.max_tokens = 256;
    req.temperature = 0.2;
    req.top_p = 0.9;
    req.seed = 7;
    req.stop = {"END"};
    req.response_format.type = api::response_format::kind::json_schema;
    req.response_format.name = "out";
    req.response_format.schema = R"({"type":"object"})";
    req.response_format.strict = true;
    req.reasoning_effort = "high";
    req.user = "u1";
    assert_sv_equal(
        openai_chat_request_from_pivot(req),
        R"({"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},)"
        R"({"role":"user","content":[{"type":"text","text":"What is \"this\"?"},)"
        R"({"type":"image_url","image_url":{"url":"https://x.test/a.png","detail":"low"}}],)"
        R"("name":"ann"},)"
        R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",)"
        R"("function":{"name":"lookup","arguments":"{\"q\":\"this\"}"}}],)"
        R"("reasoning_content":"Look it up."},)"
        R"({"role":"tool","content":"a cat","tool_call_id":"call_1"}],)"
        R"("tools":[{"type":"function","function":{"name":"lookup","description":"Search",)"
        R"("parameters":{"type":"object","properties":{"q":{"type":"string"}}},"strict":true}}],)"
        R"("tool_choice":"required","parallel_tool_calls":true,"max_tokens":256,)"
        R"("temperature":0.2,"top_p":0.9,"seed":7,"stop":["END"],)"
        R"("response_format":{"type":"json_schema","json_schema":{"name":"out",)"
        R"("schema":{"type":"object"},"strict":true}},"reasoning_effort":"high","user":"u1",)"
        R"("stream":true,"stream_options":{"include_usage":true}})");
}

void exact_bytes_choices_and_formats(void**) {
    api::request req;
    req.model = "m";
    req.messages.push_back(message(api::role::user, {}));
    req.tool_choice.how = api::tool_choice::mode::function;
    req.tool_choice.name = "f";
    req.response_format.type = api::response_format::kind::json_object;
    req.stream = true;  // without include_usage: no stream_options
    assert_sv_equal(openai_chat_request_from_pivot(req),
                    R"({"model":"m","messages":[{"role":"user","content":[]}],)"
                    R"("tool_choice":{"type":"function","function":{"name":"f"}},)"
                    R"("response_format":{"type":"json_object"},"stream":true})");
    req.tool_choice.how = api::tool_choice::mode::none;
    req.response_format.type = api::response_format::kind::text;
    req.stream = false;
    req.include_usage = true;  // not a stream: nothing to ask
    assert_sv_equal(openai_chat_request_from_pivot(req),
                    R"({"model":"m","messages":[{"role":"user","content":[]}],)"
                    R"("tool_choice":"none","response_format":{"type":"text"}})");
    req.tool_choice.how = api::tool_choice::mode::automatic;
    req.response_format.type = api::response_format::kind::unset;
    req.temperature = std::numeric_limits<double>::quiet_NaN();  // no JSON for it: left out
    assert_sv_equal(openai_chat_request_from_pivot(req),
                    R"({"model":"m","messages":[{"role":"user","content":[]}],"tool_choice":"auto"})");
}

void invalid_utf8_is_replaced(void**) {
    // Another dialect may hand over bytes that are not UTF-8; the body must stay JSON.
    api::request req;
    req.model = "m";
    req.messages.push_back(message(api::role::user, {text_part("a\xff")}));
    assert_sv_equal(openai_chat_request_from_pivot(req),
                    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\xef\xbf\xbd\"}]}");
}

// ---- round trips ----

void round_trip_every_field(void**) {
    api::request req = to_pivot(R"({"model":"gpt-4o","messages":[
        {"role":"system","content":"s"},
        {"role":"user","name":"n","content":[{"type":"text","text":"a"},{"type":"text","text":"b"},
          {"type":"image_url","image_url":{"url":"https://x.test/i.png","detail":"auto"}}]},
        {"role":"user","content":""},
        {"role":"user","content":[]},
        {"role":"assistant","content":"","reasoning_content":"r",
         "tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":""}}]},
        {"role":"assistant","content":null},
        {"role":"assistant","content":[{"type":"image_url","image_url":{"url":"u"}}]},
        {"role":"tool","tool_call_id":"c","content":"out"}],
      "tools":[{"type":"function","function":{"name":"f","description":"d",
        "parameters":{"a":[1,-2.5,"x",true,null,{}]},"strict":false}}],
      "tool_choice":"auto","parallel_tool_calls":true,"stream":true,
      "stream_options":{"include_usage":true},"max_completion_tokens":9,"temperature":1.5,
      "top_p":0.25,"seed":9007199254740993,"stop":"x","reasoning_effort":"minimal","user":"u",
      "response_format":{"type":"json_schema","json_schema":{"name":"s",
        "schema":{"$defs":{"a":{"type":"string"}}},"strict":true}}})");
    assert_round_trip(req);

    // Each optional left out in turn.
    api::request bare;
    bare.model = "m";
    bare.messages.push_back(message(api::role::user, {text_part("x")}));
    assert_round_trip(bare);
    bare.stream = true;
    assert_round_trip(bare);
    bare.temperature = 0.1;
    bare.top_p = 1e-7;
    bare.seed = INT64_MIN;
    bare.max_tokens = INT64_MAX;
    bare.parallel_tool_calls = false;
    assert_round_trip(bare);
    for (auto how : {api::tool_choice::mode::none, api::tool_choice::mode::required}) {
        bare.tool_choice.how = how;
        assert_round_trip(bare);
    }
    for (auto kind : {api::response_format::kind::text, api::response_format::kind::json_object}) {
        bare.response_format.type = kind;
        assert_round_trip(bare);
    }
}

// ---- refusals ----

struct refusal {
    std::string_view body;
    int status;
    std::string_view code;
    std::string_view param;
};

void check_refusals(const refusal* cases, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const refusal& c = cases[i];
        api::request out;
        out.model = "untouched";
        api_error err;
        bool ok = openai_chat_request_to_pivot(c.body, out, err);
        if (ok || err.code != c.code || err.param != c.param) {
            print_error("case %zu: %.*s\n  gave ok=%d code=%.*s param=%s message=%s\n", i,
                        static_cast<int>(c.body.size()), c.body.data(), ok,
                        static_cast<int>(err.code.size()), err.code.data(), err.param.c_str(),
                        err.message.c_str());
        }
        assert_false(ok);
        assert_int_equal(err.status, c.status);
        assert_sv_equal(err.code, c.code);
        assert_sv_equal(err.param, c.param);
        assert_sv_equal(out.model, "untouched");  // nothing written on failure
    }
}

#define MSGS R"("messages":[{"role":"user","content":"x"}])"

void malformed_and_not_an_object(void**) {
    const refusal cases[] = {
        {"", 400, "invalid_json", ""},
        {"{", 400, "invalid_json", ""},
        {R"({"model":"m",})", 400, "invalid_json", ""},
        {R"({"model":"m"} x)", 400, "invalid_json", ""},
        {"{\"model\":\"\xff\"}", 400, "invalid_json", ""},
        {"[1]", 400, "invalid_json", ""},
        {"\"str\"", 400, "invalid_json", ""},
        {"null", 400, "invalid_json", ""},
    };
    check_refusals(cases, std::size(cases));
    api::request out;
    api_error err;
    assert_false(openai_chat_request_to_pivot("[1]", out, err));
    assert_sv_equal(err.message, aigw::not_an_object_error().message);
}

void wrong_types(void**) {
    const refusal cases[] = {
        {R"({"model":1,)" MSGS "}", 400, "invalid_type", "model"},
        {R"({"model":"m","messages":{}})", 400, "invalid_type", "messages"},
        {R"({"model":"m","messages":["x"]})", 400, "invalid_type", "messages[0]"},
        {R"({"model":"m","messages":[{"role":1,"content":"x"}]})", 400, "invalid_type",
         "messages[0].role"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":5}]})",
         400, "invalid_type", "messages[1].content"},
        {R"({"model":"m","messages":[{"role":"user","content":[1]}]})", 400, "invalid_type",
         "messages[0].content[0]"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":2}]}]})",
         400, "invalid_type", "messages[0].content[0].text"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url",)"
         R"("image_url":{"url":"u","detail":1}}]}]})",
         400, "invalid_type", "messages[0].content[0].image_url.detail"},
        {R"({"model":"m","messages":[{"role":"user","content":"x","name":[]}]})", 400,
         "invalid_type", "messages[0].name"},
        {R"({"model":"m","messages":[{"role":"assistant","tool_calls":{}}]})", 400,
         "invalid_type", "messages[0].tool_calls"},
        {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c",)"
         R"("function":{"name":"f","arguments":{}}}]}]})",
         400, "invalid_type", "messages[0].tool_calls[0].function.arguments"},
        {R"({"model":"m","messages":[{"role":"tool","content":"x","tool_call_id":3}]})", 400,
         "invalid_type", "messages[0].tool_call_id"},
        {R"({"model":"m",)" MSGS R"(,"tools":{}})", 400, "invalid_type", "tools"},
        {R"({"model":"m",)" MSGS R"(,"tools":[{"type":"function","function":{"name":"f",)"
         R"("parameters":"{}"}}]})",
         400, "invalid_type", "tools[0].function.parameters"},
        {R"({"model":"m",)" MSGS R"(,"tools":[{"type":"function","function":{"name":"f",)"
         R"("strict":"yes"}}]})",
         400, "invalid_type", "tools[0].function.strict"},
        {R"({"model":"m",)" MSGS R"(,"tool_choice":1})", 400, "invalid_type", "tool_choice"},
        {R"({"model":"m",)" MSGS R"(,"parallel_tool_calls":"no"})", 400, "invalid_type",
         "parallel_tool_calls"},
        {R"({"model":"m",)" MSGS R"(,"stream":"true"})", 400, "invalid_type", "stream"},
        {R"({"model":"m",)" MSGS R"(,"stream_options":[]})", 400, "invalid_type",
         "stream_options"},
        {R"({"model":"m",)" MSGS R"(,"stream_options":{"include_usage":1}})", 400,
         "invalid_type", "stream_options.include_usage"},
        {R"({"model":"m",)" MSGS R"(,"max_tokens":"5"})", 400, "invalid_type", "max_tokens"},
        {R"({"model":"m",)" MSGS R"(,"max_completion_tokens":5.5})", 400, "invalid_type",
         "max_completion_tokens"},
        {R"({"model":"m",)" MSGS R"(,"temperature":"hot"})", 400, "invalid_type",
         "temperature"},
        {R"({"model":"m",)" MSGS R"(,"top_p":[]})", 400, "invalid_type", "top_p"},
        {R"({"model":"m",)" MSGS R"(,"seed":18446744073709551615})", 400, "invalid_type",
         "seed"},
        {R"({"model":"m",)" MSGS R"(,"stop":1})", 400, "invalid_type", "stop"},
        {R"({"model":"m",)" MSGS R"(,"stop":["a",1]})", 400, "invalid_type", "stop[1]"},
        {R"({"model":"m",)" MSGS R"(,"response_format":"json"})", 400, "invalid_type",
         "response_format"},
        {R"({"model":"m",)" MSGS R"(,"response_format":{"type":"json_schema",)"
         R"("json_schema":{"name":"n","schema":[]}}})",
         400, "invalid_type", "response_format.json_schema.schema"},
        {R"({"model":"m",)" MSGS R"(,"reasoning_effort":1})", 400, "invalid_type",
         "reasoning_effort"},
        {R"({"model":"m",)" MSGS R"(,"user":{}})", 400, "invalid_type", "user"},
        {R"({"model":"m",)" MSGS R"(,"n":"2"})", 400, "invalid_type", "n"},
    };
    check_refusals(cases, std::size(cases));

    // OpenAI's words, with the type found.
    api::request out;
    api_error err;
    assert_false(openai_chat_request_to_pivot(
        R"({"model":"m","messages":[{"role":"user","content":5}]})", out, err));
    assert_sv_equal(err.message, "Invalid type for 'messages[0].content': expected one of a "
                                 "string or array of objects, but got an integer instead.");
    assert_false(openai_chat_request_to_pivot(R"({"model":"m",)" MSGS R"(,"max_tokens":1.5})",
                                              out, err));
    assert_sv_equal(err.message, "Invalid type for 'max_tokens': expected an integer, but got "
                                 "a decimal number instead.");
}

void missing_and_invalid_values(void**) {
    const refusal cases[] = {
        {R"({"messages":[]})", 400, "missing_required_parameter", "model"},
        {R"({"model":null,)" MSGS "}", 400, "missing_required_parameter", "model"},
        {R"({"model":"m"})", 400, "missing_required_parameter", "messages"},
        {R"({"model":"m","messages":null})", 400, "missing_required_parameter", "messages"},
        {R"({"model":"m","messages":[]})", 400, "empty_array", "messages"},
        {R"({"model":"m","messages":[{"content":"x"}]})", 400, "missing_required_parameter",
         "messages[0].role"},
        {R"({"model":"m","messages":[{"role":"bot","content":"x"}]})", 400, "invalid_value",
         "messages[0].role"},
        {R"({"model":"m","messages":[{"role":"user"}]})", 400, "missing_required_parameter",
         "messages[0].content"},
        {R"({"model":"m","messages":[{"role":"system","content":null}]})", 400,
         "missing_required_parameter", "messages[0].content"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]})", 400,
         "missing_required_parameter", "messages[0].content[0].type"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]})", 400,
         "invalid_value", "messages[0].content[0].type"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]})", 400,
         "missing_required_parameter", "messages[0].content[0].text"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]})", 400,
         "missing_required_parameter", "messages[0].content[0].image_url"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url",)"
         R"("image_url":{"detail":"low"}}]}]})",
         400, "missing_required_parameter", "messages[0].content[0].image_url.url"},
        {R"({"model":"m","messages":[{"role":"tool","content":"x"}]})", 400,
         "missing_required_parameter", "messages[0].tool_call_id"},
        {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f"}}]}]})",
         400, "missing_required_parameter", "messages[0].tool_calls[0].id"},
        {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c"}]}]})", 400,
         "missing_required_parameter", "messages[0].tool_calls[0].function"},
        {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{}}]}]})",
         400, "missing_required_parameter", "messages[0].tool_calls[0].function.name"},
        {R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"x",)"
         R"("function":{"name":"f"}}]}]})",
         400, "invalid_value", "messages[0].tool_calls[0].type"},
        {R"({"model":"m",)" MSGS R"(,"tools":[{"function":{"name":"f"}}]})", 400,
         "missing_required_parameter", "tools[0].type"},
        {R"({"model":"m",)" MSGS R"(,"tools":[{"type":"retrieval"}]})", 400, "invalid_value",
         "tools[0].type"},
        {R"({"model":"m",)" MSGS R"(,"tools":[{"type":"function"}]})", 400,
         "missing_required_parameter", "tools[0].function"},
        {R"({"model":"m",)" MSGS R"(,"tools":[{"type":"function","function":{"name":"a"}},)"
         R"({"type":"function","function":{"description":"d"}}]})",
         400, "missing_required_parameter", "tools[1].function.name"},
        {R"({"model":"m",)" MSGS R"(,"tool_choice":"any"})", 400, "invalid_value",
         "tool_choice"},
        {R"({"model":"m",)" MSGS R"(,"tool_choice":{"function":{"name":"f"}}})", 400,
         "missing_required_parameter", "tool_choice.type"},
        {R"({"model":"m",)" MSGS R"(,"tool_choice":{"type":"tool"}})", 400, "invalid_value",
         "tool_choice.type"},
        {R"({"model":"m",)" MSGS R"(,"tool_choice":{"type":"function"}})", 400,
         "missing_required_parameter", "tool_choice.function"},
        {R"({"model":"m",)" MSGS R"(,"tool_choice":{"type":"function","function":{}}})", 400,
         "missing_required_parameter", "tool_choice.function.name"},
        {R"({"model":"m",)" MSGS R"(,"response_format":{}})", 400,
         "missing_required_parameter", "response_format.type"},
        {R"({"model":"m",)" MSGS R"(,"response_format":{"type":"yaml"}})", 400,
         "invalid_value", "response_format.type"},
        {R"({"model":"m",)" MSGS R"(,"response_format":{"type":"json_schema"}})", 400,
         "missing_required_parameter", "response_format.json_schema"},
        {R"({"model":"m",)" MSGS R"(,"response_format":{"type":"json_schema","json_schema":{}}})",
         400, "missing_required_parameter", "response_format.json_schema.name"},
    };
    check_refusals(cases, std::size(cases));

    api::request out;
    api_error err;
    std::string long_model = R"({"model":")" + std::string(300, 'm') + R"(",)" MSGS "}";
    assert_false(openai_chat_request_to_pivot(long_model, out, err));
    assert_sv_equal(err.code, "string_above_max_length");
    assert_sv_equal(err.param, "model");
}

void untranslatable(void**) {
    const refusal cases[] = {
        {R"({"model":"m",)" MSGS R"(,"n":2})", 400, "untranslatable_parameter", "n"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"input_audio",)"
         R"("input_audio":{"data":"AAAA","format":"wav"}}]}]})",
         400, "untranslatable_parameter", "messages[0].content[0]"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":[)"
         R"({"type":"text","text":"see"},{"type":"file","file":{"file_id":"f"}}]}]})",
         400, "untranslatable_parameter", "messages[1].content[1]"},
        {R"({"model":"m",)" MSGS R"(,"functions":[{"name":"f"}]})", 400,
         "untranslatable_parameter", "functions"},
        {R"({"model":"m",)" MSGS R"(,"function_call":"auto"})", 400, "untranslatable_parameter",
         "function_call"},
        {R"({"model":"m","messages":[{"role":"function","name":"f","content":"x"}]})", 400,
         "untranslatable_parameter", "messages[0].role"},
        {R"({"model":"m","messages":[{"role":"assistant","function_call":{"name":"f",)"
         R"("arguments":"{}"}}]})",
         400, "untranslatable_parameter", "messages[0].function_call"},
        {R"({"model":"m",)" MSGS R"(,"tools":[{"type":"custom","custom":{"name":"c"}}]})", 400,
         "untranslatable_parameter", "tools[0].type"},
        {R"({"model":"m",)" MSGS R"(,"tool_choice":{"type":"allowed_tools"}})", 400,
         "untranslatable_parameter", "tool_choice.type"},
    };
    check_refusals(cases, std::size(cases));
    api::request out;
    api_error err;
    assert_false(openai_chat_request_to_pivot(R"({"model":"m",)" MSGS R"(,"n":3})", out, err));
    assert_true(err.message.find("cannot be translated") != std::string::npos);
    assert_sv_equal(err.type, "invalid_request_error");
}

void hostile_nesting(void**) {
    // Far deeper than any request: refused as JSON, without recursing.
    std::string deep = R"({"model":"m",)" MSGS R"(,"x":)";
    deep += std::string(100000, '[');
    deep += std::string(100000, ']');
    deep += "}";
    api::request out;
    api_error err;
    assert_false(openai_chat_request_to_pivot(deep, out, err));
    assert_sv_equal(err.code, "invalid_json");

    // Exactly as deep as passthrough accepts: translated, and a deep schema minified whole;
    // one level more is refused by both.
    auto nested = [](int levels) {
        std::string s = R"({"model":"m",)" MSGS
                        R"(,"tools":[{"type":"function","function":{"name":"f","parameters":)";
        std::string inner;
        for (int i = 0; i < levels; ++i) inner += R"({"a":)";
        inner += "1";
        for (int i = 0; i < levels; ++i) inner += "}";
        return std::make_pair(s + inner + "}}]}", inner);
    };
    auto passthrough_ok = [](const std::string& body) {
        std::vector<char> buf(body.size() + aigw::json_padding, ' ');
        std::memcpy(buf.data(), body.data(), body.size());
        return aigw::parse_request(buf.data(), body.size(), buf.size(), true).status ==
               aigw::request_parse_status::ok;
    };
    auto [ok_body, ok_schema] = nested(124);
    assert_true(passthrough_ok(ok_body));
    api::request r = to_pivot(ok_body);
    assert_sv_equal(r.tools[0].parameters, ok_schema);
    assert_round_trip(r);
    std::string over = nested(125).first;
    assert_false(passthrough_ok(over));
    assert_false(openai_chat_request_to_pivot(over, out, err));
    assert_sv_equal(err.code, "invalid_json");
}

void large_request(void**) {
    // Over the kept parser's 1 MiB: parsed by a parser of its own, the same way.
    std::string text(3u << 20, 'x');
    api::request r = to_pivot(R"({"model":"m","messages":[{"role":"user","content":")" + text +
                              R"("}]})");
    assert_int_equal(r.messages[0].content[0].text.size(), text.size());
    // And the kept parser still serves small ones after.
    assert_sv_equal(to_pivot(R"({"model":"m2",)" MSGS "}").model, "m2");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_field),
        cmocka_unit_test(smallest_request),
        cmocka_unit_test(nulls_are_not_given),
        cmocka_unit_test(max_tokens_names),
        cmocka_unit_test(stop_forms),
        cmocka_unit_test(tool_choice_forms),
        cmocka_unit_test(response_format_forms),
        cmocka_unit_test(include_usage_only_on_a_stream),
        cmocka_unit_test(assistant_text_parts),
        cmocka_unit_test(duplicate_members_last_wins),
        cmocka_unit_test(unknown_members_ignored),
        cmocka_unit_test(exact_bytes_smallest),
        cmocka_unit_test(exact_bytes_everything),
        cmocka_unit_test(exact_bytes_choices_and_formats),
        cmocka_unit_test(invalid_utf8_is_replaced),
        cmocka_unit_test(round_trip_every_field),
        cmocka_unit_test(malformed_and_not_an_object),
        cmocka_unit_test(wrong_types),
        cmocka_unit_test(missing_and_invalid_values),
        cmocka_unit_test(untranslatable),
        cmocka_unit_test(hostile_nesting),
        cmocka_unit_test(large_request),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
