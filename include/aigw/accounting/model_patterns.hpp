// A table keyed by public model names or prefixes, as aigw_price, aigw_model and
// aigw_tokenizer write them: a trailing '*' makes a prefix ("gpt-4o*"; "*" alone matches every
// name). An exact name wins over the prefixes, a longer prefix over a shorter one.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aigw {

template <class T>
class model_patterns {
public:
    // "" or why the entry is refused: an empty name, a '*' before the end, a name or prefix
    // given twice ("duplicate <what> \"<pattern>\"").
    std::string add(std::string_view pattern, T value, std::string_view what) {
        if (pattern.empty()) {
            return "empty model name";
        }
        std::size_t star = pattern.find('*');
        if (star != std::string_view::npos && star != pattern.size() - 1) {
            return "model pattern \"" + std::string(pattern) + "\": '*' is allowed only at the end";
        }
        std::string duplicate = "duplicate " + std::string(what) + " \"" + std::string(pattern) + "\"";
        if (star == std::string_view::npos) {
            return exact_.emplace(std::string(pattern), std::move(value)).second ? std::string() : duplicate;
        }
        std::string prefix(pattern.substr(0, star));
        auto pos = prefixes_.begin();
        for (; pos != prefixes_.end() && pos->first.size() >= prefix.size(); ++pos) {
            if (pos->first == prefix) return duplicate;
        }
        prefixes_.insert(pos, {std::move(prefix), std::move(value)});
        return {};
    }

    // The entry for `model`, or null.
    const T* find(std::string_view model) const noexcept {
        if (auto it = exact_.find(model); it != exact_.end()) {
            return &it->second;
        }
        for (const auto& p : prefixes_) {
            if (model.substr(0, p.first.size()) == p.first) {
                return &p.second;
            }
        }
        return nullptr;
    }

    bool empty() const noexcept { return exact_.empty() && prefixes_.empty(); }

private:
    std::map<std::string, T, std::less<>> exact_;
    std::vector<std::pair<std::string, T>> prefixes_;  // without the '*', longest first
};

}  // namespace aigw
