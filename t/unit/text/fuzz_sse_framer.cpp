// libFuzzer target (`make fuzz`): the SSE framer must give the same events whatever the split,
// keep its memory within the limits, agree with sse_event_scanner on event ends, and hand
// usage reading and token estimates data they survive; stripping "usage":null from chunks and
// events only removes bytes, leaves valid objects and has nothing left to strip after.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/openai_chat/response.hpp"
#include "aigw/text/sse.hpp"
#include "aigw/text/sse_framer.hpp"
#include "aigw/accounting/token_estimate.hpp"
#include "aigw/dialects/openai_chat/usage.hpp"

using aigw::sse_end;
using aigw::sse_event;
using aigw::sse_framer;
using aigw::sse_limits;
using aigw::sse_status;

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_sse_framer: invariant broken: %s\n", what);
        std::abort();
    }
}

// Pieces SSE streams are made of: with these, random bytes become streams worth framing.
const char* const fragments[] = {
    "data: ", "data:", "data", "event: ", "event: error", "id: ", "id", "retry: 10", ":", ": ping",
    " ", "\n", "\r", "\r\n", "[DONE]", "\xEF\xBB\xBF", "\xC3\xA9", "\xE4\xBD\xA0", "\xF0\x9F\x91\x8B",
    "x", "",  // "" stands for a NUL byte
    "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}",
    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"", "\"}}]}",
    "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"",
    "\"reasoning_content\":\"", "\"usage\":", "null", "[", "]", "{", "}", ",", "\"",
    "{\"messages\":[{\"role\":\"user\",\"content\":\"",
};
constexpr std::size_t fragment_count = sizeof(fragments) / sizeof(fragments[0]);

std::string fragment(std::size_t i) {
    if (fragments[i][0] == '\0') return std::string(1, '\0');
    return fragments[i];
}

// The first byte picks raw bytes or a stream assembled from fragments.
std::string stream_from(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return std::string();
    if ((data[0] & 1) == 0) return std::string(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string s;
    for (std::size_t i = 1; i < size; i++) {
        s += fragment(data[i] % fragment_count);
    }
    return s;
}

struct framed {
    std::vector<sse_event> events;
    sse_status status = sse_status::ok;
    sse_end end = sse_end::clean;
    std::size_t max_buffered = 0;
};

// Frames `s` in pieces whose lengths come from a small generator seeded with `seed`
// (seed 0: one piece; seed 1: one byte at a time).
framed frame(const std::string& s, std::uint32_t seed, sse_limits limits = {}) {
    sse_framer f(limits);
    framed r;
    std::size_t pos = 0;
    std::uint32_t x = seed;
    while (pos < s.size()) {
        std::size_t n = s.size() - pos;
        if (seed == 1) {
            n = 1;
        } else if (seed > 1) {
            x = x * 1103515245u + 12345u;
            n = std::min<std::size_t>(n, 1 + (x >> 16) % 13);
        }
        r.status = f.feed(std::string_view(s).substr(pos, n), r.events);
        if (f.buffered() > r.max_buffered) r.max_buffered = f.buffered();
        pos += n;
    }
    r.end = f.finish(r.events);
    return r;
}

bool same_event(const sse_event& a, const sse_event& b) {
    return a.type == b.type && a.data == b.data && a.id == b.id && a.has_data == b.has_data &&
           a.is_done == b.is_done && a.partial == b.partial && a.begin == b.begin && a.end == b.end;
}

bool same(const framed& a, const framed& b) {
    if (a.events.size() != b.events.size() || a.status != b.status || a.end != b.end) return false;
    for (std::size_t i = 0; i < a.events.size(); i++) {
        if (!same_event(a.events[i], b.events[i])) return false;
    }
    return true;
}

void check_ranges(const std::string& s, const framed& r) {
    std::uint64_t prev_end = 0;
    for (const sse_event& ev : r.events) {
        check(ev.begin < ev.end, "an event has bytes");
        check(ev.begin >= prev_end, "events do not overlap");
        check(ev.end <= s.size(), "events lie within the stream");
        if (!ev.partial) {
            char last = s[ev.end - 1];
            check(last == '\n' || last == '\r', "an event ends with its blank line");
            aigw::sse_event_scanner sc;
            sc.feed(s.data(), ev.end);
            check(sc.at_event_end(), "the scanner sees the same event end");
        } else {
            check(ev.end == s.size(), "only the last event is partial");
        }
        check(ev.is_done == (ev.has_data && ev.data == "[DONE]"), "is_done means data [DONE]");
        prev_end = ev.end;
    }
}

// Dropping every other whole event leaves a stream that frames into the rest.
void check_dropping(const std::string& s, const framed& r) {
    std::string rest;
    std::vector<const sse_event*> kept;
    std::uint64_t pos = 0;
    for (std::size_t i = 0; i < r.events.size(); i++) {
        const sse_event& ev = r.events[i];
        if (i % 2 == 1 && !ev.partial) {
            rest.append(s, pos, ev.begin - pos);
            pos = ev.end;
        } else {
            kept.push_back(&ev);
        }
    }
    rest.append(s, pos, std::string::npos);
    framed after = frame(rest, 0);
    check(after.events.size() == kept.size(), "dropping keeps the other events");
    for (std::size_t i = 0; i < kept.size(); i++) {
        // ids persist across events, so a dropped id: may change later ones; the rest may not.
        check(after.events[i].data == kept[i]->data && after.events[i].type == kept[i]->type &&
              after.events[i].has_data == kept[i]->has_data, "dropping leaves events unchanged");
    }
}

void check_usage_reading(const framed& r) {
    const aigw::usage_parser& parser = aigw::openai_usage_parser();
    aigw::token_counter counter;
    for (const sse_event& ev : r.events) {
        if (!ev.has_data) continue;
        std::string text;
        aigw::chunk_info info = parser.read_chunk(ev.data, &text);
        check(!info.usage_only || (info.tokens.present && !info.content_bearing),
              "a usage-only chunk has usage and no output");
        check(info.json_object || (!info.tokens.present && text.empty()),
              "nothing is read from what is not a JSON object");
        check(!info.tokens.present || info.tokens.total_tokens >= 0, "counts are not negative");
        counter.add(text);
        check(aigw::estimate_tokens(ev.data) >= (ev.data.empty() ? 0 : 1), "estimates are sane");
        check(aigw::estimate_prompt_tokens(ev.data) >= 0, "prompt estimates are sane");
        parser.from_response(ev.data);
    }
    check(counter.tokens() >= 0, "the stream estimate is sane");
}

// `small` is `big` with some bytes left out, none changed or moved.
bool subsequence(std::string_view small, std::string_view big) {
    std::size_t j = 0;
    for (char c : big) {
        if (j < small.size() && small[j] == c) ++j;
    }
    return j == small.size();
}

void check_stripped(std::string_view in, const std::optional<std::string>& out,
                    std::optional<std::string> (*strip)(std::string_view) noexcept) {
    if (!out) return;
    check(out->size() < in.size() && subsequence(*out, in), "stripping only removes bytes");
    check(!strip(*out), "stripping leaves nothing to strip");
}

void check_null_usage(const std::string& s, const framed& r) {
    for (const sse_event& ev : r.events) {
        std::string_view raw = std::string_view(s).substr(ev.begin, ev.end - ev.begin);
        check_stripped(raw, aigw::strip_event_null_usage(raw), aigw::strip_event_null_usage);
        std::optional<std::string> chunk = aigw::strip_null_usage(ev.data);
        check_stripped(ev.data, chunk, aigw::strip_null_usage);
        check(!chunk || aigw::openai_usage_parser().read_chunk(*chunk, nullptr).json_object,
              "a stripped chunk is still a JSON object");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string s = stream_from(data, size);
    framed whole = frame(s, 0);
    check(whole.status == sse_status::ok, "default limits hold small inputs");
    check(same(frame(s, 1), whole), "one byte at a time frames the same");
    std::uint32_t seed = 2;
    for (std::size_t i = 0; i < size && i < 8; i++) seed = seed * 31 + data[i];
    check(same(frame(s, seed | 2), whole), "random pieces frame the same");
    check_ranges(s, whole);
    check_dropping(s, whole);
    check_usage_reading(whole);
    check_null_usage(s, whole);

    // Small limits: an error stops framing, after events that match the unlimited ones, and
    // the memory held never passes the limit.
    sse_limits small;
    small.max_line = 24;
    small.max_event = 40;
    framed limited = frame(s, seed | 2, small);
    check(same(frame(s, 1, small), limited), "limits trip the same way whatever the split");
    check(limited.max_buffered <= small.max_event, "memory stays within max_event");
    check(limited.events.size() <= whole.events.size(), "no more events under limits");
    if (limited.status == sse_status::ok) {
        check(same(limited, whole), "within the limits nothing changes");
    } else {
        check(limited.end == sse_end::error, "finish reports the error");
        for (std::size_t i = 0; i < limited.events.size(); i++) {
            check(same_event(limited.events[i], whole.events[i]), "events before an error match");
        }
    }
    return 0;
}
