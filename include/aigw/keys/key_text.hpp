// Client API keys as text: finding the key in a request, its format, making new ones, hashing
// and masking. The raw key lives only in the request and in the CLI's one-time output;
// everything stored or logged is its sha256 hex, its id, or its masked form.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aigw {

inline constexpr std::string_view key_prefix = "sk-aigw-";
inline constexpr std::size_t key_random_len = 48;       // what generate_key makes
inline constexpr std::size_t key_min_random_len = 40;   // what key_format_ok accepts
// A longer header value is not a key we issued; the cap bounds hashing and copying.
inline constexpr std::size_t key_max_random_len = 128;
inline constexpr std::string_view key_id_prefix = "key_";
inline constexpr std::size_t key_id_random_len = 16;
inline constexpr std::size_t sha256_hex_len = 64;

// ---- the key in a request ----

enum class key_source { none, authorization, x_api_key, x_goog_api_key, query };

struct presented_key {
    std::string_view key;                    // a view into the header value passed in
    key_source source = key_source::none;
};

// The key a client presented: `Authorization: Bearer <key>` (scheme case-insensitive), else
// `x-api-key`, else `x-goog-api-key`, else the query's `?key=` (Gemini clients; the value
// as query_credential_value() gives it); surrounding spaces/tabs trimmed. A header that is
// empty, blank, or an Authorization with another scheme does not count and the next one is
// tried. Empty key and key_source::none when none holds one (-> missing_api_key).
presented_key extract_key(std::string_view authorization, std::string_view x_api_key,
                          std::string_view x_goog_api_key, std::string_view query_key = {});

std::string_view key_source_name(key_source s);  // "authorization", "x-api-key", ...

// sk-aigw- followed by key_min_random_len..key_max_random_len base62 characters.
bool key_format_ok(std::string_view key);

// ---- making and hashing keys ----

// sk-aigw- + key_random_len uniform base62 characters from RAND_bytes. Empty if the CSPRNG
// failed (callers must refuse to go on rather than fall back to weaker randomness).
std::string generate_key();

// key_ + key_id_random_len base62 characters; empty if the CSPRNG failed.
std::string generate_key_id();

// Lowercase hex SHA-256 of `data` (sha256_hex_len characters); empty only if OpenSSL failed.
std::string sha256_hex(std::string_view data);

// The raw 32-byte SHA-256 of `data`; false only if OpenSSL failed.
bool sha256(std::string_view data, unsigned char out[32]);

// 64 lowercase hex digits of a 32-byte digest; the first writes them at `out` (no NUL), for
// the paths that look a key up on every request.
void hex_digest(const unsigned char digest[32], char out[sha256_hex_len]);
std::string hex_digest(const unsigned char digest[32]);

// "sk-aigw-…abcd": the prefix (only if the key has it), U+2026, and the last 4 characters when
// at least 8 others stay hidden and those 4 are plain [A-Za-z0-9_-]; else no tail at all, so a
// short or odd value is never echoed back. Safe to log and to put in an error message.
std::string mask_key(std::string_view key);

// The masked form from a record's stored last4 (the CLI has no raw key to mask).
std::string mask_from_last4(std::string_view last4);

// Equal bytes, in time that depends only on the lengths (CRYPTO_memcmp). Different lengths are
// unequal without reading past either buffer.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace aigw
