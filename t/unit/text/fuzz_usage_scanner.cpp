// libFuzzer target (`make fuzz FUZZ_TARGET=usage_scanner`): the usage scanner gives the same
// answer whatever the split, holds no more than its bound, and agrees with the whole-body
// reader wherever that one finds usage (the scanner checks less, so it may find usage in a body
// the whole-body reader refuses, never a different one).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aigw/dialects/openai_chat/usage.hpp"
#include "aigw/text/usage_scanner.hpp"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_usage_scanner: invariant broken: %s\n", what);
        std::abort();
    }
}

bool same(const aigw::usage& a, const aigw::usage& b) {
    return a.present == b.present && a.prompt_tokens == b.prompt_tokens &&
           a.completion_tokens == b.completion_tokens && a.total_tokens == b.total_tokens &&
           a.cached_tokens == b.cached_tokens && a.reasoning_tokens == b.reasoning_tokens;
}

// Pieces responses are made of: with these, random bytes become bodies worth scanning.
const char* const fragments[] = {
    "{", "}", "[", "]", ",", ":", "\"", "\\", "\\\"", "\\\\", "\\u0061", " ", "\n", "1", "-2.5e3",
    "null", "true", "\"usage\"", "\"us\\u0061ge\"", "\"choices\"", "\"x\"",
    "{\"prompt_tokens\":9,\"completion_tokens\":3}", "{\"prompt_tokens\":2,\"total_tokens\":7}",
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}", "\"usage\":null",
};

}  // namespace

// The first byte is how to cut, the rest says what to write: a byte below 0xE0 is itself, above
// picks a fragment.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    unsigned cut = data[0];
    std::string body;
    for (std::size_t i = 1; i < size; ++i) {
        unsigned c = data[i];
        if (c >= 0xE0) {
            body += fragments[(c - 0xE0) % (sizeof fragments / sizeof fragments[0])];
        } else {
            body += static_cast<char>(c);
        }
    }
    const aigw::usage_parser& parser = aigw::openai_usage_parser();

    // A small bound, so the fuzzer reaches it; the whole-body comparison uses the default one.
    aigw::usage_scanner bounded(64);
    bounded.feed(body);
    check(bounded.value().size() <= 64, "the kept value stays within its bound");
    aigw::usage_scanner whole;
    whole.feed(body);
    aigw::usage scanned = whole.finish(parser);

    // Pieces of 1 + cut % 7 bytes, and a cut at `cut` scaled to the body.
    aigw::usage_scanner pieces;
    std::size_t step = 1 + cut % 7;
    for (std::size_t i = 0; i < body.size(); i += step) {
        pieces.feed(std::string_view(body).substr(i, step));
    }
    check(same(pieces.finish(parser), scanned), "the same usage in pieces as whole");
    aigw::usage_scanner two;
    std::size_t at = body.size() * cut / 255;
    two.feed(std::string_view(body).substr(0, at));
    two.feed(std::string_view(body).substr(at));
    check(same(two.finish(parser), scanned), "the same usage cut in two as whole");

    aigw::usage reference = parser.from_response(body);
    if (reference.present) {
        check(same(scanned, reference), "the whole-body reader's usage");
    }
    return 0;
}
