// The API paths the gateway serves, with their method, body expectations and dialect.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aigw/dialects/dialect_id.hpp"

namespace aigw {

enum class endpoint_id {
    chat_completions,
    completions,
    embeddings,
    models,          // GET /v1/models
    model_retrieve,  // GET /v1/models/{id}
    messages,        // POST /v1/messages (Anthropic)
    count_tokens,    // POST /v1/messages/count_tokens (Anthropic)
    responses,       // POST /v1/responses (OpenAI's Responses API)
    responses_compact,  // POST /v1/responses/compact (Codex's remote compaction)
    stored_response,    // GET or DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items
    generate_content,   // POST /v1beta/models/{model}:generateContent, :streamGenerateContent
    images_generations,  // POST /v1/images/generations (JSON)
    images_edits,        // POST /v1/images/edits (multipart/form-data)
    images_variations,   // POST /v1/images/variations (multipart/form-data)
    videos,              // POST /v1/videos (a new task: JSON or multipart), GET /v1/videos (list)
    video,               // GET or DELETE /v1/videos/{id}
    video_content,       // GET /v1/videos/{id}/content
    video_remix,         // POST /v1/videos/{id}/remix (a new task from a finished one)
};

enum class http_method { get, post, get_delete, get_post };

struct endpoint_info {
    endpoint_id id;
    std::string_view path;   // exact path, or prefix when `prefix` is set
    http_method method;
    bool prefix;             // match path + "<something>"
    bool has_json_body;      // POST with a JSON object body
    bool model_required;
    bool streamable;         // accepts "stream": true
    bool billed;             // a successful answer reports tokens: usage is read and billed
    bool chat;               // a chat request: translatable through the pivot (api::request)
    dialect_id dialect;      // what the client speaks here: its errors, usage, model lists
    // A prefix path whose rest must end with this ("" for none): Gemini's method after the
    // model, ":generateContent".
    std::string_view suffix = {};
    bool model_in_path = false;  // the model is the path's, between `path` and `suffix`
    bool always_stream = false;  // a stream whatever the body says (:streamGenerateContent)
    bool multipart = false;      // the body may be multipart/form-data (files), read in place
    bool one_segment = false;    // a prefix path whose id holds no '/' (a video task's id)
};

// The endpoint's family, as a key's `endpoints` allow-list names it: "chat", "completions",
// "embeddings", "models", "responses", "messages", "gemini", "images", "videos".
std::string_view endpoint_family(const endpoint_info& ep);

// Every family endpoint_family names, each once, in the order of the endpoint table.
std::vector<std::string_view> endpoint_families();

// Whether the endpoint makes images (generations, edits, variations): priced per image or by
// the tokens a GPT image model reports in the Responses API's form.
bool is_image_endpoint(endpoint_id id);

// Whether the endpoint starts or reads a media task (the video endpoints): the gateway keeps
// a task record for it and answers with its own task ids.
bool is_video_endpoint(endpoint_id id);

// nullptr when the path is not one the gateway serves.
const endpoint_info* find_endpoint(std::string_view path);

// The API part of a request path: from its first "/v1/" or "/v1beta/" segment on, so a
// gateway mounted under a prefix ("/openai/v1/chat/completions") serves the same paths.
// Empty if none.
std::string_view api_path(std::string_view uri);

// For an Allow header: "GET", "POST", "GET, DELETE".
std::string_view method_name(http_method m);

// The model id in a /v1/models/{id} or /v1beta/models/{id} path ("" if the path has none).
std::string_view model_id_from_path(std::string_view api_path);

// For an endpoint with model_in_path: the model its path names ("" if none).
std::string_view path_model(const endpoint_info& ep, std::string_view api_path);

// For an endpoint with model_in_path: its path naming `model` instead.
std::string with_path_model(const endpoint_info& ep, std::string_view model);

// How records and logs name the endpoint: its path, "/v1beta/models/{model}:generateContent"
// for one whose path names the model, "/v1/videos/{id}/content" for one that names a task.
std::string endpoint_label(const endpoint_info& ep);
// The same, made once per endpoint of the table and kept: what a usage record writes for
// every request. For an endpoint outside the table (find_endpoint returns none), its path.
std::string_view endpoint_label_view(const endpoint_info& ep);

}  // namespace aigw
