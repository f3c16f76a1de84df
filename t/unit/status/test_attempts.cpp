// The usage record's per-attempt field: outcome names, the text write_attempt writes and its
// size, escaping and the name's bound, and decode_attempts on what it wrote and on what it
// could not have written.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/status/attempts.hpp"

// cmocka last: it defines fail() and skip() macros that clash with C++ headers.
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
extern "C" {  // cmocka.h has no C++ guard of its own
#include <cmocka.h>
}

#include "assert_sv.hpp"

using aigw::attempt_entry;
using aigw::attempt_outcome;
using aigw::attempt_view;
using aigw::decode_attempts;
using aigw::encode_attempts;

namespace {

attempt_view view(std::string_view channel, attempt_outcome o, std::uint16_t status,
                  std::uint32_t header_ms, std::uint32_t duration_ms, bool swallowed) {
    attempt_view a;
    a.channel = channel;
    a.outcome = o;
    a.upstream_status = status;
    a.header_ms = header_ms;
    a.duration_ms = duration_ms;
    a.swallowed = swallowed;
    return a;
}

void assert_refused(std::string_view text, std::string_view why) {
    aigw::attempts_decode_result r = decode_attempts(text);
    if (r.ok) {
        print_error("accepted [%.*s]\n", static_cast<int>(text.size()), text.data());
    }
    assert_false(r.ok);
    assert_true(r.attempts.empty());
    if (r.error.find(why) == std::string::npos) {
        print_error("error [%s] does not say [%.*s]\n", r.error.c_str(),
                    static_cast<int>(why.size()), why.data());
    }
    assert_true(r.error.find(why) != std::string::npos);
}

// ---- outcome names ----

void outcome_names(void**) {
    const std::string_view names[] = {"ok",      "4xx",             "429", "5xx",
                                      "timeout", "connect_failure", "cut", "client_closed"};
    assert_int_equal(aigw::attempt_outcome_count, 8);
    for (std::size_t i = 0; i < aigw::attempt_outcome_count; i++) {
        auto o = static_cast<attempt_outcome>(i);
        assert_sv_equal(aigw::attempt_outcome_name(o), names[i]);
        auto back = aigw::attempt_outcome_from_name(names[i]);
        assert_true(back.has_value());
        assert_int_equal(static_cast<int>(*back), static_cast<int>(i));
    }
    assert_sv_equal(aigw::attempt_outcome_name(static_cast<attempt_outcome>(8)), "");
    assert_false(aigw::attempt_outcome_from_name("OK").has_value());
    assert_false(aigw::attempt_outcome_from_name("").has_value());
    assert_false(aigw::attempt_outcome_from_name("client_error").has_value());
}

void outcome_of_status(void**) {
    assert_int_equal(aigw::attempt_outcome_of_status(200), attempt_outcome::ok);
    assert_int_equal(aigw::attempt_outcome_of_status(304), attempt_outcome::ok);
    assert_int_equal(aigw::attempt_outcome_of_status(400), attempt_outcome::client_error);
    assert_int_equal(aigw::attempt_outcome_of_status(404), attempt_outcome::client_error);
    assert_int_equal(aigw::attempt_outcome_of_status(429), attempt_outcome::rate_limited);
    assert_int_equal(aigw::attempt_outcome_of_status(500), attempt_outcome::server_error);
    assert_int_equal(aigw::attempt_outcome_of_status(503), attempt_outcome::server_error);
}

// ---- writing ----

void writes_the_documented_text(void**) {
    std::string text = encode_attempts({
        view("primary", attempt_outcome::server_error, 503, 12, 13, true),
        view("backup", attempt_outcome::ok, 200, 40, 388, false),
    });
    assert_sv_equal(text, "primary:5xx:503:12:13:1|backup:ok:200:40:388:0");
    text = encode_attempts({view("a.b-c_9", attempt_outcome::timeout, 0, aigw::attempt_no_head,
                                 60000, true),
                            view("x", attempt_outcome::connect_failure, 0,
                                 aigw::attempt_no_head, 0, false)});
    assert_sv_equal(text, "a.b-c_9:timeout:0:-:60000:1|x:connect_failure:0:-:0:0");
    assert_sv_equal(encode_attempts({}), "");
}

void escapes_what_is_not_a_plain_name(void**) {
    std::string text = encode_attempts(
        {view("a:b|c%d e\n\xff", attempt_outcome::cut, 200, 5, 9, false)});
    assert_sv_equal(text, "a%3Ab%7Cc%25d%20e%0A%FF:cut:200:5:9:0");
    aigw::attempts_decode_result r = decode_attempts(text);
    assert_true(r.ok);
    assert_int_equal(r.attempts.size(), 1);
    assert_sv_equal(r.attempts[0].channel, "a:b|c%d e\n\xff");
}

void sizes_match_and_stay_in_bound(void**) {
    std::string all_escaped(200, ':');   // longer than the bound, every byte escaped
    std::string long_plain(100, 'n');
    const attempt_view cases[] = {
        view("c", attempt_outcome::ok, 0, 0, 0, false),
        view("c", attempt_outcome::ok, 200, 9, 10, true),
        view(all_escaped, attempt_outcome::connect_failure, 65535, UINT32_MAX - 1, UINT32_MAX,
             true),
        view(long_plain, attempt_outcome::client_closed, 499, aigw::attempt_no_head, 99, false),
        view("", attempt_outcome::ok, 200, 1, 1, false),
    };
    for (const attempt_view& a : cases) {
        for (bool first : {true, false}) {
            std::size_t size = aigw::attempt_text_size(a, first);
            assert_true(size <= aigw::attempt_text_max);
            // Exactly the computed size on the heap: ASan catches a byte more.
            std::unique_ptr<char[]> buf(new char[size]);
            char* end = aigw::write_attempt(buf.get(), a, first);
            assert_int_equal(end - buf.get(), size);
            assert_true(first || buf[0] == '|');
        }
    }
    // The worst case takes exactly the bound.
    assert_int_equal(aigw::attempt_text_size(cases[2], false), aigw::attempt_text_max);
}

void cuts_a_long_name(void**) {
    std::string name(aigw::attempt_channel_max + 10, 'k');
    std::string text = encode_attempts({view(name, attempt_outcome::ok, 200, 1, 2, false)});
    aigw::attempts_decode_result r = decode_attempts(text);
    assert_true(r.ok);
    assert_sv_equal(r.attempts[0].channel, name.substr(0, aigw::attempt_channel_max));
}

// ---- reading back ----

void round_trip(void**) {
    std::vector<attempt_view> in;
    const std::string names[] = {"primary", "backup-1", "eu.west", "odd name:|%"};
    for (std::size_t i = 0; i < aigw::attempt_outcome_count; i++) {
        in.push_back(view(names[i % 4], static_cast<attempt_outcome>(i),
                          static_cast<std::uint16_t>(i ? 400 + i : 200),
                          i % 3 ? static_cast<std::uint32_t>(i * 7) : aigw::attempt_no_head,
                          static_cast<std::uint32_t>(i * 1000 + 3), i % 2 == 1));
    }
    aigw::attempts_decode_result r = decode_attempts(encode_attempts(in));
    assert_true(r.ok);
    assert_int_equal(r.attempts.size(), in.size());
    for (std::size_t i = 0; i < in.size(); i++) {
        const attempt_entry& e = r.attempts[i];
        assert_sv_equal(e.channel, in[i].channel);
        assert_int_equal(e.outcome, in[i].outcome);
        assert_int_equal(e.upstream_status, in[i].upstream_status);
        if (in[i].header_ms == aigw::attempt_no_head) {
            assert_false(e.header_ms.has_value());
        } else {
            assert_true(e.header_ms.has_value());
            assert_int_equal(*e.header_ms, in[i].header_ms);
        }
        assert_int_equal(e.duration_ms, in[i].duration_ms);
        assert_int_equal(e.swallowed, in[i].swallowed);
    }
}

void empty_is_no_attempt(void**) {
    aigw::attempts_decode_result r = decode_attempts("");
    assert_true(r.ok);
    assert_true(r.attempts.empty());
}

void most_attempts(void**) {
    std::vector<attempt_view> in(aigw::attempts_max,
                                 view("c", attempt_outcome::server_error, 500, 1, 1, true));
    std::string text = encode_attempts(in);
    assert_true(decode_attempts(text).ok);
    assert_int_equal(decode_attempts(text).attempts.size(), aigw::attempts_max);
    assert_refused(text + "|c:ok:200:1:1:0", "more than 64 attempts");
}

void bad_input(void**) {
    assert_refused("c:ok:200:1:1", "expected 6");
    assert_refused("c:ok:200:1:1:0:9", "more than 6");
    assert_refused("|c:ok:200:1:1:0", "attempt 1");
    assert_refused("c:ok:200:1:1:0|", "attempt 2");
    assert_refused("c:ok:200:1:1:0||c:ok:200:1:1:0", "attempt 2");
    assert_refused(":ok:200:1:1:0", "no channel");
    assert_refused("c c:ok:200:1:1:0", "unescaped byte");
    assert_refused("c%:ok:200:1:1:0", "bad escape");
    assert_refused("c%4:ok:200:1:1:0", "bad escape");
    assert_refused("c%G0:ok:200:1:1:0", "bad escape");
    assert_refused(std::string(aigw::attempt_channel_max + 1, 'n') + ":ok:200:1:1:0",
                   "too long");
    assert_refused("c:fine:200:1:1:0", "unknown outcome");
    assert_refused("c:OK:200:1:1:0", "unknown outcome");
    assert_refused("c:ok::1:1:0", "bad upstream status");
    assert_refused("c:ok:-1:1:1:0", "bad upstream status");
    assert_refused("c:ok:65536:1:1:0", "bad upstream status");
    assert_refused("c:ok:2x0:1:1:0", "bad upstream status");
    assert_refused("c:ok:200::1:0", "bad header_ms");
    assert_refused("c:ok:200:4294967295:1:0", "bad header_ms");
    assert_refused("c:ok:200:1:4294967296:0", "bad duration_ms");
    assert_refused("c:ok:200:1:99999999999:0", "bad duration_ms");
    assert_refused("c:ok:200:1:1:2", "bad swallowed");
    assert_refused("c:ok:200:1:1:", "bad swallowed");
    assert_refused("c:ok:200:1:1:0|c:ok:200:1:1:yes", "attempt 2: bad swallowed");
    // Lower-case escapes are not written, but are read.
    aigw::attempts_decode_result r = decode_attempts("a%3ab:ok:200:1:1:0");
    assert_true(r.ok);
    assert_sv_equal(r.attempts[0].channel, "a:b");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(outcome_names),
        cmocka_unit_test(outcome_of_status),
        cmocka_unit_test(writes_the_documented_text),
        cmocka_unit_test(escapes_what_is_not_a_plain_name),
        cmocka_unit_test(sizes_match_and_stay_in_bound),
        cmocka_unit_test(cuts_a_long_name),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(empty_is_no_attempt),
        cmocka_unit_test(most_attempts),
        cmocka_unit_test(bad_input),
    };
    return cmocka_run_group_tests_name("attempts", tests, nullptr, nullptr);
}
