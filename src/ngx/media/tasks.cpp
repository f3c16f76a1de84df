// Video tasks; see tasks.hpp.
#include "ngx/media/tasks.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <string>
#include <utility>
#include <vector>

#include "aigw/accounting/pricing.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/keys/key_record.hpp"
#include "aigw/keys/key_text.hpp"
#include "aigw/media/task.hpp"
#include "aigw/media/video_object.hpp"
#include "aigw/schema.hpp"
#include "ngx/accounting/finish.hpp"
#include "ngx/accounting/prices.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/content/admission.hpp"
#include "ngx/media/callbacks.hpp"
#include "ngx/media/charges.hpp"
#include "ngx/proxy/attempt.hpp"
#include "ngx/proxy/tries.hpp"
#include "ngx/request/request_id.hpp"
#include "ngx/redis/client.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/log_value.hpp"
#include "ngx/util/pool.hpp"

enum class ngx_http_aigw_task_kind { create, remix, retrieve, remove, content, list, poll };

// One request's task state (request pool; a pool cleanup destroys it).
struct ngx_http_aigw_task_t {
    ngx_http_aigw_task_kind kind = ngx_http_aigw_task_kind::create;
    std::string id;                      // the public id the path names
    aigw::task_record record;            // loaded, or the new task's
    std::string upstream_path;
    std::string answer;                  // what the client gets once the record is written
    ngx_uint_t answer_status = NGX_HTTP_OK;
    // The last Redis reply, copied out of hiredis's callback.
    ngx_http_aigw_redis_call_t* call = nullptr;
    bool reply_ok = false;
    std::vector<std::string> items;      // an array reply's strings (nested arrays flattened
    std::vector<size_t> groups;          //   into items, with groups[i] = items in the i-th)
    long long integer = 0;
    std::string error;                   // why reply_ok is false
    void (*next)(ngx_http_request_t*, ngx_http_aigw_task_t*) = nullptr;
};

namespace {

// How long a task whose callback a poll is delivering stays claimed by that poll: the
// delivery records what comes next when it ends; a node that stops meanwhile leaves it to
// another node after this, as a poll's claim (poller.cpp).
constexpr int64_t delivery_claim_ms = 60000;

// How long a task waits between two polls of the node's poller.
int64_t poll_interval_ms(ngx_http_request_t* r) {
    return static_cast<int64_t>(ngx_http_aigw_main_conf(r)->tasks.poll_interval);
}

void cancel_call(void* data) noexcept {
    auto* t = static_cast<ngx_http_aigw_task_t*>(data);
    if (t->call != nullptr) {
        ngx_http_aigw_redis_cancel(t->call);
        t->call = nullptr;
    }
}

ngx_http_aigw_task_t* task_new(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                               ngx_http_aigw_task_kind kind) {
    auto* t = aigw::ngx::pool_new<ngx_http_aigw_task_t>(r->pool);
    if (t == nullptr) {
        return nullptr;
    }
    ngx_pool_cleanup_t* cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == nullptr) {
        return nullptr;
    }
    cln->handler = cancel_call;  // added after the object's: runs before it is destroyed
    cln->data = t;
    t->kind = kind;
    ctx->media.task = t;
    ctx->media.task_answered = ngx_http_aigw_task_answered;
    return t;
}

// ---- Redis: one command at a time per request, its reply copied, the request resumed ----

void copy_reply(ngx_http_aigw_task_t* t, redisReply* reply) {
    t->items.clear();
    t->groups.clear();
    t->integer = 0;
    auto add = [t](redisReply* e) {
        if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) {
            t->items.emplace_back(e->str, e->len);
        } else if (e->type == REDIS_REPLY_INTEGER) {
            t->items.emplace_back(std::to_string(e->integer));
        } else {
            t->items.emplace_back();
        }
    };
    if (reply->type == REDIS_REPLY_INTEGER) {
        t->integer = reply->integer;
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY) {
        add(reply);
        return;
    }
    for (size_t i = 0; i < reply->elements; i++) {
        redisReply* e = reply->element[i];
        if (e->type == REDIS_REPLY_ARRAY) {
            for (size_t j = 0; j < e->elements; j++) {
                add(e->element[j]);
            }
            t->groups.push_back(e->elements);
        } else {
            add(e);
            t->groups.push_back(1);
        }
    }
}

void resumed(ngx_http_request_t* r) noexcept {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    ngx_http_aigw_task_t* t = ctx ? ctx->media.task : nullptr;
    if (t == nullptr || t->next == nullptr) {
        return;
    }
    auto next = t->next;
    t->next = nullptr;
    r->write_event_handler = ngx_http_request_empty_handler;
    if (!aigw::ngx::guard(r->connection->log, "video task", [&] { next(r, t); })) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

void on_reply(void* owner, redisReply* reply, ngx_http_aigw_redis_status status) noexcept {
    auto* r = static_cast<ngx_http_request_t*>(owner);
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    ngx_http_aigw_task_t* t = ctx->media.task;
    t->call = nullptr;
    t->reply_ok = false;
    aigw::ngx::guard(r->connection->log, "video task reply", [&] {
        if (status != ngx_http_aigw_redis_status::ok) {
            t->error = status == ngx_http_aigw_redis_status::timeout ? "timeout" : "unavailable";
        } else if (reply->type == REDIS_REPLY_ERROR) {
            t->error.assign(reply->str, reply->len);
        } else {
            copy_reply(t, reply);
            t->reply_ok = true;
        }
    });
    r->write_event_handler = resumed;
    ngx_post_event(r->connection->write, &ngx_posted_events);
}

// Sends the command; `next` runs from the event loop with the reply in t. False when it could
// not be sent.
bool redis(ngx_http_request_t* r, ngx_http_aigw_task_t* t, const std::vector<std::string>& argv,
           void (*next)(ngx_http_request_t*, ngx_http_aigw_task_t*)) {
    t->next = next;
    t->call = ngx_http_aigw_redis_command(argv, on_reply, r);
    return t->call != nullptr;
}

// ---- answers ----

void finish(ngx_http_request_t* r, ngx_int_t rc) { ngx_http_finalize_request(r, rc); }

void send_error(ngx_http_request_t* r, const aigw::api_error& e) {
    finish(r, ngx_http_aigw_send_error(r, e));
}

void redis_failed(ngx_http_request_t* r, ngx_http_aigw_task_t* t) {
    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "aigw: video task \"%s\": Redis failed: %s", t->id.c_str(), t->error.c_str());
    send_error(r, aigw::tasks_unavailable_error());
}

std::string account_of(const ngx_http_aigw_ctx_t* ctx) {
    return ctx->access.key ? aigw::hex_digest(ctx->access.key_digest) : std::string();
}

ngx_http_aigw_channel_t* channel_named(ngx_http_request_t* r, std::string_view name) {
    ngx_http_aigw_channels_conf_t* cc = &ngx_http_aigw_main_conf(r)->channels;
    for (ngx_uint_t i = 0; i < cc->channels.nelts; i++) {
        ngx_http_aigw_channel_t* c = ngx_http_aigw_channel_at(cc, static_cast<uint32_t>(i));
        if (aigw::ngx::view(c->name) == name) {
            return c;
        }
    }
    return nullptr;
}

// The script that writes a new task: its hash, its place in the key's list and in the pending
// set. KEYS: task, index, pending. ARGV: created_at, next poll ms, id, then field/value pairs.
constexpr std::string_view create_script = R"(
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1
)";

// The script that takes a task's news: its fields updated, and the first time it is seen
// finished its money settled: kept when it completed, given back to the key and its group
// when it failed. Exactly once: the record's billing field moves from "reserved" only here.
// KEYS: task, pending, key hash, group hash (the key hash again when none).
// ARGV: finished ("completed", "failed" or ""), next poll ms (-1: leave the pending set),
// then field/value pairs. Replies {found, settled, given back}.
constexpr std::string_view update_script = R"(
local billing = redis.call('HGET', KEYS[1], 'billing')
if not billing then return {0, 0, 0} end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
if ARGV[2] == '-1' then redis.call('ZREM', KEYS[2], KEYS[1])
else redis.call('ZADD', KEYS[2], 'XX', ARGV[2], redis.call('HGET', KEYS[1], 'id')) end
if ARGV[1] == '' or billing ~= 'reserved' then return {1, 0, 0} end
if ARGV[1] == 'completed' then
  redis.call('HSET', KEYS[1], 'billing', 'charged')
  return {1, 1, 0}
end
local charged = tonumber(redis.call('HGET', KEYS[1], 'charged')) or 0
redis.call('HSET', KEYS[1], 'billing', 'released')
if charged ~= 0 then
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('HINCRBY', KEYS[3], 'used', -charged) end
  if KEYS[4] ~= KEYS[3] and redis.call('EXISTS', KEYS[4]) == 1 then
    redis.call('HINCRBY', KEYS[4], 'used', -charged)
  end
end
return {1, 1, charged}
)";

// The key's tasks, newest first (or oldest with order asc), after a given id.
// KEYS: index. ARGV: limit, order, after id or "", task key prefix, task key suffix.
// Replies {has_more, then each task's HGETALL}.
constexpr std::string_view list_script = R"(
local asc = ARGV[2] == 'asc'
local start = 0
if ARGV[3] ~= '' then
  local rank
  if asc then rank = redis.call('ZRANK', KEYS[1], ARGV[3])
  else rank = redis.call('ZREVRANK', KEYS[1], ARGV[3]) end
  if not rank then return {0} end
  start = rank + 1
end
local limit = tonumber(ARGV[1])
local ids
if asc then ids = redis.call('ZRANGE', KEYS[1], start, start + limit)
else ids = redis.call('ZREVRANGE', KEYS[1], start, start + limit) end
local out = {0}
if #ids > limit then out[1] = 1 end
for i = 1, math.min(#ids, limit) do
  out[#out + 1] = redis.call('HGETALL', ARGV[4] .. ids[i] .. ARGV[5])
end
return out
)";

// The deletion: the hash and its places. KEYS: task, index, pending. ARGV: id.
constexpr std::string_view delete_script = R"(
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
)";

std::vector<std::string> eval(std::string_view script, std::vector<std::string> keys) {
    std::vector<std::string> argv{"EVAL", std::string(script), std::to_string(keys.size())};
    for (std::string& k : keys) {
        argv.push_back(std::move(k));
    }
    return argv;
}

std::string group_key_or(const aigw::task_record& rec, const std::string& key_hash) {
    return rec.group.empty() ? key_hash : aigw::group_hash_key(rec.group);
}

void send_answer(ngx_http_request_t* r, ngx_http_aigw_task_t* t) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    ctx->response.header_sent = 1;
    finish(r, ngx_http_aigw_send_json(r, t->answer_status, t->answer));
}

void answer_written(ngx_http_request_t* r, ngx_http_aigw_task_t* t) {
    if (!t->reply_ok) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: video task \"%s\" (upstream \"%s\" on channel \"%s\") could not be "
                      "recorded: %s",
                      t->record.id.c_str(), t->record.upstream_id.c_str(),
                      t->record.channel.c_str(), t->error.c_str());
        ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
        ctx->media.cost = 0;
        send_error(r, aigw::tasks_unavailable_error());
        return;
    }
    send_answer(r, t);
}

// A new task's answer: the record, then the client gets the object under the public id.
void created(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_task_t* t,
             const std::string& json) {
    aigw::video_fields v = aigw::read_video_object(json);
    if (!v.ok || !v.status) {
        aigw::ngx::log_value uri(r->uri);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: \"%*s\": the upstream's answer is not a video object", uri.len,
                      uri.data);
        send_error(r, aigw::upstream_bad_answer_error());
        return;
    }
    unsigned char random[24];
    if (RAND_bytes(random, sizeof(random)) != 1) {
        finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
    aigw::task_record& rec = t->record;
    std::string source = rec.id;  // a remix's source (loaded before), else ""
    rec.id = aigw::task_public_id(random);
    rec.remixed_from = t->kind == ngx_http_aigw_task_kind::remix ? source : std::string();
    rec.channel = std::string(aigw::ngx::view(ctx->attempt.channel->name));
    rec.upstream_id = v.id;
    rec.account = account_of(ctx);
    if (ctx->access.key != nullptr) {
        rec.key_id = ctx->access.key->id;
        rec.owner = ctx->access.key->owner;
        rec.group = ctx->access.key->group;
    }
    rec.model = std::string(aigw::ngx::view(ctx->content.model));
    rec.upstream_model = std::string(aigw::ngx::view(ctx->attempt.upstream_model));
    rec.size = v.size.empty() ? std::string(aigw::ngx::view(ctx->media.size)) : v.size;
    rec.seconds = v.seconds > 0 ? v.seconds : ctx->media.seconds;
    rec.status = *v.status;
    rec.progress = v.progress;
    ngx_time_t* tp = ngx_timeofday();
    rec.created_at = v.created_at ? v.created_at : static_cast<int64_t>(tp->sec);
    rec.updated_at = static_cast<int64_t>(tp->sec);
    rec.request_id = std::string(aigw::ngx::view(ctx->request_id));
    int64_t cost = ctx->content.price ? aigw::video_cost(*ctx->content.price, rec.seconds, rec.size)
                                      : 0;
    rec.cost = cost < 0 ? 0 : cost;
    rec.charged = rec.cost;
    rec.billing = aigw::task_billing::reserved;
    ngx_str_t* cb = &ctx->media.callback_url;
    if (cb->len) {
        rec.callback_url = std::string(aigw::ngx::view(*cb));
        rec.callback = aigw::callback_state::pending;
        rec.callback_next_ms = 0;
    }
    ctx->media.cost = rec.cost;
    ctx->media.cost_set = 1;

    std::optional<std::string> out =
        aigw::rewrite_video_object(json, rec.id, rec.model, rec.remixed_from);
    if (!out) {
        send_error(r, aigw::upstream_bad_answer_error());
        return;
    }
    t->answer = std::move(*out);
    t->answer_status = ctx->response.upstream_status;

    std::vector<std::string> argv =
        eval(create_script, {aigw::task_hash_key(rec.id), aigw::account_tasks_key(rec.account),
                             std::string(aigw::pending_tasks_key())});
    argv.push_back(std::to_string(rec.created_at));
    argv.push_back(std::to_string(aigw::ngx::unix_ms() + poll_interval_ms(r)));
    argv.push_back(rec.id);
    for (auto& [k, val] : aigw::encode_task_record(rec)) {
        argv.push_back(std::move(k));
        argv.push_back(std::move(val));
    }
    if (!redis(r, t, argv, answer_written)) {
        t->error = "unavailable";
        t->reply_ok = false;
        answer_written(r, t);
    }
}

// A retrieval's (or a poll's) answer: the news go to the record (settled the first time the
// task is seen finished), then the client gets the object under the public id.
void updated(ngx_http_request_t* r, ngx_http_aigw_task_t* t);

void refreshed(ngx_http_request_t* r, ngx_http_aigw_task_t* t, const std::string& json) {
    aigw::video_fields v = aigw::read_video_object(json);
    aigw::task_record& rec = t->record;
    if (!v.ok || !v.status) {
        send_error(r, aigw::upstream_bad_answer_error());
        return;
    }
    rec.status = *v.status;
    rec.progress = v.progress;
    ngx_time_t* tp = ngx_timeofday();
    rec.updated_at = static_cast<int64_t>(tp->sec);
    if (v.completed_at) {
        rec.completed_at = v.completed_at;
    }
    if (v.has_error) {
        rec.error_code = v.error_code;
        rec.error_message = v.error_message;
    }
    bool finished = aigw::task_finished(rec.status);
    std::optional<std::string> out =
        aigw::rewrite_video_object(json, rec.id, rec.model, rec.remixed_from);
    if (!out) {
        send_error(r, aigw::upstream_bad_answer_error());
        return;
    }
    t->answer = std::move(*out);
    t->answer_status = NGX_HTTP_OK;

    // Pending until finished and its callback delivered or given up (callbacks.cpp).
    int64_t next = finished && rec.callback != aigw::callback_state::pending
                       ? -1
                       : aigw::ngx::unix_ms() + poll_interval_ms(r);
    if (finished && rec.callback == aigw::callback_state::pending) {
        int64_t now = aigw::ngx::unix_ms();
        next = std::max<int64_t>(rec.callback_next_ms, now);
        if (t->kind == ngx_http_aigw_task_kind::poll && rec.callback_next_ms <= now) {
            // This poll delivers the callback now (ngx_http_aigw_task_polled): the task stays
            // claimed while it does, and the delivery's end records when it is due again. Due
            // at once, the next tick would poll it and deliver again from this same record,
            // before this delivery is recorded (seen under load).
            next = now + delivery_claim_ms;
        }
    }
    std::string key_hash = aigw::key_hash_key(rec.account);
    std::vector<std::string> argv =
        eval(update_script, {aigw::task_hash_key(rec.id), std::string(aigw::pending_tasks_key()),
                             key_hash, group_key_or(rec, key_hash)});
    // A finished task is settled by the script the first time only (its billing field).
    argv.push_back(finished ? std::string(aigw::task_status_name(rec.status)) : std::string());
    argv.push_back(std::to_string(next));
    for (auto& [k, val] : std::vector<std::pair<std::string, std::string>>{
             {"status", std::string(aigw::task_status_name(rec.status))},
             {"progress", std::to_string(rec.progress)},
             {"updated_at", std::to_string(rec.updated_at)},
             {"completed_at", std::to_string(rec.completed_at)},
             {"error_code", rec.error_code},
             {"error_message", rec.error_message}}) {
        argv.push_back(k);
        argv.push_back(val);
    }
    if (!redis(r, t, argv, updated)) {
        t->error = "unavailable";
        t->reply_ok = false;
        updated(r, t);
    }
}

void updated(ngx_http_request_t* r, ngx_http_aigw_task_t* t) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    if (!t->reply_ok || t->items.size() < 3) {
        // The client still gets the news; the next look settles it.
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "aigw: video task \"%s\": its news could not be recorded: %s",
                      t->record.id.c_str(), t->error.c_str());
    } else if (t->items[1] == "1") {
        int64_t given_back = std::strtoll(t->items[2].c_str(), nullptr, 10);
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "aigw: video task \"%s\" %s: %s",
                      t->record.id.c_str(), aigw::task_status_name(t->record.status).data(),
                      given_back ? "its cost is given back" : "its cost stands");
        if (given_back != 0) {
            // The usage record of this request carries the refund, so the records add up to
            // what the accounts were charged; a poll's record names the task's key.
            ctx->media.cost = -given_back;
            ctx->media.cost_set = 1;
            ctx->response.header_sent = 1;
            if (t->kind == ngx_http_aigw_task_kind::poll) {
                auto* owner = aigw::ngx::pool_new<aigw::key_record>(r->pool);
                if (owner != nullptr) {
                    owner->id = t->record.key_id;
                    owner->owner = t->record.owner;
                    owner->group = t->record.group;
                    ctx->access.key = owner;
                }
                ctx->content.in_content = 1;
            }
        }
    }
    if (t->kind == ngx_http_aigw_task_kind::poll) {
        ngx_http_aigw_task_polled(r, ctx, &t->record, t->answer);
        return;
    }
    send_answer(r, t);
}

void deleted(ngx_http_request_t* r, ngx_http_aigw_task_t* t) {
    if (!t->reply_ok) {
        redis_failed(r, t);
        return;
    }
    t->answer = aigw::video_deleted(t->record.id);
    t->answer_status = NGX_HTTP_OK;
    send_answer(r, t);
}

// ---- a task named by the path: loaded, its owner checked, then the attempt ----

void listed(ngx_http_request_t* r, ngx_http_aigw_task_t* t) {
    if (!t->reply_ok || t->groups.empty()) {
        redis_failed(r, t);
        return;
    }
    bool more = t->items[0] == "1";
    std::vector<std::string> objects;
    std::vector<std::string> ids;
    size_t at = 1;
    for (size_t g = 1; g < t->groups.size(); g++) {
        std::vector<std::pair<std::string_view, std::string_view>> fields;
        for (size_t i = 0; i + 1 < t->groups[g]; i += 2) {
            fields.emplace_back(t->items[at + i], t->items[at + i + 1]);
        }
        at += t->groups[g];
        aigw::task_decode_result d = aigw::decode_task_record(fields);
        if (!d.ok) {
            continue;  // deleted meanwhile, or not a record of ours
        }
        objects.push_back(aigw::video_object_from_task(d.record));
        ids.push_back(d.record.id);
    }
    t->answer = aigw::video_list(objects, ids, more);
    t->answer_status = NGX_HTTP_OK;
    send_answer(r, t);
}

ngx_int_t list(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_task_t* t) {
    int64_t limit = 20;
    ngx_str_t arg;
    if (ngx_http_arg(r, (u_char*)"limit", 5, &arg) == NGX_OK) {
        ngx_int_t n = ngx_atoi(arg.data, arg.len);
        if (n == NGX_ERROR || n < 1 || n > 100) {
            return ngx_http_aigw_send_error(
                r, aigw::media_parameter_error(
                       "Invalid 'limit': expected an integer from 1 to 100.", "limit"));
        }
        limit = n;
    }
    std::string order = "desc";
    if (ngx_http_arg(r, (u_char*)"order", 5, &arg) == NGX_OK) {
        order.assign(reinterpret_cast<char*>(arg.data), arg.len);
        if (order != "asc" && order != "desc") {
            return ngx_http_aigw_send_error(
                r, aigw::media_parameter_error(
                       "Invalid 'order': expected 'asc' or 'desc'.", "order"));
        }
    }
    std::string after;
    if (ngx_http_arg(r, (u_char*)"after", 5, &arg) == NGX_OK) {
        after.assign(reinterpret_cast<char*>(arg.data), arg.len);
        if (!aigw::valid_task_id(after)) {
            after = "-";  // no such id: an empty page
        }
    }
    std::string probe = aigw::task_hash_key("\x01");
    size_t mark = probe.find('\x01');
    std::vector<std::string> argv =
        eval(list_script, {aigw::account_tasks_key(account_of(ctx))});
    argv.push_back(std::to_string(limit));
    argv.push_back(order);
    argv.push_back(after);
    argv.push_back(probe.substr(0, mark));
    argv.push_back(probe.substr(mark + 1));
    if (!redis(r, t, argv, listed)) {
        t->error = "unavailable";
        redis_failed(r, t);
        return NGX_DONE;
    }
    return NGX_DONE;
}

void loaded(ngx_http_request_t* r, ngx_http_aigw_task_t* t) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    if (!t->reply_ok) {
        redis_failed(r, t);
        return;
    }
    std::vector<std::pair<std::string_view, std::string_view>> fields;
    for (size_t i = 0; i + 1 < t->items.size(); i += 2) {
        fields.emplace_back(t->items[i], t->items[i + 1]);
    }
    aigw::task_decode_result d = aigw::decode_task_record(fields);
    bool poll = t->kind == ngx_http_aigw_task_kind::poll;
    if (!d.ok || (!poll && d.record.account != account_of(ctx))) {
        if (!t->items.empty() && !d.ok) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "aigw: video task \"%s\": its record is broken: %s", t->id.c_str(),
                          d.error.c_str());
        }
        // Another key's task is as unknown as a task that never was.
        if (poll) {
            finish(r, ngx_http_aigw_task_poll_gone(r, t->id));
            return;
        }
        send_error(r, aigw::video_not_found_error(t->id));
        return;
    }
    t->record = std::move(d.record);
    aigw::task_record& rec = t->record;
    ngx_http_aigw_channel_t* channel = channel_named(r, rec.channel);
    if (channel == nullptr) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: video task \"%s\" was made by channel \"%s\", which the "
                      "configuration no longer has",
                      rec.id.c_str(), rec.channel.c_str());
        send_error(r, aigw::upstream_unreachable_error());
        return;
    }
    ctx->attempt.channel = channel;
    if (!aigw::ngx::pool_copy(r->pool, rec.model, &ctx->content.model) ||
        !aigw::ngx::pool_copy(r->pool, rec.upstream_model, &ctx->attempt.upstream_model)) {
        finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
    t->upstream_path = "/v1/videos/" + rec.upstream_id;
    switch (t->kind) {
    case ngx_http_aigw_task_kind::content:
        t->upstream_path += "/content";
        break;
    case ngx_http_aigw_task_kind::remix:
        t->upstream_path += "/remix";
        break;
    default:
        break;
    }
    ctx->media.upstream_path.data = reinterpret_cast<u_char*>(t->upstream_path.data());
    ctx->media.upstream_path.len = t->upstream_path.size();

    if (t->kind == ngx_http_aigw_task_kind::remix) {
        // A new task of the source's model, length and size, on the source's channel.
        aigw::model_price price;
        if (ngx_http_aigw_price_find(&ngx_http_aigw_main_conf(r)->prices, rec.model, &price)) {
            ctx->content.price_value = price;
            ctx->content.price = &ctx->content.price_value;
        }
        ctx->media.seconds = rec.seconds;
        if (!aigw::ngx::pool_copy(r->pool, rec.size, &ctx->media.size)) {
            finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
        ngx_http_aigw_media_reserve(ctx);
        ngx_http_aigw_admit(r, ctx, -1, 1);
        return;
    }
    ngx_int_t rc = ngx_http_aigw_attempt_without_body(r, ctx);
    if (rc != NGX_OK) {
        finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

// Reads the task named by the path; `loaded` goes on.
ngx_int_t load(ngx_http_request_t* r, ngx_http_aigw_task_t* t) {
    if (!redis(r, t, {"HGETALL", aigw::task_hash_key(t->id)}, loaded)) {
        t->error = "unavailable";
        redis_failed(r, t);
    }
    return NGX_DONE;
}

void remix_body_read(ngx_http_request_t* r) noexcept {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    if (!aigw::ngx::guard(r->connection->log, "remix body", [&] {
            // The body goes on as the client sent it (a prompt; the model is the source's).
            ngx_http_request_body_t* rb = r->request_body;
            off_t len = 0;
            for (ngx_chain_t* cl = rb ? rb->bufs : nullptr; cl; cl = cl->next) {
                len += ngx_buf_size(cl->buf);
            }
            ctx->attempt.upstream_body = rb ? rb->bufs : nullptr;
            ctx->attempt.upstream_body_len = len;
            ctx->media.raw_body = 1;
            load(r, ctx->media.task);
        })) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

std::string_view path_id(const ngx_http_aigw_ctx_t* ctx, std::string_view path) {
    const aigw::endpoint_info& ep = *ctx->content.endpoint;
    if (path.size() < ep.path.size() + ep.suffix.size()) {
        return {};
    }
    return path.substr(ep.path.size(), path.size() - ep.path.size() - ep.suffix.size());
}

}  // namespace

ngx_int_t ngx_http_aigw_task_prepare(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (ctx->media.task != nullptr) {
        return NGX_OK;  // a remix: made when its source was loaded
    }
    return task_new(r, ctx, ngx_http_aigw_task_kind::create) ? NGX_OK : NGX_ERROR;
}

ngx_int_t ngx_http_aigw_video_request(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    const aigw::endpoint_info& ep = *ctx->content.endpoint;
    ngx_http_aigw_task_kind kind = ngx_http_aigw_task_kind::retrieve;
    switch (ep.id) {
    case aigw::endpoint_id::videos:
        kind = ngx_http_aigw_task_kind::list;
        break;
    case aigw::endpoint_id::video:
        kind = r->method == NGX_HTTP_DELETE ? ngx_http_aigw_task_kind::remove
                                            : ngx_http_aigw_task_kind::retrieve;
        break;
    case aigw::endpoint_id::video_content:
        kind = ngx_http_aigw_task_kind::content;
        break;
    case aigw::endpoint_id::video_remix:
        kind = ngx_http_aigw_task_kind::remix;
        break;
    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (ngx_http_aigw_main_conf(r)->redis.host.len == 0 || ctx->access.key == nullptr) {
        // Task records live in Redis and belong to keys.
        ngx_int_t rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        return ngx_http_aigw_send_error(r, aigw::tasks_need_keys_error());
    }
    ngx_http_aigw_task_t* t = task_new(r, ctx, kind);
    if (t == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (kind != ngx_http_aigw_task_kind::list) {
        t->id = std::string(path_id(ctx, aigw::api_path(aigw::ngx::view(r->uri))));
        if (!aigw::valid_task_id(t->id)) {
            ngx_int_t rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            return ngx_http_aigw_send_error(r, aigw::video_not_found_error(t->id));
        }
    }
    if (kind == ngx_http_aigw_task_kind::remix) {
        // Reading the body holds the request (NGINX counts it) until remix_body_read.
        ngx_int_t rc = ngx_http_read_client_request_body(r, remix_body_read);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }
        return NGX_DONE;
    }
    ngx_int_t rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }
    // Held until the task's answer is sent, as a body read would hold it.
    r->main->count++;
    if (kind == ngx_http_aigw_task_kind::list) {
        return list(r, ctx, t);
    }
    return load(r, t);
}

bool ngx_http_aigw_task_holds(const ngx_http_aigw_ctx_t* ctx, ngx_uint_t status, bool json) {
    const ngx_http_aigw_task_t* t = ctx->media.task;
    return t != nullptr && json && status >= NGX_HTTP_OK && status < NGX_HTTP_SPECIAL_RESPONSE &&
           t->kind != ngx_http_aigw_task_kind::content && t->kind != ngx_http_aigw_task_kind::list;
}

void ngx_http_aigw_task_answered(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    ngx_http_aigw_task_t* t = ctx->media.task;
    ngx_http_aigw_body_t* st = ctx->usage.body;
    static const std::string none;
    const std::string& json = st ? st->json : none;
    if (st != nullptr && st->json_overflow) {
        send_error(r, aigw::upstream_bad_answer_error());
        return;
    }
    switch (t->kind) {
    case ngx_http_aigw_task_kind::create:
    case ngx_http_aigw_task_kind::remix:
        created(r, ctx, t, json);
        return;
    case ngx_http_aigw_task_kind::retrieve:
    case ngx_http_aigw_task_kind::poll:
        refreshed(r, t, json);
        return;
    case ngx_http_aigw_task_kind::remove: {
        aigw::task_record& rec = t->record;
        std::vector<std::string> argv =
            eval(delete_script, {aigw::task_hash_key(rec.id), aigw::account_tasks_key(rec.account),
                                 std::string(aigw::pending_tasks_key())});
        argv.push_back(rec.id);
        if (!redis(r, t, argv, deleted)) {
            t->error = "unavailable";
            redis_failed(r, t);
        }
        return;
    }
    case ngx_http_aigw_task_kind::content:
    case ngx_http_aigw_task_kind::list:
        break;
    }
    finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
}

namespace {

constexpr std::string_view poll_token_header = "x-aigw-poll-token";

ngx_int_t poll(ngx_http_request_t* r) {
    if (r != r->main || !(r->method & (NGX_HTTP_GET | NGX_HTTP_POST))) {
        return NGX_HTTP_NOT_ALLOWED;
    }
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(r);
    bool token = false;
    aigw::ngx::for_each_header(r->headers_in.headers, [&](ngx_table_elt_t& h) {
        if (aigw::ngx::name_is(h.key, poll_token_header)) {
            token = h.value.len == sizeof(amcf->tasks.poll_token) &&
                    CRYPTO_memcmp(h.value.data, amcf->tasks.poll_token, h.value.len) == 0;
            return false;
        }
        return true;
    });
    if (!token) {
        return NGX_HTTP_FORBIDDEN;  // only this node's poller asks
    }
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr || ngx_http_aigw_request_id(r) == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ngx_int_t rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }
    // What a poll does is what a retrieval does, for the task's owner.
    ctx->content.endpoint = aigw::find_endpoint("/v1/videos/x");
    ctx->content.classified = 1;
    ngx_http_aigw_task_t* t = task_new(r, ctx, ngx_http_aigw_task_kind::poll);
    if (t == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    std::string_view uri = aigw::ngx::view(r->uri);
    t->id = std::string(uri.substr(uri.rfind('/') + 1));
    if (!aigw::valid_task_id(t->id)) {
        return NGX_HTTP_NOT_FOUND;
    }
    if (ngx_http_aigw_finish_at_end(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    r->main->count++;
    return load(r, t);
}

}  // namespace

ngx_int_t ngx_http_aigw_task_poll_handler(ngx_http_request_t* r) noexcept {
    return aigw::ngx::guard(r->connection->log, "task poll", NGX_HTTP_INTERNAL_SERVER_ERROR,
                            [r] { return poll(r); });
}
