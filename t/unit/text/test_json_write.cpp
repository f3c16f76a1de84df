// append_json_text (and write_text, which uses it) against RapidJSON's Writer, which they stand
// in for: the same bytes for every input.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <string>
#include <string_view>

#include "aigw/text/json_write.hpp"

// cmocka.h has no extern "C" of its own and defines fail()/skip(): include it last.
extern "C" {
#include <cmocka.h>
}

#include "assert_sv.hpp"

namespace {

// The reference: each byte of no well-formed UTF-8 sequence replaced by U+FFFD, then the
// Writer's String().
std::string by_writer(std::string_view s) {
    std::string fixed;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = aigw::utf8_sequence_length(s, i);
        fixed += n == 0 ? std::string_view("\xEF\xBF\xBD") : s.substr(i, n);
        i += n == 0 ? 1 : n;
    }
    rapidjson::StringBuffer buf;
    aigw::json_writer w(buf);
    w.String(fixed.data(), static_cast<rapidjson::SizeType>(fixed.size()));
    return std::string(buf.GetString(), buf.GetSize());
}

// write_text inside an array, the brackets and commas the Writer keeps taken off.
std::string written(std::string_view s) {
    std::string all = aigw::json_text([&](aigw::json_writer& w) {
        w.StartArray();
        w.Int(1);
        aigw::write_text(w, s);
        w.EndArray();
    });
    return all.substr(3, all.size() - 4);
}

std::string appended(std::string_view s) {
    std::string out = "x";  // appended to what is there
    aigw::append_json_text(out, s);
    return out.substr(1);
}

void known_texts(void**) {
    assert_sv_equal(appended(""), "\"\"");
    assert_sv_equal(appended("plain text"), "\"plain text\"");
    assert_sv_equal(appended("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
    assert_sv_equal(appended("\b\t\n\f\r"), "\"\\b\\t\\n\\f\\r\"");
    assert_sv_equal(appended(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001F\x7f\"");
    assert_sv_equal(appended("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
                    "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
    // Ill-formed: a lone continuation byte, a cut sequence, an overlong form, a surrogate.
    assert_sv_equal(appended("a\x80z"), "\"a\xEF\xBF\xBDz\"");
    assert_sv_equal(appended("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    assert_sv_equal(appended("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    assert_sv_equal(appended("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

void every_byte(void**) {
    for (int c = 0; c < 256; ++c) {
        std::string one(1, static_cast<char>(c));
        assert_sv_equal(appended(one), by_writer(one));
        std::string framed = "<" + one + ">";
        assert_sv_equal(appended(framed), by_writer(framed));
        // In every place of a word of 8, and past it.
        for (std::size_t at = 0; at < 12; ++at) {
            std::string long_text(12, 'a');
            long_text[at] = static_cast<char>(c);
            assert_sv_equal(appended(long_text), by_writer(long_text));
        }
    }
}

void same_as_writer(void**) {
    // Random texts drawn from bytes that matter: ASCII, escapes, UTF-8 lead and continuation
    // bytes, and bytes no sequence has.
    const unsigned char alphabet[] = {'a', ' ', '"', '\\', '\n', 0x01, 0x1f, 0x7f, 0x80, 0xbf,
                                      0xc2, 0xc3, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5,
                                      0xff, 0xa0, 0x9f, 0x90, 0x8f};
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int round = 0; round < 20000; ++round) {
        // Mostly plain letters, as text is, so that whole words of 8 plain bytes come too.
        std::string s(next() % 40, '\0');
        bool sparse = round % 2 == 0;
        for (char& c : s) {
            std::uint64_t r = next();
            c = sparse && r % 8 != 0 ? static_cast<char>('a' + r % 26)
                                     : static_cast<char>(alphabet[r % sizeof alphabet]);
        }
        std::string expected = by_writer(s);
        assert_sv_equal(appended(s), expected);
        assert_sv_equal(written(s), expected);
    }
}

void numbers(void**) {
    std::string out;
    aigw::append_json_uint(out, 0);
    out += ',';
    aigw::append_json_uint(out, 42);
    out += ',';
    aigw::append_json_uint(out, 18446744073709551615ULL);
    assert_sv_equal(out, "0,42,18446744073709551615");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_texts),
        cmocka_unit_test(every_byte),
        cmocka_unit_test(same_as_writer),
        cmocka_unit_test(numbers),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
