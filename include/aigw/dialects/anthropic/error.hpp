// Anthropic's error shape for the canonical error, and the canonical error from Anthropic's.
//
// Anthropic's error type follows the HTTP status:
//   400 invalid_request_error (and every 4xx not below)  401 authentication_error
//   402 billing_error   403 permission_error   404 not_found_error   413 request_too_large
//   429 rate_limit_error   529 overloaded_error   500, 502, 503, 504 (any other) api_error
#pragma once

#include <string>
#include <string_view>

#include "aigw/api/error.hpp"

namespace aigw::anthropic {

// Anthropic's error type for `e`, from e.status as above.
std::string_view error_type(const api_error& e) noexcept;

// {"type":"error","error":{"type":...,"message":...}}
std::string error_json(const api_error& e);

// "event: error\ndata: {...}\n\n", for a stream that already started.
std::string error_event(const api_error& e);

// An upstream's Anthropic error as the canonical error, for a client of another dialect.
// `status` is the HTTP status of the answer; one below 400 (an error event inside a stream
// that began 200) is replaced by the status Anthropic gives the error's type (overloaded_error
// 529, api_error 500, ...). The canonical type is OpenAI's word for the same failure (not_found_error
// and request_too_large are invalid_request_error, billing_error is insufficient_quota,
// overloaded_error is api_error) and the code is Anthropic's type, so nothing is lost; the
// message is the upstream's. A body that is not Anthropic's error shape gives
// upstream_bad_response_error(status).
api_error read_error(int status, std::string_view body);

}  // namespace aigw::anthropic
