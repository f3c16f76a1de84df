// Responses streams to and from pivot events: the encoder's bytes for fixed cases (a text
// answer, text and two parallel calls, reasoning then text, a length cut-off, an error
// mid-stream, a custom tool's call), a stream as OpenAI sends it decoded, and the encoder's
// output decoded back to the same events.
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/openai_responses/translate.hpp"
#include "aigw/text/sse_framer.hpp"

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
#include "stream_decode.hpp"

namespace api = aigw::api;
namespace responses = aigw::responses;
using kind = api::event_kind;

namespace {

api::event ev(kind k, std::string text = {}, std::size_t index = 0) {
    return api::event{k, index, {}, {}, {}, 0, std::move(text), api::finish_reason::none, {}, {}};
}

api::event start() {
    api::event e = ev(kind::start);
    e.id = "chatcmpl-7";  // an OpenAI chat channel's answer
    e.model = "gpt-4o-2024-08-06";
    e.created = 1741290958;
    return e;
}

api::event finish(api::finish_reason f) {
    api::event e = ev(kind::finish);
    e.finish = f;
    return e;
}

// Usage as OpenAI reports it: no cache writes.
api::event tokens(std::int64_t prompt, std::int64_t completion, std::int64_t cached = 0,
                  std::int64_t reasoning = 0) {
    api::event e = ev(kind::usage);
    e.tokens = aigw::usage{prompt, completion, prompt + completion, cached, 0, reasoning, true, false};
    return e;
}

api::event call(std::size_t index, std::string id, std::string name) {
    api::event e = ev(kind::tool_call_start, {}, index);
    e.id = std::move(id);
    e.name = std::move(name);
    return e;
}

api::request plain_request() {
    api::request req;
    req.model = "gpt-4o";
    return req;
}

std::string encode_all(const std::vector<api::event>& events, const api::request& req) {
    auto encoder = responses::make_stream_encoder(req);
    std::string out;
    for (const api::event& e : events) encoder->encode(e, out);
    return out;
}

std::string event(std::string_view type, std::string_view data) {
    std::string s = "event: ";
    s += type;
    s += "\ndata: ";
    s += data;
    s += "\n\n";
    return s;
}

// The response object the encoder writes for plain_request() and start(), as each of its
// lifecycle events says it.
struct response_object {
    std::string_view status = "in_progress";
    std::string_view output = "[]";
    std::string_view usage = "null";
    std::string_view error = "null";
    std::string_view incomplete = "null";

    std::string json() const {
        std::string s = R"({"id":"resp_chatcmpl-7","object":"response","created_at":1741290958,"status":")";
        s += status;
        s += R"(","background":false,"error":)";
        s += error;
        s += R"(,"incomplete_details":)";
        s += incomplete;
        s += R"(,"instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":"gpt-4o-2024-08-06","output":)";
        s += output;
        s += R"(,"parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,)"
             R"("reasoning":{"effort":null,"summary":null},"safety_identifier":null,"service_tier":"default",)"
             R"("store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},)"
             R"("tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":)";
        s += usage;
        s += R"(,"user":null,"metadata":{}})";
        return s;
    }
};

std::string lifecycle(std::string_view type, int sequence, const response_object& r) {
    std::string data = R"({"type":")";
    data += type;
    data += R"(","sequence_number":)";
    data += std::to_string(sequence);
    data += R"(,"response":)";
    data += r.json();
    data += '}';
    return event(type, data);
}

std::string opening() {
    return lifecycle("response.created", 0, {}) + lifecycle("response.in_progress", 1, {});
}

// A text answer from a chat channel, every byte as the client gets it.
void text_answer(void**) {
    std::string out = encode_all({start(), ev(kind::text_delta, "Hi"), ev(kind::text_delta, " there."),
                                  finish(api::finish_reason::stop), tokens(12, 3), ev(kind::done)},
                                 plain_request());
    assert_sv_equal(
        out,
        "event: response.created\n"
        R"(data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_chatcmpl-7","object":"response","created_at":1741290958,"status":"in_progress","background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":"gpt-4o-2024-08-06","output":[],"parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},"safety_identifier":null,"service_tier":"default","store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}})" "\n\n"
        "event: response.in_progress\n"
        R"(data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_chatcmpl-7","object":"response","created_at":1741290958,"status":"in_progress","background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":"gpt-4o-2024-08-06","output":[],"parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},"safety_identifier":null,"service_tier":"default","store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}})" "\n\n"
        "event: response.output_item.added\n"
        R"(data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_chatcmpl-7_0","type":"message","status":"in_progress","content":[],"role":"assistant"}})" "\n\n"
        "event: response.content_part.added\n"
        R"(data: {"type":"response.content_part.added","sequence_number":3,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}})" "\n\n"
        "event: response.output_text.delta\n"
        R"(data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"delta":"Hi","logprobs":[]})" "\n\n"
        "event: response.output_text.delta\n"
        R"(data: {"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"delta":" there.","logprobs":[]})" "\n\n"
        "event: response.output_text.done\n"
        R"(data: {"type":"response.output_text.done","sequence_number":6,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"text":"Hi there.","logprobs":[]})" "\n\n"
        "event: response.content_part.done\n"
        R"(data: {"type":"response.content_part.done","sequence_number":7,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi there."}})" "\n\n"
        "event: response.output_item.done\n"
        R"(data: {"type":"response.output_item.done","sequence_number":8,"output_index":0,"item":{"id":"msg_chatcmpl-7_0","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi there."}],"role":"assistant"}})" "\n\n"
        "event: response.completed\n"
        R"(data: {"type":"response.completed","sequence_number":9,"response":{"id":"resp_chatcmpl-7","object":"response","created_at":1741290958,"status":"completed","background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":"gpt-4o-2024-08-06","output":[{"id":"msg_chatcmpl-7_0","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hi there."}],"role":"assistant"}],"parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},"safety_identifier":null,"service_tier":"default","store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":0},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":15},"user":null,"metadata":{}}})" "\n\n");
    // The helper below writes the same object.
    assert_true(out.rfind(opening(), 0) == 0);
}

const std::vector<api::event> text_and_calls = {
    start(),
    ev(kind::text_delta, "Checking."),
    call(0, "call_a", "get_weather"),
    ev(kind::tool_call_delta, "{\"city\":", 0),
    ev(kind::tool_call_delta, "\"Paris\"}", 0),
    call(1, "call_b", "get_time"),
    ev(kind::tool_call_delta, "{}", 1),
    finish(api::finish_reason::tool_calls),
    tokens(50, 20, 10),
    ev(kind::done),
};

// Each call is its own item with its own output index, done before the next is added.
void text_and_parallel_calls(void**) {
    const std::string message =
        R"({"id":"msg_chatcmpl-7_0","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Checking."}],"role":"assistant"})";
    const std::string weather =
        R"({"id":"fc_chatcmpl-7_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_a","name":"get_weather"})";
    const std::string time =
        R"({"id":"fc_chatcmpl-7_2","type":"function_call","status":"completed","arguments":"{}","call_id":"call_b","name":"get_time"})";
    response_object done;
    done.status = "completed";
    std::string output = "[" + message + "," + weather + "," + time + "]";
    done.output = output;
    done.usage = R"({"input_tokens":50,"input_tokens_details":{"cached_tokens":10},"output_tokens":20,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":70})";
    assert_sv_equal(
        encode_all(text_and_calls, plain_request()),
        opening() +
        event("response.output_item.added", R"({"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_chatcmpl-7_0","type":"message","status":"in_progress","content":[],"role":"assistant"}})") +
        event("response.content_part.added", R"({"type":"response.content_part.added","sequence_number":3,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}})") +
        event("response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"delta":"Checking.","logprobs":[]})") +
        event("response.output_text.done", R"({"type":"response.output_text.done","sequence_number":5,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"text":"Checking.","logprobs":[]})") +
        event("response.content_part.done", R"({"type":"response.content_part.done","sequence_number":6,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"Checking."}})") +
        event("response.output_item.done", R"({"type":"response.output_item.done","sequence_number":7,"output_index":0,"item":)" + message + "}") +
        event("response.output_item.added", R"({"type":"response.output_item.added","sequence_number":8,"output_index":1,"item":{"id":"fc_chatcmpl-7_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_a","name":"get_weather"}})") +
        event("response.function_call_arguments.delta", R"({"type":"response.function_call_arguments.delta","sequence_number":9,"item_id":"fc_chatcmpl-7_1","output_index":1,"delta":"{\"city\":"})") +
        event("response.function_call_arguments.delta", R"({"type":"response.function_call_arguments.delta","sequence_number":10,"item_id":"fc_chatcmpl-7_1","output_index":1,"delta":"\"Paris\"}"})") +
        event("response.function_call_arguments.done", R"({"type":"response.function_call_arguments.done","sequence_number":11,"item_id":"fc_chatcmpl-7_1","output_index":1,"name":"get_weather","arguments":"{\"city\":\"Paris\"}"})") +
        event("response.output_item.done", R"({"type":"response.output_item.done","sequence_number":12,"output_index":1,"item":)" + weather + "}") +
        event("response.output_item.added", R"({"type":"response.output_item.added","sequence_number":13,"output_index":2,"item":{"id":"fc_chatcmpl-7_2","type":"function_call","status":"in_progress","arguments":"","call_id":"call_b","name":"get_time"}})") +
        event("response.function_call_arguments.delta", R"({"type":"response.function_call_arguments.delta","sequence_number":14,"item_id":"fc_chatcmpl-7_2","output_index":2,"delta":"{}"})") +
        event("response.function_call_arguments.done", R"({"type":"response.function_call_arguments.done","sequence_number":15,"item_id":"fc_chatcmpl-7_2","output_index":2,"name":"get_time","arguments":"{}"})") +
        event("response.output_item.done", R"({"type":"response.output_item.done","sequence_number":16,"output_index":2,"item":)" + time + "}") +
        lifecycle("response.completed", 17, done));
}

// Reasoning is a reasoning item with one summary part, before the message.
void reasoning_then_text(void**) {
    const std::string reasoning =
        R"({"id":"rs_chatcmpl-7_0","type":"reasoning","summary":[{"type":"summary_text","text":"The user greets. Reply briefly."}]})";
    const std::string message =
        R"({"id":"msg_chatcmpl-7_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Hello!"}],"role":"assistant"})";
    response_object done;
    done.status = "completed";
    std::string output = "[" + reasoning + "," + message + "]";
    done.output = output;
    done.usage = R"({"input_tokens":8,"input_tokens_details":{"cached_tokens":0},"output_tokens":30,"output_tokens_details":{"reasoning_tokens":24},"total_tokens":38})";
    assert_sv_equal(
        encode_all({start(), ev(kind::reasoning_delta, "The user greets."),
                    ev(kind::reasoning_delta, " Reply briefly."), ev(kind::text_delta, "Hello!"),
                    finish(api::finish_reason::stop), tokens(8, 30, 0, 24), ev(kind::done)},
                   plain_request()),
        opening() +
        event("response.output_item.added", R"({"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"rs_chatcmpl-7_0","type":"reasoning","summary":[]}})") +
        event("response.reasoning_summary_part.added", R"({"type":"response.reasoning_summary_part.added","sequence_number":3,"item_id":"rs_chatcmpl-7_0","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}})") +
        event("response.reasoning_summary_text.delta", R"({"type":"response.reasoning_summary_text.delta","sequence_number":4,"item_id":"rs_chatcmpl-7_0","output_index":0,"summary_index":0,"delta":"The user greets."})") +
        event("response.reasoning_summary_text.delta", R"({"type":"response.reasoning_summary_text.delta","sequence_number":5,"item_id":"rs_chatcmpl-7_0","output_index":0,"summary_index":0,"delta":" Reply briefly."})") +
        event("response.reasoning_summary_text.done", R"({"type":"response.reasoning_summary_text.done","sequence_number":6,"item_id":"rs_chatcmpl-7_0","output_index":0,"summary_index":0,"text":"The user greets. Reply briefly."})") +
        event("response.reasoning_summary_part.done", R"({"type":"response.reasoning_summary_part.done","sequence_number":7,"item_id":"rs_chatcmpl-7_0","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":"The user greets. Reply briefly."}})") +
        event("response.output_item.done", R"({"type":"response.output_item.done","sequence_number":8,"output_index":0,"item":)" + reasoning + "}") +
        event("response.output_item.added", R"({"type":"response.output_item.added","sequence_number":9,"output_index":1,"item":{"id":"msg_chatcmpl-7_1","type":"message","status":"in_progress","content":[],"role":"assistant"}})") +
        event("response.content_part.added", R"({"type":"response.content_part.added","sequence_number":10,"item_id":"msg_chatcmpl-7_1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}})") +
        event("response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":11,"item_id":"msg_chatcmpl-7_1","output_index":1,"content_index":0,"delta":"Hello!","logprobs":[]})") +
        event("response.output_text.done", R"({"type":"response.output_text.done","sequence_number":12,"item_id":"msg_chatcmpl-7_1","output_index":1,"content_index":0,"text":"Hello!","logprobs":[]})") +
        event("response.content_part.done", R"({"type":"response.content_part.done","sequence_number":13,"item_id":"msg_chatcmpl-7_1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"Hello!"}})") +
        event("response.output_item.done", R"({"type":"response.output_item.done","sequence_number":14,"output_index":1,"item":)" + message + "}") +
        lifecycle("response.completed", 15, done));
}

// A length finish: response.incomplete, and the item cut short is incomplete too.
void length_cut_off(void**) {
    const std::string message =
        R"({"id":"msg_chatcmpl-7_0","type":"message","status":"incomplete","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Once upon a"}],"role":"assistant"})";
    response_object cut;
    cut.status = "incomplete";
    cut.incomplete = R"({"reason":"max_output_tokens"})";
    std::string output = "[" + message + "]";
    cut.output = output;
    cut.usage = R"({"input_tokens":9,"input_tokens_details":{"cached_tokens":0},"output_tokens":16,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":25})";
    assert_sv_equal(
        encode_all({start(), ev(kind::text_delta, "Once upon a"), finish(api::finish_reason::length),
                    tokens(9, 16), ev(kind::done)},
                   plain_request()),
        opening() +
        event("response.output_item.added", R"({"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_chatcmpl-7_0","type":"message","status":"in_progress","content":[],"role":"assistant"}})") +
        event("response.content_part.added", R"({"type":"response.content_part.added","sequence_number":3,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}})") +
        event("response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"delta":"Once upon a","logprobs":[]})") +
        event("response.output_text.done", R"({"type":"response.output_text.done","sequence_number":5,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"text":"Once upon a","logprobs":[]})") +
        event("response.content_part.done", R"({"type":"response.content_part.done","sequence_number":6,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"Once upon a"}})") +
        event("response.output_item.done", R"({"type":"response.output_item.done","sequence_number":7,"output_index":0,"item":)" + message + "}") +
        lifecycle("response.incomplete", 8, cut));
}

// The SDKs raise the error event; Codex reads response.failed. Nothing follows.
void error_mid_stream(void**) {
    api::event error = ev(kind::error);
    error.error.status = 503;
    error.error.type = "api_error";
    error.error.message = "The upstream model provider is overloaded.";
    response_object failed;
    failed.status = "failed";
    failed.error = R"({"code":"server_is_overloaded","message":"The upstream model provider is overloaded."})";
    failed.output = R"([{"id":"msg_chatcmpl-7_0","type":"message","status":"incomplete","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Partial"}],"role":"assistant"}])";
    assert_sv_equal(
        encode_all({start(), ev(kind::text_delta, "Partial"), error, ev(kind::text_delta, "more"), ev(kind::done)},
                   plain_request()),
        opening() +
        event("response.output_item.added", R"({"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_chatcmpl-7_0","type":"message","status":"in_progress","content":[],"role":"assistant"}})") +
        event("response.content_part.added", R"({"type":"response.content_part.added","sequence_number":3,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}})") +
        event("response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":0,"delta":"Partial","logprobs":[]})") +
        event("error", R"({"type":"error","code":null,"message":"The upstream model provider is overloaded.","param":null,"sequence_number":5,"error":{"message":"The upstream model provider is overloaded.","type":"api_error","param":null,"code":null}})") +
        lifecycle("response.failed", 6, failed));
    // Before anything: the opening, then the failure.
    error.error.status = 429;
    error.error.code = "rate_limit_exceeded";
    error.error.message = "Rate limit reached. Please try again in 2s.";
    std::string out = encode_all({error}, plain_request());
    assert_true(out.find(R"("sequence_number":2,"error":{)") != std::string::npos);
    assert_true(out.find(R"("error":{"code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 2s."})") !=
                std::string::npos);
    assert_true(out.find("event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":3,") !=
                std::string::npos);
}

// A custom tool's call goes back as custom_tool_call, its input said whole once complete.
void custom_tool_call(void**) {
    api::request req = plain_request();
    req.tools.push_back({"apply_patch", "Edit.", std::string(responses::custom_tool_parameters), false});
    std::string out = encode_all({start(), call(0, "call_p", "apply_patch"),
                                  ev(kind::tool_call_delta, "{\"input\":\"*** Begin", 0),
                                  ev(kind::tool_call_delta, " Patch\\n\"}", 0),
                                  finish(api::finish_reason::tool_calls), ev(kind::done)},
                                 req);
    std::string items =
        event("response.output_item.added", R"({"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"ctc_chatcmpl-7_0","type":"custom_tool_call","status":"in_progress","call_id":"call_p","input":"","name":"apply_patch"}})") +
        event("response.custom_tool_call_input.delta", R"({"type":"response.custom_tool_call_input.delta","sequence_number":3,"item_id":"ctc_chatcmpl-7_0","output_index":0,"delta":"*** Begin Patch\n"})") +
        event("response.custom_tool_call_input.done", R"({"type":"response.custom_tool_call_input.done","sequence_number":4,"item_id":"ctc_chatcmpl-7_0","output_index":0,"input":"*** Begin Patch\n"})") +
        event("response.output_item.done", R"({"type":"response.output_item.done","sequence_number":5,"output_index":0,"item":{"id":"ctc_chatcmpl-7_0","type":"custom_tool_call","status":"completed","call_id":"call_p","input":"*** Begin Patch\n","name":"apply_patch"}})");
    assert_true(out.find(items) != std::string::npos);
    assert_true(out.find("event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":6,") !=
                std::string::npos);
}

void encoder_edges(void**) {
    // Nothing but done: an empty, complete response; the model the request's, a new id.
    std::string out = encode_all({ev(kind::done)}, plain_request());
    assert_true(out.rfind("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_", 0) == 0);
    assert_true(out.find(R"("model":"gpt-4o","output":[])") != std::string::npos);
    assert_true(out.find("event: response.output_item") == std::string::npos);
    assert_true(out.find("event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,") !=
                std::string::npos);
    // A refusal after text: the text part done, a second part of the same message; empty
    // deltas are nothing;
    // a second start and anything after done are ignored.
    out = encode_all({start(), ev(kind::text_delta, ""), ev(kind::text_delta, "I"), start(),
                      ev(kind::refusal_delta, "can't."), ev(kind::done), ev(kind::text_delta, "x")},
                     plain_request());
    assert_true(out.find(R"({"type":"response.content_part.added","sequence_number":7,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":1,"part":{"type":"refusal","refusal":""}})") !=
                std::string::npos);
    assert_true(out.find(R"({"type":"response.refusal.delta","sequence_number":8,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":1,"delta":"can't."})") !=
                std::string::npos);
    assert_true(out.find(R"({"type":"response.refusal.done","sequence_number":9,"item_id":"msg_chatcmpl-7_0","output_index":0,"content_index":1,"refusal":"can't."})") !=
                std::string::npos);
    assert_true(out.find(R"("content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"I"},{"type":"refusal","refusal":"can't."}])") !=
                std::string::npos);
    assert_true(out.find(R"("text":"x")") == std::string::npos);
    // A call's piece after the next call started goes to its own item; one that never
    // started has none; a call without an id gets one.
    out = encode_all({start(), call(0, "", "f"), call(1, "call_b", "g"), ev(kind::tool_call_delta, "{}", 0),
                      ev(kind::tool_call_delta, "{}", 9), ev(kind::done)},
                     plain_request());
    assert_true(out.find(R"("call_id":"call_chatcmpl-7_0","name":"f")") != std::string::npos);
    assert_true(out.find(R"({"type":"response.function_call_arguments.delta","sequence_number":6,"item_id":"fc_chatcmpl-7_0","output_index":0,"delta":"{}"})") !=
                std::string::npos);
    assert_true(out.find(R"("output":[{"id":"fc_chatcmpl-7_0","type":"function_call","status":"completed","arguments":"{}")") !=
                std::string::npos);
}

// --- decoding ---

// A stream as OpenAI sends it: reasoning with two summary parts, text, a call, an event the
// decoder does not need, obfuscation padding, usage in response.completed.
const std::string_view openai_stream =
    "event: response.created\n"
    R"(data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_68a1","object":"response","created_at":1755000000,"status":"in_progress","model":"gpt-5-2025-08-07","output":[],"usage":null}})" "\n\n"
    "event: response.in_progress\n"
    R"(data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_68a1","object":"response","created_at":1755000000,"status":"in_progress","model":"gpt-5-2025-08-07","output":[],"usage":null}})" "\n\n"
    "event: response.output_item.added\n"
    R"(data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}})" "\n\n"
    "event: response.reasoning_summary_part.added\n"
    R"(data: {"type":"response.reasoning_summary_part.added","sequence_number":3,"item_id":"rs_1","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}})" "\n\n"
    "event: response.reasoning_summary_text.delta\n"
    R"(data: {"type":"response.reasoning_summary_text.delta","sequence_number":4,"item_id":"rs_1","output_index":0,"summary_index":0,"delta":"**Weather**","obfuscation":"x9Tq"})" "\n\n"
    "event: response.reasoning_summary_text.done\n"
    R"(data: {"type":"response.reasoning_summary_text.done","sequence_number":5,"item_id":"rs_1","output_index":0,"summary_index":0,"text":"**Weather**"})" "\n\n"
    "event: response.reasoning_summary_part.added\n"
    R"(data: {"type":"response.reasoning_summary_part.added","sequence_number":6,"item_id":"rs_1","output_index":0,"summary_index":1,"part":{"type":"summary_text","text":""}})" "\n\n"
    "event: response.reasoning_summary_text.delta\n"
    R"(data: {"type":"response.reasoning_summary_text.delta","sequence_number":7,"item_id":"rs_1","output_index":0,"summary_index":1,"delta":"Use the tool."})" "\n\n"
    "event: response.output_item.done\n"
    R"(data: {"type":"response.output_item.done","sequence_number":8,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"**Weather**"},{"type":"summary_text","text":"Use the tool."}]}})" "\n\n"
    "event: response.output_item.added\n"
    R"(data: {"type":"response.output_item.added","sequence_number":9,"output_index":1,"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],"role":"assistant"}})" "\n\n"
    "event: response.content_part.added\n"
    R"(data: {"type":"response.content_part.added","sequence_number":10,"item_id":"msg_1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}})" "\n\n"
    "event: response.output_text.delta\n"
    R"(data: {"type":"response.output_text.delta","sequence_number":11,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"\u00e9t\u00e9 ","logprobs":[],"obfuscation":"k2"})" "\n\n"
    "event: response.output_text.delta\n"
    R"(data: {"type":"response.output_text.delta","sequence_number":12,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"\"hot\"","logprobs":[]})" "\n\n"
    "event: response.output_text.done\n"
    R"(data: {"type":"response.output_text.done","sequence_number":13,"item_id":"msg_1","output_index":1,"content_index":0,"text":"\u00e9t\u00e9 \"hot\"","logprobs":[]})" "\n\n"
    "event: response.output_item.done\n"
    R"(data: {"type":"response.output_item.done","sequence_number":14,"output_index":1,"item":{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"\u00e9t\u00e9 \"hot\""}],"role":"assistant"}})" "\n\n"
    "event: response.output_item.added\n"
    R"(data: {"type":"response.output_item.added","sequence_number":15,"output_index":2,"item":{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_9","name":"get_weather"}})" "\n\n"
    "event: response.function_call_arguments.delta\n"
    R"(data: {"type":"response.function_call_arguments.delta","sequence_number":16,"item_id":"fc_1","output_index":2,"delta":"{\"city\":","obfuscation":"a"})" "\n\n"
    "event: response.function_call_arguments.delta\n"
    R"(data: {"type":"response.function_call_arguments.delta","sequence_number":17,"item_id":"fc_1","output_index":2,"delta":"\"Paris\"}"})" "\n\n"
    "event: response.function_call_arguments.done\n"
    R"(data: {"type":"response.function_call_arguments.done","sequence_number":18,"item_id":"fc_1","output_index":2,"arguments":"{\"city\":\"Paris\"}"})" "\n\n"
    "event: response.output_item.done\n"
    R"(data: {"type":"response.output_item.done","sequence_number":19,"output_index":2,"item":{"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_9","name":"get_weather"}})" "\n\n"
    "event: response.completed\n"
    R"(data: {"type":"response.completed","sequence_number":20,"response":{"id":"resp_68a1","object":"response","created_at":1755000000,"status":"completed","model":"gpt-5-2025-08-07","output":[],"usage":{"input_tokens":328,"input_tokens_details":{"cached_tokens":128},"output_tokens":52,"output_tokens_details":{"reasoning_tokens":30},"total_tokens":380}}})" "\n\n";

std::vector<api::event> openai_events() {
    std::vector<api::event> out;
    api::event s = ev(kind::start);
    s.id = "resp_68a1";
    s.model = "gpt-5-2025-08-07";
    s.created = 1755000000;
    out.push_back(s);
    out.push_back(ev(kind::reasoning_delta, "**Weather**"));
    out.push_back(ev(kind::reasoning_delta, "\n\n"));
    out.push_back(ev(kind::reasoning_delta, "Use the tool."));
    out.push_back(ev(kind::text_delta, "\xc3\xa9t\xc3\xa9 "));
    out.push_back(ev(kind::text_delta, "\"hot\""));
    out.push_back(call(0, "call_9", "get_weather"));
    out.push_back(ev(kind::tool_call_delta, "{\"city\":", 0));
    out.push_back(ev(kind::tool_call_delta, "\"Paris\"}", 0));
    out.push_back(finish(api::finish_reason::tool_calls));
    out.push_back(tokens(328, 52, 128, 30));
    out.push_back(ev(kind::done));
    return out;
}

std::vector<api::event> decode_stream(std::string_view bytes, std::size_t step) {
    auto decoder = responses::make_stream_decoder();
    return decode_sse(*decoder, bytes, step);
}

void expect_events(const std::vector<api::event>& got, const std::vector<api::event>& expected) {
    std::string d = pivot_diff::diff(got, expected);
    if (!d.empty()) print_error("events differ at %s\n", d.c_str());
    assert_true(d.empty());
}

void openai_stream_decoded(void**) {
    for (std::size_t step : {openai_stream.size(), std::size_t{1}, std::size_t{9}, std::size_t{400}}) {
        expect_events(decode_stream(openai_stream, step), openai_events());
    }
}

void encoded_and_decoded_back(void**) {
    std::vector<api::event> back = decode_stream(encode_all(text_and_calls, plain_request()), 5);
    std::vector<api::event> expected = text_and_calls;
    expected[0].id = "resp_chatcmpl-7";  // the response's id
    expected[8].tokens.total_tokens = 70;
    expect_events(back, expected);

    expected = openai_events();
    back = decode_stream(encode_all(expected, plain_request()), 64);
    // Reasoning comes back whole in one summary part: its pieces as they were sent.
    expect_events(back, expected);
}

void decoder_whole_and_failures(void**) {
    // A server that sends text, arguments and a custom call's input only whole.
    auto decoder = responses::make_stream_decoder();
    std::vector<api::event> events;
    for (std::string_view data : {
             R"({"type":"response.output_item.added","output_index":0,"item":{"id":"m","type":"message","content":[]}})",
             R"({"type":"response.output_text.done","item_id":"m","output_index":0,"content_index":0,"text":"Whole."})",
             R"({"type":"response.output_item.done","output_index":0,"item":{"id":"m","type":"message","content":[{"type":"output_text","text":"Whole."}]}})",
             R"({"type":"response.output_item.added","output_index":1,"item":{"id":"f","type":"function_call","call_id":"c1","name":"f","arguments":"{\"a\":1}"}})",
             R"({"type":"response.function_call_arguments.done","item_id":"f","output_index":1,"arguments":"{\"a\":1}"})",
             R"({"type":"response.output_item.added","output_index":2,"item":{"id":"p","type":"custom_tool_call","call_id":"c2","name":"apply_patch","input":""}})",
             R"({"type":"response.custom_tool_call_input.delta","item_id":"p","output_index":2,"delta":"*** Begin"})",
             R"({"type":"response.output_item.done","output_index":2,"item":{"id":"p","type":"custom_tool_call","call_id":"c2","name":"apply_patch","input":"*** Begin Patch"}})",
             R"({"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"content_filter"}}})",
         }) {
        assert_true(decoder->decode("", data, events));
    }
    std::vector<api::event> expected;
    expected.push_back(ev(kind::text_delta, "Whole."));
    expected.push_back(call(0, "c1", "f"));
    expected.push_back(ev(kind::tool_call_delta, "{\"a\":1}", 0));
    expected.push_back(call(1, "c2", "apply_patch"));
    expected.push_back(ev(kind::tool_call_delta, R"({"input":"*** Begin Patch"})", 1));
    expected.push_back(finish(api::finish_reason::content_filter));
    expected.push_back(ev(kind::done));
    expect_events(events, expected);

    // response.failed: its usage, then its error, with the status its code implies.
    events.clear();
    assert_true(decoder->decode("response.failed",
                                R"({"type":"response.failed","response":{"status":"failed","error":{"code":"rate_limit_exceeded","message":"Slow down."},"usage":{"input_tokens":5,"output_tokens":0}}})",
                                events));
    assert_int_equal(events.size(), 2);
    assert_int_equal(static_cast<int>(events[0].kind), static_cast<int>(kind::usage));
    assert_int_equal(events[0].tokens.prompt_tokens, 5);
    assert_int_equal(static_cast<int>(events[1].kind), static_cast<int>(kind::error));
    assert_int_equal(events[1].error.status, 429);
    assert_sv_equal(events[1].error.code, "rate_limit_exceeded");
    assert_sv_equal(events[1].error.message, "Slow down.");
    // The error event, nested as OpenAI sends it and flat as documented.
    events.clear();
    assert_true(decoder->decode("error", R"({"type":"error","sequence_number":2,"error":{"type":"server_error","code":"server_error","message":"Boom","param":null}})", events));
    assert_true(decoder->decode("error", R"({"type":"error","code":"server_error","message":"Flat","param":null,"sequence_number":3})", events));
    assert_int_equal(events.size(), 2);
    assert_int_equal(events[0].error.status, 500);
    assert_sv_equal(events[0].error.type, "server_error");
    assert_sv_equal(events[0].error.message, "Boom");
    assert_sv_equal(events[1].error.code, "server_error");
    assert_sv_equal(events[1].error.message, "Flat");

    // Not a Responses event: false, nothing written. Unknown types: understood, nothing said.
    events.clear();
    for (std::string_view bad : {"", "{", "[]", "null", "{}", R"({"type":1})",
                                 R"({"type":"response.completed"})",
                                 R"({"type":"response.completed","response":[]})"}) {
        if (decoder->decode("", bad, events)) {
            print_error("decoded: %.*s\n", static_cast<int>(bad.size()), bad.data());
            fail();
        }
    }
    for (std::string_view quiet : {
             R"({"type":"response.web_search_call.searching","output_index":0,"item_id":"ws_1"})",
             R"({"type":"response.content_part.done","item_id":"x","output_index":0,"content_index":0,"part":{}})",
             R"({"type":"keepalive"})",
             R"({"type":"response.function_call_arguments.delta","item_id":"nobody","delta":"{}"})",
         }) {
        assert_true(decoder->decode("", quiet, events));
    }
    assert_int_equal(events.size(), 0);
    // Without a type in the data, the event: line's.
    assert_true(decoder->decode("response.output_text.delta", R"({"item_id":"m2","delta":"x"})", events));
    assert_int_equal(events.size(), 1);
    assert_false(decoder->decode("", R"({"item_id":"m2","delta":"x"})", events));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_answer),
        cmocka_unit_test(text_and_parallel_calls),
        cmocka_unit_test(reasoning_then_text),
        cmocka_unit_test(length_cut_off),
        cmocka_unit_test(error_mid_stream),
        cmocka_unit_test(custom_tool_call),
        cmocka_unit_test(encoder_edges),
        cmocka_unit_test(openai_stream_decoded),
        cmocka_unit_test(encoded_and_decoded_back),
        cmocka_unit_test(decoder_whole_and_failures),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
