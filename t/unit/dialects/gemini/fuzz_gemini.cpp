// libFuzzer target (`make fuzz FUZZ_TARGET=gemini`): Gemini's answers on hostile input.
// Nothing crashes, leaks or recurses without bound, and what translation writes it reads back:
// - a body through the pivot and back is read again, and stays as it is on a second pass (the
//   first may fill in an id, a finish reason);
// - the stream encoder's chunks, for whatever the decoder made of the input, all decode;
// - the usage reader and the model rename answer anything.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/gemini/response.hpp"
#include "aigw/dialects/gemini/translate.hpp"
#include "aigw/dialects/gemini/usage.hpp"
#include "aigw/text/sse_framer.hpp"

namespace {

namespace api = aigw::api;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_gemini: invariant broken: %s\n", what);
        std::abort();
    }
}

// Pieces answers are made of: with these, random bytes become bodies worth reading.
const char* const fragments[] = {
    "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u00e9", " ", "1", "-2.5e3", "12.0", "null", "true",
    "\"candidates\":[", "{\"content\":{\"parts\":[", "\"role\":\"model\"", "{\"text\":\"t\"}",
    "{\"text\":\"r\",\"thought\":true}", "{\"functionCall\":{\"name\":\"f\",\"args\":{\"a\":[1]}}}",
    "{\"functionCall\":{\"id\":\"c\",\"name\":\"g\"}}", "\"finishReason\":\"STOP\"",
    "\"finishReason\":\"MAX_TOKENS\"", "\"finishReason\":\"SAFETY\"",
    "\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":3,\"thoughtsTokenCount\":2}",
    "\"cachedContentTokenCount\":4", "\"toolUsePromptTokenCount\":1",
    "\"promptFeedback\":{\"blockReason\":\"SAFETY\"}", "\"modelVersion\":\"m\"", "\"responseId\":\"r\"",
    "\"error\":{\"code\":503,\"message\":\"e\",\"status\":\"UNAVAILABLE\"}", "data: ", "\r\n\r\n",
};

// Random bytes, or (first byte odd) fragments picked by the bytes that follow.
std::string shape(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || (data[0] & 1) == 0) return std::string(reinterpret_cast<const char*>(data), size);
    std::string out;
    constexpr std::size_t n = sizeof(fragments) / sizeof(fragments[0]);
    for (std::size_t i = 1; i < size; ++i) out += fragments[data[i] % n];
    return out;
}

void whole_body(const std::string& body) {
    api::response first;
    if (!aigw::gemini::response_to_pivot(body, first)) return;
    std::string written = aigw::gemini::response_from_pivot(first);
    api::response second;
    check(aigw::gemini::response_to_pivot(written, second), "a written body reads back");
    check(aigw::gemini::response_from_pivot(second) == written, "a second pass writes the same");
    check(second.text == first.text && second.reasoning == first.reasoning, "text survives");
    check(second.tool_calls.size() == first.tool_calls.size(), "calls survive");
}

void stream(const std::string& bytes) {
    aigw::sse_framer framer;
    std::vector<aigw::sse_event> frames;
    if (framer.feed(bytes, frames) != aigw::sse_status::ok) return;
    framer.finish(frames);
    auto decoder = aigw::gemini::make_stream_decoder();
    auto encoder = aigw::gemini::make_stream_encoder(api::request{});
    std::vector<api::event> events;
    std::string out;
    for (const aigw::sse_event& f : frames) {
        events.clear();
        decoder->decode(f.type, f.data, events);
        for (const api::event& e : events) encoder->encode(e, out);
        aigw::gemini::usage_reader().read_chunk(f.data, &out);
        (void)aigw::gemini::rename_event_model("data: " + f.data + "\r\n\r\n", "x");
    }
    api::event done;
    done.kind = api::event_kind::done;
    std::string encoded;
    for (const aigw::sse_event& f : frames) {
        events.clear();
        decoder->decode(f.type, f.data, events);
        for (const api::event& e : events) encoder->encode(e, encoded);
    }
    encoder->encode(done, encoded);
    // What the encoder wrote decodes, chunk by chunk.
    aigw::sse_framer again;
    std::vector<aigw::sse_event> written;
    check(again.feed(encoded, written) == aigw::sse_status::ok, "encoded chunks frame");
    again.finish(written);
    auto reader = aigw::gemini::make_stream_decoder();
    for (const aigw::sse_event& f : written) {
        events.clear();
        check(reader->decode(f.type, f.data, events), "an encoded chunk decodes");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input = shape(data, size);
    whole_body(input);
    std::string text;
    (void)aigw::gemini::usage_reader().read_response(input, &text);
    (void)aigw::gemini::rename_response_model(input, "model \xc3\xa9");
    stream(input);
    return 0;
}
