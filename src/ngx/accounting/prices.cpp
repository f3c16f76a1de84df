// Prices from Redis over the configuration's; see prices.hpp.
#include "ngx/accounting/prices.hpp"

#include <exception>
#include <memory>
#include <unordered_map>
#include <vector>

#include "aigw/schema.hpp"
#include "ngx/redis/client.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/log_limit.hpp"

namespace {

struct price_state {
    const ngx_http_aigw_prices_conf_t* conf = nullptr;
    std::unordered_map<std::string, aigw::model_price> overrides;
    std::vector<std::string> names;
    std::vector<std::string> keys;
    size_t inflight = 0;
    ngx_event_t timer{};
    ngx_http_aigw_log_gate bad_price_log{60000};
    ngx_log_t* log = nullptr;
};

price_state* state;
constexpr ngx_msec_t retry_delay = 500;

struct price_call {
    size_t index;   // into state->names
};
std::vector<price_call> calls;

void log_bad(std::string_view model, const std::string& why) {
    if (!state->bad_price_log.open()) {
        return;
    }
    ngx_log_error(NGX_LOG_ERR, state->log, 0,
                  "aigw: redis price of \"%*s\" is ignored (%s); the configured price applies",
                  model.size(), model.data(), why.c_str());
}

void on_price(void* owner, redisReply* reply, ngx_http_aigw_redis_status status) noexcept {
    auto* call = static_cast<price_call*>(owner);
    state->inflight--;
    aigw::ngx::guard(state->log, "redis price", [&] {
        if (status != ngx_http_aigw_redis_status::ok || reply->type != REDIS_REPLY_ARRAY) {
            return;  // Redis away: the prices last read stay
        }
        const std::string& model = state->names[call->index];
        if (reply->elements == 0) {
            state->overrides.erase(model);
            return;
        }
        std::vector<std::pair<std::string_view, std::string_view>> fields;
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            const redisReply* k = reply->element[i];
            const redisReply* v = reply->element[i + 1];
            if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
                return;
            }
            fields.emplace_back(std::string_view(k->str, k->len), std::string_view(v->str, v->len));
        }
        aigw::price_parse_result p = aigw::parse_price_fields(fields);
        if (!p.ok) {
            state->overrides.erase(model);
            log_bad(model, p.error);
            return;
        }
        state->overrides[model] = p.price;
    });
}

void refresh(ngx_event_t*) noexcept {
    aigw::ngx::guard(state->log, "price refresh", [] {
        bool sent = true;
        if (state->inflight == 0) {
            for (size_t i = 0; i < state->names.size(); i++) {
                const char* argv[] = {"HGETALL", state->keys[i].c_str()};
                size_t lens[] = {7, state->keys[i].size()};
                if (ngx_http_aigw_redis_command(2, argv, lens, on_price, &calls[i]) == nullptr) {
                    sent = false;  // not connected (yet): try again soon
                    break;
                }
                state->inflight++;
            }
        }
        if (!ngx_exiting) {
            ngx_add_timer(&state->timer, sent ? state->conf->refresh : retry_delay);
        }
    });
}

}  // namespace

bool ngx_http_aigw_price_find(const ngx_http_aigw_prices_conf_t* conf, std::string_view model,
                              aigw::model_price* out) {
    if (state != nullptr && !state->overrides.empty()) {
        auto it = state->overrides.find(std::string(model));
        if (it != state->overrides.end()) {
            *out = it->second;
            return true;
        }
    }
    const aigw::model_price* p = conf->table ? conf->table->find(model) : nullptr;
    if (p == nullptr) {
        return false;
    }
    *out = *p;
    return true;
}

void ngx_http_aigw_prices_start(ngx_cycle_t* cycle, const ngx_http_aigw_prices_conf_t* conf) {
    if (conf->refresh == 0 || conf->names == nullptr || conf->names->empty()) {
        return;
    }
    try {
        auto s = std::make_unique<price_state>();
        s->conf = conf;
        s->log = cycle->log;
        for (const std::string& n : *conf->names) {
            s->names.push_back(n);
            s->keys.push_back(aigw::price_key(n));
        }
        calls.clear();
        for (size_t i = 0; i < s->names.size(); i++) {
            calls.push_back({i});
        }
        s->timer.handler = refresh;
        s->timer.data = s.get();
        s->timer.log = cycle->log;
        s->timer.cancelable = 1;
        state = s.release();
        // The first read once the connection is up; requests until then use the config.
        ngx_add_timer(&state->timer, 1);
    } catch (const std::exception& e) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0, "aigw: redis prices are not read: %s", e.what());
    }
}

void ngx_http_aigw_prices_stop() {
    if (state == nullptr) {
        return;
    }
    if (state->timer.timer_set) {
        ngx_del_timer(&state->timer);
    }
    delete state;
    state = nullptr;
}
