// The key record Redis holds for a key (HASH aigw:key:{<sha256 hex>}), and the checks the
// access phase applies to it.
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
#include "aigw/keys/cidr.hpp"

namespace aigw {

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
    // Endpoint families the key may use, as endpoint_family names them ("chat", "images", ...);
    // empty = every endpoint, which is what a record without the field means. The model list
    // ("models") is allowed whatever this says: it costs nothing and shows only the key's models.
    std::vector<std::string> endpoints;
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
// endpoints, ip_allow, created_at, last4. Unknown fields (quota, rpm, ... of later features) are
// ignored.
key_decode_result decode_key_record(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields);

// Field/value pairs for HSET; decode_key_record(encode_key_record(r)) gives r back. `endpoints`
// is written only when the key names some (a record without it allows every endpoint).
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

struct endpoint_list_result {
    bool ok = false;
    std::vector<std::string> endpoints;      // empty for "*": every endpoint
    std::string error;
};

// The `endpoints` field (or the CLI's --endpoints): comma list, items trimmed, empty items
// skipped; each item an endpoint family (endpoint_families(): chat, completions, embeddings,
// models, messages, responses, gemini, images, videos), or "*" alone for every endpoint. An
// unknown family (names are case-sensitive), "*" beside a family, control bytes, or an empty
// list is an error.
endpoint_list_result parse_endpoint_list(std::string_view list);

// "*" for an empty list (every endpoint), else the families comma-separated.
std::string join_endpoint_list(const std::vector<std::string>& endpoints);

// Whether the key may use an endpoint of `family` (endpoint_family's name): an empty list
// allows every family, and "models" is always allowed.
bool endpoint_allowed(const key_record& r, std::string_view family);

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
