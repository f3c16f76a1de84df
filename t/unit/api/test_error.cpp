// The OpenAI error body: shape, escaping, and the status/type/code of every factory.
#include <simdjson.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "aigw/api/error.hpp"
#include "aigw/dialects/openai_chat/error.hpp"

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
using aigw::error_json;

namespace {

// The error object read back from error_json's output with an independent parser.
struct parsed_error {
    std::string message;
    std::string type;
    bool param_null = true;
    std::string param;
    bool code_null = true;
    std::string code;
};

// Reads one member that must be a string, or a string or null when `nullable`.
void read_member(simdjson::dom::element v, bool nullable, bool* is_null, std::string* out) {
    if (v.is_null()) {
        assert_true(nullable);
        *is_null = true;
        return;
    }
    std::string_view s;
    assert_int_equal(v.get_string().get(s), simdjson::SUCCESS);
    *is_null = false;
    out->assign(s.data(), s.size());
}

// Parses `json` and checks it is exactly {"error":{"message","type","param","code"}}, in that
// order, with nothing else at either level.
parsed_error parse_error_body(const std::string& json) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    auto err = parser.parse(json).get(doc);
    if (err) {
        print_error("not JSON (%s): %s\n", simdjson::error_message(err), json.c_str());
    }
    assert_int_equal(err, simdjson::SUCCESS);

    simdjson::dom::object top;
    assert_int_equal(doc.get_object().get(top), simdjson::SUCCESS);
    assert_int_equal(top.size(), 1);
    simdjson::dom::object inner;
    assert_int_equal(top["error"].get_object().get(inner), simdjson::SUCCESS);

    static const char* const keys[] = {"message", "type", "param", "code"};
    parsed_error out;
    std::size_t i = 0;
    for (auto field : inner) {
        assert_true(i < 4);
        assert_sv_equal(field.key, keys[i]);
        bool is_null = false;
        switch (i) {
        case 0:
            read_member(field.value, false, &is_null, &out.message);
            break;
        case 1:
            read_member(field.value, false, &is_null, &out.type);
            break;
        case 2:
            read_member(field.value, true, &out.param_null, &out.param);
            break;
        case 3:
            read_member(field.value, true, &out.code_null, &out.code);
            break;
        }
        ++i;
    }
    assert_int_equal(i, 4);
    return out;
}

// Checks a factory's result and that its JSON carries the same values.
void check_error(const api_error& e, int status, std::string_view type, std::string_view code,
                 std::string_view param = {}) {
    assert_int_equal(e.status, status);
    assert_sv_equal(e.type, type);
    assert_sv_equal(e.code, code);
    assert_sv_equal(e.param, param);
    assert_false(e.message.empty());

    parsed_error p = parse_error_body(error_json(e));
    assert_sv_equal(p.message, e.message);
    assert_sv_equal(p.type, type);
    assert_false(p.code_null);
    assert_sv_equal(p.code, code);
    if (param.empty()) {
        assert_true(p.param_null);
    } else {
        assert_false(p.param_null);
        assert_sv_equal(p.param, param);
    }
}

bool contains(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

api_error custom(std::string message, std::string param = {}, std::string_view code = {}) {
    api_error e;
    e.status = 400;
    e.type = "invalid_request_error";
    e.code = code;
    e.param = std::move(param);
    e.message = std::move(message);
    return e;
}

// ---- shape ----

void shape_with_nulls(void**) {
    api_error e = custom("plain message");
    const std::string json = error_json(e);
    parsed_error p = parse_error_body(json);
    assert_sv_equal(p.message, "plain message");
    assert_sv_equal(p.type, "invalid_request_error");
    assert_true(p.param_null);
    assert_true(p.code_null);
    // Compact output, nothing around the object.
    assert_sv_equal(json,
                    R"({"error":{"message":"plain message","type":"invalid_request_error",)"
                    R"("param":null,"code":null}})");
}

void shape_with_param_and_code(void**) {
    api_error e = custom("m", "messages", "some_code");
    parsed_error p = parse_error_body(error_json(e));
    assert_false(p.param_null);
    assert_sv_equal(p.param, "messages");
    assert_false(p.code_null);
    assert_sv_equal(p.code, "some_code");
}

void empty_message_is_a_string(void**) {
    // message is never null, even when empty.
    parsed_error p = parse_error_body(error_json(custom("")));
    assert_sv_equal(p.message, "");
}

// ---- escaping ----

void escapes_quotes_and_backslashes(void**) {
    const std::string msg = R"(say "hi" \ C:\path\ \"x\" \u0041 /slash/ {"json":[1]})";
    const std::string json = error_json(custom(msg, R"(p"a\r)"));
    parsed_error p = parse_error_body(json);
    assert_sv_equal(p.message, msg);
    assert_sv_equal(p.param, R"(p"a\r)");
    assert_true(contains(json, R"(say \"hi\" \\ C:\\path\\ \\\"x\\\" \\u0041)"));
}

void escapes_control_characters(void**) {
    std::string msg = "a";
    for (int c = 0; c < 0x20; ++c) {
        msg += static_cast<char>(c);
    }
    msg += "\x7f" "z";
    const std::string json = error_json(custom(msg));
    // Not a single raw control character in the output, so it stays one line of JSON.
    for (char c : json) {
        assert_true(static_cast<unsigned char>(c) >= 0x20);
    }
    parsed_error p = parse_error_body(json);
    assert_int_equal(p.message.size(), msg.size());
    assert_memory_equal(p.message.data(), msg.data(), msg.size());
    assert_true(contains(json, "\\n"));
    assert_true(contains(json, "\\t"));
    assert_true(contains(json, "\\r"));
}

void keeps_non_ascii(void**) {
    const std::string msg = "mod\xc3\xa8le \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xef\xbf\xbd end";
    const std::string json = error_json(custom(msg, "\xc3\xa9t\xc3\xa9"));
    parsed_error p = parse_error_body(json);
    assert_sv_equal(p.message, msg);
    assert_sv_equal(p.param, "\xc3\xa9t\xc3\xa9");
    // Written as UTF-8, not mangled.
    assert_true(contains(json, "\xe6\x97\xa5\xe6\x9c\xac"));
}

void invalid_utf8_replaced(void**) {
    // A path quoted from the client can hold any byte; the body must still be valid JSON.
    struct {
        std::string_view in;
        std::string_view out;
    } const cases[] = {
        {"/v1/\xff", "/v1/\xef\xbf\xbd"},
        {"\x80x", "\xef\xbf\xbdx"},
        {"a\xc3", "a\xef\xbf\xbd"},
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xed\xa0\x80!", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!"},
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xe6\x97\xe6\x97\xa5", "\xef\xbf\xbd\xef\xbf\xbd\xe6\x97\xa5"},
        {"ok \xc3\xa8 \xfe", "ok \xc3\xa8 \xef\xbf\xbd"},
    };
    for (const auto& c : cases) {
        api_error e = aigw::unknown_endpoint_error("GET", c.in);
        parsed_error p = parse_error_body(error_json(e));
        std::string expected = "Invalid URL (GET ";
        expected.append(c.out.data(), c.out.size());
        expected += ")";
        assert_sv_equal(p.message, expected);

        // The same in the param field.
        p = parse_error_body(error_json(custom("m", std::string(c.in))));
        assert_sv_equal(p.param, c.out);
    }
}

// ---- factories ----

void invalid_json(void**) {
    api_error e = aigw::invalid_json_error("Unexpected end");
    check_error(e, 400, "invalid_request_error", "invalid_json");
    assert_true(contains(e.message, "(Unexpected end)"));
    assert_true(contains(e.message, "JSON"));

    e = aigw::invalid_json_error("");
    check_error(e, 400, "invalid_request_error", "invalid_json");
    assert_false(contains(e.message, "("));

    e = aigw::not_an_object_error();
    check_error(e, 400, "invalid_request_error", "invalid_json");
    assert_true(contains(e.message, "object"));
}

void missing_model(void**) {
    api_error e = aigw::missing_model_error();
    check_error(e, 400, "invalid_request_error", "missing_required_parameter", "model");
    assert_true(contains(e.message, "model"));
}

void string_too_long(void**) {
    // OpenAI's own wording for a string parameter over its bound; the value is not quoted.
    api_error e = aigw::string_too_long_error("model", 256, 9437184);
    check_error(e, 400, "invalid_request_error", "string_above_max_length", "model");
    assert_sv_equal(e.message,
                    "Invalid 'model': string too long. Expected a string with maximum length "
                    "256, but got a string with length 9437184 instead.");
}

void duplicate_member(void**) {
    api_error e = aigw::duplicate_member_error("model");
    check_error(e, 400, "invalid_request_error", "duplicate_parameter", "model");
    assert_true(contains(e.message, "'model'"));
    e = aigw::duplicate_member_error("stream_options.include_usage");
    check_error(e, 400, "invalid_request_error", "duplicate_parameter",
                "stream_options.include_usage");
}

void request_shape_errors(void**) {
    // OpenAI's own wording for each.
    api_error e = aigw::missing_parameter_error("messages[0].content");
    check_error(e, 400, "invalid_request_error", "missing_required_parameter",
                "messages[0].content");
    assert_sv_equal(e.message, "Missing required parameter: 'messages[0].content'.");

    e = aigw::invalid_value_error("messages[0].role", "bogus", "'system', 'user' and 'tool'");
    check_error(e, 400, "invalid_request_error", "invalid_value", "messages[0].role");
    assert_sv_equal(e.message,
                    "Invalid value: 'bogus'. Supported values are: 'system', 'user' and 'tool'.");

    e = aigw::empty_array_error("messages");
    check_error(e, 400, "invalid_request_error", "empty_array", "messages");
    assert_sv_equal(e.message, "Invalid 'messages': empty array. Expected an array with minimum "
                               "length 1, but got an empty array instead.");
}

void invalid_value_is_cut(void**) {
    // A huge value shows 64 bytes at most, and never half a character.
    std::string value(63, 'a');
    value += "Ã¨";
    value += std::string(1000, 'b');
    api_error e = aigw::invalid_value_error("x", value, "'y'");
    assert_sv_equal(e.message, "Invalid value: '" + std::string(63, 'a') +
                                   "...'. Supported values are: 'y'.");
    parse_error_body(error_json(e));
}

// The quoted part of `message`: what comes between `before` and `after`.
std::string_view quoted(std::string_view message, std::string_view before, std::string_view after) {
    assert_true(message.substr(0, before.size()) == before);
    assert_true(message.size() >= before.size() + after.size());
    assert_true(message.substr(message.size() - after.size()) == after);
    return message.substr(before.size(), message.size() - before.size() - after.size());
}

void client_values_are_clipped(void**) {
    // A path as long as NGINX lets a request line be: 256 bytes of it, then "...".
    const std::string path = "/v1/" + std::string(9996, 'p');
    api_error e = aigw::unknown_endpoint_error("GET", path);
    check_error(e, 404, "invalid_request_error", "unknown_url");
    assert_true(e.message.size() < 400);
    assert_sv_equal(quoted(e.message, "Invalid URL (GET ", ")"), path.substr(0, 256) + "...");
    e = aigw::method_not_allowed_error("DELETE", path);
    check_error(e, 405, "invalid_request_error", "method_not_allowed");
    assert_true(e.message.size() < 400);
    assert_sv_equal(quoted(e.message, "Method DELETE is not allowed for ", "."),
                    path.substr(0, 256) + "...");
    // A method is a short value.
    e = aigw::unknown_endpoint_error(std::string(100, 'M'), "/v1/x");
    assert_sv_equal(e.message, "Invalid URL (" + std::string(64, 'M') + "... /v1/x)");

    // A value of exactly the bound is quoted whole.
    const std::string exact = "/v1/" + std::string(252, 'e');
    assert_sv_equal(aigw::unknown_endpoint_error("GET", exact).message,
                    "Invalid URL (GET " + exact + ")");

    // A character the bound falls in is left out whole: a 2-byte one at bytes 255-256, a
    // 4-byte one at bytes 254-257.
    std::string two = std::string(255, 'a') + "\xc3\xa9" + std::string(100, 'b');
    e = aigw::unknown_endpoint_error("GET", two);
    assert_sv_equal(quoted(e.message, "Invalid URL (GET ", ")"), std::string(255, 'a') + "...");
    std::string four = std::string(254, 'a') + "\xf0\x9f\x98\x80" + std::string(100, 'b');
    e = aigw::unknown_endpoint_error("GET", four);
    assert_sv_equal(quoted(e.message, "Invalid URL (GET ", ")"), std::string(254, 'a') + "...");
    // One that ends at the bound is kept.
    std::string fits = std::string(252, 'a') + "\xf0\x9f\x98\x80" + std::string(100, 'b');
    e = aigw::unknown_endpoint_error("GET", fits);
    assert_sv_equal(quoted(e.message, "Invalid URL (GET ", ")"), fits.substr(0, 256) + "...");
    parse_error_body(error_json(e));

    // Every builder that quotes a model name: a 5,000-byte one (a path's, which nothing
    // bounded before) gives 256 bytes of it.
    const std::string model(5000, 'm');
    const std::string shown = std::string(256, 'm') + "...";
    const api_error quoting_model[] = {
        aigw::model_not_found_error(model),
        aigw::model_not_allowed_error(model),
        aigw::model_price_missing_error(model),
        aigw::model_endpoint_error(model, path),
        aigw::all_channels_failed_error(model, 2, aigw::attempt_failure::status, 503),
        aigw::all_channels_failed_error(model, 1, aigw::attempt_failure::timeout, 0),
    };
    for (const api_error& m : quoting_model) {
        assert_true(m.message.size() < 900);
        assert_true(contains(m.message, shown));
        assert_false(contains(m.message, std::string(257, 'm')));
        parse_error_body(error_json(m));
    }
    e = aigw::model_endpoint_error(model, path);
    assert_true(contains(e.message, " is not served at " + path.substr(0, 256) + "... by"));

    // The other quoted values: paths and ids at 256 bytes, an upstream's reason at 64.
    e = aigw::stored_response_not_found_error(path);
    assert_true(contains(e.message, "for " + path.substr(0, 256) + "...: "));
    e = aigw::video_not_found_error(std::string(1000, 'v'));
    assert_sv_equal(e.message, "Video with id '" + std::string(256, 'v') + "...' not found.");
    e = aigw::content_filter_error(std::string(1000, 'R'));
    assert_true(contains(e.message, "(" + std::string(64, 'R') + "...)"));
    e = aigw::integer_above_max_error("n", 10, std::string(100, '9'));
    assert_true(contains(e.message, "but got " + std::string(64, '9') + "... instead."));
}

void untranslatable(void**) {
    api_error e = aigw::untranslatable_error("n", "Several choices ('n' above 1)");
    check_error(e, 400, "invalid_request_error", "untranslatable_parameter", "n");
    assert_true(e.message.rfind("Several choices ('n' above 1) cannot be translated", 0) == 0);
    // A param that names the client's own member keys is clipped like any client value.
    std::string deep = "tools[0]." + std::string(10000, 'k');
    e = aigw::untranslatable_error(deep, "A tool");
    assert_int_equal(e.param.size(), 256 + 3);
    assert_true(e.param.compare(0, 9, "tools[0].") == 0);
    assert_true(e.param.compare(256, 3, "...") == 0);
}

void invalid_type(void**) {
    api_error e = aigw::invalid_type_error("stream", "a boolean", "a string");
    check_error(e, 400, "invalid_request_error", "invalid_type", "stream");
    assert_sv_equal(e.message,
                    "Invalid type for 'stream': expected a boolean, but got a string instead.");

    e = aigw::invalid_type_error("model", "a string", "an array");
    check_error(e, 400, "invalid_request_error", "invalid_type", "model");
    assert_true(contains(e.message, "'model'"));
    assert_true(contains(e.message, "an array"));
}

void unknown_endpoint(void**) {
    api_error e = aigw::unknown_endpoint_error("POST", "/v1/chat/completion");
    check_error(e, 404, "invalid_request_error", "unknown_url");
    assert_sv_equal(e.message, "Invalid URL (POST /v1/chat/completion)");

    // A hostile path is data, not structure.
    e = aigw::unknown_endpoint_error("GET", "/v1/\"},\"x\":{\"");
    parsed_error p = parse_error_body(error_json(e));
    assert_sv_equal(p.message, "Invalid URL (GET /v1/\"},\"x\":{\")");
}

void method_not_allowed(void**) {
    api_error e = aigw::method_not_allowed_error("GET", "/v1/chat/completions");
    check_error(e, 405, "invalid_request_error", "method_not_allowed");
    assert_true(contains(e.message, "GET"));
    assert_true(contains(e.message, "/v1/chat/completions"));
}

void upstream_errors(void**) {
    check_error(aigw::upstream_unreachable_error(), 502, "api_error", "upstream_unreachable");
    check_error(aigw::upstream_timeout_error(), 504, "api_error", "upstream_timeout");
    check_error(aigw::upstream_interrupted_error(), 502, "api_error", "upstream_interrupted");
}

void upstream_bad_response(void**) {
    // A client error from upstream keeps its status; everything else is a bad gateway.
    for (int status : {400, 401, 403, 404, 413, 422, 429, 499}) {
        api_error e = aigw::upstream_bad_response_error(status);
        check_error(e, status, "invalid_request_error", "upstream_error");
        assert_true(contains(e.message, std::to_string(status)));
    }
    for (int status : {500, 502, 503, 504, 599, 200, 302, 399, 600, 0, -1}) {
        api_error e = aigw::upstream_bad_response_error(status);
        check_error(e, 502, "api_error", "upstream_error");
        assert_true(contains(e.message, std::to_string(status)));
    }
}

void model_not_found(void**) {
    api_error e = aigw::model_not_found_error("gpt-5x");
    check_error(e, 404, "invalid_request_error", "model_not_found");
    assert_sv_equal(e.message, "The model `gpt-5x` does not exist or you do not have access to it.");
    assert_true(e.param.empty());  // OpenAI sends param null for this one
}

void all_channels_failed(void**) {
    using aigw::attempt_failure;
    api_error e = aigw::all_channels_failed_error("m", 3, attempt_failure::status, 503);
    check_error(e, 503, "api_error", "all_channels_failed");
    assert_sv_equal(e.message, "All 3 upstream channels tried for model `m` failed; the last answered HTTP 503.");
    e = aigw::all_channels_failed_error("m", 1, attempt_failure::timeout, 0);
    check_error(e, 504, "api_error", "all_channels_failed");
    assert_sv_equal(e.message, "The upstream channel tried for model `m` failed; the last did not respond in time.");
    e = aigw::all_channels_failed_error("m", 2, attempt_failure::unreachable, 0);
    check_error(e, 502, "api_error", "all_channels_failed");
    assert_true(contains(e.message, "could not be reached"));
    e = aigw::all_channels_failed_error("m", 2, attempt_failure::status, 429);
    check_error(e, 429, "rate_limit_error", "rate_limit_exceeded");
    for (int status : {500, 502, 520}) {
        check_error(aigw::all_channels_failed_error("m", 2, attempt_failure::status, status), 502,
                    "api_error", "all_channels_failed");
    }
    check_error(aigw::all_channels_failed_error("m", 2, attempt_failure::status, 504), 504,
                "api_error", "all_channels_failed");
    // Anthropic's overloaded status stays, so its clients back off as they do for it.
    check_error(aigw::all_channels_failed_error("m", 2, attempt_failure::status, 529), 529,
                "api_error", "overloaded");
    e = aigw::model_endpoint_error("claude-x", "/v1/embeddings");
    assert_int_equal(e.status, 400);
    assert_sv_equal(e.type, "invalid_request_error");
    assert_sv_equal(e.code, "unsupported_endpoint");
    assert_sv_equal(e.param, "model");
    assert_true(contains(e.message, "`claude-x` is not served at /v1/embeddings"));
}

void for_status_table(void**) {
    struct {
        int status;
        int out;
        const char* type;
        const char* code;
    } const cases[] = {
        {400, 400, "invalid_request_error", "bad_request"},
        {401, 401, "authentication_error", "invalid_api_key"},
        {403, 403, "permission_error", "forbidden"},
        {404, 404, "invalid_request_error", "not_found"},
        {405, 405, "invalid_request_error", "method_not_allowed"},
        {408, 408, "invalid_request_error", "request_timeout"},
        {413, 413, "invalid_request_error", "request_too_large"},
        {414, 414, "invalid_request_error", "uri_too_long"},
        {429, 429, "rate_limit_error", "rate_limit_exceeded"},
        // NGINX's own code for a request head too large, which it answers as 400.
        {494, 400, "invalid_request_error", "request_header_too_large"},
        {500, 500, "api_error", "internal_error"},
        // NGINX's answer to a Transfer-Encoding other than chunked.
        {501, 501, "invalid_request_error", "not_implemented"},
        {502, 502, "api_error", "upstream_unreachable"},
        {503, 503, "api_error", "service_unavailable"},
        {504, 504, "api_error", "upstream_timeout"},
        // Statuses without an entry of their own.
        {418, 418, "invalid_request_error", "bad_request"},
        {499, 499, "invalid_request_error", "bad_request"},
        // NGINX's answer to an HTTP version it does not speak.
        {505, 505, "invalid_request_error", "http_version_not_supported"},
        {599, 599, "api_error", "internal_error"},
        // Not an error status at all: still an error body, as a 500.
        {200, 500, "api_error", "internal_error"},
        {399, 500, "api_error", "internal_error"},
        {600, 500, "api_error", "internal_error"},
        {0, 500, "api_error", "internal_error"},
        {-1, 500, "api_error", "internal_error"},
    };
    for (const auto& c : cases) {
        api_error e = aigw::error_for_status(c.status);
        if (e.status != c.out) print_error("for status %d\n", c.status);
        check_error(e, c.out, c.type, c.code);
    }
    assert_true(contains(aigw::error_for_status(418).message, "418"));
    assert_true(contains(aigw::error_for_status(494).message, "headers"));
    assert_true(contains(aigw::error_for_status(501).message, "Transfer-Encoding"));
}

void every_status_gives_an_error_body(void**) {
    for (int status = 0; status < 700; ++status) {
        api_error e = aigw::error_for_status(status);
        assert_true(e.status >= 400 && e.status <= 599);
        assert_false(e.type.empty());
        assert_false(e.code.empty());
        assert_false(e.message.empty());
        parsed_error p = parse_error_body(error_json(e));
        assert_sv_equal(p.type, e.type);
    }
}

// ---- SSE framing ----

void sse_event_framing(void**) {
    api_error e = aigw::upstream_interrupted_error();
    e.message = "line one\nline two\r\nline three\n\n";  // must not break the frame
    const std::string event = aigw::error_sse_event(e);
    const std::string json = error_json(e);

    const std::string_view head = "event: error\ndata: ";
    assert_true(event.size() == head.size() + json.size() + 2);
    assert_sv_equal(std::string_view(event).substr(0, head.size()), head);
    assert_sv_equal(std::string_view(event).substr(head.size(), json.size()), json);
    assert_sv_equal(std::string_view(event).substr(event.size() - 2), "\n\n");

    // Exactly one event line, one data line, then the blank line that ends the event.
    assert_int_equal(std::count(event.begin(), event.end(), '\n'), 3);
    assert_int_equal(std::count(event.begin(), event.end(), '\r'), 0);

    parsed_error p = parse_error_body(json);
    assert_sv_equal(p.message, e.message);
    assert_sv_equal(p.code, "upstream_interrupted");
}

void sse_event_for_every_factory(void**) {
    const api_error errors[] = {
        aigw::invalid_json_error("x\ny"), aigw::missing_model_error(),
        aigw::unknown_endpoint_error("GET", "/a\nb"), aigw::upstream_timeout_error(),
        aigw::error_for_status(429),
    };
    for (const auto& e : errors) {
        const std::string event = aigw::error_sse_event(e);
        assert_int_equal(std::count(event.begin(), event.end(), '\n'), 3);
        assert_sv_equal(std::string_view(event).substr(0, 19), "event: error\ndata: ");
        std::string json = event.substr(19, event.size() - 21);
        parse_error_body(json);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shape_with_nulls),
        cmocka_unit_test(shape_with_param_and_code),
        cmocka_unit_test(empty_message_is_a_string),
        cmocka_unit_test(escapes_quotes_and_backslashes),
        cmocka_unit_test(escapes_control_characters),
        cmocka_unit_test(keeps_non_ascii),
        cmocka_unit_test(invalid_utf8_replaced),
        cmocka_unit_test(invalid_json),
        cmocka_unit_test(missing_model),
        cmocka_unit_test(invalid_type),
        cmocka_unit_test(unknown_endpoint),
        cmocka_unit_test(method_not_allowed),
        cmocka_unit_test(upstream_errors),
        cmocka_unit_test(upstream_bad_response),
        cmocka_unit_test(model_not_found),
        cmocka_unit_test(all_channels_failed),
        cmocka_unit_test(for_status_table),
        cmocka_unit_test(every_status_gives_an_error_body),
        cmocka_unit_test(sse_event_framing),
        cmocka_unit_test(string_too_long),
        cmocka_unit_test(duplicate_member),
        cmocka_unit_test(request_shape_errors),
        cmocka_unit_test(invalid_value_is_cut),
        cmocka_unit_test(client_values_are_clipped),
        cmocka_unit_test(untranslatable),
        cmocka_unit_test(sse_event_for_every_factory),
    };
    return cmocka_run_group_tests_name("errors", tests, nullptr, nullptr);
}
