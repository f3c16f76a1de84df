// Comparing pivot values (api/request.hpp, api/stream.hpp) in the translation tests and fuzz
// targets: each diff gives the path of the first field that differs ("messages[1].content[0].url"),
// or "" when the two are equal. No test framework here, so a fuzz target can use it too.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "aigw/api/request.hpp"
#include "aigw/api/stream.hpp"
#include "aigw/api/usage.hpp"

namespace pivot_diff {

namespace detail {

inline std::string at(const std::string& base, const char* field) {
    return base.empty() ? std::string(field) : base + "." + field;
}

inline std::string at(const std::string& base, std::size_t i) {
    return base + "[" + std::to_string(i) + "]";
}

template <class T>
std::string vectors(const std::vector<T>& a, const std::vector<T>& b, const std::string& path,
                    std::string (*item)(const T&, const T&, const std::string&)) {
    if (a.size() != b.size()) return path + " (size " + std::to_string(a.size()) + " vs " +
                                     std::to_string(b.size()) + ")";
    for (std::size_t i = 0; i < a.size(); ++i) {
        std::string d = item(a[i], b[i], at(path, i));
        if (!d.empty()) return d;
    }
    return {};
}

}  // namespace detail

#define PIVOT_DIFF_FIELD(f)                                       \
    do {                                                          \
        if (!(a.f == b.f)) return detail::at(path, #f);           \
    } while (0)

inline std::string diff(const aigw::api::content_part& a, const aigw::api::content_part& b,
                        const std::string& path) {
    PIVOT_DIFF_FIELD(type);
    PIVOT_DIFF_FIELD(text);
    PIVOT_DIFF_FIELD(url);
    PIVOT_DIFF_FIELD(detail);
    return {};
}

inline std::string diff(const aigw::api::tool_call& a, const aigw::api::tool_call& b,
                        const std::string& path) {
    PIVOT_DIFF_FIELD(id);
    PIVOT_DIFF_FIELD(name);
    PIVOT_DIFF_FIELD(arguments);
    return {};
}

inline std::string diff(const aigw::api::message& a, const aigw::api::message& b,
                        const std::string& path) {
    PIVOT_DIFF_FIELD(role);
    std::string d = detail::vectors<aigw::api::content_part>(a.content, b.content,
                                                             detail::at(path, "content"), diff);
    if (!d.empty()) return d;
    d = detail::vectors<aigw::api::tool_call>(a.tool_calls, b.tool_calls,
                                              detail::at(path, "tool_calls"), diff);
    if (!d.empty()) return d;
    PIVOT_DIFF_FIELD(tool_call_id);
    PIVOT_DIFF_FIELD(name);
    PIVOT_DIFF_FIELD(reasoning);
    return {};
}

inline std::string diff(const aigw::api::tool& a, const aigw::api::tool& b,
                        const std::string& path) {
    PIVOT_DIFF_FIELD(name);
    PIVOT_DIFF_FIELD(description);
    PIVOT_DIFF_FIELD(parameters);
    PIVOT_DIFF_FIELD(strict);
    return {};
}

inline std::string diff(const aigw::api::request& a, const aigw::api::request& b,
                        const std::string& path = {}) {
    PIVOT_DIFF_FIELD(model);
    std::string d = detail::vectors<aigw::api::message>(a.messages, b.messages,
                                                        detail::at(path, "messages"), diff);
    if (!d.empty()) return d;
    d = detail::vectors<aigw::api::tool>(a.tools, b.tools, detail::at(path, "tools"), diff);
    if (!d.empty()) return d;
    PIVOT_DIFF_FIELD(tool_choice.how);
    PIVOT_DIFF_FIELD(tool_choice.name);
    PIVOT_DIFF_FIELD(parallel_tool_calls);
    PIVOT_DIFF_FIELD(stream);
    PIVOT_DIFF_FIELD(include_usage);
    PIVOT_DIFF_FIELD(max_tokens);
    PIVOT_DIFF_FIELD(temperature);
    PIVOT_DIFF_FIELD(top_p);
    PIVOT_DIFF_FIELD(seed);
    PIVOT_DIFF_FIELD(stop);
    PIVOT_DIFF_FIELD(response_format.type);
    PIVOT_DIFF_FIELD(response_format.name);
    PIVOT_DIFF_FIELD(response_format.schema);
    PIVOT_DIFF_FIELD(response_format.strict);
    PIVOT_DIFF_FIELD(reasoning_effort);
    PIVOT_DIFF_FIELD(user);
    return {};
}

inline std::string diff(const aigw::usage& a, const aigw::usage& b, const std::string& path) {
    PIVOT_DIFF_FIELD(prompt_tokens);
    PIVOT_DIFF_FIELD(completion_tokens);
    PIVOT_DIFF_FIELD(total_tokens);
    PIVOT_DIFF_FIELD(cached_tokens);
    PIVOT_DIFF_FIELD(reasoning_tokens);
    PIVOT_DIFF_FIELD(present);
    PIVOT_DIFF_FIELD(estimated);
    return {};
}

inline std::string diff(const aigw::api::response& a, const aigw::api::response& b,
                        const std::string& path = {}) {
    PIVOT_DIFF_FIELD(id);
    PIVOT_DIFF_FIELD(model);
    PIVOT_DIFF_FIELD(created);
    PIVOT_DIFF_FIELD(text);
    PIVOT_DIFF_FIELD(reasoning);
    PIVOT_DIFF_FIELD(refusal);
    std::string d = detail::vectors<aigw::api::tool_call>(a.tool_calls, b.tool_calls,
                                                          detail::at(path, "tool_calls"), diff);
    if (!d.empty()) return d;
    PIVOT_DIFF_FIELD(finish);
    return diff(a.tokens, b.tokens, detail::at(path, "tokens"));
}

// Events compare on the fields their kind uses (api/stream.hpp), so a test states only those.
inline std::string diff(const aigw::api::event& a, const aigw::api::event& b,
                        const std::string& path) {
    using aigw::api::event_kind;
    PIVOT_DIFF_FIELD(kind);
    switch (a.kind) {
    case event_kind::start:
        PIVOT_DIFF_FIELD(id);
        PIVOT_DIFF_FIELD(model);
        PIVOT_DIFF_FIELD(created);
        break;
    case event_kind::text_delta:
    case event_kind::reasoning_delta:
    case event_kind::refusal_delta:
        PIVOT_DIFF_FIELD(text);
        break;
    case event_kind::tool_call_start:
        PIVOT_DIFF_FIELD(index);
        PIVOT_DIFF_FIELD(id);
        PIVOT_DIFF_FIELD(name);
        break;
    case event_kind::tool_call_delta:
        PIVOT_DIFF_FIELD(index);
        PIVOT_DIFF_FIELD(text);
        break;
    case event_kind::finish:
        PIVOT_DIFF_FIELD(finish);
        break;
    case event_kind::usage:
        return diff(a.tokens, b.tokens, detail::at(path, "tokens"));
    case event_kind::error:
        PIVOT_DIFF_FIELD(error.status);
        PIVOT_DIFF_FIELD(error.type);
        PIVOT_DIFF_FIELD(error.code);
        PIVOT_DIFF_FIELD(error.param);
        PIVOT_DIFF_FIELD(error.message);
        break;
    case event_kind::done:
        break;
    }
    return {};
}

inline std::string diff(const std::vector<aigw::api::event>& a,
                        const std::vector<aigw::api::event>& b) {
    return detail::vectors<aigw::api::event>(a, b, "events", diff);
}

#undef PIVOT_DIFF_FIELD

}  // namespace pivot_diff
