// The Responses API's errors: OpenAI's error body, and the error event of a stream.
#pragma once

#include <cstdint>
#include <string>

#include "aigw/api/error.hpp"

namespace aigw::responses {

// The error event of a stream that already started, as OpenAI sends it and as the SDKs raise
// it: "event: error\ndata: {...}\n\n" with the documented members at the top level, and the
// error object again under "error", which OpenAI itself sends and the openai SDKs read (the
// Python SDK raises only for an "error" member, the Node SDK prefers it):
//   {"type":"error","code":..,"message":..,"param":..,"sequence_number":N,
//    "error":{"message":..,"type":..,"param":..,"code":..}}
// An empty code or param is null. `sequence_number` is the event's place in its stream; a
// caller that does not know it (the glue, after a passthrough stream it did not number) gives
// 0.
std::string error_event(const api_error& e, std::uint64_t sequence_number = 0);

}  // namespace aigw::responses
