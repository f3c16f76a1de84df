// The record Redis holds for a media task (HASH aigw:task:{<id>}): a video generation the
// gateway started on a channel for a client, polled until it finishes, billed at creation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aigw {

enum class task_status { queued, in_progress, completed, failed };

std::string_view task_status_name(task_status s);   // "queued", "in_progress", ...
std::optional<task_status> parse_task_status(std::string_view name);

// Completed or failed: nothing changes upstream any more.
bool task_finished(task_status s);

// Money is taken at creation (reserved); kept when the task completes (charged); given back
// when it fails (released).
enum class task_billing { reserved, charged, released };

std::string_view task_billing_name(task_billing b);  // "reserved", "charged", "released"
std::optional<task_billing> parse_task_billing(std::string_view name);

enum class callback_state { none, pending, delivered, failed };

std::string_view callback_state_name(callback_state c);  // "none", "pending", ...
std::optional<callback_state> parse_callback_state(std::string_view name);

struct task_record {
    std::string id;              // the gateway's public id given to the client
    std::string channel;         // the channel (by name) that made it: polls and downloads go there
    std::string upstream_id;     // the upstream's id
    std::string account;         // sha256 hex of the owning key (its billing account); never the key
    std::string key_id, owner, group;
    std::string model;           // public model name
    std::string upstream_model;
    std::string size;            // as priced, e.g. "720x1280"
    std::int64_t seconds = 0;
    task_status status = task_status::queued;
    int progress = 0;            // 0..100
    std::int64_t created_at = 0, updated_at = 0, completed_at = 0;  // unix seconds; 0 = none
    std::int64_t cost = 0;       // micro-USD the task costs at the price when created
    std::int64_t charged = 0;    // micro-USD taken from the account
    task_billing billing = task_billing::reserved;
    std::string request_id;      // the creating request's id
    std::string remixed_from;    // public id of the source task for a remix, else ""
    std::string error_code, error_message;   // upstream's error of a failed task (bounded)
    std::string callback_url;    // "" = none
    callback_state callback = callback_state::none;
    int callback_attempts = 0;
    std::int64_t callback_next_ms = 0;   // unix ms of the next delivery attempt
};

struct task_decode_result {
    bool ok = false;
    task_record record;
    std::string error;           // "field: reason" when !ok
};

// From HGETALL's field/value pairs. Required: id and upstream_id (each a valid_task_id),
// channel, account (64 lowercase hex digits), model, status, billing, created_at. The others
// are optional and keep their defaults. Numbers are plain decimal digits (no sign); progress is
// 0..100. Unknown fields are ignored; a later field of the same name wins.
task_decode_result decode_task_record(
    const std::vector<std::pair<std::string_view, std::string_view>>& fields);

// Field/value pairs for HSET, every field; decode_task_record(encode_task_record(r)) gives r
// back for any record that decodes.
std::vector<std::pair<std::string, std::string>> encode_task_record(const task_record& r);

// A new public id: "video_" + 48 lowercase hex digits from 24 random bytes the caller supplies
// (the glue uses OpenSSL RAND_bytes).
std::string task_public_id(const unsigned char (&random)[24]);

// What a client may send as a task id in a path, and what an upstream's id must be before it
// goes into one: 1..128 bytes of [A-Za-z0-9_-].
inline constexpr std::size_t task_id_max = 128;
bool valid_task_id(std::string_view id);

}  // namespace aigw
