// The pivot of an answer: a whole response and the events of a streamed one, as plain structs.
// Translation runs channel decoder (upstream bytes -> events) -> client encoder (events ->
// bytes); a dialect that is the same on both sides never gets here (passthrough).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/api/error.hpp"
#include "aigw/api/request.hpp"
#include "aigw/api/usage.hpp"

namespace aigw::api {

// Why the model stopped, in OpenAI's words (each dialect maps its own to these).
enum class finish_reason : unsigned char { none, stop, length, tool_calls, content_filter };

// A whole answer with one choice (translation serves n = 1 only).
struct response {
    std::string id;          // the upstream's id, "" if none
    std::string model;
    std::int64_t created = 0;  // Unix seconds, 0 if the upstream gave none
    std::string text;
    std::string reasoning;
    std::string refusal;
    std::vector<tool_call> tool_calls;
    finish_reason finish = finish_reason::none;
    aigw::usage tokens;      // tokens.present when the upstream reported usage
    // The upstream refused the prompt and answered nothing (Gemini's promptFeedback):
    // `block_reason` says why ("SAFETY"); the glue answers content_filter_error.
    bool blocked = false;
    std::string block_reason;
};

enum class event_kind : unsigned char {
    start,            // id, model, created: the answer begins (first event, once)
    text_delta,       // text
    reasoning_delta,  // text
    refusal_delta,    // text
    tool_call_start,  // index, id, name: a new call (its arguments follow as deltas)
    tool_call_delta,  // index, text: a piece of the call's JSON arguments
    finish,           // finish: the choice ended
    usage,            // tokens: counts for the whole answer
    error,            // error: the upstream reported an error mid-stream
    done,             // the stream ended cleanly
};

struct event {
    event_kind kind = event_kind::start;
    std::size_t index = 0;   // tool_call_*: which call, from 0 in order of appearance
    std::string id;          // start: the answer's id; tool_call_start: the call's id
    std::string name;        // tool_call_start: the function
    std::string model;       // start
    std::int64_t created = 0;  // start: Unix seconds, 0 if the upstream gave none
    std::string text;        // *_delta
    finish_reason finish = finish_reason::none;
    aigw::usage tokens;
    api_error error;
};

// An event of `kind`, its text and index as given (a decoder's shorthand).
inline event make_event(event_kind kind, std::string_view text = {}, std::size_t index = 0) {
    event e;
    e.kind = kind;
    e.text.assign(text.data(), text.size());
    e.index = index;
    return e;
}

// Upstream bytes -> events, one SSE event at a time (the glue frames the stream). `data` is the
// event's data (its data: lines joined), `type` its event: field ("" if none).
class stream_decoder {
public:
    virtual ~stream_decoder() = default;
    // Appends what this event says to `out`. False when the event is not one the dialect
    // defines (malformed JSON, wrong shape): the caller decides (skip it, or end the stream
    // with an error).
    virtual bool decode(std::string_view type, std::string_view data, std::vector<event>& out) = 0;
};

// Events -> the client's bytes (whole SSE events), appended to `out`.
class stream_encoder {
public:
    virtual ~stream_encoder() = default;
    virtual void encode(const event& e, std::string& out) = 0;
};

}  // namespace aigw::api
