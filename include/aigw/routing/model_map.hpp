// The model map: which channels serve a public model name, and under which upstream name.
// Built once at config time from the aigw_model directives; looked up once per request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigw {

// One "CHANNEL[:UPSTREAM_MODEL]" argument, split at its first ':' (so upstream names such as
// "llama3:8b" or "ft:gpt-4o:org:x" keep theirs). Views into the argument.
struct model_target_spec {
    std::string_view channel;
    std::string_view upstream_model;  // empty: no ':' given
    bool has_colon = false;
};
model_target_spec split_model_target(std::string_view arg);

struct model_target {
    std::uint32_t channel = 0;   // index into the channel names given to model_map::add
    std::string upstream_model;  // empty: the requested name, passed through unchanged
};

struct model_entry {
    std::string pattern;  // "gpt-4o", or a prefix ending in '*' ("deepseek-*"; "*" matches all)
    std::vector<model_target> targets;  // config order; each channel at most once
};

// A lookup's answer, with the upstream name resolved for the requested model.
struct routed_target {
    std::uint32_t channel = 0;
    std::string upstream_model;  // the requested name when the entry names none
    bool renamed = false;        // upstream_model differs from the requested name: splice it
};

struct model_route {
    std::string_view pattern;               // the entry that matched, as configured
    bool exact = false;                     // false: matched by a prefix pattern
    std::vector<routed_target> targets;     // config order
    std::vector<std::uint32_t> channels;    // targets[i].channel, the router's candidates
};

class model_map {
public:
    // Adds one aigw_model directive: its pattern and its CHANNEL[:UPSTREAM_MODEL] arguments,
    // channel names resolved against `channel_names` (their index is the channel index).
    // Returns "" or why it is refused, worded for nginx -t; a refused entry is not added.
    std::string add(std::string_view pattern, const std::vector<std::string_view>& targets,
                    const std::vector<std::string>& channel_names);

    // Exact name first, then the longest matching prefix pattern; nullopt when nothing serves it.
    std::optional<model_route> lookup(std::string_view model) const;

    // The entry lookup() would use, without building a route (the request path's form: a
    // target's empty upstream_model means the requested name). nullptr when nothing serves it.
    const model_entry* find(std::string_view model) const noexcept;

    // The exact public names, in config order, for /v1/models (patterns name no model).
    const std::vector<std::string>& public_names() const { return public_names_; }

    const std::vector<model_entry>& entries() const { return entries_; }
    bool empty() const { return entries_.empty(); }

private:
    std::vector<model_entry> entries_;                           // config order
    std::map<std::string, std::size_t, std::less<>> exact_;      // name -> entries_ index
    std::vector<std::size_t> prefixes_;                          // entries_ indexes, longest first
    std::vector<std::string> public_names_;
};

}  // namespace aigw
