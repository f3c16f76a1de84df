// OpenAI's error shape for the canonical error.
#pragma once

#include <string>

#include "aigw/api/error.hpp"
#include "aigw/text/json_write.hpp"

namespace aigw {

// The object inside: {"message":...,"type":...,"param":...,"code":...}, empty words as null.
void write_error_object(json_writer& w, const api_error& e);

// {"error":{"message":...,"type":...,"param":...,"code":...}}
std::string error_json(const api_error& e);

// "event: error\ndata: {...}\n\n" for a stream that already started.
std::string error_sse_event(const api_error& e);

}  // namespace aigw
