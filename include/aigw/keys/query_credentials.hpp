// Client credentials in a query string (`?key=...`, as Gemini clients send them): they are
// never forwarded upstream and never reach a log.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aigw {

// Whether a query parameter's name (as sent, percent-encoded or not) names a credential:
// `key`, in any case.
bool is_credential_param(std::string_view name);

// The value of a query string's (without '?') first credential parameter, percent-decoded
// ("" when it has none, or an empty one). Bounded: a value longer than `max` bytes gives
// its first `max` bytes, which no key format accepts.
std::string query_credential_value(std::string_view args, std::size_t max);

// A query string (without '?') without its credential parameters; the others stay byte for
// byte and in order. nullopt when it has none.
std::optional<std::string> strip_credential_params(std::string_view args);

// A request line ("POST /v1/x?key=... HTTP/1.1") or a URI ("/v1/x?key=...") with the value of
// each credential parameter of its query replaced by mask_key() of it. nullopt when it has
// none.
std::optional<std::string> mask_credential_params(std::string_view text);

}  // namespace aigw
