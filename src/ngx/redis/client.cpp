// hiredis async API driven by NGINX events; see client.hpp for the contract.
#include "ngx/redis/client.hpp"

#include <hiredis/async.h>

#include <ctime>
#include <new>

#include "ngx/metrics.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/log_limit.hpp"

namespace {

struct redis_conn;

}  // namespace

struct ngx_http_aigw_redis_call_t {
    redis_conn* conn;
    uint64_t sent_us;                 // monotonic, for the command latency metric
    ngx_event_t deadline;
    ngx_http_aigw_redis_reply_pt fn;  // nullptr once answered, timed out or cancelled
    void* owner;
};

namespace {

uint64_t monotonic_us() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

constexpr ngx_msec_t backoff_min = 100;
constexpr ngx_msec_t backoff_max = 2000;
constexpr ngx_msec_t error_log_interval = 10000;

struct redis_conn {
    const ngx_http_aigw_redis_conf_t* conf;
    const char* role;             // CLIENT SETNAME, and in messages
    ngx_log_t* log;
    redisAsyncContext* ac;
    ngx_connection_t* c;          // NGINX's view of hiredis's socket, for events only
    ngx_event_t connect_timer;
    ngx_event_t reconnect_timer;
    ngx_msec_t backoff;
    ngx_http_aigw_log_gate down_log;
    bool logged_down;             // since the connection was last up
    bool up;                      // connected (counted in the metrics' connected workers)
    bool stopping;
    const char* channel;          // subscriber connection: the channel, else nullptr
    void (*on_message)(const char*, size_t);
    char host[NGX_SOCKADDR_STRLEN + 1];
};

redis_conn* command_conn;
redis_conn* subscriber_conn;

void conn_connect(redis_conn* rc);

// Connection problems are logged once per interval, not once per request.
void log_down(redis_conn* rc, const char* what, const char* detail) {
    if (!rc->down_log.open()) {
        return;
    }
    rc->logged_down = true;
    ngx_log_error(NGX_LOG_ERR, rc->log, 0, "aigw: redis %V (%s connection) %s: %s",
                  &rc->conf->name, rc->role, what, detail ? detail : "");
}

void schedule_reconnect(redis_conn* rc) {
    // Also while the worker shuts down gracefully: it may still have usage records to send.
    // The timer is cancelable, so it never keeps the worker alive by itself.
    if (rc->stopping || ngx_terminate || ngx_quit) {
        return;
    }
    if (!rc->reconnect_timer.timer_set) {
        ngx_add_timer(&rc->reconnect_timer, rc->backoff);
    }
    rc->backoff = rc->backoff * 2 > backoff_max ? backoff_max : rc->backoff * 2;
}

// Event hooks hiredis calls. Level-triggered events: hiredis reads at most 16 KB per call,
// so with edge-triggered epoll a larger burst of replies would never be read to the end.
void ev_add_read(void* data) noexcept {
    auto* rc = static_cast<redis_conn*>(data);
    aigw::ngx::guard(rc->log, "redis event", [&] {
        if (rc->c && !rc->c->read->active) {
            ngx_add_event(rc->c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
        }
    });
}

void ev_del_read(void* data) noexcept {
    auto* rc = static_cast<redis_conn*>(data);
    aigw::ngx::guard(rc->log, "redis event", [&] {
        if (rc->c && rc->c->read->active) {
            ngx_del_event(rc->c->read, NGX_READ_EVENT, 0);
        }
    });
}

void ev_add_write(void* data) noexcept {
    auto* rc = static_cast<redis_conn*>(data);
    aigw::ngx::guard(rc->log, "redis event", [&] {
        if (rc->c && !rc->c->write->active) {
            ngx_add_event(rc->c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
        }
    });
}

void ev_del_write(void* data) noexcept {
    auto* rc = static_cast<redis_conn*>(data);
    aigw::ngx::guard(rc->log, "redis event", [&] {
        if (rc->c && rc->c->write->active) {
            ngx_del_event(rc->c->write, NGX_WRITE_EVENT, 0);
        }
    });
}

// hiredis is about to free the context and close the socket: release NGINX's connection
// object without closing the descriptor (hiredis owns it), and plan a new connection.
void ev_cleanup(void* data) noexcept {
    auto* rc = static_cast<redis_conn*>(data);
    aigw::ngx::guard(rc->log, "redis event", [&] {
        ngx_connection_t* c = rc->c;
        if (c != nullptr) {
            if (c->read->active) {
                ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
            }
            if (c->write->active) {
                ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
            }
            if (c->read->posted) {
                ngx_delete_posted_event(c->read);
            }
            if (c->write->posted) {
                ngx_delete_posted_event(c->write);
            }
            c->fd = (ngx_socket_t)-1;
            ngx_free_connection(c);
            rc->c = nullptr;
        }
        rc->ac = nullptr;
        if (rc->up) {
            rc->up = false;
            if (rc->channel == nullptr) {
                ngx_http_aigw_metrics_redis_connected(-1);
            }
        }
        if (rc->connect_timer.timer_set) {
            ngx_del_timer(&rc->connect_timer);
        }
        schedule_reconnect(rc);
    });
}

void read_handler(ngx_event_t* ev) noexcept {
    auto* c = static_cast<ngx_connection_t*>(ev->data);
    auto* rc = static_cast<redis_conn*>(c->data);
    aigw::ngx::guard(rc->log, "redis read", [&] {
        if (rc->ac != nullptr) {
            redisAsyncHandleRead(rc->ac);
        }
    });
}

void write_handler(ngx_event_t* ev) noexcept {
    auto* c = static_cast<ngx_connection_t*>(ev->data);
    auto* rc = static_cast<redis_conn*>(c->data);
    aigw::ngx::guard(rc->log, "redis write", [&] {
        if (rc->ac != nullptr) {
            redisAsyncHandleWrite(rc->ac);
        }
    });
}

void on_connect(const redisAsyncContext* ac, int status) noexcept {
    auto* rc = static_cast<redis_conn*>(ac->ev.data);
    aigw::ngx::guard(rc->log, "redis connect", [&] {
        if (status != REDIS_OK) {
            log_down(rc, "connect failed", ac->errstr);
            return;  // hiredis frees the context; ev_cleanup schedules the retry
        }
        rc->backoff = backoff_min;
        if (!rc->up) {
            rc->up = true;
            if (rc->channel == nullptr) {
                ngx_http_aigw_metrics_redis_connected(1);
            }
        }
        if (rc->connect_timer.timer_set) {
            ngx_del_timer(&rc->connect_timer);
        }
        if (rc->logged_down) {
            ngx_log_error(NGX_LOG_NOTICE, rc->log, 0, "aigw: redis %V (%s connection) is back",
                          &rc->conf->name, rc->role);
            rc->logged_down = false;
            rc->down_log.reset();
        }
    });
}

void on_disconnect(const redisAsyncContext* ac, int status) noexcept {
    auto* rc = static_cast<redis_conn*>(ac->ev.data);
    aigw::ngx::guard(rc->log, "redis disconnect", [&] {
        if (status != REDIS_OK && !rc->stopping) {
            log_down(rc, "connection lost", ac->errstr);
        }
    });
}

// Drops a connection that stopped answering: pending calls get "unavailable" from
// hiredis's free, and a new connection follows after the backoff.
void conn_reset(redis_conn* rc, const char* why) {
    log_down(rc, why, "closing the connection");
    if (rc->ac != nullptr) {
        redisAsyncFree(rc->ac);  // runs pending callbacks, then ev_cleanup
    }
}

void connect_timeout_handler(ngx_event_t* ev) noexcept {
    aigw::ngx::guard(ev->log, "redis connect timer", [&] {
        conn_reset(static_cast<redis_conn*>(ev->data), "connect timed out");
    });
}

void reconnect_handler(ngx_event_t* ev) noexcept {
    aigw::ngx::guard(ev->log, "redis reconnect timer", [&] {
        conn_connect(static_cast<redis_conn*>(ev->data));
    });
}

// AUTH, SELECT, CLIENT SETNAME: if one fails the connection is useless (every command
// would fail with NOAUTH); drop it and retry with backoff, logged once per interval.
void setup_reply(redisAsyncContext* ac, void* r, void* privdata) noexcept {
    auto* rc = static_cast<redis_conn*>(ac->ev.data);
    aigw::ngx::guard(rc->log, "redis setup reply", [&] {
        auto* reply = static_cast<redisReply*>(r);
        if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
            log_down(rc, static_cast<const char*>(privdata), reply->str);
            if (rc->ac != nullptr) {
                redisAsyncFree(rc->ac);  // deferred by hiredis until this callback returns
            }
        }
    });
}

void message_reply(redisAsyncContext* ac, void* r, void*) noexcept {
    auto* rc = static_cast<redis_conn*>(ac->ev.data);
    aigw::ngx::guard(rc->log, "redis message", [&] {
        auto* reply = static_cast<redisReply*>(r);
        if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
            return;
        }
        redisReply* kind = reply->element[0];
        redisReply* payload = reply->element[2];
        if (rc->on_message == nullptr || kind->type != REDIS_REPLY_STRING) {
            return;
        }
        if (kind->len == 7 && ngx_strncmp(kind->str, "message", 7) == 0 &&
            payload->type == REDIS_REPLY_STRING) {
            rc->on_message(payload->str, payload->len);
        } else if (kind->len == 9 && ngx_strncmp(kind->str, "subscribe", 9) == 0) {
            rc->on_message(nullptr, 0);
        }
    });
}

void conn_connect(redis_conn* rc) {
    if (rc->ac != nullptr || rc->stopping) {
        return;
    }
    redisAsyncContext* ac = redisAsyncConnect(rc->host, static_cast<int>(rc->conf->port));
    if (ac == nullptr) {
        log_down(rc, "connect failed", "out of memory");
        schedule_reconnect(rc);
        return;
    }
    if (ac->err) {
        log_down(rc, "connect failed", ac->errstr);
        redisAsyncFree(ac);
        schedule_reconnect(rc);
        return;
    }
    ngx_connection_t* c = ngx_get_connection(ac->c.fd, rc->log);
    if (c == nullptr) {
        redisAsyncFree(ac);
        schedule_reconnect(rc);
        return;
    }
    c->data = rc;
    c->read->handler = read_handler;
    c->write->handler = write_handler;
    c->read->log = rc->log;
    c->write->log = rc->log;
    c->log = rc->log;
    rc->c = c;
    rc->ac = ac;

    ac->ev.data = rc;
    ac->ev.addRead = ev_add_read;
    ac->ev.delRead = ev_del_read;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);

    // Pipelined behind the connect: they run first once the socket is up.
    const ngx_http_aigw_redis_conf_t* conf = rc->conf;
    if (conf->password.len) {
        const char* argv[] = {"AUTH", reinterpret_cast<const char*>(conf->password.data)};
        size_t lens[] = {4, conf->password.len};
        redisAsyncCommandArgv(ac, setup_reply, const_cast<char*>("AUTH failed"), 2, argv, lens);
    }
    if (conf->db > 0) {
        char db[NGX_INT_T_LEN + 1];
        size_t n = static_cast<size_t>(ngx_sprintf(reinterpret_cast<u_char*>(db), "%i", conf->db) -
                                       reinterpret_cast<u_char*>(db));
        const char* argv[] = {"SELECT", db};
        size_t lens[] = {6, n};
        redisAsyncCommandArgv(ac, setup_reply, const_cast<char*>("SELECT failed"), 2, argv, lens);
    }
    {
        const char* argv[] = {"CLIENT", "SETNAME", rc->role};
        size_t lens[] = {6, 7, ngx_strlen(rc->role)};
        redisAsyncCommandArgv(ac, setup_reply, const_cast<char*>("CLIENT SETNAME failed"), 3, argv,
                              lens);
    }
    if (rc->channel != nullptr) {
        const char* argv[] = {"SUBSCRIBE", rc->channel};
        size_t lens[] = {9, ngx_strlen(rc->channel)};
        redisAsyncCommandArgv(ac, message_reply, nullptr, 2, argv, lens);
    }
    ngx_add_timer(&rc->connect_timer, conf->timeout);
}

redis_conn* conn_create(ngx_cycle_t* cycle, const ngx_http_aigw_redis_conf_t* conf,
                        const char* role) {
    auto* rc = static_cast<redis_conn*>(ngx_pcalloc(cycle->pool, sizeof(redis_conn)));
    if (rc == nullptr) {
        return nullptr;
    }
    rc->conf = conf;
    rc->role = role;
    rc->log = cycle->log;
    rc->backoff = backoff_min;
    rc->down_log = ngx_http_aigw_log_gate(error_log_interval);
    ngx_memcpy(rc->host, conf->host.data, conf->host.len);
    rc->host[conf->host.len] = '\0';
    for (ngx_event_t* ev : {&rc->connect_timer, &rc->reconnect_timer}) {
        ev->data = rc;
        ev->log = cycle->log;
        ev->cancelable = 1;  // do not hold a worker's graceful exit
    }
    rc->connect_timer.handler = connect_timeout_handler;
    rc->reconnect_timer.handler = reconnect_handler;
    return rc;
}

void conn_stop(redis_conn* rc) {
    if (rc == nullptr) {
        return;
    }
    rc->stopping = true;
    if (rc->reconnect_timer.timer_set) {
        ngx_del_timer(&rc->reconnect_timer);
    }
    if (rc->ac != nullptr) {
        redisAsyncFree(rc->ac);
    }
}

void call_deadline_handler(ngx_event_t* ev) noexcept {
    aigw::ngx::guard(ev->log, "redis deadline", [&] {
        auto* call = static_cast<ngx_http_aigw_redis_call_t*>(ev->data);
        ngx_http_aigw_redis_reply_pt fn = call->fn;
        call->fn = nullptr;
        if (fn != nullptr) {
            fn(call->owner, nullptr, ngx_http_aigw_redis_status::timeout);
        }
        // Replies on this connection are now out of step with what callers expect to wait
        // for: close it rather than reuse it.
        conn_reset(call->conn, "command timed out");
    });
}

// hiredis's callback for every command: the reply, or nullptr when the context is freed.
void call_reply(redisAsyncContext*, void* r, void* privdata) noexcept {
    auto* call = static_cast<ngx_http_aigw_redis_call_t*>(privdata);
    aigw::ngx::guard(call->deadline.log, "redis reply", [&] {
        if (call->deadline.timer_set) {
            ngx_del_timer(&call->deadline);
        }
        ngx_http_aigw_redis_reply_pt fn = call->fn;
        call->fn = nullptr;
        auto* reply = static_cast<redisReply*>(r);
        if (reply != nullptr && ngx_http_aigw_metrics_zone != nullptr) {
            uint64_t now = monotonic_us();
            ngx_http_aigw_metrics_redis_reply(now > call->sent_us ? now - call->sent_us : 0);
        }
        if (fn != nullptr) {
            fn(call->owner, reply,
               reply ? ngx_http_aigw_redis_status::ok : ngx_http_aigw_redis_status::unavailable);
        }
        ngx_free(call);
    });
}

}  // namespace

ngx_int_t ngx_http_aigw_redis_start(ngx_cycle_t* cycle, const ngx_http_aigw_redis_conf_t* conf,
                                    const char* subscribe_channel,
                                    void (*on_message)(const char*, size_t)) {
    command_conn = conn_create(cycle, conf, "aigw");
    if (command_conn == nullptr) {
        return NGX_ERROR;
    }
    conn_connect(command_conn);
    if (subscribe_channel != nullptr) {
        subscriber_conn = conn_create(cycle, conf, "aigw-sub");
        if (subscriber_conn == nullptr) {
            return NGX_ERROR;
        }
        subscriber_conn->channel = subscribe_channel;
        subscriber_conn->on_message = on_message;
        conn_connect(subscriber_conn);
    }
    return NGX_OK;
}

void ngx_http_aigw_redis_stop() {
    conn_stop(command_conn);
    conn_stop(subscriber_conn);
    command_conn = nullptr;
    subscriber_conn = nullptr;
}

void ngx_http_aigw_redis_log_reply_error(ngx_log_t* log, const char* what) {
    static ngx_http_aigw_log_gate reply_error_log{error_log_interval};
    if (!reply_error_log.open()) {
        return;
    }
    ngx_log_error(NGX_LOG_ERR, log, 0, "aigw: redis answered a command with %s", what);
}


// A call on the command connection, sent by `send` (one of hiredis's command functions).
template <typename Send>
static ngx_http_aigw_redis_call_t* ngx_http_aigw_redis_call(ngx_http_aigw_redis_reply_pt fn,
                                                            void* owner, Send&& send) {
    // While connecting, commands queue behind AUTH/SELECT in hiredis's buffer (bounded by
    // their deadlines); only between attempts, in the backoff, do they fail at once.
    redis_conn* rc = command_conn;
    if (rc == nullptr || rc->ac == nullptr || rc->stopping) {
        return nullptr;
    }
    auto* call = static_cast<ngx_http_aigw_redis_call_t*>(
        ngx_calloc(sizeof(ngx_http_aigw_redis_call_t), rc->log));
    if (call == nullptr) {
        return nullptr;
    }
    call->conn = rc;
    call->fn = fn;
    call->owner = owner;
    call->deadline.handler = call_deadline_handler;
    call->deadline.data = call;
    call->deadline.log = rc->log;
    // Not cancelable: a worker shutting down gracefully (reload) waits for the requests
    // that wait on Redis, at most one deadline long.
    call->deadline.cancelable = 0;
    if (ngx_http_aigw_metrics_zone != nullptr) {
        call->sent_us = monotonic_us();
    }
    if (send(rc->ac, call) != REDIS_OK) {
        ngx_free(call);
        return nullptr;
    }
    ngx_add_timer(&call->deadline, rc->conf->timeout);
    return call;
}

ngx_http_aigw_redis_call_t* ngx_http_aigw_redis_command(int argc, const char** argv,
                                                        const size_t* argvlen,
                                                        ngx_http_aigw_redis_reply_pt fn,
                                                        void* owner) {
    return ngx_http_aigw_redis_call(fn, owner, [&](redisAsyncContext* ac, void* call) {
        return redisAsyncCommandArgv(ac, call_reply, call, argc, argv, argvlen);
    });
}

ngx_http_aigw_redis_call_t* ngx_http_aigw_redis_command(const std::vector<std::string>& argv,
                                                        ngx_http_aigw_redis_reply_pt fn,
                                                        void* owner) {
    std::vector<const char*> av;
    std::vector<size_t> lens;
    av.reserve(argv.size());
    lens.reserve(argv.size());
    for (const std::string& a : argv) {
        av.push_back(a.data());
        lens.push_back(a.size());
    }
    return ngx_http_aigw_redis_command(static_cast<int>(av.size()), av.data(), lens.data(), fn,
                                       owner);
}

ngx_http_aigw_redis_call_t* ngx_http_aigw_redis_formatted(const char* cmd, size_t len,
                                                          ngx_http_aigw_redis_reply_pt fn,
                                                          void* owner) {
    return ngx_http_aigw_redis_call(fn, owner, [&](redisAsyncContext* ac, void* call) {
        return redisAsyncFormattedCommand(ac, call_reply, call, cmd, len);
    });
}

void ngx_http_aigw_redis_cancel(ngx_http_aigw_redis_call_t* call) {
    // The call itself stays until hiredis hands it back (reply or free); only the owner
    // is forgotten, so a late reply touches nothing of the request.
    if (call != nullptr) {
        call->fn = nullptr;
        call->owner = nullptr;
    }
}
