// Encoding names and OpenAI's model -> encoding table; see tokenizer.hpp.
#include "aigw/accounting/tokenizer.hpp"

namespace aigw::tokenizer {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.substr(0, prefix.size()) == prefix;
}

// In order: the first prefix that matches decides (gpt-4o before gpt-4).
struct family {
    std::string_view prefix;
    encoding_id id;
};
constexpr family families[] = {
    {"gpt-4o", encoding_id::o200k_base},
    {"gpt-4.1", encoding_id::o200k_base},
    {"gpt-4.5", encoding_id::o200k_base},
    {"gpt-5", encoding_id::o200k_base},
    {"gpt-oss", encoding_id::o200k_base},
    {"chatgpt-4o", encoding_id::o200k_base},
    {"o1", encoding_id::o200k_base},
    {"o3", encoding_id::o200k_base},
    {"o4", encoding_id::o200k_base},
    {"gpt-4", encoding_id::cl100k_base},
    {"gpt-3.5", encoding_id::cl100k_base},
    {"gpt-35", encoding_id::cl100k_base},  // Azure's deployment spelling
    {"text-embedding-3", encoding_id::cl100k_base},
    {"text-embedding-ada-002", encoding_id::cl100k_base},
};

}  // namespace

std::string_view encoding_name(encoding_id id) noexcept {
    switch (id) {
        case encoding_id::o200k_base: return "o200k_base";
        case encoding_id::cl100k_base: return "cl100k_base";
        case encoding_id::estimate: break;
    }
    return "estimate";
}

bool parse_encoding(std::string_view name, encoding_id& id) noexcept {
    for (encoding_id e : {encoding_id::estimate, encoding_id::o200k_base, encoding_id::cl100k_base}) {
        if (name == encoding_name(e)) {
            id = e;
            return true;
        }
    }
    return false;
}

encoding_id encoding_for_model(std::string_view model) noexcept {
    if (starts_with(model, "ft:")) model.remove_prefix(3);
    for (const family& f : families) {
        if (starts_with(model, f.prefix)) return f.id;
    }
    return encoding_id::estimate;
}

}  // namespace aigw::tokenizer
