// OpenAI's video objects (POST /v1/videos, GET /v1/videos/{id}, remix, DELETE, the list) as
// the gateway reads, rewrites and writes them, and the fields of media requests and answers
// that decide a price (videos and images).
//
// A video object, as api.openai.com returns it:
//   {"id":"video_...","object":"video","created_at":1758941485,"status":"queued",
//    "completed_at":null,"error":null,"expires_at":null,"model":"sora-2","progress":0,
//    "prompt":"...","remixed_from_video_id":null,"seconds":"4","size":"720x1280"}
// status is queued | in_progress | completed | failed; error is null or {"code","message"};
// seconds is a string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/api/error.hpp"
#include "aigw/media/task.hpp"

namespace aigw {

// Bounds on what is kept of an upstream's error of a failed task (bytes, cut at a UTF-8
// boundary), and of the short strings (object, size, quality).
inline constexpr std::size_t video_error_code_max = 256;
inline constexpr std::size_t video_error_message_max = 1024;
inline constexpr std::size_t media_short_text_max = 64;

// ---- video objects ----

struct video_fields {
    // A valid JSON object with exactly one "id", a string that is a valid_task_id (it goes into
    // the paths of later polls); "model" and "remixed_from_video_id" at most once each.
    bool ok = false;
    std::string id, object, model, size, remixed_from;
    std::optional<task_status> status;   // nullopt for an unknown status string or none
    std::int64_t seconds = 0;    // from a string "8" or a number; 0 if absent/bad
    int progress = 0;            // 0..100 (clamped; a fraction is cut)
    std::int64_t created_at = 0, completed_at = 0;   // 0 if null, absent or bad
    bool has_error = false;      // "error" is an object
    std::string error_code, error_message;   // bounded: video_error_code_max / _message_max
};

// The fields of a video object (or a video.deleted answer). Nothing throws but bad_alloc.
video_fields read_video_object(std::string_view json);

// The same JSON bytes with the top-level "id" replaced by public_id, "model" by model (when
// model is not empty and the member is a string), and "remixed_from_video_id" by remixed_from
// when it is a string and remixed_from is not empty; every other byte untouched. nullopt when
// read_video_object would not be ok, or a replacement is not valid UTF-8.
std::optional<std::string> rewrite_video_object(std::string_view json, std::string_view public_id,
                                                std::string_view model,
                                                std::string_view remixed_from);

// A video object rendered from a task record alone (for the gateway's own list answer and for
// a task whose upstream is unreachable): the members above in OpenAI's order and types
// (seconds as a string; null where unknown: completed_at 0, expires_at, prompt, an empty size
// or remixed_from, seconds 0). A failed task's error is {"code","message"} (its own, or
// "video_generation_failed" and a generic message when the upstream gave none); else null.
std::string video_object_from_task(const task_record& t);

// The list answer: {"object":"list","data":[...objects...],"first_id":...,"last_id":...,
// "has_more":...}, first_id and last_id the first and last of `ids` (null when empty). Each
// of objects_json is copied in as it is: it must be one JSON object (from rewrite_video_object
// or video_object_from_task).
std::string video_list(const std::vector<std::string>& objects_json,
                       const std::vector<std::string>& ids, bool has_more);

// A delete answer: {"id":public_id,"object":"video.deleted","deleted":true}.
std::string video_deleted(std::string_view public_id);

// ---- requests and answers that decide a price ----
//
// The request readers take the body the way the dialects' parse_request does: `capacity` >=
// len + json_padding (api/request.hpp), the padding read but never written; the string_view
// forms copy the body into a padded buffer first. The whole document is validated. model,
// seconds, size, n and quality may each appear at most once (keys compared unescaped): parsers
// differ on which duplicate wins, and the gateway must price what the upstream serves. A null
// member counts as absent. When !ok, `rejection` is the 400 invalid_request_error to answer
// with (its message is `error`, its param the member). The glue reads multipart bodies itself.

// OpenAI's defaults for members a create request leaves out (the upstream applies them).
inline constexpr std::int64_t video_default_seconds = 4;
inline constexpr std::string_view video_default_size = "720x1280";
// The longest clip priced; longer ones are refused before anything is reserved.
inline constexpr std::int64_t video_seconds_max = 3600;

// POST /v1/videos (JSON): model (a string, at most model_name_max bytes), seconds (a string of
// digits or a whole number, 1..video_seconds_max), size (a string, at most
// media_short_text_max bytes). seconds is 0 and model/size "" when absent.
struct video_request {
    bool ok = false;
    std::string error;
    api_error rejection;
    std::string model;
    std::int64_t seconds = 0;
    std::string size;
};
video_request read_video_request(const char* data, std::size_t len, std::size_t capacity);
video_request read_video_request(std::string_view json);

// POST /v1/images/generations (JSON): n (an integer 1..10, default 1), size and quality
// (strings, at most media_short_text_max bytes; "" when absent).
inline constexpr std::int64_t image_n_max = 10;
struct image_request {
    bool ok = false;
    std::string error;
    api_error rejection;
    std::int64_t n = 1;
    std::string size, quality;
};
image_request read_image_request(const char* data, std::size_t len, std::size_t capacity);
image_request read_image_request(std::string_view json);

// An images answer: how many items its "data" array holds, and its top-level "size" and
// "quality" strings when present (gpt-image answers carry them). ok for any JSON object (a
// missing or non-array data counts 0); !ok for anything else, count 0.
struct image_response {
    bool ok = false;
    std::int64_t count = 0;
    std::string size, quality;
};
image_response read_image_response(std::string_view json);

}  // namespace aigw
