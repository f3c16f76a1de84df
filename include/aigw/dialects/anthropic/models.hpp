// GET /v1/models in Anthropic's shape: {"data":[{"type":"model","id":...,"display_name":...,
// "created_at":"RFC 3339"}],"has_more":false,"first_id":...,"last_id":...}.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigw::anthropic {

// The gateway's own list, from the public names of its model table, those `allowed` accepts,
// in order, at most `limit` of them (0: all). display_name is the id (the gateway knows no
// other name); created_at is `created` (Unix seconds) in RFC 3339. has_more says whether the
// limit left out an accepted one; first_id and last_id are null when the list is empty.
std::string model_list_json(const std::vector<std::string>& ids,
                            const std::function<bool(std::string_view)>& allowed,
                            long long created, std::size_t limit = 0);

// One entry of that list, for GET /v1/models/{id}.
std::string model_object_json(std::string_view id, long long created);

// From an Anthropic list, the entries whose id `allowed` accepts, each as it came, in order;
// first_id and last_id name the first and last kept (null when none is), has_more is the
// upstream's. nullopt when the input is not such a list.
std::optional<std::string> filter_model_list(std::string_view body,
                                             const std::function<bool(std::string_view)>& allowed);

// Unix seconds as RFC 3339 in UTC, "2023-11-14T22:13:20Z"; negative times clamp to the epoch.
std::string rfc3339_utc(long long unix_seconds);

}  // namespace aigw::anthropic
