// The node's poller of video tasks; see poller.hpp.
#include "ngx/media/poller.hpp"

#include <string>
#include <vector>

#include "aigw/media/task.hpp"
#include "aigw/schema.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/redis/client.hpp"
#include "ngx/util/guard.hpp"

namespace {

// How long a claimed task is left to this node before another may poll it.
constexpr int64_t claim_ms = 60000;
// How soon a task whose poll failed is due again: sooner than its claim lapses, but not at
// every tick, so a poll location that keeps failing is not asked (and logged) many times a
// second.
constexpr ngx_msec_t failed_retry_ms = 5000;
// A loopback poll's deadline: the upstream's answer and a callback delivery fit in it.
constexpr ngx_msec_t poll_timeout = 120000;
constexpr size_t answer_max = 4096;

// The due tasks, claimed. KEYS: pending. ARGV: now ms, claim ms, limit, per channel, task key
// prefix, suffix. Replies the ids.
constexpr std::string_view due_script = R"(
local limit = tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit * 4)
local per, out = {}, {}
for _, id in ipairs(due) do
  if #out >= limit then break end
  local ch = redis.call('HGET', ARGV[5] .. id .. ARGV[6], 'channel') or ''
  local n = per[ch] or 0
  if n < tonumber(ARGV[4]) then
    per[ch] = n + 1
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
    out[#out + 1] = id
  end
end
return out
)";

struct poll_call {
    ngx_pool_t* pool = nullptr;
    ngx_peer_connection_t peer{};
    std::string id;
    std::string request;
    size_t sent = 0;
    std::string answer;
};

struct poller_state {
    const ngx_http_aigw_tasks_conf_t* conf = nullptr;
    ngx_event_t timer{};
    ngx_connection_t dummy{};
    ngx_uint_t inflight = 0;
    bool asking = false;
    std::string prefix, suffix;  // of a task's key
};

poller_state* state = nullptr;

void send_command(const std::vector<std::string>& argv, ngx_http_aigw_redis_reply_pt fn,
                  void* owner) {
    if (ngx_http_aigw_redis_command(argv, fn, owner) == nullptr && fn != nullptr) {
        fn(owner, nullptr, ngx_http_aigw_redis_status::unavailable);
    }
}

void schedule() {
    if (state != nullptr && !ngx_exiting && !ngx_terminate && !ngx_quit &&
        !state->timer.timer_set) {
        ngx_add_timer(&state->timer, state->conf->poll_interval);
    }
}

void call_end(poll_call* c, bool ok) {
    ngx_log_t* log = ngx_cycle->log;
    if (c->peer.connection != nullptr) {
        ngx_close_connection(c->peer.connection);
        c->peer.connection = nullptr;
    }
    // "HTTP/1.1 404 ...": the task is gone; drop it from the pending set.
    int status = 0;
    if (ok && c->answer.size() >= 12 && c->answer.compare(0, 5, "HTTP/") == 0) {
        status = std::atoi(c->answer.c_str() + 9);
    }
    if (status == 404) {
        send_command({"ZREM", std::string(aigw::pending_tasks_key()), c->id}, nullptr,
                     nullptr);
    } else if (status != 200) {
        // Not polled: due again soon rather than when this node's claim lapses (XX: unless
        // the task has left the pending set meanwhile).
        ngx_msec_t again = state != nullptr && state->conf->poll_interval > failed_retry_ms
                               ? state->conf->poll_interval
                               : failed_retry_ms;
        send_command({"ZADD", std::string(aigw::pending_tasks_key()), "XX",
                      std::to_string(aigw::ngx::unix_ms() + static_cast<int64_t>(again)), c->id},
                     nullptr, nullptr);
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "aigw: task poller: the poll of \"%s\" ended with %s %d; it is tried "
                      "again in %M ms",
                      c->id.c_str(), ok ? "HTTP" : "no answer, status", status, again);
    }
    if (state != nullptr && state->inflight) {
        state->inflight--;
    }
    ngx_pool_t* pool = c->pool;
    c->~poll_call();
    ngx_destroy_pool(pool);
}

void on_read(ngx_event_t* ev) noexcept {
    auto* conn = static_cast<ngx_connection_t*>(ev->data);
    auto* c = static_cast<poll_call*>(conn->data);
    aigw::ngx::guard(ngx_cycle->log, "task poller read", [&] {
        if (ev->timedout) {
            call_end(c, false);
            return;
        }
        u_char buf[1024];
        for (;;) {
            ssize_t n = conn->recv(conn, buf, sizeof(buf));
            if (n > 0) {
                if (c->answer.size() < answer_max) {
                    c->answer.append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
                }
                continue;
            }
            if (n == NGX_AGAIN) {
                if (ngx_handle_read_event(ev, 0) != NGX_OK) {
                    call_end(c, false);
                }
                return;
            }
            call_end(c, n == 0);  // closed: the whole answer is in
            return;
        }
    });
}

void on_write(ngx_event_t* ev) noexcept {
    auto* conn = static_cast<ngx_connection_t*>(ev->data);
    auto* c = static_cast<poll_call*>(conn->data);
    aigw::ngx::guard(ngx_cycle->log, "task poller write", [&] {
        if (ev->timedout) {
            call_end(c, false);
            return;
        }
        while (c->sent < c->request.size()) {
            ssize_t n = conn->send(conn, reinterpret_cast<u_char*>(c->request.data()) + c->sent,
                                   c->request.size() - c->sent);
            if (n == NGX_AGAIN) {
                if (ngx_handle_write_event(ev, 0) != NGX_OK) {
                    call_end(c, false);
                }
                return;
            }
            if (n <= 0) {
                call_end(c, false);
                return;
            }
            c->sent += static_cast<size_t>(n);
        }
        if (ev->timer_set) {
            ngx_del_timer(ev);
        }
        ev->handler = [](ngx_event_t*) {};
        if (!conn->read->timer_set) {
            ngx_add_timer(conn->read, poll_timeout);
        }
        if (conn->read->ready) {
            on_read(conn->read);
        } else if (ngx_handle_read_event(conn->read, 0) != NGX_OK) {
            call_end(c, false);
        }
    });
}

// A loopback GET of the poll location for one task.
void poll_one(const std::string& id) {
    const ngx_http_aigw_tasks_conf_t* tc = state->conf;
    ngx_pool_t* pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == nullptr) {
        return;
    }
    auto* c = static_cast<poll_call*>(ngx_palloc(pool, sizeof(poll_call)));
    if (c == nullptr) {
        ngx_destroy_pool(pool);
        return;
    }
    new (c) poll_call();
    c->pool = pool;
    c->id = id;
    std::string uri(reinterpret_cast<const char*>(tc->poller_uri.data), tc->poller_uri.len);
    if (uri.empty() || uri.back() != '/') {
        uri += '/';
    }
    c->request = "GET " + uri + id + " HTTP/1.0\r\nHost: localhost\r\nX-Aigw-Poll-Token: " +
                 std::string(reinterpret_cast<const char*>(tc->poll_token),
                             sizeof(tc->poll_token)) +
                 "\r\n\r\n";
    ngx_addr_t* addr = &tc->poller->addrs[0];
    c->peer.sockaddr = addr->sockaddr;
    c->peer.socklen = addr->socklen;
    c->peer.name = &addr->name;
    c->peer.get = ngx_event_get_peer;
    c->peer.log = ngx_cycle->log;
    c->peer.log_error = NGX_ERROR_ERR;
    state->inflight++;
    ngx_int_t rc = ngx_event_connect_peer(&c->peer);
    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "aigw: task poller: cannot connect to \"%V\"", &addr->name);
        call_end(c, false);
        return;
    }
    ngx_connection_t* conn = c->peer.connection;
    conn->data = c;
    conn->pool = pool;
    conn->read->handler = on_read;
    conn->write->handler = on_write;
    ngx_add_timer(conn->write, poll_timeout);
    if (rc == NGX_OK) {
        on_write(conn->write);
    }
}

void on_due(void*, redisReply* reply, ngx_http_aigw_redis_status status) noexcept {
    if (state == nullptr) {
        return;
    }
    state->asking = false;
    aigw::ngx::guard(ngx_cycle->log, "task poller", [&] {
        if (status != ngx_http_aigw_redis_status::ok || reply->type != REDIS_REPLY_ARRAY) {
            return;
        }
        for (size_t i = 0; i < reply->elements; i++) {
            redisReply* e = reply->element[i];
            if (e->type == REDIS_REPLY_STRING) {
                poll_one(std::string(e->str, e->len));
            }
        }
    });
}

void tick(ngx_event_t*) noexcept {
    aigw::ngx::guard(ngx_cycle->log, "task poller tick", [] {
        if (state == nullptr) {
            return;
        }
        const ngx_http_aigw_tasks_conf_t* tc = state->conf;
        if (!state->asking && state->inflight < tc->poll_batch) {
            state->asking = true;
            send_command({"EVAL", std::string(due_script), "1",
                          std::string(aigw::pending_tasks_key()), std::to_string(aigw::ngx::unix_ms()),
                          std::to_string(claim_ms),
                          std::to_string(tc->poll_batch - state->inflight),
                          std::to_string(tc->poll_per_channel), state->prefix, state->suffix},
                         on_due, nullptr);
        }
        schedule();
    });
}

}  // namespace

void ngx_http_aigw_poller_start(ngx_cycle_t* cycle) {
    ngx_http_aigw_main_conf_t* amcf = ngx_http_aigw_main_conf(cycle);
    if (amcf == nullptr || amcf->tasks.poller == nullptr || ngx_worker != 0) {
        return;
    }
    state = new poller_state();
    state->conf = &amcf->tasks;
    std::string probe = aigw::task_hash_key("\x01");
    size_t mark = probe.find('\x01');
    state->prefix = probe.substr(0, mark);
    state->suffix = probe.substr(mark + 1);
    state->dummy.fd = static_cast<ngx_socket_t>(-1);
    state->timer.handler = tick;
    state->timer.data = &state->dummy;
    state->timer.log = cycle->log;
    state->timer.cancelable = 1;
    schedule();
}

void ngx_http_aigw_poller_stop() {
    if (state == nullptr) {
        return;
    }
    if (state->timer.timer_set) {
        ngx_del_timer(&state->timer);
    }
    // Calls in flight close with the process; their claims lapse after claim_ms.
    delete state;
    state = nullptr;
}
