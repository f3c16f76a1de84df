// The dialect interface: the registry, provider names, and OpenAI Chat Completions, Anthropic
// Messages, the OpenAI Responses API and Gemini used through it giving the very bytes their own
// functions give (the glue sees only the interface).
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/anthropic/dialect.hpp"
#include "aigw/dialects/anthropic/error.hpp"
#include "aigw/dialects/anthropic/models.hpp"
#include "aigw/dialects/anthropic/usage.hpp"
#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/dialects/gemini/dialect.hpp"
#include "aigw/dialects/gemini/error.hpp"
#include "aigw/dialects/gemini/models.hpp"
#include "aigw/dialects/gemini/translate.hpp"
#include "aigw/dialects/gemini/usage.hpp"
#include "aigw/dialects/openai_chat/dialect.hpp"
#include "aigw/dialects/openai_chat/error.hpp"
#include "aigw/dialects/openai_chat/models.hpp"
#include "aigw/dialects/openai_chat/response.hpp"
#include "aigw/dialects/openai_chat/translate.hpp"
#include "aigw/dialects/openai_chat/usage.hpp"
#include "aigw/dialects/openai_responses/dialect.hpp"
#include "aigw/dialects/openai_responses/error.hpp"
#include "aigw/dialects/openai_responses/translate.hpp"
#include "aigw/dialects/openai_responses/usage.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

#include "assert_sv.hpp"

using aigw::dialect;
using aigw::dialect_id;

namespace {

const dialect& chat() { return aigw::dialect_of(dialect_id::openai_chat); }
const dialect& messages() { return aigw::dialect_of(dialect_id::anthropic); }
const dialect& responses() { return aigw::dialect_of(dialect_id::openai_responses); }
const dialect& gemini() { return aigw::dialect_of(dialect_id::gemini); }

void registry(void**) {
    assert_ptr_equal(&chat(), &aigw::openai_chat_dialect());
    assert_int_equal(static_cast<int>(chat().id()), static_cast<int>(dialect_id::openai_chat));
    assert_sv_equal(chat().name(), "openai_chat");
    assert_ptr_equal(&messages(), &aigw::anthropic_dialect());
    assert_int_equal(static_cast<int>(messages().id()), static_cast<int>(dialect_id::anthropic));
    assert_sv_equal(messages().name(), "anthropic");
    assert_ptr_equal(&responses(), &aigw::responses_dialect());
    assert_int_equal(static_cast<int>(responses().id()),
                     static_cast<int>(dialect_id::openai_responses));
    assert_sv_equal(responses().name(), "openai_responses");
    assert_ptr_equal(&gemini(), &aigw::gemini_dialect());
    assert_int_equal(static_cast<int>(gemini().id()), static_cast<int>(dialect_id::gemini));
    assert_sv_equal(gemini().name(), "gemini");
}

void providers(void**) {
    auto d = aigw::provider_dialect("openai");
    assert_true(d.has_value());
    assert_int_equal(static_cast<int>(*d), static_cast<int>(dialect_id::openai_chat));
    assert_false(aigw::provider_dialect("").has_value());
    assert_false(aigw::provider_dialect("OpenAI").has_value());  // names are exact
    assert_false(aigw::provider_dialect("openai ").has_value());
    assert_false(aigw::provider_dialect("gemini-pro").has_value());
    auto a = aigw::provider_dialect("anthropic");
    assert_true(a.has_value());
    assert_int_equal(static_cast<int>(*a), static_cast<int>(dialect_id::anthropic));
    assert_false(aigw::provider_dialect("claude").has_value());
    auto g = aigw::provider_dialect("gemini");
    assert_true(g.has_value());
    assert_int_equal(static_cast<int>(*g), static_cast<int>(dialect_id::gemini));
    assert_false(aigw::provider_dialect("google").has_value());
    assert_sv_equal(aigw::provider_names(), "openai, anthropic, gemini");
}

void endpoints_name_their_dialect(void**) {
    for (const char* path : {"/v1/chat/completions", "/v1/completions", "/v1/embeddings",
                             "/v1/models", "/v1/models/gpt-4o"}) {
        const aigw::endpoint_info* ep = aigw::find_endpoint(path);
        assert_non_null(ep);
        assert_int_equal(static_cast<int>(ep->dialect), static_cast<int>(dialect_id::openai_chat));
    }
    for (const char* path : {"/v1/messages", "/v1/messages/count_tokens"}) {
        const aigw::endpoint_info* ep = aigw::find_endpoint(path);
        assert_non_null(ep);
        assert_int_equal(static_cast<int>(ep->dialect), static_cast<int>(dialect_id::anthropic));
    }
    for (const char* path : {"/v1beta/models/gemini-2.5-flash:generateContent",
                             "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                             "/v1beta/models/gemini-2.5-flash:countTokens", "/v1beta/models",
                             "/v1beta/models/gemini-2.5-flash"}) {
        const aigw::endpoint_info* ep = aigw::find_endpoint(path);
        assert_non_null(ep);
        assert_int_equal(static_cast<int>(ep->dialect), static_cast<int>(dialect_id::gemini));
    }
}

void read_request(void**) {
    const std::string body = R"({"stream":true,"model":"gpt-4o","max_tokens":7,"n":2})";
    std::vector<char> buf(body.size() + aigw::json_padding, ' ');
    std::memcpy(buf.data(), body.data(), body.size());
    aigw::request_fields f = chat().read_request(buf.data(), body.size(), buf.size(), true);
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(aigw::request_parse_status::ok));
    assert_string_equal(f.model.c_str(), "gpt-4o");
    assert_true(f.stream);
    assert_int_equal(f.max_tokens, 7);
    assert_int_equal(f.choices, 2);
    assert_sv_equal(std::string_view(body).substr(f.model_token_begin,
                                                  f.model_token_end - f.model_token_begin),
                    "\"gpt-4o\"");

    aigw::request_fields bad = chat().read_request(buf.data(), 3, buf.size(), true);
    assert_int_equal(static_cast<int>(bad.status),
                     static_cast<int>(aigw::request_parse_status::invalid_json));
}

void usage_and_rename(void**) {
    const std::string body =
        R"({"id":"c1","object":"chat.completion","model":"up-1","choices":[],)"
        R"("usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})";
    assert_ptr_equal(&chat().usage_reader(), &aigw::openai_usage_parser());
    aigw::usage u = chat().usage_reader().from_response(body);
    assert_true(u.present);
    assert_int_equal(u.prompt_tokens, 3);
    assert_int_equal(u.completion_tokens, 4);

    std::string renamed = chat().rename_response_model(body, "gpt-4o");
    assert_sv_equal(renamed, aigw::rename_response_model(body, "gpt-4o"));
    assert_true(renamed.find(R"("model":"gpt-4o")") != std::string::npos);

    const std::string event = "data: {\"model\":\"up-1\",\"choices\":[]}\n\n";
    assert_sv_equal(chat().rename_event_model(event, "gpt-4o").value(),
                    "data: {\"model\":\"gpt-4o\",\"choices\":[]}\n\n");
    // Nothing to change: no copy of the event, std::nullopt.
    assert_false(chat().rename_event_model(event, "up-1").has_value());
    assert_false(chat().rename_event_model("data: [DONE]\n\n", "gpt-4o").has_value());
    assert_false(messages().rename_event_model(
                     "event: ping\ndata: {\"type\":\"ping\"}\n\n", "pub").has_value());
}

void errors(void**) {
    aigw::api_error e = aigw::model_not_found_error("nope");
    assert_sv_equal(chat().error_body(e), aigw::error_json(e));
    assert_sv_equal(chat().error_event(e), aigw::error_sse_event(e));
    assert_true(chat().error_body(e).rfind("{\"error\":{", 0) == 0);
    assert_true(chat().error_event(e).rfind("event: error\ndata: {\"error\":", 0) == 0);
}

void translation(void**) {
    const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
    aigw::api::request req;
    aigw::api_error err;
    assert_true(chat().request_to_pivot(body, req, err));
    // OpenAI's max_tokens is optional: the default for dialects that require one is not sent.
    assert_sv_equal(chat().request_from_pivot(req, 4096), aigw::openai_chat_request_from_pivot(req));
    assert_sv_equal(chat().request_from_pivot(req, 4096), body);
    assert_sv_equal(chat().chat_path("gpt-4o", true), "/v1/chat/completions");
    assert_false(chat().request_to_pivot("[]", req, err));
    assert_sv_equal(err.code, "invalid_json");

    aigw::api::response resp;
    assert_true(chat().response_to_pivot(R"({"id":"c","created":1,"choices":[]})", resp));
    assert_sv_equal(chat().response_from_pivot(resp), aigw::openai_chat_response_from_pivot(resp));

    auto decoder = chat().stream_decoder();
    auto encoder = chat().stream_encoder(req);
    assert_non_null(decoder.get());
    assert_non_null(encoder.get());
    std::vector<aigw::api::event> events;
    assert_true(decoder->decode("", "[DONE]", events));
    std::string out;
    encoder->encode(events.at(0), out);
    assert_sv_equal(out, "data: [DONE]\n\n");
}

void upstream_errors(void**) {
    // OpenAI's error shape read back, with the HTTP status it came with.
    aigw::api_error e = chat().read_error(
        400, R"({"error":{"message":"Invalid 'temperature'","type":"invalid_request_error","param":"temperature","code":"invalid_value"}})");
    assert_int_equal(e.status, 400);
    assert_sv_equal(e.type, "invalid_request_error");
    assert_sv_equal(e.code, "invalid_value");
    assert_sv_equal(e.param, "temperature");
    assert_sv_equal(e.message, "Invalid 'temperature'");
    // Words OpenAI does not use are said in general terms; the message stays.
    e = chat().read_error(503, R"({"error":{"message":"busy","type":"vendor_busy","code":"x_9"}})");
    assert_int_equal(e.status, 503);
    assert_sv_equal(e.type, "api_error");
    assert_true(e.code.empty());
    assert_sv_equal(e.message, "busy");
    // Not an error body: the gateway's own words for a bad answer.
    aigw::api_error bad = chat().read_error(500, "<html>oops</html>");
    assert_sv_equal(bad.code, aigw::upstream_bad_response_error(500).code);
    assert_sv_equal(chat().read_error(500, R"({"error":"text"})").code, bad.code);

    // Anthropic's, through the interface: 529 stays 529.
    e = messages().read_error(
        529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
    assert_int_equal(e.status, 529);
    assert_sv_equal(e.code, "overloaded_error");
    assert_sv_equal(e.message, "Overloaded");
}

void model_lists(void**) {
    std::vector<std::string> ids = {"a", "b", "c"};
    auto allow = [](std::string_view id) { return id != "b"; };
    // OpenAI's list has no pages: a limit lists every model all the same.
    assert_sv_equal(chat().model_list(ids, allow, 1700000000, "aigw", 1),
                    aigw::model_list_json(ids, allow, 1700000000, "aigw"));
    assert_sv_equal(chat().model_object("a", 1700000000, "aigw"),
                    aigw::model_object_json("a", 1700000000, "aigw"));
    const std::string upstream = R"({"object":"list","data":[{"id":"a"},{"id":"b"}]})";
    auto narrowed = chat().filter_model_list(upstream, allow);
    assert_true(narrowed.has_value());
    assert_sv_equal(*narrowed, R"({"object":"list","data":[{"id":"a"}]})");
    assert_false(chat().filter_model_list("[1,2]", allow).has_value());
}

void anthropic_through_the_interface(void**) {
    const std::string body = R"({"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[]})";
    std::vector<char> buf(body.size() + aigw::json_padding, ' ');
    std::memcpy(buf.data(), body.data(), body.size());
    aigw::request_fields f = messages().read_request(buf.data(), body.size(), buf.size(), true);
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(aigw::request_parse_status::ok));
    assert_sv_equal(f.model, "claude-sonnet-4-5");
    assert_true(f.stream);
    assert_int_equal(f.max_tokens, 64);

    assert_ptr_equal(&messages().usage_reader(), &aigw::anthropic::usage_reader());
    const std::string answer =
        R"({"type":"message","model":"up-1","content":[],"usage":{"input_tokens":3,"output_tokens":4}})";
    assert_int_equal(messages().usage_reader().from_response(answer).total_tokens, 7);
    assert_sv_equal(messages().rename_response_model(answer, "pub"),
                    R"({"type":"message","model":"pub","content":[],"usage":{"input_tokens":3,"output_tokens":4}})");
    assert_sv_equal(messages().rename_event_model(
                        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"up-1\"}}\n\n", "pub").value(),
                    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"pub\"}}\n\n");

    aigw::api_error e = aigw::model_not_found_error("nope");
    assert_sv_equal(messages().error_body(e), aigw::anthropic::error_json(e));
    assert_sv_equal(messages().error_event(e), aigw::anthropic::error_event(e));

    std::vector<std::string> ids = {"a", "b"};
    auto allow = [](std::string_view id) { return id != "b"; };
    assert_sv_equal(messages().model_list(ids, allow, 0, "aigw", 0),
                    aigw::anthropic::model_list_json(ids, allow, 0));
    // A page of one: has_more, as the accepted "c" is left out.
    std::vector<std::string> three = {"a", "b", "c"};
    assert_sv_equal(messages().model_list(three, allow, 0, "aigw", 1),
                    R"({"data":[{"type":"model","id":"a","display_name":"a","created_at":"1970-01-01T00:00:00Z"}],"has_more":true,"first_id":"a","last_id":"a"})");
    assert_true(messages().model_list(three, allow, 0, "aigw", 2).find(R"("has_more":false)") !=
                std::string::npos);
    assert_sv_equal(messages().model_object("a", 0, "aigw"), aigw::anthropic::model_object_json("a", 0));
    assert_true(messages().filter_model_list(R"({"data":[{"id":"a"}]})", allow).has_value());

    aigw::api::request req;
    aigw::api_error err;
    assert_true(messages().request_to_pivot(body, req, err));
    assert_sv_equal(messages().request_from_pivot(req, 4096),
                    R"({"model":"claude-sonnet-4-5","max_tokens":64,"messages":[],"stream":true})");
    // Without the client's max_tokens, the configured default (Anthropic requires one).
    req.max_tokens.reset();
    assert_true(messages().request_from_pivot(req, 8192).find(R"("max_tokens":8192)") !=
                std::string::npos);
    assert_sv_equal(messages().chat_path("claude", true), "/v1/messages");
    aigw::api::response resp;
    assert_true(messages().response_to_pivot(answer, resp));
    assert_true(messages().response_from_pivot(resp).find(R"("model":"up-1")") != std::string::npos);
    assert_non_null(messages().stream_decoder().get());
    assert_non_null(messages().stream_encoder(req).get());
}

// No provider= name of its own: OpenAI channels serve it, and the glue decides which.
void responses_through_the_interface(void**) {
    assert_false(aigw::provider_dialect("openai_responses").has_value());
    assert_false(aigw::provider_dialect("responses").has_value());

    const std::string body = R"({"model":"gpt-5","input":"hi","stream":true,"max_output_tokens":64})";
    std::vector<char> buf(body.size() + aigw::json_padding, ' ');
    std::memcpy(buf.data(), body.data(), body.size());
    aigw::request_fields f = responses().read_request(buf.data(), body.size(), buf.size(), true);
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(aigw::request_parse_status::ok));
    assert_sv_equal(f.model, "gpt-5");
    assert_true(f.stream);
    assert_int_equal(f.max_tokens, 64);

    assert_ptr_equal(&responses().usage_reader(), &aigw::responses::usage_reader());
    const std::string answer =
        R"({"id":"resp_1","object":"response","model":"up-1","output":[],"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}})";
    assert_int_equal(responses().usage_reader().from_response(answer).total_tokens, 7);
    assert_sv_equal(responses().rename_response_model(answer, "pub"),
                    R"({"id":"resp_1","object":"response","model":"pub","output":[],"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}})");
    assert_sv_equal(responses().rename_event_model(
                        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"model\":\"up-1\"}}\n\n", "pub").value(),
                    "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"model\":\"pub\"}}\n\n");

    aigw::api_error e = aigw::model_not_found_error("nope");
    assert_sv_equal(responses().error_body(e), aigw::error_json(e));
    assert_sv_equal(responses().error_event(e), aigw::responses::error_event(e));

    aigw::api::request req;
    aigw::api_error err;
    assert_true(responses().request_to_pivot(body, req, err));
    // max_output_tokens is optional: the default for dialects that require one is not sent.
    assert_sv_equal(responses().request_from_pivot(req, 4096), aigw::responses::request_from_pivot(req));
    assert_sv_equal(responses().request_from_pivot(req, 4096),
                    R"({"model":"gpt-5","input":[{"role":"user","content":"hi"}],"max_output_tokens":64,"store":false,"stream":true})");
    assert_sv_equal(responses().chat_path("gpt-5", false), "/v1/responses");
    aigw::api::response resp;
    assert_true(responses().response_to_pivot(answer, resp));
    assert_sv_equal(responses().response_from_pivot(resp), aigw::responses::response_from_pivot(resp));
    assert_non_null(responses().stream_decoder().get());
    assert_non_null(responses().stream_encoder(req).get());

    // OpenAI's model lists, as Chat Completions' dialect writes them.
    std::vector<std::string> ids = {"a", "b"};
    auto allow = [](std::string_view id) { return id != "b"; };
    assert_sv_equal(responses().model_list(ids, allow, 1700000000, "aigw", 1),
                    chat().model_list(ids, allow, 1700000000, "aigw", 1));
    assert_sv_equal(responses().model_object("a", 1, "aigw"), chat().model_object("a", 1, "aigw"));
    auto narrowed = responses().filter_model_list(R"({"object":"list","data":[{"id":"a"},{"id":"b"}]})", allow);
    assert_true(narrowed.has_value());
    assert_sv_equal(*narrowed, R"({"object":"list","data":[{"id":"a"}]})");
    assert_sv_equal(responses().read_error(500, "<html>").code, chat().read_error(500, "<html>").code);
}

// Gemini through the interface: the body names no model (the glue takes the path's), the chat
// path names the upstream model and the method, a stream asks for alt=sse.
void gemini_through_the_interface(void**) {
    const std::string body =
        R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":64}})";
    std::vector<char> buf(body.size() + aigw::json_padding, ' ');
    std::memcpy(buf.data(), body.data(), body.size());
    aigw::request_fields f = gemini().read_request(buf.data(), body.size(), buf.size(), true);
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(aigw::request_parse_status::ok));
    assert_false(f.has_model);
    assert_int_equal(f.max_tokens, 64);

    assert_sv_equal(gemini().chat_path("gemini-2.5-flash", false),
                    "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_sv_equal(gemini().chat_path("gemini-2.5-flash", true),
                    "/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    assert_sv_equal(gemini().chat_args(true), "alt=sse");
    assert_sv_equal(gemini().chat_args(false), "");
    assert_sv_equal(chat().chat_args(true), "");
    assert_sv_equal(gemini().token_count(42), R"({"totalTokens":42})");
    assert_sv_equal(messages().token_count(42), R"({"input_tokens":42})");
    assert_sv_equal(chat().token_count(42), "");

    aigw::api::request req;
    aigw::api_error err;
    assert_true(gemini().request_to_pivot(body, req, err));
    assert_sv_equal(gemini().request_from_pivot(req, 4096), aigw::gemini::request_from_pivot(req));
    const std::string answer =
        R"({"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"totalTokenCount":4},"modelVersion":"gemini-2.5-flash","responseId":"r1"})";
    aigw::usage u = gemini().usage_reader().from_response(answer);
    assert_int_equal(u.prompt_tokens, 3);
    assert_int_equal(u.completion_tokens, 1);
    assert_true(gemini().rename_response_model(answer, "pub").find(R"("modelVersion":"pub")") !=
                std::string::npos);
    aigw::api::response resp;
    assert_true(gemini().response_to_pivot(answer, resp));
    assert_sv_equal(gemini().response_from_pivot(resp), aigw::gemini::response_from_pivot(resp));
    assert_non_null(gemini().stream_decoder().get());
    assert_non_null(gemini().stream_encoder(req).get());

    aigw::api_error e = aigw::model_not_found_error("nope");
    assert_sv_equal(gemini().error_body(e), aigw::gemini::error_json(e));
    assert_sv_equal(gemini().error_event(e), aigw::gemini::error_event(e));
    std::vector<std::string> ids = {"a", "b"};
    auto allow = [](std::string_view id) { return id != "b"; };
    assert_sv_equal(gemini().model_list(ids, allow, 1700000000, "aigw", 1),
                    aigw::gemini::model_list_json(ids, allow));
    assert_sv_equal(gemini().model_object("a", 1, "aigw"), aigw::gemini::model_object_json("a"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry),
        cmocka_unit_test(providers),
        cmocka_unit_test(endpoints_name_their_dialect),
        cmocka_unit_test(read_request),
        cmocka_unit_test(usage_and_rename),
        cmocka_unit_test(errors),
        cmocka_unit_test(translation),
        cmocka_unit_test(upstream_errors),
        cmocka_unit_test(model_lists),
        cmocka_unit_test(anthropic_through_the_interface),
        cmocka_unit_test(responses_through_the_interface),
        cmocka_unit_test(gemini_through_the_interface),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
