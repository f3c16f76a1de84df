// Redis key names and hash fields: the one place they are spelled. The gateway, the admin CLI
// and the tests build every name through these, so a rename happens here or nowhere.
#pragma once

#include <string>
#include <string_view>

namespace aigw {

// HASH, one per client key: the key_record fields below. The name carries the sha256 hex of
// the raw key (never the key itself), so the access phase finds the record from the presented
// key alone. The hex is a Redis Cluster hash tag, so per-key scripts (quota settle) that touch
// this hash and its siblings stay on one slot.
//     aigw:key:{<sha256 hex>}
std::string key_hash_key(std::string_view sha_hex);

// STRING, one per client key: the sha256 hex of its current secret. The admin CLI works by id
// (the raw key is gone after create), and this is how it finds the hash; rotate moves it.
//     aigw:keyid:<id>
std::string key_id_index(std::string_view id);

// SET of every key id, so the CLI can list keys without SCAN over the whole keyspace.
//     aigw:keys
std::string_view key_set();

// Pub/sub channel: a message is the sha256 hex of a key whose record changed or went away
// (disable, enable, rotate, delete); every worker drops that entry from its key cache.
//     aigw:keys:invalidate
std::string_view invalidate_channel();

// Fields of the aigw:key:{...} hash.
namespace key_field {
inline constexpr std::string_view id = "id";                  // "key_" + 16 base62
inline constexpr std::string_view name = "name";              // free text for humans
inline constexpr std::string_view owner = "owner";            // who to ask about the key
inline constexpr std::string_view group = "group";            // aigw:group:<name> limits
inline constexpr std::string_view status = "status";          // "active" | "disabled"
inline constexpr std::string_view expires_at = "expires_at";  // unix seconds, 0 = never
inline constexpr std::string_view models = "models";          // comma list, or "*"
inline constexpr std::string_view ip_allow = "ip_allow";      // comma list of CIDRs, "" = any
inline constexpr std::string_view created_at = "created_at";  // unix seconds
inline constexpr std::string_view last4 = "last4";            // for the masked form only
}  // namespace key_field

}  // namespace aigw
