// aigw-keys: the admin CLI for client keys. It writes the records the gateway's access phase
// reads (schema.hpp), with the same core code the gateway uses to read them, so a record the
// CLI writes always decodes. A CLI may block, so it uses hiredis's synchronous API.
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aigw/keys.hpp"
#include "aigw/schema.hpp"

namespace {

using namespace aigw;

constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

constexpr char usage_text[] =
    "usage: aigw-keys [--redis HOST:PORT] [--password PASSWORD] [--db N] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  create --name NAME --owner OWNER --group GROUP\n"
    "         [--models m1,m2,prefix*] [--expires 30d|12h|45m|90s|0] [--ip-allow CIDR,...]\n"
    "                 make a key; prints the key (once, it is not stored) and its id\n"
    "  list           every key: id, name, owner, group, masked key, status, expiry\n"
    "  show ID        one key's record\n"
    "  disable ID     refuse the key; gateways drop their cached copy at once\n"
    "  enable ID      accept the key again\n"
    "  rotate ID      new secret for the same record and id; prints the new key once\n"
    "  delete ID      remove the key, its id index and its set entry\n"
    "\n"
    "--redis     HOST:PORT, [IPv6]:PORT or unix:/path (default $AIGW_REDIS, else 127.0.0.1:6379)\n"
    "--password  Redis AUTH password (default $AIGW_REDIS_PASSWORD; the variable keeps it out\n"
    "            of the process list)\n"
    "--db        Redis database number (default 0)\n"
    "--models defaults to * (any model); --expires to 0 (never); --ip-allow to any address.\n";

// Bad input from the command line: usage, exit 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Anything else that stops a command (Redis down, no such key): exit 1.
struct failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// ---- command line ----

struct options {
    std::string redis;
    std::string password;
    long db = 0;
    std::string command;
    std::vector<std::string> args;                          // positional, after the command
    std::vector<std::pair<std::string, std::string>> flags; // command flags, in order
};

bool takes_value(std::string_view flag) {
    for (std::string_view f : {"--redis", "--password", "--db", "--name", "--owner", "--group",
                               "--models", "--expires", "--ip-allow"}) {
        if (flag == f) return true;
    }
    return false;
}

options parse_command_line(int argc, char** argv) {
    options o;
    const char* env_redis = std::getenv("AIGW_REDIS");
    o.redis = (env_redis && *env_redis) ? env_redis : "127.0.0.1:6379";
    const char* env_password = std::getenv("AIGW_REDIS_PASSWORD");
    if (env_password) o.password = env_password;

    bool db_given = false;
    std::string db_text;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help" || arg == "help") {
            o.command = "help";
            return o;
        }
        if (arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
            if (o.command.empty()) {
                o.command = arg;
            } else {
                o.args.push_back(arg);
            }
            continue;
        }
        std::string name = arg, value;
        bool has_value = false;
        if (std::size_t eq = arg.find('='); eq != std::string::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
            has_value = true;
        }
        if (!takes_value(name)) throw usage_error("unknown option " + name);
        if (!has_value) {
            if (i + 1 >= argc) throw usage_error(name + " needs a value");
            value = argv[++i];
        }
        if (name == "--redis") {
            o.redis = value;
        } else if (name == "--password") {
            o.password = value;
        } else if (name == "--db") {
            db_text = value;
            db_given = true;
        } else {
            for (const auto& f : o.flags) {
                if (f.first == name) throw usage_error(name + " given twice");
            }
            o.flags.emplace_back(name, value);
        }
    }
    if (db_given) {
        char* end = nullptr;
        errno = 0;
        long db = std::strtol(db_text.c_str(), &end, 10);
        if (db_text.empty() || *end != '\0' || errno != 0 || db < 0 || db > 1000000 ||
            !std::isdigit(static_cast<unsigned char>(db_text[0]))) {
            throw usage_error("bad --db '" + db_text + "': a database number, 0 or more");
        }
        o.db = db;
    }
    return o;
}

std::optional<std::string> flag(const options& o, std::string_view name) {
    for (const auto& f : o.flags) {
        if (f.first == name) return f.second;
    }
    return std::nullopt;
}

// Flags and positional arguments a command does not take are mistakes, not things to ignore.
void expect_arguments(const options& o, std::size_t positional,
                      std::initializer_list<std::string_view> allowed_flags) {
    for (const auto& f : o.flags) {
        if (std::find(allowed_flags.begin(), allowed_flags.end(), f.first) ==
            allowed_flags.end()) {
            throw usage_error(f.first + " does not apply to " + o.command);
        }
    }
    if (o.args.size() < positional) throw usage_error(o.command + " needs a key id");
    if (o.args.size() > positional) {
        throw usage_error("unexpected argument '" + o.args[positional] + "' for " + o.command);
    }
}

// Ids come from generate_key_id; refusing anything else keeps odd bytes out of key names.
std::string checked_id(const std::string& id) {
    bool ok = !id.empty() && id.size() <= 64;
    for (char c : id) {
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
    }
    if (!ok) throw usage_error("bad key id '" + id + "'");
    return id;
}

// Free text for humans: any bytes but control characters, which would garble list and logs.
std::string checked_text(std::string_view flag_name, const std::optional<std::string>& v) {
    if (!v || v->empty()) throw usage_error(std::string(flag_name) + " is required");
    if (v->size() > 200) throw usage_error(std::string(flag_name) + " is longer than 200 bytes");
    for (char c : *v) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            throw usage_error(std::string(flag_name) + " holds a control character");
        }
    }
    return *v;
}

// A group names Redis keys of its own later (aigw:group:<name>), so it stays plain.
std::string checked_group(const std::optional<std::string>& v) {
    if (!v || v->empty()) throw usage_error("--group is required");
    bool ok = v->size() <= 64;
    for (char c : *v) {
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                    c == '.');
    }
    if (!ok) throw usage_error("bad --group '" + *v + "': up to 64 of A-Z a-z 0-9 . _ -");
    return *v;
}

// "30d", "12h", "45m", "90s"; "0" or "never" for no expiry. Seconds from now.
std::int64_t parse_lifetime(const std::string& text) {
    if (text == "0" || text == "never") return 0;
    const std::string why =
        "bad --expires '" + text + "': use a number with d, h, m or s (30d, 12h), or 0 for never";
    if (text.size() < 2 || text.size() > 12) throw usage_error(why);
    std::int64_t unit = 0;
    switch (text.back()) {
    case 'd': unit = 86400; break;
    case 'h': unit = 3600; break;
    case 'm': unit = 60; break;
    case 's': unit = 1; break;
    default: throw usage_error(why);
    }
    std::int64_t n = 0;
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9') throw usage_error(why);
        n = n * 10 + (text[i] - '0');
    }
    // Past a century it is a typo, and the product must stay far from overflow.
    constexpr std::int64_t century = std::int64_t{36500} * 86400;
    if (n == 0 || n > century / unit) throw usage_error(why);
    return n * unit;
}

// ---- display ----

std::string utc_time(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    char buf[64];
    if (gmtime_r(&tt, &tm) == nullptr ||
        std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
        return std::to_string(t);
    }
    return buf;
}

std::string expiry_text(std::int64_t expires_at, std::int64_t now) {
    if (expires_at == 0) return "never";
    std::string s = utc_time(expires_at);
    if (now >= expires_at) s += " (expired)";
    return s;
}

// Values read back from Redis are shown, not trusted: control bytes become '?'.
std::string printable(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) c = '?';
    }
    return out;
}

// Display width: UTF-8 continuation bytes take no column (the masked key's ellipsis).
std::size_t columns(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
    }
    return n;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], columns(row[i]));
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(width[i] - columns(row[i]) + 2, ' ');
        }
        std::printf("%s\n", line.c_str());
    }
}

// ---- Redis ----

struct reply_free {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_free>;

struct context_free {
    void operator()(redisContext* c) const { redisFree(c); }
};

struct redis_address {
    std::string host;   // or the socket path
    int port = 6379;
    bool unix_socket = false;
};

redis_address parse_redis_address(const std::string& text) {
    redis_address a;
    const std::string why = "bad --redis '" + text + "': use HOST:PORT, [IPv6]:PORT or unix:/path";
    if (text.compare(0, 5, "unix:") == 0) {
        a.unix_socket = true;
        a.host = text.substr(5);
        if (a.host.empty()) throw usage_error(why);
        return a;
    }
    std::string port;
    if (!text.empty() && text[0] == '[') {
        std::size_t close = text.find(']');
        if (close == std::string::npos) throw usage_error(why);
        a.host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') throw usage_error(why);
            port = text.substr(close + 2);
            if (port.empty()) throw usage_error(why);
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        std::size_t colon = text.find(':');
        a.host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (port.empty()) throw usage_error(why);
    } else {
        a.host = text;   // no port, or a bare IPv6 address
        if (a.host.find(':') != std::string::npos && !parse_ip(a.host)) throw usage_error(why);
    }
    if (a.host.empty()) throw usage_error(why);
    if (!port.empty()) {
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
            throw usage_error(why);
        }
        a.port = std::stoi(port);
        if (a.port < 1 || a.port > 65535) throw usage_error(why);
    }
    return a;
}

class redis_client {
public:
    explicit redis_client(const options& o) {
        redis_address a = parse_redis_address(o.redis);
        const timeval connect_timeout{2, 0};
        redisContext* c = a.unix_socket
                              ? redisConnectUnixWithTimeout(a.host.c_str(), connect_timeout)
                              : redisConnectWithTimeout(a.host.c_str(), a.port, connect_timeout);
        if (c == nullptr) throw failure("cannot connect to Redis at " + o.redis + ": out of memory");
        ctx_.reset(c);
        if (c->err) {
            throw failure("cannot connect to Redis at " + o.redis + ": " + c->errstr);
        }
        // A Redis that accepts the connection and then hangs must not hang the CLI.
        const timeval command_timeout{5, 0};
        redisSetTimeout(c, command_timeout);
        where_ = o.redis;
        if (!o.password.empty()) run({"AUTH", o.password});
        if (o.db != 0) run({"SELECT", std::to_string(o.db)});
    }

    // One command; a Redis error reply is a failure.
    reply_ptr run(const std::vector<std::string>& args) {
        append(args);
        return read(args);
    }

    // Many commands in one round trip; replies in order. Error replies are returned as is.
    std::vector<reply_ptr> pipeline(const std::vector<std::vector<std::string>>& commands) {
        for (const auto& args : commands) append(args);
        std::vector<reply_ptr> out;
        out.reserve(commands.size());
        for (std::size_t i = 0; i < commands.size(); ++i) {
            out.push_back(read_any());
        }
        return out;
    }

private:
    void append(const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const std::string& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(),
                                   lens.data()) != REDIS_OK) {
            throw failure("Redis at " + where_ + ": " + ctx_->errstr);
        }
    }

    reply_ptr read_any() {
        void* r = nullptr;
        if (redisGetReply(ctx_.get(), &r) != REDIS_OK || r == nullptr) {
            throw failure("Redis at " + where_ + ": " +
                          (ctx_->err ? ctx_->errstr : "no reply"));
        }
        return reply_ptr(static_cast<redisReply*>(r));
    }

    reply_ptr read(const std::vector<std::string>& args) {
        reply_ptr r = read_any();
        if (r->type == REDIS_REPLY_ERROR) {
            // Never echo AUTH's argument.
            throw failure("Redis refused " + args.front() + ": " + std::string(r->str, r->len));
        }
        return r;
    }

    std::unique_ptr<redisContext, context_free> ctx_;
    std::string where_;
};

std::string reply_string(const redisReply* r) {
    return r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
}

std::vector<std::pair<std::string_view, std::string_view>> hash_fields(const redisReply* r) {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    if (r->type != REDIS_REPLY_ARRAY) return out;
    for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply* f = r->element[i];
        const redisReply* v = r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) continue;
        out.emplace_back(std::string_view(f->str, f->len), std::string_view(v->str, v->len));
    }
    return out;
}

std::int64_t now_seconds() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

// The raw key leaves memory once it is printed.
void wipe(std::string& s) {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
    s.clear();
}

void print_new_key(const std::string& id, const std::string& key) {
    std::printf("id:  %s\nkey: %s\n", id.c_str(), key.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "Store the key now: it is shown this once and cannot be recovered.\n");
}

// The optimistic-locking loop for commands on one existing key: WATCH its index and hash,
// read them, queue the change in MULTI, EXEC. A concurrent change makes EXEC return nil and
// the command starts over from a fresh read.
struct watched_key {
    std::string id;
    std::string sha;
    std::string hash_key;
};

template <typename Queue>
watched_key change_key(redis_client& redis, const std::string& id, Queue queue,
                       bool need_record = true) {
    const std::string index = key_id_index(id);
    for (int attempt = 0; attempt < 5; ++attempt) {
        redis.run({"WATCH", index});
        std::string sha = reply_string(redis.run({"GET", index}).get());
        if (sha.empty()) {
            redis.run({"UNWATCH"});
            throw failure("no key with id " + id);
        }
        watched_key k{id, sha, key_hash_key(sha)};
        redis.run({"WATCH", k.hash_key});
        if (need_record && redis.run({"EXISTS", k.hash_key})->integer != 1) {
            redis.run({"UNWATCH"});
            throw failure("key " + id + ": the id index points at " + k.hash_key +
                          ", which does not exist");
        }
        redis.run({"MULTI"});
        queue(k);
        reply_ptr exec = redis.run({"EXEC"});
        if (exec->type == REDIS_REPLY_NIL) continue;   // lost a race: read again
        for (std::size_t i = 0; i < exec->elements; ++i) {
            if (exec->element[i]->type == REDIS_REPLY_ERROR) {
                throw failure("Redis refused a step of the change: " +
                              std::string(exec->element[i]->str, exec->element[i]->len));
            }
        }
        return k;
    }
    throw failure("key " + id + " kept changing under this command; try again");
}

// Tells every gateway worker to drop its cached copy of the key with this sha.
long long publish_invalidation(redis_client& redis, const std::string& sha) {
    return redis.run({"PUBLISH", std::string(invalidate_channel()), sha})->integer;
}

// ---- commands ----

int cmd_create(const options& o) {
    expect_arguments(o, 0,
                     {"--name", "--owner", "--group", "--models", "--expires", "--ip-allow"});
    key_record rec;
    rec.name = checked_text("--name", flag(o, "--name"));
    rec.owner = checked_text("--owner", flag(o, "--owner"));
    rec.group = checked_group(flag(o, "--group"));

    model_list_result models = parse_model_list(flag(o, "--models").value_or("*"));
    if (!models.ok) throw usage_error("bad --models: " + models.error);
    rec.models = std::move(models.models);

    std::int64_t lifetime = parse_lifetime(flag(o, "--expires").value_or("0"));

    cidr_list_result ip_allow = parse_cidr_list(flag(o, "--ip-allow").value_or(""));
    if (!ip_allow.ok) throw usage_error("bad --ip-allow: " + ip_allow.error);
    rec.ip_allow = std::move(ip_allow.blocks);

    redis_client redis(o);
    const std::int64_t now = now_seconds();
    rec.created_at = now;
    rec.expires_at = lifetime == 0 ? 0 : now + lifetime;
    rec.status = key_status::active;

    for (int attempt = 0; attempt < 5; ++attempt) {
        std::string key = generate_key();
        rec.id = generate_key_id();
        if (key.empty() || rec.id.empty()) throw failure("no secure randomness available");
        rec.last4 = key.substr(key.size() - 4);
        const std::string sha = sha256_hex(key);
        const std::string hash = key_hash_key(sha);
        const std::string index = key_id_index(rec.id);

        // An id (or, absurdly, a key) already taken means drawing again, never overwriting.
        redis.run({"WATCH", index, hash});
        if (redis.run({"EXISTS", index})->integer != 0 ||
            redis.run({"EXISTS", hash})->integer != 0) {
            redis.run({"UNWATCH"});
            wipe(key);
            continue;
        }
        std::vector<std::string> hset = {"HSET", hash};
        for (auto& [f, v] : encode_key_record(rec)) {
            hset.push_back(std::move(f));
            hset.push_back(std::move(v));
        }
        redis.run({"MULTI"});
        redis.run(hset);
        redis.run({"SET", index, sha});
        redis.run({"SADD", std::string(key_set()), rec.id});
        reply_ptr exec = redis.run({"EXEC"});
        if (exec->type == REDIS_REPLY_NIL) {
            wipe(key);
            continue;
        }
        print_new_key(rec.id, key);
        wipe(key);
        return 0;
    }
    throw failure("could not find a free key id; try again");
}

int cmd_list(const options& o) {
    expect_arguments(o, 0, {});
    redis_client redis(o);
    reply_ptr members = redis.run({"SMEMBERS", std::string(key_set())});
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < members->elements; ++i) ids.push_back(reply_string(members->element[i]));
    std::sort(ids.begin(), ids.end());

    // Two round trips for the whole list: every index, then every hash.
    std::vector<std::vector<std::string>> gets;
    gets.reserve(ids.size());
    for (const std::string& id : ids) gets.push_back({"GET", key_id_index(id)});
    std::vector<reply_ptr> shas = redis.pipeline(gets);
    std::vector<std::vector<std::string>> hgetalls;
    hgetalls.reserve(shas.size());
    for (const reply_ptr& sha : shas) {
        hgetalls.push_back({"HGETALL", key_hash_key(reply_string(sha.get()))});
    }
    std::vector<reply_ptr> hashes = redis.pipeline(hgetalls);

    const std::int64_t now = now_seconds();
    std::vector<std::vector<std::string>> rows = {
        {"ID", "NAME", "OWNER", "GROUP", "KEY", "STATUS", "EXPIRES"}};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::string id = printable(ids[i]);
        if (reply_string(shas[i].get()).empty()) {
            rows.push_back({id, "", "", "", "", "(no id index)", ""});
            continue;
        }
        auto fields = hash_fields(hashes[i].get());
        if (fields.empty()) {
            rows.push_back({id, "", "", "", "", "(no record)", ""});
            continue;
        }
        key_decode_result d = decode_key_record(fields);
        if (!d.ok) {
            rows.push_back({id, "", "", "", "", "(bad record: " + printable(d.error) + ")", ""});
            continue;
        }
        const key_record& r = d.record;
        rows.push_back({id, printable(r.name), printable(r.owner), printable(r.group),
                        mask_from_last4(r.last4), std::string(key_status_name(r.status)),
                        expiry_text(r.expires_at, now)});
    }
    print_table(rows);
    if (ids.empty()) std::fprintf(stderr, "(no keys)\n");
    return 0;
}

int cmd_show(const options& o) {
    expect_arguments(o, 1, {});
    const std::string id = checked_id(o.args[0]);
    redis_client redis(o);
    std::string sha = reply_string(redis.run({"GET", key_id_index(id)}).get());
    if (sha.empty()) throw failure("no key with id " + id);
    const std::string hash = key_hash_key(sha);
    reply_ptr reply = redis.run({"HGETALL", hash});
    auto fields = hash_fields(reply.get());
    if (fields.empty()) throw failure("key " + id + ": " + hash + " does not exist");
    key_decode_result d = decode_key_record(fields);
    if (!d.ok) {
        // Show what is there, so the admin can see what to fix.
        for (const auto& [f, v] : fields) {
            std::printf("%-11s %s\n", (printable(f) + ":").c_str(), printable(v).c_str());
        }
        throw failure("key " + id + " has a malformed record: " + printable(d.error));
    }
    const key_record& r = d.record;
    std::string ip_allow;
    for (const cidr_block& b : r.ip_allow) {
        if (!ip_allow.empty()) ip_allow += ",";
        ip_allow += format_cidr(b);
    }
    const std::pair<const char*, std::string> lines[] = {
        {"id", printable(r.id)},
        {"name", printable(r.name)},
        {"owner", printable(r.owner)},
        {"group", printable(r.group)},
        {"key", mask_from_last4(r.last4)},
        {"status", std::string(key_status_name(r.status))},
        {"expires", expiry_text(r.expires_at, now_seconds())},
        {"models", printable(join_model_list(r.models))},
        {"ip_allow", ip_allow.empty() ? "any" : ip_allow},
        {"created", r.created_at ? utc_time(r.created_at) : "unknown"},
        {"redis_key", hash},
    };
    for (const auto& [label, value] : lines) {
        std::printf("%-11s %s\n", (std::string(label) + ":").c_str(), value.c_str());
    }
    return 0;
}

int cmd_set_status(const options& o, key_status status) {
    expect_arguments(o, 1, {});
    const std::string id = checked_id(o.args[0]);
    redis_client redis(o);
    watched_key k = change_key(redis, id, [&](const watched_key& w) {
        redis.run({"HSET", w.hash_key, std::string(key_field::status),
                   std::string(key_status_name(status))});
    });
    // Enabling also invalidates: a worker may hold the record as disabled.
    long long receivers = publish_invalidation(redis, k.sha);
    std::printf("%s %s (invalidation sent to %lld subscriber%s)\n", id.c_str(),
                status == key_status::active ? "enabled" : "disabled", receivers,
                receivers == 1 ? "" : "s");
    return 0;
}

int cmd_rotate(const options& o) {
    expect_arguments(o, 1, {});
    const std::string id = checked_id(o.args[0]);
    redis_client redis(o);
    std::string key = generate_key();
    if (key.empty()) throw failure("no secure randomness available");
    const std::string new_sha = sha256_hex(key);
    const std::string new_hash = key_hash_key(new_sha);
    watched_key old = change_key(redis, id, [&](const watched_key& w) {
        // One transaction: the record moves to the new name with the new last4, and the index
        // follows, so no reader ever sees the id pointing at nothing.
        redis.run({"RENAME", w.hash_key, new_hash});
        redis.run({"HSET", new_hash, std::string(key_field::last4), key.substr(key.size() - 4)});
        redis.run({"SET", key_id_index(w.id), new_sha});
    });
    publish_invalidation(redis, old.sha);
    print_new_key(id, key);
    wipe(key);
    return 0;
}

int cmd_delete(const options& o) {
    expect_arguments(o, 1, {});
    const std::string id = checked_id(o.args[0]);
    redis_client redis(o);
    // A half-made or half-removed key (an id in the set without an index) is cleaned up too.
    if (reply_string(redis.run({"GET", key_id_index(id)}).get()).empty()) {
        if (redis.run({"SREM", std::string(key_set()), id})->integer == 0) {
            throw failure("no key with id " + id);
        }
        std::printf("%s deleted (it had no record)\n", id.c_str());
        return 0;
    }
    watched_key k = change_key(
        redis, id,
        [&](const watched_key& w) {
            redis.run({"DEL", w.hash_key, key_id_index(w.id)});
            redis.run({"SREM", std::string(key_set()), w.id});
        },
        false);
    publish_invalidation(redis, k.sha);
    std::printf("%s deleted\n", id.c_str());
    return 0;
}

int run(int argc, char** argv) {
    options o = parse_command_line(argc, argv);
    if (o.command == "help") {
        std::fputs(usage_text, stdout);
        return 0;
    }
    if (o.command.empty()) throw usage_error("no command");
    if (o.command == "create") return cmd_create(o);
    if (o.command == "list") return cmd_list(o);
    if (o.command == "show") return cmd_show(o);
    if (o.command == "disable") return cmd_set_status(o, key_status::disabled);
    if (o.command == "enable") return cmd_set_status(o, key_status::active);
    if (o.command == "rotate") return cmd_rotate(o);
    if (o.command == "delete") return cmd_delete(o);
    throw usage_error("unknown command '" + o.command + "'");
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "aigw-keys: %s\n\n%s", e.what(), usage_text);
        return exit_usage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "aigw-keys: %s\n", e.what());
        return exit_failure;
    }
}
