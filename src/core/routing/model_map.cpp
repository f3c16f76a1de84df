#include "aigw/routing/model_map.hpp"

#include <algorithm>

#include <simdjson.h>

#include "aigw/routing/router.hpp"

namespace aigw {

namespace {

// Names end up in JSON (/v1/models, request bodies) and in logs: UTF-8 without control bytes.
std::string check_name(std::string_view what, std::string_view name) {
    if (!simdjson::validate_utf8(name.data(), name.size())) {
        return std::string(what) + " is not valid UTF-8";
    }
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7f) {
            return std::string(what) + " \"" + std::string(name) + "\" has a control character";
        }
    }
    return {};
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

model_target_spec split_model_target(std::string_view arg) {
    model_target_spec t;
    std::size_t colon = arg.find(':');
    if (colon == std::string_view::npos) {
        t.channel = arg;
        return t;
    }
    t.channel = arg.substr(0, colon);
    t.upstream_model = arg.substr(colon + 1);
    t.has_colon = true;
    return t;
}

std::string model_map::add(std::string_view pattern, const std::vector<std::string_view>& targets,
                           const std::vector<std::string>& channel_names) {
    if (pattern.empty()) {
        return "empty model name";
    }
    if (auto err = check_name("model name", pattern); !err.empty()) {
        return err;
    }
    std::size_t star = pattern.find('*');
    bool prefix = star != std::string_view::npos;
    if (prefix && star != pattern.size() - 1) {
        return "model pattern " + quoted(pattern) + ": '*' is allowed only at the end";
    }
    for (const model_entry& e : entries_) {
        if (e.pattern == pattern) {
            return "duplicate model " + quoted(pattern);
        }
    }
    if (targets.empty()) {
        return "model " + quoted(pattern) + " has no channel";
    }
    if (targets.size() > max_candidates) {
        return "model " + quoted(pattern) + " has more than " + std::to_string(max_candidates) +
               " channels";
    }

    model_entry entry;
    entry.pattern.assign(pattern);
    for (std::string_view arg : targets) {
        model_target_spec spec = split_model_target(arg);
        if (spec.channel.empty()) {
            return "no channel name in " + quoted(arg);
        }
        if (spec.has_colon && spec.upstream_model.empty()) {
            return "empty upstream model after ':' in " + quoted(arg);
        }
        if (auto err = check_name("upstream model", spec.upstream_model); !err.empty()) {
            return err;
        }
        // Kept free for a later "substitute the matched suffix" form.
        if (spec.upstream_model.find('*') != std::string_view::npos) {
            return "upstream model " + quoted(spec.upstream_model) + ": '*' is not supported";
        }
        auto it = std::find(channel_names.begin(), channel_names.end(), spec.channel);
        if (it == channel_names.end()) {
            return "unknown channel " + quoted(spec.channel) + " in " + quoted(arg);
        }
        auto index = static_cast<std::uint32_t>(it - channel_names.begin());
        for (const model_target& t : entry.targets) {
            // The router tries a channel at most once per request, so a second one is dead.
            if (t.channel == index) {
                return "channel " + quoted(spec.channel) + " is listed twice for model " +
                       quoted(pattern);
            }
        }
        entry.targets.push_back(model_target{index, std::string(spec.upstream_model)});
    }

    std::size_t at = entries_.size();
    entries_.push_back(std::move(entry));
    if (prefix) {
        // Distinct prefixes of equal length never match the same name, so ties cannot matter.
        auto pos = std::find_if(prefixes_.begin(), prefixes_.end(), [&](std::size_t i) {
            return entries_[i].pattern.size() < pattern.size();
        });
        prefixes_.insert(pos, at);
    } else {
        exact_.emplace(std::string(pattern), at);
        public_names_.emplace_back(pattern);
    }
    return {};
}

const model_entry* model_map::find(std::string_view model) const noexcept {
    if (auto it = exact_.find(model); it != exact_.end()) {
        return &entries_[it->second];
    }
    for (std::size_t i : prefixes_) {
        std::string_view p = entries_[i].pattern;
        p.remove_suffix(1);  // the '*'
        if (model.substr(0, p.size()) == p) {
            return &entries_[i];
        }
    }
    return nullptr;
}

std::optional<model_route> model_map::lookup(std::string_view model) const {
    const model_entry* entry = find(model);
    if (entry == nullptr) {
        return std::nullopt;
    }
    bool exact = entry->pattern.back() != '*';

    model_route route;
    route.pattern = entry->pattern;
    route.exact = exact;
    route.targets.reserve(entry->targets.size());
    route.channels.reserve(entry->targets.size());
    for (const model_target& t : entry->targets) {
        routed_target r;
        r.channel = t.channel;
        if (t.upstream_model.empty()) {
            r.upstream_model.assign(model);
        } else {
            r.upstream_model = t.upstream_model;
            r.renamed = t.upstream_model != model;
        }
        route.targets.push_back(std::move(r));
        route.channels.push_back(t.channel);
    }
    return route;
}

}  // namespace aigw
