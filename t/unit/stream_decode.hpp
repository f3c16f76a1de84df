// A whole SSE stream through a dialect's decoder, for the stream tests: the bytes framed as
// the glue frames them, fed `step` bytes at a time (so lines and UTF-8 sequences split), each
// event decoded; every event must have data and decode. Include it after cmocka.h, and
// aigw/text/sse_framer.hpp before cmocka.h (cmocka's fail() macro breaks its declarations).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "aigw/api/stream.hpp"
#include "aigw/text/sse_framer.hpp"

inline std::vector<aigw::api::event> decode_sse(aigw::api::stream_decoder& decoder,
                                                std::string_view bytes, std::size_t step) {
    aigw::sse_framer framer;
    std::vector<aigw::sse_event> frames;
    for (std::size_t at = 0; at < bytes.size(); at += step) {
        assert_int_equal(static_cast<int>(framer.feed(bytes.substr(at, step), frames)),
                         static_cast<int>(aigw::sse_status::ok));
    }
    assert_int_equal(static_cast<int>(framer.finish(frames)), static_cast<int>(aigw::sse_end::clean));
    std::vector<aigw::api::event> events;
    for (const aigw::sse_event& f : frames) {
        assert_true(f.has_data);
        if (!decoder.decode(f.type, f.data, events)) {
            print_error("not decoded: %s\n", f.data.c_str());
            fail();
        }
    }
    return events;
}
