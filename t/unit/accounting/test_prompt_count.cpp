// A request's prompt tokens in any dialect: an OpenAI body as count_prompt_tokens counts it,
// another dialect's as the OpenAI chat body the pivot writes.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>

#include "aigw/accounting/prompt_count.hpp"
#include "aigw/accounting/token_estimate.hpp"
#include "aigw/api/request.hpp"
#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/openai_chat/request.hpp"
#include "core/text/json_walk.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

using aigw::count_prompt_tokens;
using aigw::count_request_prompt;
using aigw::dialect_id;
namespace tk = aigw::tokenizer;

namespace {

const tk::encoder* o200k() {
    const tk::encoder* e = tk::encoder::get(tk::encoding_id::o200k_base);
    assert_non_null(e);
    return e;
}

// The OpenAI chat body each test's other-dialect body stands for.
constexpr const char* system_and_user =
    R"({"model":"m","messages":[{"role":"system","content":"You are a terse assistant."},)"
    R"({"role":"user","content":"What is the capital of France?"}]})";

void openai_bodies_are_counted_as_they_are(void**) {
    const char* chat = system_and_user;
    assert_int_equal(count_request_prompt(o200k(), dialect_id::openai_chat, chat),
                     count_prompt_tokens(o200k(), chat));
    const char* embeddings = R"({"model":"m","input":["one","two three"]})";
    assert_int_equal(count_request_prompt(nullptr, dialect_id::openai_chat, embeddings),
                     count_prompt_tokens(nullptr, embeddings));
    // Exact and estimated differ for this text, so the encoder was used.
    assert_int_not_equal(count_prompt_tokens(o200k(), chat), count_prompt_tokens(nullptr, chat));
}

void anthropic_system_counts(void**) {
    std::int64_t want = count_prompt_tokens(o200k(), system_and_user);
    const char* messages =
        R"({"model":"claude-x","max_tokens":100,"system":"You are a terse assistant.",)"
        R"("messages":[{"role":"user","content":"What is the capital of France?"}]})";
    assert_int_equal(count_request_prompt(o200k(), dialect_id::anthropic, messages), want);
    // count_tokens: no max_tokens, system as text blocks.
    const char* count =
        R"({"model":"claude-x","system":[{"type":"text","text":"You are a terse assistant."}],)"
        R"("messages":[{"role":"user","content":[{"type":"text","text":"What is the capital of France?"}]}]})";
    assert_int_equal(count_request_prompt(o200k(), dialect_id::anthropic, count), want);
    // The OpenAI walker alone would have missed the system prompt.
    assert_true(count_prompt_tokens(o200k(), messages) < want);
}

void gemini_and_responses(void**) {
    std::int64_t want = count_prompt_tokens(o200k(), system_and_user);
    const char* gemini =
        R"({"systemInstruction":{"parts":[{"text":"You are a terse assistant."}]},)"
        R"("contents":[{"role":"user","parts":[{"text":"What is the capital of France?"}]}]})";
    assert_int_equal(count_request_prompt(o200k(), dialect_id::gemini, gemini), want);
    const char* responses =
        R"({"model":"m","instructions":"You are a terse assistant.",)"
        R"("input":"What is the capital of France?"})";
    std::int64_t got = count_request_prompt(o200k(), dialect_id::openai_responses, responses);
    assert_int_equal(got, want);
}

void a_pivot_read_already_is_not_read_again(void**) {
    const char* messages =
        R"({"model":"claude-x","max_tokens":100,"system":"You are a terse assistant.",)"
        R"("messages":[{"role":"user","content":"What is the capital of France?"}]})";
    aigw::api::request pivot;
    aigw::api_error err;
    assert_true(aigw::dialect_of(dialect_id::anthropic).request_to_pivot(messages, pivot, err));
    // The body is not looked at when the pivot is given.
    assert_int_equal(count_request_prompt(o200k(), dialect_id::anthropic, "", &pivot),
                     count_prompt_tokens(o200k(), system_and_user));
    // An OpenAI body is counted itself, pivot or not.
    assert_int_equal(count_request_prompt(o200k(), dialect_id::openai_chat, system_and_user, &pivot),
                     count_prompt_tokens(o200k(), system_and_user));
}

void what_the_pivot_cannot_hold(void**) {
    // A PDF document block: refused by the pivot, counted as the OpenAI walker reads it.
    const char* pdf =
        R"({"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":[)"
        R"({"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"AAAA"}},)"
        R"({"type":"text","text":"Summarize this."}]}]})";
    assert_int_equal(count_request_prompt(o200k(), dialect_id::anthropic, pdf),
                     count_prompt_tokens(o200k(), pdf));
    assert_true(count_request_prompt(o200k(), dialect_id::anthropic, pdf) > 0);
    assert_int_equal(count_request_prompt(o200k(), dialect_id::gemini, "{not json"), 0);
    assert_int_equal(count_request_prompt(nullptr, dialect_id::anthropic, "[]"), 0);
}


// Long texts' counts are kept by a keyed hash of the text: the same text counts the same from
// the table, and a text one byte apart, or the same text under another encoding, is counted.
void long_texts_counted_once(void**) {
    const tk::encoder* o200k = tk::encoder::get(tk::encoding_id::o200k_base);
    const tk::encoder* cl100k = tk::encoder::get(tk::encoding_id::cl100k_base);
    assert_non_null(o200k);
    assert_non_null(cl100k);
    std::string text;
    for (int i = 0; i < 200; ++i) text += "def f" + std::to_string(i) + "(x): return x * " + std::to_string(i) + "\n";
    std::int64_t want = static_cast<std::int64_t>(o200k->count(text));
    assert_int_equal(aigw::count_tokens(o200k, text), want);
    assert_int_equal(aigw::count_tokens(o200k, text), want);  // from the table
    assert_int_equal(aigw::count_tokens(cl100k, text),
                     static_cast<std::int64_t>(cl100k->count(text)));
    std::string other = text;
    other[other.size() / 2] = ' ';
    assert_int_equal(aigw::count_tokens(o200k, other), static_cast<std::int64_t>(o200k->count(other)));
    assert_int_equal(aigw::count_tokens(o200k, text + "x"),
                     static_cast<std::int64_t>(o200k->count(text + "x")));
    // A whole request body: the second count is the first.
    std::string body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"";
    for (int i = 0; i < 100; ++i) body += "line " + std::to_string(i) + " of a long history. ";
    body += "\"}]}";
    std::int64_t first = count_prompt_tokens(o200k, body);
    assert_true(first > 500);
    assert_int_equal(count_prompt_tokens(o200k, body), first);
    // Read in place from a buffer with json_padding bytes after the body: the same count.
    std::string padded = body + std::string(aigw::json_padding, ' ');
    std::string_view in_place(padded.data(), body.size());
    assert_int_equal(aigw::count_padded_prompt_tokens(o200k, in_place), first);
    assert_int_equal(aigw::count_request_prompt(o200k, aigw::dialect_id::openai_chat, in_place,
                                                nullptr, true),
                     first);
}

// A string with escapes is looked up by its bytes as the body has them: the text those bytes
// stand for is what counts, however it was escaped, and a text counted earlier whose own
// characters are those bytes (a backslash, then 'n') is another text.
void escaped_strings_count_their_text(void**) {
    const tk::encoder* enc = o200k();
    std::string lines;  // "if (x) {\n    return \"a\";\n}\n" a few times, as JSON
    std::string text;   // the same, unescaped
    for (int i = 0; i < 12; ++i) {
        lines += "if (x" + std::to_string(i) + ") {\\n    return \\\"a\\\";\\n}\\n";
        text += "if (x" + std::to_string(i) + ") {\n    return \"a\";\n}\n";
    }
    // The raw bytes, counted first as a text of their own: a backslash and 'n' are not a line end.
    std::int64_t as_bytes = aigw::count_tokens(enc, lines);
    auto body = [](const std::string& content) {
        return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content +
               "\"}]}";
    };
    std::int64_t framing = count_prompt_tokens(enc, body(""));
    std::int64_t want = framing + static_cast<std::int64_t>(enc->count(text));
    assert_true(as_bytes != static_cast<std::int64_t>(enc->count(text)));
    assert_int_equal(count_prompt_tokens(enc, body(lines)), want);
    assert_int_equal(count_prompt_tokens(enc, body(lines)), want);  // found by its bytes
    // The same text with its line ends as \u000a: other bytes, the same count.
    std::string unicode = lines;
    for (std::size_t at; (at = unicode.find("\\n")) != std::string::npos;) unicode.replace(at, 2, "\\u000a");
    assert_int_equal(count_prompt_tokens(enc, body(unicode)), want);
    // A tool call's arguments and a completion prompt go the same way.
    std::string args = "{\"model\":\"m\",\"prompt\":\"" + lines + "\"}";
    assert_int_equal(count_prompt_tokens(enc, args), static_cast<std::int64_t>(enc->count(text)));
    // An escape that does not unescape counts nothing, found or not.
    assert_int_equal(count_prompt_tokens(enc, body(lines + "\\x")), 0);
    assert_int_equal(count_prompt_tokens(enc, body(lines + "\\x")), 0);
}

// In a body_read_scope, the count of the body the request read just read walks the read's
// index; out of one, for other bytes, or after another body was read, it indexes its input.
// The count is the same either way.
void a_body_read_is_counted_from_its_index(void**) {
    const tk::encoder* enc = o200k();
    using aigw::json_walk::body_parser::reuses;
    std::string body = std::string(system_and_user) + std::string(aigw::json_padding, ' ');
    std::size_t len = std::string_view(system_and_user).size();
    std::string_view in_place(body.data(), len);
    std::int64_t want = count_prompt_tokens(enc, system_and_user);
    assert_true(want > 10);
    auto read = [&](std::string_view b) {
        assert_int_equal(aigw::parse_request(b.data(), b.size(), b.size() + aigw::json_padding, true).status,
                         aigw::request_parse_status::ok);
    };
    auto count = [&](std::string_view b) {
        return count_request_prompt(enc, dialect_id::openai_chat, b, nullptr, true);
    };
    std::uint64_t before = reuses();
    read(in_place);  // out of a scope: nothing remembered
    assert_int_equal(count(in_place), want);
    assert_int_equal(reuses(), before);
    {
        aigw::body_read_scope scope;
        read(in_place);
        assert_int_equal(count(in_place), want);
        assert_int_equal(reuses(), before + 1);
        assert_int_equal(count(in_place), want);  // and again
        assert_int_equal(reuses(), before + 2);
        // The same bytes elsewhere are indexed, and that forgets the read.
        std::string copy = body;
        assert_int_equal(count(std::string_view(copy.data(), len)), want);
        assert_int_equal(count(in_place), want);
        assert_int_equal(reuses(), before + 2);
        // A read that fails is not remembered.
        std::string bad = std::string(R"({"model":"m","model":"n","messages":[]})") + std::string(aigw::json_padding, ' ');
        std::string_view bad_view(bad.data(), bad.size() - aigw::json_padding);
        assert_int_equal(aigw::parse_request(bad_view.data(), bad_view.size(), bad.size(), true).status,
                         aigw::request_parse_status::duplicate_member);
        std::int64_t bad_count = count(bad_view);
        assert_int_equal(bad_count, count_prompt_tokens(enc, std::string(bad_view)));
        assert_int_equal(reuses(), before + 2);
    }
    read(in_place);  // the scope is over: nothing remembered
    assert_int_equal(count(in_place), want);
    assert_int_equal(reuses(), before + 2);
}

// A tools array's count is kept by its JSON bytes: found, it counts what it counted when
// walked (the functions' closing tokens included), under the same encoder only, and never as
// the count of a text that happens to be those bytes.
void tools_arrays_counted_once(void**) {
    const tk::encoder* o200k = tk::encoder::get(tk::encoding_id::o200k_base);
    const tk::encoder* cl100k = tk::encoder::get(tk::encoding_id::cl100k_base);
    assert_non_null(o200k);
    assert_non_null(cl100k);
    std::string tools =
        R"([{"type":"function","function":{"name":"read_file","description":"Read a file.",)"
        R"("parameters":{"type":"object","properties":{"path":{"type":"string","description":"Path."},)"
        R"("mode":{"type":"string","enum":["text","bytes"]}},"required":["path"]}}},)"
        R"({"type":"function","function":{"name":"run","parameters":{"type":"object",)"
        R"("properties":{"command":{"type":"string"}}}}}])";
    auto body = [&](const std::string& t, const char* user) {
        return std::string(R"({"model":"m","messages":[{"role":"user","content":")") + user +
               R"("}],"tools":)" + t + "}";
    };
    // The same tools with other spacing: other bytes, walked afresh, the same count.
    std::string spaced = tools;
    for (std::size_t at; (at = spaced.find("\":{")) != std::string::npos;) spaced.replace(at, 3, "\" : {");
    // The text of the tools' bytes, counted first, is not what the tools count.
    std::int64_t as_text = aigw::count_tokens(o200k, tools);
    std::int64_t first = count_prompt_tokens(o200k, body(tools, "hi"));
    std::int64_t messages_only = count_prompt_tokens(o200k, R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
    assert_true(first - messages_only > 20);
    assert_true(first - messages_only != as_text);
    assert_int_equal(count_prompt_tokens(o200k, body(tools, "hi")), first);    // found
    assert_int_equal(count_prompt_tokens(o200k, body(spaced, "hi")), first);   // walked
    // Found for another request with other messages: only the messages' part moves.
    std::int64_t other = count_prompt_tokens(o200k, body(tools, "hello there, how are you"));
    std::int64_t other_messages =
        count_prompt_tokens(o200k, R"({"model":"m","messages":[{"role":"user","content":"hello there, how are you"}]})");
    assert_int_equal(other - other_messages, first - messages_only);
    // Another encoder counts them under its own rules (cl100k's larger func_init).
    std::int64_t cl_first = count_prompt_tokens(cl100k, body(spaced, "hi"));
    assert_int_equal(count_prompt_tokens(cl100k, body(tools, "hi")), cl_first);
    assert_true(cl_first != first);
    // Legacy functions beside tools: the closing tokens once, found or not.
    std::string both = std::string(R"({"model":"m","messages":[],"functions":[{"name":"f"}],"tools":)") + tools + "}";
    std::int64_t both_first = count_prompt_tokens(o200k, both);
    assert_int_equal(count_prompt_tokens(o200k, both), both_first);
    // A tools array that does not read counts nothing, and is not kept.
    std::string bad = body(R"([{"type":"function","function":{"name":"a\x"}}])", "hi");
    assert_int_equal(count_prompt_tokens(o200k, bad), 0);
    assert_int_equal(count_prompt_tokens(o200k, bad), 0);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openai_bodies_are_counted_as_they_are),
        cmocka_unit_test(anthropic_system_counts),
        cmocka_unit_test(gemini_and_responses),
        cmocka_unit_test(a_pivot_read_already_is_not_read_again),
        cmocka_unit_test(what_the_pivot_cannot_hold),
        cmocka_unit_test(long_texts_counted_once),
        cmocka_unit_test(escaped_strings_count_their_text),
        cmocka_unit_test(a_body_read_is_counted_from_its_index),
        cmocka_unit_test(tools_arrays_counted_once),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
