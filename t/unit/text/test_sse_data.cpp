// The data: lines of one whole SSE event: found, rewritten, and the one payload a chunk's
// token offsets point into.
#include <optional>
#include <string>
#include <string_view>

#include "aigw/text/sse_data.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}
#include "assert_sv.hpp"

namespace {

void one_data_line_is_found_in_place(void**) {
    // Every line end the SSE grammar allows, with other fields and a comment around.
    for (std::string_view event : {std::string_view("data: {\"a\":1}\n\n"),
                                   std::string_view("event: x\r\ndata: {\"a\":1}\r\n\r\n"),
                                   std::string_view(": ping\rid: 7\rdata: {\"a\":1}\r\r"),
                                   std::string_view("data:{\"a\":1}\n\n")}) {
        std::optional<std::string_view> p = aigw::single_data_payload(event);
        assert_true(p.has_value());
        assert_sv_equal(*p, "{\"a\":1}");
        // A view into the event: offsets in it are offsets in the event.
        assert_true(p->data() >= event.data() && p->data() + p->size() <= event.data() + event.size());
    }
    // Only the first space after the colon is syntax.
    std::optional<std::string_view> p = aigw::single_data_payload("data:  x\n\n");
    assert_true(p.has_value());
    assert_sv_equal(*p, " x");
    // An empty data line is one.
    p = aigw::single_data_payload("data:\n\n");
    assert_true(p.has_value());
    assert_sv_equal(*p, "");
}

void none_or_several_is_not_one(void**) {
    assert_false(aigw::single_data_payload("event: ping\n\n").has_value());
    assert_false(aigw::single_data_payload(": comment\n\n").has_value());
    assert_false(aigw::single_data_payload("data: {\"a\":\ndata: 1}\n\n").has_value());
    assert_false(aigw::single_data_payload("data: a\r\ndata: b\r\n\r\n").has_value());
    // "data" without its colon is another field.
    assert_false(aigw::single_data_payload("datum: x\n\n").has_value());
}

void rewrite_keeps_every_other_byte(void**) {
    std::string_view event = "event: e\r\ndata: one\r\n: c\r\ndata:two\r\n\r\n";
    std::optional<std::string> out =
        aigw::rewrite_data_lines(event, [](std::string_view payload) -> std::optional<std::string> {
            if (payload == "two") return std::string("2");
            return std::nullopt;
        });
    assert_true(out.has_value());
    assert_sv_equal(*out, "event: e\r\ndata: one\r\n: c\r\ndata:2\r\n\r\n");
    // No line changed: nothing is copied.
    assert_false(aigw::rewrite_data_lines(event, [](std::string_view) {
                     return std::optional<std::string>();
                 }).has_value());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_data_line_is_found_in_place),
        cmocka_unit_test(none_or_several_is_not_one),
        cmocka_unit_test(rewrite_keeps_every_other_byte),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
