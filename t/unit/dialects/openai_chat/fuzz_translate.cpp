// libFuzzer target (`make fuzz FUZZ_TARGET=translate`): OpenAI chat translation on hostile
// input. Nothing crashes, leaks or recurses without bound, and what translation writes it
// reads back the same:
// - a request read into the pivot comes back the same from the body written for it;
// - a response or a stream, once through the pivot and back, stays as it is on a second pass
//   (the first pass may fill in an id, a time, a finish reason, OpenAI's order of chunks).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/openai_chat/translate.hpp"
#include "pivot_diff.hpp"

namespace {

namespace api = aigw::api;

void check(const std::string& diff, const char* what) {
    if (!diff.empty()) {
        std::fprintf(stderr, "fuzz_translate: %s differs at %s\n", what, diff.c_str());
        std::abort();
    }
}

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_translate: invariant broken: %s\n", what);
        std::abort();
    }
}

// Pieces requests and chunks are made of: with these, random bytes become bodies worth reading.
const char* const fragments[] = {
    "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u00e9", " ", "1", "-2.5e3", "null", "true",
    "\"model\":\"m\"", "\"messages\":[", "{\"role\":\"user\",\"content\":\"x\"}",
    "\"role\":\"assistant\"", "\"role\":\"tool\",\"tool_call_id\":\"c\"", "\"content\":",
    "{\"type\":\"text\",\"text\":\"t\"}", "{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}}",
    "\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]",
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"a\":[1]}}}]",
    "\"tool_choice\":", "\"stream\":true", "\"stream_options\":{\"include_usage\":true}",
    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{}}}",
    "\"stop\":", "\"max_tokens\":", "\"temperature\":", "\"choices\":[",
    "{\"index\":0,\"delta\":{", "\"message\":{", "\"finish_reason\":\"stop\"",
    "\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"x\"}}]",
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}", "\"error\":{\"message\":\"e\"}",
    "\"reasoning_content\":\"r\"", "\"refusal\":\"no\"", "[DONE]", "\n",
};

void request_round_trip(std::string_view body) {
    api::request req;
    aigw::api_error err;
    if (!aigw::openai_chat_request_to_pivot(body, req, err)) {
        check(err.status == 400 && !err.message.empty(), "a refusal is a 400 with words");
        return;
    }
    std::string written = aigw::openai_chat_request_from_pivot(req);
    api::request back;
    check(aigw::openai_chat_request_to_pivot(written, back, err), "the written body is read");
    check(pivot_diff::diff(back, req), "request after a round trip");
}

void response_fixpoint(std::string_view body) {
    api::response first;
    if (!aigw::openai_chat_response_to_pivot(body, first)) return;
    api::response second;
    check(aigw::openai_chat_response_to_pivot(aigw::openai_chat_response_from_pivot(first), second),
          "the written response is read");
    api::response third;
    check(aigw::openai_chat_response_to_pivot(aigw::openai_chat_response_from_pivot(second), third),
          "the written response is read again");
    check(pivot_diff::diff(third, second), "response on a second pass");
}

std::vector<api::event> decode_sse(std::string_view sse) {
    auto decoder = aigw::openai_chat_stream_decoder();
    std::vector<api::event> events;
    while (!sse.empty()) {
        std::size_t end = sse.find("\n\n");
        std::string_view block = sse.substr(0, end);
        sse.remove_prefix(end == std::string_view::npos ? sse.size() : end + 2);
        std::string_view type;
        std::string_view data;
        if (block.rfind("event: ", 0) == 0) {
            std::size_t nl = block.find('\n');
            type = block.substr(7, nl == std::string_view::npos ? block.size() : nl - 7);
            block.remove_prefix(nl == std::string_view::npos ? block.size() : nl + 1);
        }
        if (block.rfind("data: ", 0) == 0) data = block.substr(6);
        std::vector<api::event> out;
        check(decoder->decode(type, data, out), "the encoder's events decode");
        for (api::event& e : out) events.push_back(std::move(e));
    }
    return events;
}

std::string encode(const std::vector<api::event>& events, bool include_usage) {
    api::request req;
    req.model = "m";
    req.stream = true;
    req.include_usage = include_usage;
    auto encoder = aigw::openai_chat_stream_encoder(req);
    std::string out;
    for (const api::event& e : events) encoder->encode(e, out);
    return out;
}

// Each line is one event's data; a line that is not a chunk is skipped, as the glue may.
void stream_fixpoint(std::string_view input, bool include_usage) {
    auto decoder = aigw::openai_chat_stream_decoder();
    std::vector<api::event> first;
    while (!input.empty()) {
        std::size_t nl = input.find('\n');
        std::string_view line = input.substr(0, nl);
        input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
        std::vector<api::event> out;
        if (decoder->decode("", line, out)) {
            for (api::event& e : out) first.push_back(std::move(e));
        } else {
            check(out.empty(), "a refused event adds nothing");
        }
    }
    std::vector<api::event> second = decode_sse(encode(first, include_usage));
    std::vector<api::event> third = decode_sse(encode(second, include_usage));
    check(pivot_diff::diff(third, second), "stream on a second pass");
}

}  // namespace

// The first byte says what the rest is (a request, a response, a stream with or without
// usage); after it a byte below 0xE0 is itself, above picks a fragment.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string input;
    for (std::size_t i = 1; i < size; ++i) {
        unsigned c = data[i];
        if (c >= 0xE0) {
            input += fragments[(c - 0xE0) % (sizeof fragments / sizeof fragments[0])];
        } else {
            input += static_cast<char>(c);
        }
    }
    switch (data[0] % 4) {
    case 0: request_round_trip(input); break;
    case 1: response_fixpoint(input); break;
    case 2: stream_fixpoint(input, true); break;
    default: stream_fixpoint(input, false); break;
    }
    return 0;
}
