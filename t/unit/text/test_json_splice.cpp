// Splicing request bodies: the model replaced and include_usage added, all else byte-exact.
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "aigw/dialects/openai_chat/request.hpp"
#include "aigw/text/json_splice.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

using aigw::request_fields;
using aigw::rewritten_request;

namespace {

request_fields parse(std::string_view body) {
    std::unique_ptr<char[]> buf(new char[body.size() + aigw::json_padding]());
    if (!body.empty()) std::memcpy(buf.get(), body.data(), body.size());
    return aigw::parse_request(buf.get(), body.size(), body.size() + aigw::json_padding, true);
}

template <typename F>
bool throws_invalid_argument(F&& f) {
    try {
        f();
    } catch (const std::invalid_argument&) {
        return true;
    }
    return false;
}

// The body's model replaced by `model`: exactly `expected`, and it parses back to `model`.
void assert_model_spliced(std::string_view body, std::string_view model,
                          std::string_view expected) {
    request_fields f = parse(body);
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(aigw::request_parse_status::ok));
    std::string out = aigw::splice_model(body, f.model_token_begin, f.model_token_end, model);
    assert_sv_equal(out, expected);
    request_fields g = parse(out);
    assert_int_equal(static_cast<int>(g.status), static_cast<int>(aigw::request_parse_status::ok));
    assert_sv_equal(g.model, model);
    assert_int_equal(g.stream, f.stream);
    // Everything around the token is untouched.
    assert_sv_equal(std::string_view(out).substr(0, f.model_token_begin),
                    body.substr(0, f.model_token_begin));
    assert_sv_equal(std::string_view(out).substr(g.model_token_end),
                    body.substr(f.model_token_end));
}

// include_usage added: exactly `expected`, valid, and whether the client had asked.
void assert_usage(std::string_view body, std::string_view expected, bool client_asked) {
    request_fields f = parse(body);
    assert_int_equal(static_cast<int>(f.status), static_cast<int>(aigw::request_parse_status::ok));
    rewritten_request r = aigw::inject_stream_options_include_usage(body, f);
    assert_sv_equal(r.body, expected);
    assert_int_equal(r.client_asked_usage, client_asked);
    assert_int_equal(r.changed, body != expected);
    request_fields g = parse(r.body);
    assert_int_equal(static_cast<int>(g.status), static_cast<int>(aigw::request_parse_status::ok));
    assert_true(g.has_stream_options);
    // Idempotent: the result asks for usage, so a second pass changes nothing.
    rewritten_request again = aigw::inject_stream_options_include_usage(r.body, g);
    assert_sv_equal(again.body, r.body);
    assert_true(again.client_asked_usage);
    assert_false(again.changed);
}

// ---- json_quote ----

void quote_strings(void**) {
    assert_sv_equal(aigw::json_quote("gpt-4o"), R"("gpt-4o")");
    assert_sv_equal(aigw::json_quote(""), R"("")");
    assert_sv_equal(aigw::json_quote(R"(a"b\c/d)"), R"("a\"b\\c/d")");
    assert_sv_equal(aigw::json_quote("\n\r\t\b\f"), R"("\n\r\t\b\f")");
    assert_sv_equal(aigw::json_quote(std::string("a\0b\x01\x1f\x7f", 6)),
                    R"("a\u0000b\u0001\u001F)" "\x7f\"");
    // UTF-8 stays as it is (JSON allows it raw; the upstream reads it the same).
    assert_sv_equal(aigw::json_quote("mod\xc3\xa8le-\xe6\x97\xa5-\xf0\x9f\x98\x80"),
                    "\"mod\xc3\xa8le-\xe6\x97\xa5-\xf0\x9f\x98\x80\"");
    assert_true(throws_invalid_argument([] { aigw::json_quote("bad\xff"); }));
    assert_true(throws_invalid_argument([] { aigw::json_quote("cut\xe6\x97"); }));
    assert_true(throws_invalid_argument([] { aigw::json_quote("\xed\xa0\x80"); }));  // surrogate
}

// ---- splice_model ----

void model_first_last_middle(void**) {
    assert_model_spliced(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})",
                         "gpt-4o-2024-08-06",
                         R"({"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":"hi"}]})");
    assert_model_spliced(R"({"messages":[],"temperature":0.5,"model":"gpt-4o"})", "o",
                         R"({"messages":[],"temperature":0.5,"model":"o"})");
    assert_model_spliced(R"({"messages":[{"model":"inner"}],"model":"m","stream":true})",
                         "deepseek-chat",
                         R"({"messages":[{"model":"inner"}],"model":"deepseek-chat","stream":true})");
    assert_model_spliced(R"({"model":""})", "x", R"({"model":"x"})");
    assert_model_spliced(R"({"model":"x"})", "", R"({"model":""})");
}

void whitespace_kept(void**) {
    assert_model_spliced(" \n{ \"model\" :\t\"gpt-4o\"\r\n , \"n\" : 1 }\n ", "azure-gpt",
                         " \n{ \"model\" :\t\"azure-gpt\"\r\n , \"n\" : 1 }\n ");
    assert_model_spliced("{\"model\":\"m\"\r\n\t }", "longer-name",
                         "{\"model\":\"longer-name\"\r\n\t }");
}

void escaped_and_unicode_names(void**) {
    // The client's escaped token goes away whole; the new name is written plainly.
    assert_model_spliced(R"({"model":"mod\u00e8le\"\\x","n":1})", "gpt-4o",
                         R"({"model":"gpt-4o","n":1})");
    assert_model_spliced(R"({"model":"a","n":1})", "mod\xc3\xa8le-\xe6\x97\xa5\xf0\x9f\x98\x80",
                         "{\"model\":\"mod\xc3\xa8le-\xe6\x97\xa5\xf0\x9f\x98\x80\",\"n\":1}");
    // Names that need escaping come out escaped, and parse back to the same bytes.
    assert_model_spliced(R"({"model":"a"})", R"(we"ird\name)", R"({"model":"we\"ird\\name"})");
    assert_model_spliced(R"({"model":"a"})", std::string("c\0t\n\x01", 5),
                         R"({"model":"c\u0000t\n\u0001"})");
    // A duplicate model never reaches the splice: the parser refuses it.
    assert_int_equal(static_cast<int>(parse(R"({"model":"first","model":"second"})").status),
                     static_cast<int>(aigw::request_parse_status::duplicate_member));
}

void megabyte_bodies(void**) {
    std::string messages = R"("messages":[)";
    while (messages.size() < (1u << 20)) {
        messages += R"({"role":"user","content":"\"model\":\"x\" \u00e8 )"
                    "\xe6\x97\xa5 \\\\ lorem ipsum dolor sit amet\"},";
    }
    messages += R"({"role":"user","content":"end"}])";

    const std::string at_end = "{" + messages + R"(,"model":"gpt-4o"})";
    assert_model_spliced(at_end, "azure/gpt-4o", "{" + messages + R"(,"model":"azure/gpt-4o"})");
    const std::string at_start = R"({"model":"gpt-4o",)" + messages + "}";
    assert_model_spliced(at_start, "m", R"({"model":"m",)" + messages + "}");
}

void bad_ranges_refused(void**) {
    const std::string body = R"({"model":"gpt-4o"})";
    assert_true(throws_invalid_argument([&] { aigw::splice_model(body, 0, 0, "x"); }));
    assert_true(throws_invalid_argument([&] { aigw::splice_model(body, 9, 9, "x"); }));
    assert_true(throws_invalid_argument([&] { aigw::splice_model(body, 9, 100, "x"); }));
    assert_true(throws_invalid_argument([&] { aigw::splice_model(body, 10, 17, "x"); }));
    assert_true(throws_invalid_argument([&] { aigw::splice_model(body, 17, 9, "x"); }));
    assert_true(throws_invalid_argument([&] { aigw::splice_model(body, 9, 10, "x"); }));
    assert_true(throws_invalid_argument([&] { aigw::splice_model(body, 9, 17, "bad\xff"); }));
    assert_sv_equal(aigw::splice_model(body, 9, 17, "x"), R"({"model":"x"})");
}

// ---- stream_options in parse_request ----

void stream_options_located(void**) {
    std::string_view body = R"({"model":"m","stream_options":{"include_usage":false}})";
    request_fields f = parse(body);
    assert_true(f.has_stream_options);
    assert_int_equal(f.stream_options_begin, body.find("{\"include"));

    body = R"({"model":"m","stream_options" :  null })";
    f = parse(body);
    assert_true(f.has_stream_options);
    assert_int_equal(f.stream_options_begin, body.find("null"));

    // Nested ones are not it; a second one is refused.
    body = R"({"model":"m","stream_options":[2],"x":{"stream_options":{}}})";
    f = parse(body);
    assert_true(f.has_stream_options);
    assert_int_equal(f.stream_options_begin, body.find("[2]"));
    f = parse(R"({"stream_options":1,"model":"m","stream_options":[2]})");
    assert_int_equal(static_cast<int>(f.status),
                     static_cast<int>(aigw::request_parse_status::duplicate_member));

    f = parse(R"({"model":"m","x":{"stream_options":{}}})");
    assert_false(f.has_stream_options);
    // An escaped key is the same key.
    body = R"({"model":"m","stream\u005foptions":{}})";
    f = parse(body);
    assert_true(f.has_stream_options);
    assert_int_equal(f.stream_options_begin, body.size() - 3);
}

// ---- include_usage ----

void usage_added_at_top_level(void**) {
    assert_usage(R"({"model":"m","stream":true})",
                 R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})", false);
    assert_usage("{\"model\":\"m\"\n}\n",
                 "{\"model\":\"m\"\n,\"stream_options\":{\"include_usage\":true}}\n", false);
    assert_usage("  {\"model\" : \"m\" ,\"messages\":[{}] \t}  ",
                 "  {\"model\" : \"m\" ,\"messages\":[{}] \t,"
                 "\"stream_options\":{\"include_usage\":true}}  ",
                 false);
    // Nested stream_options do not count.
    assert_usage(R"({"model":"m","x":{"stream_options":{"include_usage":true}}})",
                 R"({"model":"m","x":{"stream_options":{"include_usage":true}},)"
                 R"("stream_options":{"include_usage":true}})",
                 false);
}

void usage_added_to_empty_object(void**) {
    // Only reachable with model optional, but the splice must still be valid JSON.
    for (std::string_view body : {std::string_view("{}"), std::string_view("{ \n }")}) {
        std::unique_ptr<char[]> buf(new char[body.size() + aigw::json_padding]());
        std::memcpy(buf.get(), body.data(), body.size());
        request_fields f =
            aigw::parse_request(buf.get(), body.size(), body.size() + aigw::json_padding, false);
        rewritten_request r = aigw::inject_stream_options_include_usage(body, f);
        std::string expected(body);
        expected.insert(expected.size() - 1, R"("stream_options":{"include_usage":true})");
        assert_sv_equal(r.body, expected);
        assert_false(r.client_asked_usage);
    }
}

void usage_merged_into_stream_options(void**) {
    assert_usage(R"({"model":"m","stream_options":{}})",
                 R"({"model":"m","stream_options":{"include_usage":true}})", false);
    assert_usage(R"({"model":"m","stream_options":{ }})",
                 R"({"model":"m","stream_options":{ "include_usage":true}})", false);
    assert_usage(R"({"stream_options":{"chunk_size":3},"model":"m"})",
                 R"({"stream_options":{"chunk_size":3,"include_usage":true},"model":"m"})",
                 false);
    assert_usage("{\"stream_options\" : { \"a\" : [1,{\"include_usage\":true}] \n } ,\"model\":\"m\"}",
                 "{\"stream_options\" : { \"a\" : [1,{\"include_usage\":true}] \n "
                 ",\"include_usage\":true} ,\"model\":\"m\"}",
                 false);
    // Strings holding braces and quotes inside stream_options do not confuse the scan.
    assert_usage(R"({"model":"m","stream_options":{"note":"}{\"]\\"}})",
                 R"({"model":"m","stream_options":{"note":"}{\"]\\","include_usage":true}})",
                 false);
}

void usage_already_asked(void**) {
    assert_usage(R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})",
                 R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})", true);
    assert_usage("{\"model\":\"m\",\"stream_options\":{ \"include_usage\" :\ttrue }}",
                 "{\"model\":\"m\",\"stream_options\":{ \"include_usage\" :\ttrue }}", true);
    assert_usage(R"({"model":"m","stream_options":{"include\u005fusage":true}})",
                 R"({"model":"m","stream_options":{"include\u005fusage":true}})", true);
}

void usage_false_or_odd_set_true(void**) {
    assert_usage(R"({"model":"m","stream_options":{"include_usage":false}})",
                 R"({"model":"m","stream_options":{"include_usage":true}})", false);
    assert_usage("{\"model\":\"m\",\"stream_options\":{\"include_usage\" : false ,\"x\":1}}",
                 "{\"model\":\"m\",\"stream_options\":{\"include_usage\" : true ,\"x\":1}}", false);
    assert_usage(R"({"model":"m","stream_options":{"include_usage":null}})",
                 R"({"model":"m","stream_options":{"include_usage":true}})", false);
    assert_usage(R"({"model":"m","stream_options":{"include_usage":"yes","x":2}})",
                 R"({"model":"m","stream_options":{"include_usage":true,"x":2}})", false);
    assert_usage(R"({"model":"m","stream_options":{"include_usage":{"a":[true]}}})",
                 R"({"model":"m","stream_options":{"include_usage":true}})", false);
    assert_usage(R"({"model":"m","stream_options":{"include_usage":1}})",
                 R"({"model":"m","stream_options":{"include_usage":true}})", false);
    // Duplicates never reach the splice: the parser refuses them.
    assert_int_equal(
        static_cast<int>(
            parse(R"({"model":"m","stream_options":{"include_usage":true,"include_usage":false}})")
                .status),
        static_cast<int>(aigw::request_parse_status::duplicate_member));
}

void stream_options_not_an_object_replaced(void**) {
    assert_usage(R"({"model":"m","stream_options":null,"stream":true})",
                 R"({"model":"m","stream_options":{"include_usage":true},"stream":true})", false);
    assert_usage("{\"model\":\"m\",\"stream_options\": \"x\" }",
                 "{\"model\":\"m\",\"stream_options\": {\"include_usage\":true} }", false);
    assert_usage(R"({"model":"m","stream_options":[{"include_usage":true}]})",
                 R"({"model":"m","stream_options":{"include_usage":true}})", false);
    assert_usage(R"({"model":"m","stream_options":-1.5e3})",
                 R"({"model":"m","stream_options":{"include_usage":true}})", false);
}

void usage_in_megabyte_body(void**) {
    std::string body = R"({"model":"m","stream":true,"messages":[)";
    while (body.size() < (1u << 20)) body += R"({"role":"user","content":"}{\"stream_options\""},)";
    body += R"({"role":"user","content":"end"}]})";
    std::string expected = body;
    expected.insert(expected.size() - 1, R"(,"stream_options":{"include_usage":true})");
    assert_usage(body, expected, false);
}

// ---- both in one pass ----

void model_and_usage_together(void**) {
    const std::string_view body =
        R"({"stream_options":{"include_usage":false},"model":"gpt-4o","stream":true})";
    request_fields f = parse(body);
    rewritten_request r = aigw::rewrite_request(body, f, std::string_view("azure-4o"), true);
    assert_sv_equal(r.body,
                    R"({"stream_options":{"include_usage":true},"model":"azure-4o","stream":true})");
    assert_false(r.client_asked_usage);
    assert_true(r.changed);

    const std::string_view body2 = R"({"model":"gpt-4o","stream":true})";
    f = parse(body2);
    r = aigw::rewrite_request(body2, f, std::string_view("a\"b"), true);
    assert_sv_equal(r.body,
                    R"({"model":"a\"b","stream":true,"stream_options":{"include_usage":true}})");

    // Nothing asked: the body comes back as it was.
    r = aigw::rewrite_request(body2, f, std::nullopt, false);
    assert_sv_equal(r.body, body2);
    assert_false(r.changed);
    // The same name spliced in: no change either.
    r = aigw::rewrite_request(body2, f, std::string_view("gpt-4o"), false);
    assert_false(r.changed);
}

// The edits the gateway sends a body as (the client's bytes between them, as they are): in
// order, not overlapping, none that changes nothing, and making the same body rewrite_request
// makes.
std::string applied(std::string_view body, const aigw::request_edits& e) {
    std::string out;
    std::size_t at = 0;
    for (const aigw::json_edit& x : e.edits) {
        assert_true(x.begin >= at && x.end >= x.begin && x.end <= body.size());
        out.append(body.substr(at, x.begin - at));
        out += x.text;
        at = x.end;
    }
    out.append(body.substr(at));
    return out;
}

void edits_as_pieces(void**) {
    const std::string_view body =
        R"({"stream_options":{"include_usage":false},"model":"gpt-4o","stream":true})";
    request_fields f = parse(body);
    aigw::request_edits e = aigw::rewrite_request_edits(body, f, std::string_view("azure-4o"), true);
    assert_int_equal(e.edits.size(), 2);
    assert_true(e.edits[0].begin < e.edits[1].begin);  // in the body's order
    assert_sv_equal(applied(body, e),
                    aigw::rewrite_request(body, f, std::string_view("azure-4o"), true).body);
    assert_false(e.client_asked_usage);

    const std::string_view body2 = R"({"model":"gpt-4o","stream":true})";
    f = parse(body2);
    e = aigw::rewrite_request_edits(body2, f, std::string_view("a\"b"), true);
    assert_sv_equal(applied(body2, e),
                    R"({"model":"a\"b","stream":true,"stream_options":{"include_usage":true}})");
    // The same name, and usage the client asked for: no edit at all.
    const std::string_view asked =
        R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}})";
    f = parse(asked);
    e = aigw::rewrite_request_edits(asked, f, std::string_view("gpt-4o"), true);
    assert_int_equal(e.edits.size(), 0);
    assert_true(e.client_asked_usage);
    // Only the model: one edit, the token's bytes.
    e = aigw::rewrite_request_edits(asked, f, std::string_view("m"), false);
    assert_int_equal(e.edits.size(), 1);
    assert_int_equal(e.edits[0].begin, f.model_token_begin);
    assert_int_equal(e.edits[0].end, f.model_token_end);
    assert_sv_equal(e.edits[0].text, "\"m\"");
}

void misuse_refused(void**) {
    const std::string_view body = R"({"model":"m"})";
    request_fields bad = parse(R"({"model":"m")");
    assert_true(throws_invalid_argument([&] { aigw::inject_stream_options_include_usage(body, bad); }));
    // No model to replace.
    std::unique_ptr<char[]> buf(new char[64]());
    std::memcpy(buf.get(), "{\"input\":\"x\"}", 13);
    request_fields nomodel = aigw::parse_request(buf.get(), 13, 64, false);
    assert_true(throws_invalid_argument(
        [&] { aigw::rewrite_request("{\"input\":\"x\"}", nomodel, std::string_view("m"), false); }));
    // Offsets that do not belong to these bytes.
    request_fields f = parse(R"({"model":"m","stream_options":{}})");
    assert_true(throws_invalid_argument([&] { aigw::inject_stream_options_include_usage("[]", f); }));
    request_fields g = parse(body);
    assert_true(throws_invalid_argument([&] { aigw::inject_stream_options_include_usage("[1]", g); }));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quote_strings),
        cmocka_unit_test(model_first_last_middle),
        cmocka_unit_test(whitespace_kept),
        cmocka_unit_test(escaped_and_unicode_names),
        cmocka_unit_test(megabyte_bodies),
        cmocka_unit_test(bad_ranges_refused),
        cmocka_unit_test(stream_options_located),
        cmocka_unit_test(usage_added_at_top_level),
        cmocka_unit_test(usage_added_to_empty_object),
        cmocka_unit_test(usage_merged_into_stream_options),
        cmocka_unit_test(usage_already_asked),
        cmocka_unit_test(usage_false_or_odd_set_true),
        cmocka_unit_test(stream_options_not_an_object_replaced),
        cmocka_unit_test(usage_in_megabyte_body),
        cmocka_unit_test(model_and_usage_together),
        cmocka_unit_test(edits_as_pieces),
        cmocka_unit_test(misuse_refused),
    };
    return cmocka_run_group_tests_name("json_splice", tests, nullptr, nullptr);
}
