// Google's error shape for the canonical error, and the canonical error from Google's:
//   {"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED"}}
// status follows the HTTP code as google.rpc.Code maps it:
//   400 INVALID_ARGUMENT  401 UNAUTHENTICATED  403 PERMISSION_DENIED  404 NOT_FOUND
//   409 ABORTED  413 INVALID_ARGUMENT  429 RESOURCE_EXHAUSTED  499 CANCELLED  500 INTERNAL
//   501 UNIMPLEMENTED  503 UNAVAILABLE  504 DEADLINE_EXCEEDED; another 4xx FAILED_PRECONDITION,
//   another 5xx INTERNAL (402 and 529, which Google never sends, are FAILED_PRECONDITION and
//   UNAVAILABLE).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aigw/api/error.hpp"

namespace aigw::gemini {

std::string_view status_name(int http_status) noexcept;

// {"error":{"code":..,"message":..,"status":..}}
std::string error_json(const api_error& e);

// "data: {error json}\r\n\r\n": how a Gemini stream that already started reports a failure
// (the Gemini SDKs throw on a chunk with an "error" member).
std::string error_event(const api_error& e);

// An upstream's Google error as the canonical error, for a client of another dialect. The
// HTTP status is kept (`status`, or the error's code when the status is below 400: an error
// chunk inside a stream that began 200; without a code, the status word's own status, else
// 500); the canonical type is OpenAI's word for that status (invalid_request_error,
// authentication_error, permission_error, not_found_error, rate_limit_error = 429 with code
// rate_limit_exceeded, api_error for 5xx), the code is Google's status word in lower case
// ("resource_exhausted"; null for a word google.rpc.Code does not have), the message the
// upstream's. A body that is not Google's error shape (no "error" object with a string
// "message") gives upstream_bad_response_error(status).
api_error read_error(int status, std::string_view body);

// How long a Google error body asks the client to wait, in milliseconds (rounded up): the
// retryDelay ("21s", "0.5s") of its google.rpc.RetryInfo detail, which Google's 429
// RESOURCE_EXHAUSTED carries instead of a Retry-After header. 0 when the body has none or is
// not Google's error shape.
std::uint64_t retry_delay_ms(std::string_view body);

}  // namespace aigw::gemini
