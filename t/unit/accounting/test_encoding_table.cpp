// aigw_tokenizer's table and the order a request's encoding is chosen in.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>

#include "aigw/accounting/encoding_table.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

namespace tk = aigw::tokenizer;
using tk::encoding_id;

namespace {

encoding_id found(const tk::encoding_table& t, std::string_view model) {
    encoding_id id = encoding_id::o200k_base;
    assert_true(t.find(model, id));
    return id;
}

void exact_beats_prefix_longest_prefix_wins(void**) {
    tk::encoding_table t;
    assert_true(t.empty());
    assert_true(t.add("my-*", encoding_id::cl100k_base).empty());
    assert_true(t.add("my-model-2*", encoding_id::estimate).empty());
    assert_true(t.add("my-model", encoding_id::o200k_base).empty());
    assert_false(t.empty());
    assert_int_equal(found(t, "my-model"), encoding_id::o200k_base);
    assert_int_equal(found(t, "my-model-2"), encoding_id::estimate);
    assert_int_equal(found(t, "my-model-2-mini"), encoding_id::estimate);
    assert_int_equal(found(t, "my-model-3"), encoding_id::cl100k_base);
    assert_int_equal(found(t, "my-"), encoding_id::cl100k_base);
    encoding_id id = encoding_id::o200k_base;
    assert_false(t.find("your-model", id));
    assert_false(t.find("my", id));
    assert_int_equal(id, encoding_id::o200k_base);  // untouched when nothing matches
    // "*" alone: every name, below every other entry.
    assert_true(t.add("*", encoding_id::estimate).empty());
    assert_int_equal(found(t, "your-model"), encoding_id::estimate);
    assert_int_equal(found(t, "my-model-3"), encoding_id::cl100k_base);
}

void refusals(void**) {
    tk::encoding_table t;
    assert_true(t.add("gpt-x", encoding_id::cl100k_base).empty());
    assert_true(t.add("gpt-*", encoding_id::cl100k_base).empty());
    assert_true(t.add("", encoding_id::cl100k_base) == "empty model name");
    assert_true(t.add("gpt-x", encoding_id::o200k_base) == "duplicate model \"gpt-x\"");
    assert_true(t.add("gpt-*", encoding_id::estimate) == "duplicate model \"gpt-*\"");
    assert_true(t.add("g*t", encoding_id::estimate) ==
                "model pattern \"g*t\": '*' is allowed only at the end");
    // A refused entry changed nothing.
    assert_int_equal(found(t, "gpt-x"), encoding_id::cl100k_base);
    assert_int_equal(found(t, "gpt-y"), encoding_id::cl100k_base);
}

void resolution_order(void**) {
    tk::encoding_table t;
    assert_true(t.add("gpt-4o-custom", encoding_id::cl100k_base).empty());
    assert_true(t.add("claude-*", encoding_id::o200k_base).empty());
    assert_true(t.add("gpt-4.1-local", encoding_id::estimate).empty());
    // 1. the configured entry, over OpenAI's table and over the upstream name
    assert_int_equal(tk::resolve_encoding(&t, "gpt-4o-custom", "gpt-4o"), encoding_id::cl100k_base);
    assert_int_equal(tk::resolve_encoding(&t, "claude-x", ""), encoding_id::o200k_base);
    assert_int_equal(tk::resolve_encoding(&t, "gpt-4.1-local", "gpt-4.1"), encoding_id::estimate);
    // 2. OpenAI's table on the public name, over the upstream's
    assert_int_equal(tk::resolve_encoding(&t, "gpt-4o-mini", "gpt-4-0613"), encoding_id::o200k_base);
    assert_int_equal(tk::resolve_encoding(nullptr, "gpt-4", "gpt-4o"), encoding_id::cl100k_base);
    // 3. OpenAI's table on the upstream name
    assert_int_equal(tk::resolve_encoding(&t, "fast", "gpt-4o-mini"), encoding_id::o200k_base);
    assert_int_equal(tk::resolve_encoding(nullptr, "legacy", "gpt-3.5-turbo"), encoding_id::cl100k_base);
    // 4. the estimate
    assert_int_equal(tk::resolve_encoding(&t, "fast", ""), encoding_id::estimate);
    assert_int_equal(tk::resolve_encoding(nullptr, "gemini-2.5-flash", "gemini-2.5-flash"),
                     encoding_id::estimate);
    assert_int_equal(tk::resolve_encoding(nullptr, "", ""), encoding_id::estimate);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_beats_prefix_longest_prefix_wins),
        cmocka_unit_test(refusals),
        cmocka_unit_test(resolution_order),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
