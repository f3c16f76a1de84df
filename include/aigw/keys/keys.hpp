// Client API keys: finding the key in a request, its format, making new ones, hashing and
// masking, the record Redis holds for it, and the checks the access phase applies.
// The raw key lives only in the request and in the CLI's one-time output; everything stored or
// logged is its sha256 hex, its id, or its masked form.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aigw/api/error.hpp"

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

enum class key_source { none, authorization, x_api_key, x_goog_api_key };

struct presented_key {
    std::string_view key;                    // a view into the header value passed in
    key_source source = key_source::none;
};

// The key a client presented: `Authorization: Bearer <key>` (scheme case-insensitive), else
// `x-api-key`, else `x-goog-api-key`; surrounding spaces/tabs trimmed. A header that is empty,
// blank, or an Authorization with another scheme does not count and the next one is tried.
// Empty key and key_source::none when no header holds one (-> missing_api_key).
presented_key extract_key(std::string_view authorization, std::string_view x_api_key,
                          std::string_view x_goog_api_key);

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

// 64 lowercase hex digits of a 32-byte digest.
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

// ---- IP addresses and CIDR blocks ----

struct ip_address {
    bool v4 = false;
    std::array<std::uint8_t, 16> bytes{};   // IPv4 uses the first 4
};

struct cidr_block {
    ip_address base;                        // host bits cleared
    unsigned prefix_len = 0;                // 0..32 for IPv4, 0..128 for IPv6
};

// A literal IPv4 or IPv6 address, as NGINX's $remote_addr spells it. IPv4-mapped IPv6
// (::ffff:10.1.2.3, what a dual-stack listener reports) comes back as the IPv4 address, so it
// meets the IPv4 rules an admin wrote. nullopt for anything else (zone ids, "unix:", names).
std::optional<ip_address> parse_ip(std::string_view text);

struct cidr_parse_result {
    bool ok = false;
    cidr_block block;
    std::string error;                      // why not, when !ok
};

// "10.0.0.0/8", "2001:db8::/32", or a single address ("10.1.2.3" = /32, "::1" = /128).
// Host bits past the prefix are cleared ("10.1.2.3/8" is 10.0.0.0/8). An IPv6 block inside
// ::ffff:0:0/96 becomes the IPv4 block it names.
cidr_parse_result parse_cidr(std::string_view text);

struct cidr_list_result {
    bool ok = false;
    std::vector<cidr_block> blocks;
    std::string error;
};

// Comma-separated CIDRs, items trimmed, empty items skipped; the first bad item fails it all.
cidr_list_result parse_cidr_list(std::string_view list);

bool cidr_contains(const cidr_block& block, const ip_address& ip);

std::string format_cidr(const cidr_block& block);   // canonical text, "10.0.0.0/8"

// ---- the key record (Redis HASH aigw:key:{<sha256 hex>}) ----

enum class key_status { active, disabled };

std::string_view key_status_name(key_status s);     // "active", "disabled"

struct key_record {
    std::string id;
    std::string name;
    std::string owner;
    std::string group;
    key_status status = key_status::active;
    std::int64_t expires_at = 0;             // unix seconds, 0 = never
    // Model patterns: exact names, or a prefix ending in '*'; "*" alone is any model.
    std::vector<std::string> models;
    std::vector<cidr_block> ip_allow;        // empty = any client address
    std::int64_t created_at = 0;             // unix seconds, 0 = unknown
    std::string last4;                       // for the masked form; never more of the key
};

struct key_decode_result {
    bool ok = false;
    key_record record;
    std::string error;                       // "field: reason" when !ok
};

// From HGETALL's field/value pairs. Required: id, status, models (an empty model list would
// silently lock a key out, so "*" must be written). Optional: name, owner, group, expires_at,
// ip_allow, created_at, last4. Unknown fields (quota, rpm, ... of later features) are ignored.
key_decode_result decode_key_record(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields);

// Field/value pairs for HSET; decode_key_record(encode_key_record(r)) gives r back.
std::vector<std::pair<std::string, std::string>> encode_key_record(const key_record& r);

struct model_list_result {
    bool ok = false;
    std::vector<std::string> models;
    std::string error;
};

// The `models` field (or the CLI's --models): comma list, items trimmed, empty items skipped;
// each item is "*", a name, or a name ending in '*'. A '*' elsewhere, whitespace or control
// bytes inside a name, or an empty list is an error.
model_list_result parse_model_list(std::string_view list);

std::string join_model_list(const std::vector<std::string>& models);

// "*" = any; "gpt-4o*" = any model starting with "gpt-4o"; else exact, case-sensitive.
bool model_allowed(const key_record& r, std::string_view model);

// Empty ip_allow allows every client; otherwise the text must parse and fall in a block
// (a client address that does not parse is refused).
bool ip_allowed(const key_record& r, std::string_view client_ip);

// ---- the checks ----

enum class key_check_result { ok, disabled, expired, ip_not_allowed, model_not_allowed };

// Applied in the gateway's order: disabled, expired (now >= expires_at), client IP, model.
// `model` is nullopt when the request names none (GET /v1/models); an empty string is a
// model name like any other and passes only "*".
key_check_result key_check(const key_record& r, std::int64_t now, std::string_view client_ip,
                           std::optional<std::string_view> model);

// The error code string, "ok" for ok ("key_disabled", "ip_not_allowed", ...), for logs.
std::string_view key_check_name(key_check_result c);

// The OpenAI error a failed check answers with; `model` for model_not_allowed.
// (ok has no error; it gets a 500 so a misuse is visible.)
api_error key_check_error(key_check_result c, std::string_view model);

}  // namespace aigw
