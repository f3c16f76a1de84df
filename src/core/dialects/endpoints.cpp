#include "aigw/dialects/endpoints.hpp"

#include <cstdint>

namespace aigw {

namespace {

constexpr dialect_id openai = dialect_id::openai_chat;
constexpr dialect_id anthropic = dialect_id::anthropic;
constexpr dialect_id responses = dialect_id::openai_responses;
constexpr dialect_id gemini = dialect_id::gemini;

// path, method, prefix, has_json_body, model_required, streamable, billed, chat, dialect
constexpr endpoint_info endpoints[] = {
    {endpoint_id::chat_completions, "/v1/chat/completions", http_method::post, false, true, true,
     true, true, true, openai},
    {endpoint_id::completions, "/v1/completions", http_method::post, false, true, true, true,
     true, false, openai},
    {endpoint_id::embeddings, "/v1/embeddings", http_method::post, false, true, true, false,
     true, false, openai},
    {endpoint_id::models, "/v1/models", http_method::get, false, false, false, false, false,
     false, openai},
    {endpoint_id::model_retrieve, "/v1/models/", http_method::get, true, false, false, false,
     false, false, openai},
    {endpoint_id::messages, "/v1/messages", http_method::post, false, true, true, true, true,
     true, anthropic},
    // Free at Anthropic, and answers no tokens to bill.
    {endpoint_id::count_tokens, "/v1/messages/count_tokens", http_method::post, false, true,
     true, false, false, false, anthropic},
    {endpoint_id::responses, "/v1/responses", http_method::post, false, true, true, true, true,
     true, responses},
    // Served by channels with the Responses API only: nothing to translate it to.
    {endpoint_id::responses_compact, "/v1/responses/compact", http_method::post, false, true,
     true, false, true, false, responses},
    // Only where the upstream stores responses (a channel with responses=on).
    {endpoint_id::stored_response, "/v1/responses/", http_method::get_delete, true, false,
     false, false, false, false, responses},
    // Gemini: the model and the method are the path's.
    {endpoint_id::generate_content, "/v1beta/models/", http_method::post, true, true, false,
     true, true, true, gemini, ":generateContent", true, false},
    {endpoint_id::generate_content, "/v1beta/models/", http_method::post, true, true, false,
     true, true, true, gemini, ":streamGenerateContent", true, true},
    {endpoint_id::count_tokens, "/v1beta/models/", http_method::post, true, true, false, false,
     false, false, gemini, ":countTokens", true, false},
    {endpoint_id::models, "/v1beta/models", http_method::get, false, false, false, false, false,
     false, gemini},
    {endpoint_id::model_retrieve, "/v1beta/models/", http_method::get, true, false, false, false,
     false, false, gemini},
    // Images: billed per image (or by the tokens a gpt-image model reports).
    {endpoint_id::images_generations, "/v1/images/generations", http_method::post, false, true,
     true, true, true, false, openai},
    {endpoint_id::images_edits, "/v1/images/edits", http_method::post, false, false, true, true,
     true, false, openai, {}, false, false, true},
    {endpoint_id::images_variations, "/v1/images/variations", http_method::post, false, false,
     true, false, true, false, openai, {}, false, false, true},
    // Video tasks: the gateway's own ids in front of the channel's (media/ in the glue).
    {endpoint_id::video_content, "/v1/videos/", http_method::get, true, false, false, false,
     false, false, openai, "/content", false, false, false, true},
    {endpoint_id::video_remix, "/v1/videos/", http_method::post, true, true, false, false, true,
     false, openai, "/remix", false, false, false, true},
    {endpoint_id::video, "/v1/videos/", http_method::get_delete, true, false, false, false,
     false, false, openai, {}, false, false, false, true},
    {endpoint_id::videos, "/v1/videos", http_method::get_post, false, false, true, false, true,
     false, openai, {}, false, false, true},
};

constexpr std::string_view api_roots[] = {"/v1/", "/v1beta/"};

// "." and ".." segments would walk out of the endpoint once a proxy normalizes the path.
bool has_dot_segment(std::string_view id) {
    std::size_t start = 0;
    while (start <= id.size()) {
        std::size_t end = id.find('/', start);
        if (end == std::string_view::npos) {
            end = id.size();
        }
        std::string_view seg = id.substr(start, end - start);
        if (seg == "." || seg == "..") {
            return true;
        }
        start = end + 1;
    }
    return false;
}

}  // namespace

const endpoint_info* find_endpoint(std::string_view path) {
    for (const auto& ep : endpoints) {
        if (ep.prefix) {
            // The id may hold slashes ("meta-llama/Llama-3-8B" on vLLM and OpenRouter),
            // but no empty segment.
            if (path.size() > ep.path.size() + ep.suffix.size() &&
                path.substr(0, ep.path.size()) == ep.path &&
                path.substr(path.size() - ep.suffix.size()) == ep.suffix) {
                std::string_view id =
                    path.substr(ep.path.size(), path.size() - ep.path.size() - ep.suffix.size());
                // Gemini's method follows the model after ':': a path with one is not a model.
                if (ep.dialect == gemini && id.find(':') != std::string_view::npos) {
                    continue;
                }
                if (ep.one_segment && id.find('/') != std::string_view::npos) {
                    continue;
                }
                if (id.front() != '/' && id.back() != '/' &&
                    id.find("//") == std::string_view::npos && !has_dot_segment(id)) {
                    return &ep;
                }
            }
        } else if (path == ep.path) {
            return &ep;
        }
    }
    return nullptr;
}

std::string_view api_path(std::string_view uri) {
    // The first root found, at whichever '/' it starts: one pass over the path, which the
    // glue asks for a few times a request.
    for (std::size_t at = uri.find('/'); at != std::string_view::npos; at = uri.find('/', at + 1)) {
        std::string_view rest = uri.substr(at);
        for (std::string_view root : api_roots) {
            if (rest.substr(0, root.size()) == root) {
                return rest;
            }
        }
    }
    return {};
}

std::string_view method_name(http_method m) {
    switch (m) {
    case http_method::get:
        return "GET";
    case http_method::post:
        break;
    case http_method::get_delete:
        return "GET, DELETE";
    case http_method::get_post:
        return "GET, POST";
    }
    return "POST";
}

std::string_view endpoint_family(const endpoint_info& ep) {
    switch (ep.id) {
    case endpoint_id::chat_completions:
        return "chat";
    case endpoint_id::completions:
        return "completions";
    case endpoint_id::embeddings:
        return "embeddings";
    case endpoint_id::models:
    case endpoint_id::model_retrieve:
        return "models";
    case endpoint_id::messages:
        return "messages";
    case endpoint_id::count_tokens:
        return ep.dialect == gemini ? "gemini" : "messages";
    case endpoint_id::responses:
    case endpoint_id::responses_compact:
    case endpoint_id::stored_response:
        return "responses";
    case endpoint_id::generate_content:
        return "gemini";
    case endpoint_id::images_generations:
    case endpoint_id::images_edits:
    case endpoint_id::images_variations:
        return "images";
    case endpoint_id::videos:
    case endpoint_id::video:
    case endpoint_id::video_content:
    case endpoint_id::video_remix:
        return "videos";
    }
    return "chat";
}

std::vector<std::string_view> endpoint_families() {
    std::vector<std::string_view> out;
    for (const endpoint_info& ep : endpoints) {
        std::string_view f = endpoint_family(ep);
        bool seen = false;
        for (std::string_view o : out) seen = seen || o == f;
        if (!seen) out.push_back(f);
    }
    return out;
}

bool is_image_endpoint(endpoint_id id) {
    return id == endpoint_id::images_generations || id == endpoint_id::images_edits ||
           id == endpoint_id::images_variations;
}

bool is_video_endpoint(endpoint_id id) {
    return id == endpoint_id::videos || id == endpoint_id::video ||
           id == endpoint_id::video_content || id == endpoint_id::video_remix;
}

std::string_view model_id_from_path(std::string_view api_path) {
    for (std::string_view prefix : {std::string_view("/v1/models/"),
                                    std::string_view("/v1beta/models/")}) {
        if (api_path.size() > prefix.size() && api_path.substr(0, prefix.size()) == prefix) {
            return api_path.substr(prefix.size());
        }
    }
    return {};
}

std::string_view path_model(const endpoint_info& ep, std::string_view api_path) {
    if (!ep.model_in_path || api_path.size() <= ep.path.size() + ep.suffix.size() ||
        api_path.substr(0, ep.path.size()) != ep.path) {
        return {};
    }
    return api_path.substr(ep.path.size(), api_path.size() - ep.path.size() - ep.suffix.size());
}

std::string with_path_model(const endpoint_info& ep, std::string_view model) {
    std::string path;
    path.reserve(ep.path.size() + model.size() + ep.suffix.size());
    path.append(ep.path).append(model).append(ep.suffix);
    return path;
}

std::string endpoint_label(const endpoint_info& ep) {
    if (ep.one_segment) {
        return std::string(ep.path) + "{id}" + std::string(ep.suffix);  // "/v1/videos/{id}/content"
    }
    return ep.model_in_path ? with_path_model(ep, "{model}") : std::string(ep.path);
}

std::string_view endpoint_label_view(const endpoint_info& ep) {
    static const std::vector<std::string> labels = [] {
        std::vector<std::string> v;
        for (const endpoint_info& e : endpoints) v.push_back(endpoint_label(e));
        return v;
    }();
    auto at = reinterpret_cast<std::uintptr_t>(&ep);
    auto first = reinterpret_cast<std::uintptr_t>(endpoints);
    std::size_t i = (at - first) / sizeof(endpoint_info);
    if (at < first || (at - first) % sizeof(endpoint_info) != 0 || i >= labels.size()) {
        return ep.path;  // not the table's (none is): its path, which outlives it
    }
    return labels[i];
}

}  // namespace aigw
