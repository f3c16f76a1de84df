// usage_parser::stream_reader's default: a stream's usage is the last chunk usage reported.
#include <string>
#include <string_view>

#include "aigw/api/usage.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

namespace {

// Reads a chunk "N" as usage with N prompt tokens, anything else as no usage.
class digits_parser final : public aigw::usage_parser {
public:
    aigw::usage read_response(std::string_view body, std::string*) const noexcept override {
        aigw::usage u;
        if (body.empty() || body.find_first_not_of("0123456789") != std::string_view::npos) {
            return u;
        }
        u.prompt_tokens = std::stoll(std::string(body));
        u.total_tokens = u.prompt_tokens;
        u.present = true;
        return u;
    }
    aigw::chunk_info read_chunk(std::string_view data, std::string* text) const noexcept override {
        aigw::chunk_info info;
        info.tokens = read_response(data, text);
        info.json_object = true;
        return info;
    }
};

void last_present_usage_wins(void**) {
    digits_parser parser;
    auto reader = parser.stream_reader();
    assert_false(reader->total().present);
    assert_false(reader->read_chunk("x", nullptr).tokens.present);
    assert_false(reader->total().present);
    assert_int_equal(reader->read_chunk("5", nullptr).tokens.prompt_tokens, 5);
    assert_int_equal(reader->total().prompt_tokens, 5);
    reader->read_chunk("y", nullptr);  // a chunk without usage keeps what came before
    assert_true(reader->total().present);
    assert_int_equal(reader->total().prompt_tokens, 5);
    reader->read_chunk("9", nullptr);
    assert_int_equal(reader->total().prompt_tokens, 9);

    auto other = parser.stream_reader();  // one reader per stream: nothing shared
    assert_false(other->total().present);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(last_present_usage_wins),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
