// Request ids: a client may bring its own (X-Request-Id); otherwise the gateway makes one
// shaped like OpenAI's ("req_" + 32 hex digits).
#pragma once

#include <cstddef>
#include <string_view>

namespace aigw {

inline constexpr std::size_t request_id_len = 36;       // "req_" + 32 hex
inline constexpr std::size_t client_request_id_max = 128;

// Writes exactly request_id_len bytes. Returns false if no secure randomness was available.
bool make_request_id(char* out);

// A client-supplied id is used only if it is short and made of safe characters,
// so it cannot inject into headers or logs.
bool acceptable_client_request_id(std::string_view id);

}  // namespace aigw
