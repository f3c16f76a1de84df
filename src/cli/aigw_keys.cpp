// aigw-keys: the admin CLI for client keys, their quotas and limits, groups, and what they
// spent. It writes the records the gateway's access phase reads (schema.hpp), with the same
// core code the gateway uses to read them, so a record the CLI writes always decodes. A CLI
// may block, so it uses hiredis's synchronous API.
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
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
#include <unordered_set>
#include <utility>
#include <vector>

#include "aigw/keys/cidr.hpp"
#include "aigw/keys/key_record.hpp"
#include "aigw/keys/key_text.hpp"
#include "aigw/accounting/pricing.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/request_id.hpp"
#include "aigw/schema.hpp"
#include "aigw/status/attempts.hpp"

namespace {

using namespace aigw;

constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

constexpr char usage_text[] =
    "usage: aigw-keys [--redis HOST:PORT] [--password PASSWORD] [--db N] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  create --name NAME --owner OWNER --group GROUP\n"
    "         [--models m1,m2,prefix*] [--endpoints FAMILY,...] [--expires 30d|12h|45m|90s|0]\n"
    "         [--ip-allow CIDR,...]\n"
    "                 make a key; prints the key (once, it is not stored) and its id\n"
    "  set-endpoints ID FAMILY,...|*\n"
    "                 the endpoint families the key may use (* for every endpoint)\n"
    "  list           every key: id, name, owner, group, masked key, status, expiry, endpoints\n"
    "  show ID        one key's record, quota, spend and limits\n"
    "  disable ID     refuse the key; gateways drop their cached copy at once\n"
    "  enable ID      accept the key again\n"
    "  rotate ID      new secret for the same record and id; prints the new key once\n"
    "  delete ID      remove the key, its id index, its set entry and its leases\n"
    "\n"
    "billing (money in USD, at most 6 decimals: 2.50, 0.000001):\n"
    "  set-quota ID USD|unlimited\n"
    "                 the most the key may spend in all; unlimited removes the quota\n"
    "  top-up ID USD  raise the key's quota by USD (the key must have a quota)\n"
    "  set-limits ID [--rpm N|default] [--tpm N|default] [--budget-hourly USD|none]\n"
    "                 requests and tokens per minute (default: the gateway's aigw_rpm and\n"
    "                 aigw_tpm), and the hourly spend that raises an alert\n"
    "  usage ID [--since WHEN]\n"
    "                 the key's requests, tokens and cost from the usage stream, each\n"
    "                 request counted once, and who counted the tokens (counted_by); WHEN is\n"
    "                 unix seconds, 30d|12h|45m|90s ago, or a stream id (default: everything\n"
    "                 the stream holds)\n"
    "  group set NAME [--quota USD|unlimited] [--rpm N|default] [--tpm N|default]\n"
    "                 [--budget-hourly USD|none]\n"
    "                 create or change the limits shared by the keys of group NAME\n"
    "  group show NAME | group list | group delete NAME\n"
    "  group top-up NAME USD | group usage NAME [--since WHEN]\n"
    "\n"
    "support:\n"
    "  trace REQUEST_ID\n"
    "                 every usage record of one request (its X-Request-Id), newest first:\n"
    "                 time, key, model, ingress, status, each attempt (channel, outcome,\n"
    "                 upstream status, time to headers, swallowed by fallback), tokens and\n"
    "                 cost; exit 1, saying how far back the stream reaches, when none is left\n"
    "\n"
    "--redis     HOST:PORT, [IPv6]:PORT or unix:/path (default $AIGW_REDIS, else 127.0.0.1:6379)\n"
    "--password  Redis AUTH password (default $AIGW_REDIS_PASSWORD; the variable keeps it out\n"
    "            of the process list)\n"
    "--db        Redis database number (default 0)\n"
    "--models defaults to * (any model); --endpoints to * (every endpoint); --expires to 0\n"
    "(never); --ip-allow to any address. Endpoint families: chat, completions, embeddings,\n"
    "models, messages, responses, gemini, images, videos; the model list (models) is always\n"
    "allowed.\n";

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
                               "--models", "--endpoints", "--expires", "--ip-allow", "--quota",
                               "--rpm", "--tpm", "--budget-hourly", "--since"}) {
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
// `needs` says what the positional arguments are, for the message when some are missing.
void expect_arguments(const options& o, std::size_t positional,
                      std::initializer_list<std::string_view> allowed_flags,
                      std::string_view needs = "a key id") {
    for (const auto& f : o.flags) {
        if (std::find(allowed_flags.begin(), allowed_flags.end(), f.first) ==
            allowed_flags.end()) {
            throw usage_error(f.first + " does not apply to " + o.command);
        }
    }
    if (o.args.size() < positional) {
        throw usage_error(o.command + " needs " + std::string(needs));
    }
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

// A group names Redis keys of its own (aigw:group:{<name>}), so it stays plain. `what` names
// the argument in the message.
std::string checked_group_name(std::string_view what, const std::string& v) {
    bool ok = !v.empty() && v.size() <= 64;
    for (char c : v) {
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                    c == '.');
    }
    if (!ok) {
        throw usage_error("bad " + std::string(what) + " '" + v +
                          "': up to 64 of A-Z a-z 0-9 . _ -");
    }
    return v;
}

std::string checked_group(const std::optional<std::string>& v) {
    if (!v || v->empty()) throw usage_error("--group is required");
    return checked_group_name("--group", *v);
}

// "30d", "12h", "45m", "90s" in seconds; nullopt for anything else, for 0 and past a century
// (a typo, and the product must stay far from overflow).
std::optional<std::int64_t> parse_duration(std::string_view text) {
    if (text.size() < 2 || text.size() > 12) return std::nullopt;
    std::int64_t unit = 0;
    switch (text.back()) {
    case 'd': unit = 86400; break;
    case 'h': unit = 3600; break;
    case 'm': unit = 60; break;
    case 's': unit = 1; break;
    default: return std::nullopt;
    }
    std::int64_t n = 0;
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        n = n * 10 + (text[i] - '0');
    }
    constexpr std::int64_t century = std::int64_t{36500} * 86400;
    if (n == 0 || n > century / unit) return std::nullopt;
    return n * unit;
}

// "30d", "12h", "45m", "90s"; "0" or "never" for no expiry. Seconds from now.
std::int64_t parse_lifetime(const std::string& text) {
    if (text == "0" || text == "never") return 0;
    std::optional<std::int64_t> d = parse_duration(text);
    if (!d) {
        throw usage_error("bad --expires '" + text +
                          "': use a number with d, h, m or s (30d, 12h), or 0 for never");
    }
    return *d;
}

// Only digits, at most `max_digits` of them.
bool all_digits(std::string_view s, std::size_t max_digits) {
    if (s.empty() || s.size() > max_digits) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

// A decimal integer as Redis holds it (HINCRBY's form: an optional '-', digits); nullopt for
// anything else, or beyond int64.
std::optional<std::int64_t> parse_integer(std::string_view s) {
    std::string_view digits = s;
    if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
    if (!all_digits(digits, 19)) return std::nullopt;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return n;
}

// An amount of money from the command line, in micro-USD. `what` names it in the message.
micro_usd checked_usd(std::string_view what, const std::string& text) {
    std::optional<micro_usd> m = parse_usd(text);
    if (!m) {
        throw usage_error("bad " + std::string(what) + " '" + text +
                          "': USD, digits with at most 6 decimals (2.50), no sign");
    }
    return *m;
}

// A rate limit from the command line: a whole number, 1 or more.
std::int64_t checked_count(std::string_view what, const std::string& text) {
    constexpr std::int64_t max_count = std::int64_t{1000000000000};  // far past any real limit
    std::optional<std::int64_t> n = all_digits(text, 13) ? parse_integer(text) : std::nullopt;
    if (!n || *n < 1 || *n > max_count) {
        throw usage_error("bad " + std::string(what) + " '" + text +
                          "': a whole number, 1 or more, or default");
    }
    return *n;
}

// One field a billing command sets (value) or removes (no value), and how to say so.
struct field_change {
    std::string_view field;
    std::optional<std::string> value;
    std::string shown;
};

// The limit flags of set-limits and group set, as field changes, in a fixed order. --quota
// only where `with_quota`; at least one flag is required.
std::vector<field_change> limit_changes(const options& o, bool with_quota) {
    std::vector<field_change> out;
    if (with_quota) {
        if (std::optional<std::string> v = flag(o, "--quota")) {
            if (*v == "unlimited") {
                out.push_back({key_field::quota, std::nullopt, "quota=unlimited"});
            } else {
                micro_usd m = checked_usd("--quota", *v);
                out.push_back({key_field::quota, std::to_string(m), "quota=" + format_usd(m)});
            }
        }
    }
    const std::pair<std::string_view, std::string_view> counts[] = {{"--rpm", key_field::rpm},
                                                                     {"--tpm", key_field::tpm}};
    for (const auto& [name, field] : counts) {
        if (std::optional<std::string> v = flag(o, name)) {
            if (*v == "default") {
                out.push_back({field, std::nullopt, std::string(field) + "=default"});
            } else {
                std::int64_t n = checked_count(name, *v);
                out.push_back(
                    {field, std::to_string(n), std::string(field) + "=" + std::to_string(n)});
            }
        }
    }
    if (std::optional<std::string> v = flag(o, "--budget-hourly")) {
        if (*v == "none") {
            out.push_back({key_field::budget_hourly, std::nullopt, "budget_hourly=none"});
        } else {
            // 0 would read as "no budget" to a person and as "alert on any spend" to the
            // gateway: refused, none says the first.
            micro_usd m = checked_usd("--budget-hourly", *v);
            if (m == 0) {
                throw usage_error("bad --budget-hourly '" + *v + "': use none for no budget");
            }
            out.push_back({key_field::budget_hourly, std::to_string(m),
                           "budget_hourly=" + format_usd(m)});
        }
    }
    if (out.empty()) {
        throw usage_error(o.command + " needs at least one of " +
                          (with_quota ? "--quota, " : "") + "--rpm, --tpm, --budget-hourly");
    }
    return out;
}

// --since WHEN: unix seconds, 30d|12h|45m|90s ago, or a stream id (ms-seq). A relative WHEN
// is resolved against the Redis server's clock (since_start), the clock stream ids come from.
struct since_spec {
    std::string start;         // an XRANGE start, or "" when relative
    std::int64_t ago = 0;      // seconds before now, when relative
    bool stream_id = false;    // start is the id as given
};

since_spec parse_since(const std::string& text) {
    const std::string why = "bad --since '" + text +
                            "': unix seconds, 30d|12h|45m|90s (that long ago), or a stream id";
    since_spec s;
    if (std::size_t dash = text.find('-'); dash != std::string::npos) {
        if (!all_digits(std::string_view(text).substr(0, dash), 19) ||
            !all_digits(std::string_view(text).substr(dash + 1), 19)) {
            throw usage_error(why);
        }
        s.start = text;
        s.stream_id = true;
    } else if (all_digits(text, 12)) {
        s.start = std::to_string(*parse_integer(text) * 1000);
    } else if (std::optional<std::int64_t> ago = parse_duration(text)) {
        s.ago = *ago;
    } else {
        throw usage_error(why);
    }
    return s;
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

// `label: value` lines, the values in one column: after the longest label, or at `width`
// when that is further (blocks printed apart that line up).
void print_fields(const std::vector<std::pair<std::string, std::string>>& lines,
                  std::size_t width = 0) {
    for (const auto& line : lines) width = std::max(width, line.first.size() + 1);
    for (const auto& [label, value] : lines) {
        std::printf("%-*s %s\n", static_cast<int>(width), (label + ":").c_str(), value.c_str());
    }
}

using field_list = std::vector<std::pair<std::string_view, std::string_view>>;

std::optional<std::string_view> field_value(const field_list& fields, std::string_view name) {
    for (const auto& [f, v] : fields) {
        if (f == name) return v;
    }
    return std::nullopt;
}

// A money field read back from Redis, in USD; `absent` when the field is not there.
std::string money_text(const field_list& fields, std::string_view name, const char* absent) {
    std::optional<std::string_view> v = field_value(fields, name);
    if (!v) return absent;
    std::optional<std::int64_t> m = parse_integer(*v);
    if (!m) return printable(*v) + " (not a number of micro-USD)";
    return format_usd(*m);
}

std::string count_text(const field_list& fields, std::string_view name) {
    std::optional<std::string_view> v = field_value(fields, name);
    if (!v) return "default";
    if (!parse_integer(*v)) return printable(*v) + " (not a number)";
    return std::string(*v);
}

// quota, used, remaining, rpm, tpm, budget_hourly of a key or group hash, for show.
std::vector<std::pair<std::string, std::string>> billing_lines(const field_list& fields) {
    std::optional<std::string_view> quota_v = field_value(fields, key_field::quota);
    std::optional<std::int64_t> quota = quota_v ? parse_integer(*quota_v) : std::nullopt;
    std::optional<std::string_view> used_v = field_value(fields, key_field::used);
    std::optional<std::int64_t> used = used_v ? parse_integer(*used_v) : std::int64_t{0};
    std::string remaining = "unlimited";
    std::int64_t diff = 0;
    if (quota_v) {
        if (!quota || !used || __builtin_sub_overflow(*quota, *used, &diff)) {
            remaining = "unknown";
        } else if (diff < 0) {
            remaining = "0 (over by " + format_usd(-diff) + ")";
        } else {
            remaining = format_usd(diff);
        }
    }
    return {
        {"quota", money_text(fields, key_field::quota, "unlimited")},
        {"used", money_text(fields, key_field::used, "0")},
        {"remaining", remaining},
        {"rpm", count_text(fields, key_field::rpm)},
        {"tpm", count_text(fields, key_field::tpm)},
        {"budget_hourly", money_text(fields, key_field::budget_hourly, "none")},
    };
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

field_list hash_fields(const redisReply* r) {
    field_list out;
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

// The optimistic-locking loop for commands on one existing key: WATCH its index (and its hash,
// see record_mode), read them, queue the change in MULTI, EXEC. A concurrent change makes EXEC
// return nil and the command starts over from a fresh read.
struct watched_key {
    std::string id;
    std::string sha;
    std::string hash_key;
};

struct changed_key : watched_key {
    reply_ptr exec;   // EXEC's replies, one per queued command
};

// What change_key does with the key's hash before queueing the change.
enum class record_mode {
    watched,    // WATCH it and require it: the change rests on the whole record as read
    unwatched,  // require it, do not WATCH it: the change sets fields of its own (billing),
                // and the gateways write `used` on every settlement, which must not make
                // the command start over (or fail) on a busy key. The index is still
                // watched, so a rotate or delete in between makes it start over.
    any,        // WATCH it, may be missing (delete)
};

template <typename Queue>
changed_key change_key(redis_client& redis, const std::string& id, Queue queue,
                       record_mode mode = record_mode::watched) {
    const std::string index = key_id_index(id);
    for (int attempt = 0; attempt < 5; ++attempt) {
        redis.run({"WATCH", index});
        std::string sha = reply_string(redis.run({"GET", index}).get());
        if (sha.empty()) {
            redis.run({"UNWATCH"});
            throw failure("no key with id " + id);
        }
        changed_key k;
        k.id = id;
        k.sha = sha;
        k.hash_key = key_hash_key(sha);
        if (mode != record_mode::unwatched) redis.run({"WATCH", k.hash_key});
        if (mode != record_mode::any && redis.run({"EXISTS", k.hash_key})->integer != 1) {
            redis.run({"UNWATCH"});
            throw failure("key " + id + ": the id index points at " + k.hash_key +
                          ", which does not exist");
        }
        redis.run({"MULTI"});
        queue(static_cast<const watched_key&>(k));
        reply_ptr exec = redis.run({"EXEC"});
        if (exec->type == REDIS_REPLY_NIL) continue;   // lost a race: read again
        for (std::size_t i = 0; i < exec->elements; ++i) {
            if (exec->element[i]->type == REDIS_REPLY_ERROR) {
                throw failure("Redis refused a step of the change: " +
                              std::string(exec->element[i]->str, exec->element[i]->len));
            }
        }
        k.exec = std::move(exec);
        return k;
    }
    throw failure("key " + id + " kept changing under this command; try again");
}

// Raises a quota that is there, in one step: HINCRBY alone would turn an unlimited (absent)
// quota into a small one, and reading first would race with set-quota. It touches only the
// quota field, so a gateway's settlement (HINCRBY on used) is never lost nor in its way.
// KEYS[1] the hash, ARGV[1] the field, ARGV[2] micro-USD. {0}: no such hash; {1}: no quota;
// {2, new quota}.
constexpr char top_up_script[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end\n"
    "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {1} end\n"
    "return {2, redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])}\n";

std::vector<std::string> top_up_command(const std::string& hash, micro_usd amount) {
    return {"EVAL", top_up_script, "1", hash, std::string(key_field::quota),
            std::to_string(amount)};
}

// The script's answer: 0 no hash, 1 no quota, 2 done (with the new quota in *quota).
int top_up_outcome(const redisReply* r, micro_usd* quota) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_INTEGER) {
        throw failure("unexpected reply to the top-up script");
    }
    int outcome = static_cast<int>(r->element[0]->integer);
    if (outcome == 2) {
        if (r->elements < 2 || r->element[1]->type != REDIS_REPLY_INTEGER) {
            throw failure("unexpected reply to the top-up script");
        }
        *quota = r->element[1]->integer;
    }
    return outcome;
}

// HSET of the changes with a value, HDEL of the others: what set-limits and group set queue.
void queue_field_changes(redis_client& redis, const std::string& hash,
                         const std::vector<field_change>& changes) {
    std::vector<std::string> hset = {"HSET", hash};
    std::vector<std::string> hdel = {"HDEL", hash};
    for (const field_change& c : changes) {
        if (c.value) {
            hset.emplace_back(c.field);
            hset.push_back(*c.value);
        } else {
            hdel.emplace_back(c.field);
        }
    }
    if (hset.size() > 2) redis.run(hset);
    if (hdel.size() > 2) redis.run(hdel);
}

std::string joined_changes(const std::vector<field_change>& changes) {
    std::string out;
    for (const field_change& c : changes) {
        if (!out.empty()) out += ' ';
        out += c.shown;
    }
    return out;
}

// Tells every gateway worker to drop its cached copy of the key with this sha.
long long publish_invalidation(redis_client& redis, const std::string& sha) {
    return redis.run({"PUBLISH", std::string(invalidate_channel()), sha})->integer;
}

// ---- commands ----

int cmd_create(const options& o) {
    expect_arguments(o, 0,
                     {"--name", "--owner", "--group", "--models", "--endpoints", "--expires",
                      "--ip-allow"});
    key_record rec;
    rec.name = checked_text("--name", flag(o, "--name"));
    rec.owner = checked_text("--owner", flag(o, "--owner"));
    rec.group = checked_group(flag(o, "--group"));

    model_list_result models = parse_model_list(flag(o, "--models").value_or("*"));
    if (!models.ok) throw usage_error("bad --models: " + models.error);
    rec.models = std::move(models.models);

    endpoint_list_result endpoints = parse_endpoint_list(flag(o, "--endpoints").value_or("*"));
    if (!endpoints.ok) throw usage_error("bad --endpoints: " + endpoints.error);
    rec.endpoints = std::move(endpoints.endpoints);

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
        {"ID", "NAME", "OWNER", "GROUP", "KEY", "STATUS", "EXPIRES", "ENDPOINTS"}};
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
                        expiry_text(r.expires_at, now), join_endpoint_list(r.endpoints)});
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
    std::vector<std::pair<std::string, std::string>> lines = {
        {"id", printable(r.id)},
        {"name", printable(r.name)},
        {"owner", printable(r.owner)},
        {"group", printable(r.group)},
        {"key", mask_from_last4(r.last4)},
        {"status", std::string(key_status_name(r.status))},
        {"expires", expiry_text(r.expires_at, now_seconds())},
        {"models", printable(join_model_list(r.models))},
        {"endpoints", join_endpoint_list(r.endpoints)},
        {"ip_allow", ip_allow.empty() ? "any" : ip_allow},
        {"created", r.created_at ? utc_time(r.created_at) : "unknown"},
    };
    for (auto& line : billing_lines(fields)) lines.push_back(std::move(line));
    lines.emplace_back("redis_key", hash);
    print_fields(lines);
    return 0;
}

int cmd_set_status(const options& o, key_status status) {
    expect_arguments(o, 1, {});
    const std::string id = checked_id(o.args[0]);
    redis_client redis(o);
    // One field of its own: not WATCHed, so settlements on a busy key do not get in the way.
    watched_key k = change_key(
        redis, id,
        [&](const watched_key& w) {
            redis.run({"HSET", w.hash_key, std::string(key_field::status),
                       std::string(key_status_name(status))});
        },
        record_mode::unwatched);
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
    }, record_mode::unwatched);  // RENAME takes the hash as it is at EXEC, `used` included
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
            // The lease hash goes too: it holds quota leased to gateways for this key.
            redis.run({"DEL", w.hash_key, key_id_index(w.id), key_lease_key(w.sha)});
            redis.run({"SREM", std::string(key_set()), w.id});
        },
        record_mode::any);
    publish_invalidation(redis, k.sha);
    std::printf("%s deleted\n", id.c_str());
    return 0;
}

// ---- billing ----

// The key's sha for its id, or a failure: for the commands that only read.
std::string key_sha(redis_client& redis, const std::string& id) {
    std::string sha = reply_string(redis.run({"GET", key_id_index(id)}).get());
    if (sha.empty()) throw failure("no key with id " + id);
    return sha;
}

// A command line amount that must be more than 0 (top-up).
micro_usd checked_amount(const std::string& text) {
    micro_usd m = checked_usd("amount", text);
    if (m == 0) throw usage_error("bad amount '" + text + "': more than 0");
    return m;
}

std::string used_text(const redisReply* hget_used) {
    std::string v = reply_string(hget_used);
    if (v.empty()) return "0";
    std::optional<std::int64_t> m = parse_integer(v);
    return m ? format_usd(*m) : printable(v) + " (not a number of micro-USD)";
}

int cmd_set_quota(const options& o) {
    expect_arguments(o, 2, {}, "a key id and an amount in USD (or unlimited)");
    const std::string id = checked_id(o.args[0]);
    std::optional<micro_usd> quota;
    if (o.args[1] != "unlimited") quota = checked_usd("quota", o.args[1]);
    redis_client redis(o);
    changed_key k = change_key(
        redis, id,
        [&](const watched_key& w) {
            if (quota) {
                redis.run({"HSET", w.hash_key, std::string(key_field::quota),
                           std::to_string(*quota)});
            } else {
                redis.run({"HDEL", w.hash_key, std::string(key_field::quota)});
            }
            redis.run({"HGET", w.hash_key, std::string(key_field::used)});
        },
        record_mode::unwatched);
    publish_invalidation(redis, k.sha);
    std::printf("%s quota: %s (used so far: %s)\n", id.c_str(),
                quota ? format_usd(*quota).c_str() : "unlimited",
                used_text(k.exec->element[1]).c_str());
    return 0;
}

int cmd_top_up(const options& o) {
    expect_arguments(o, 2, {}, "a key id and an amount in USD");
    const std::string id = checked_id(o.args[0]);
    const micro_usd amount = checked_amount(o.args[1]);
    redis_client redis(o);
    changed_key k = change_key(
        redis, id,
        [&](const watched_key& w) {
            redis.run(top_up_command(w.hash_key, amount));
            redis.run({"HGET", w.hash_key, std::string(key_field::used)});
        },
        record_mode::unwatched);
    micro_usd quota = 0;
    switch (top_up_outcome(k.exec->element[0], &quota)) {
    case 0: throw failure("key " + id + ": its record went away");
    case 1:
        throw failure("key " + id + " has no quota (it is unlimited), so there is nothing to " +
                      "top up; give it one with set-quota");
    default: break;
    }
    publish_invalidation(redis, k.sha);
    std::printf("%s quota: %s (raised by %s; used so far: %s)\n", id.c_str(),
                format_usd(quota).c_str(), format_usd(amount).c_str(),
                used_text(k.exec->element[1]).c_str());
    return 0;
}

int cmd_set_limits(const options& o) {
    expect_arguments(o, 1, {"--rpm", "--tpm", "--budget-hourly"});
    const std::string id = checked_id(o.args[0]);
    const std::vector<field_change> changes = limit_changes(o, false);
    redis_client redis(o);
    changed_key k = change_key(
        redis, id,
        [&](const watched_key& w) { queue_field_changes(redis, w.hash_key, changes); },
        record_mode::unwatched);
    publish_invalidation(redis, k.sha);
    std::printf("%s limits: %s\n", id.c_str(), joined_changes(changes).c_str());
    return 0;
}

// One field of its own, like the limits: a gateway's settlement never makes it start over.
// "*" removes the field, which leaves the record as a key made before endpoint lists.
int cmd_set_endpoints(const options& o) {
    expect_arguments(o, 2, {}, "a key id and endpoint families (or *)");
    const std::string id = checked_id(o.args[0]);
    endpoint_list_result endpoints = parse_endpoint_list(o.args[1]);
    if (!endpoints.ok) throw usage_error("bad endpoints: " + endpoints.error);
    const std::vector<field_change> changes = {
        {key_field::endpoints,
         endpoints.endpoints.empty()
             ? std::nullopt
             : std::optional<std::string>(join_endpoint_list(endpoints.endpoints)),
         "endpoints=" + join_endpoint_list(endpoints.endpoints)}};
    redis_client redis(o);
    changed_key k = change_key(
        redis, id,
        [&](const watched_key& w) { queue_field_changes(redis, w.hash_key, changes); },
        record_mode::unwatched);
    publish_invalidation(redis, k.sha);
    std::printf("%s endpoints: %s\n", id.c_str(), join_endpoint_list(endpoints.endpoints).c_str());
    return 0;
}

// Sums of the usage records that match, each request counted once.
struct usage_sums {
    std::int64_t requests = 0;
    std::int64_t charged = 0;
    std::int64_t prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
    std::int64_t total_tokens = 0;
    std::int64_t cached_tokens = 0;
    std::int64_t cache_write_tokens = 0;
    micro_usd cost = 0;
    // Requests whose counts the gateway made, the upstream having reported none: exactly
    // (counted_by tokenizer) or by the estimate (counted_by estimate; estimated=1 in records
    // older than counted_by).
    std::int64_t by_tokenizer = 0;
    std::int64_t by_estimate = 0;
    std::int64_t duplicates = 0;   // records of a request already counted
    std::int64_t unreadable = 0;   // records with a count or cost that is not a number
};

std::int64_t add_capped(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

// Reads the usage stream from `start` (an XRANGE start; "" for the beginning) to its end, in
// pages, and sums the records whose field `match_field` is `match_value`. Delivery to the
// stream is at least once, so a record_id seen before is a repeat and not counted again (not
// the request_id: clients may send the same X-Request-Id with many requests). Records written
// before record_id existed fall back to their request_id.
usage_sums sum_usage(redis_client& redis, const std::string& start, std::string_view match_field,
                     const std::string& match_value) {
    constexpr std::size_t page_size = 1000;
    usage_sums s;
    std::unordered_set<std::string> seen;
    std::string from = start.empty() ? "-" : start;
    for (;;) {
        reply_ptr page = redis.run({"XRANGE", std::string(usage_stream()), from, "+", "COUNT",
                                    std::to_string(page_size)});
        if (page->type != REDIS_REPLY_ARRAY) throw failure("unexpected reply to XRANGE");
        for (std::size_t i = 0; i < page->elements; ++i) {
            const redisReply* entry = page->element[i];
            if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
                entry->element[0]->type != REDIS_REPLY_STRING) {
                throw failure("unexpected entry in the XRANGE reply");
            }
            const field_list fields = hash_fields(entry->element[1]);
            if (field_value(fields, match_field) != std::string_view(match_value)) continue;
            std::string_view record_id = field_value(fields, "record_id")
                                             .value_or(field_value(fields, "request_id").value_or(""));
            if (!record_id.empty() && !seen.emplace(record_id).second) {
                ++s.duplicates;
                continue;
            }
            ++s.requests;
            bool unreadable = false;
            auto add = [&](std::string_view name, std::int64_t& sum) {
                std::string_view v = field_value(fields, name).value_or("");
                if (v.empty()) return;
                std::optional<std::int64_t> n = parse_integer(v);
                if (!n || *n < 0) {
                    unreadable = true;
                    return;
                }
                sum = add_capped(sum, *n);
            };
            add("prompt_tokens", s.prompt_tokens);
            add("completion_tokens", s.completion_tokens);
            add("total_tokens", s.total_tokens);
            add("cached_tokens", s.cached_tokens);
            add("cache_write_tokens", s.cache_write_tokens);
            add("cost", s.cost);
            if (field_value(fields, "charged") == std::string_view("1")) ++s.charged;
            std::optional<std::string_view> by = field_value(fields, "counted_by");
            if (!by) {  // a record from before counted_by
                by = field_value(fields, "estimated") == std::string_view("1") ? "estimate" : "upstream";
            }
            if (*by == "tokenizer") {
                ++s.by_tokenizer;
            } else if (*by == "estimate") {
                ++s.by_estimate;
            }
            if (unreadable) ++s.unreadable;
        }
        if (page->elements < page_size) break;
        const redisReply* last = page->element[page->elements - 1]->element[0];
        from = "(" + std::string(last->str, last->len);
    }
    return s;
}

// The XRANGE start for --since (none: the whole stream), and how to say it.
std::pair<std::string, std::string> usage_start(redis_client& redis,
                                                const std::optional<since_spec>& since) {
    if (!since) return {"", "everything in the stream"};
    if (since->stream_id) return {since->start, "stream id " + since->start};
    std::string start = since->start;
    if (start.empty()) {
        // Relative: the Redis server's clock, which gave the stream its ids.
        reply_ptr t = redis.run({"TIME"});
        if (t->type != REDIS_REPLY_ARRAY || t->elements != 2) {
            throw failure("unexpected reply to TIME");
        }
        std::optional<std::int64_t> sec = parse_integer(reply_string(t->element[0]));
        std::optional<std::int64_t> usec = parse_integer(reply_string(t->element[1]));
        if (!sec || !usec) throw failure("unexpected reply to TIME");
        start = std::to_string(std::max<std::int64_t>(0, *sec * 1000 + *usec / 1000 -
                                                              since->ago * 1000));
    }
    return {start, utc_time(*parse_integer(start) / 1000)};
}

void print_usage(std::vector<std::pair<std::string, std::string>> lines, const std::string& since,
                 const usage_sums& s, const field_list& hash) {
    lines.emplace_back("since", since);
    lines.emplace_back("requests", std::to_string(s.requests));
    lines.emplace_back("charged", std::to_string(s.charged));
    lines.emplace_back("prompt_tokens", std::to_string(s.prompt_tokens));
    lines.emplace_back("completion_tokens", std::to_string(s.completion_tokens));
    lines.emplace_back("total_tokens", std::to_string(s.total_tokens));
    lines.emplace_back("cached_tokens", std::to_string(s.cached_tokens));
    lines.emplace_back("cache_write_tokens", std::to_string(s.cache_write_tokens));
    lines.emplace_back("cost", format_usd(s.cost));
    lines.emplace_back("counted_by", "upstream " +
                                         std::to_string(s.requests - s.by_tokenizer - s.by_estimate) +
                                         ", tokenizer " + std::to_string(s.by_tokenizer) +
                                         ", estimate " + std::to_string(s.by_estimate));
    lines.emplace_back("duplicates", std::to_string(s.duplicates));
    std::vector<std::pair<std::string, std::string>> billing = billing_lines(hash);
    lines.insert(lines.end(), billing.begin(), billing.begin() + 3);  // quota, used, remaining
    print_fields(lines);
    if (s.unreadable) {
        std::fprintf(stderr,
                     "%lld record%s had a count or cost that is not a number; it counted as 0\n",
                     static_cast<long long>(s.unreadable), s.unreadable == 1 ? "" : "s");
    }
}

int cmd_usage(const options& o) {
    expect_arguments(o, 1, {"--since"});
    const std::string id = checked_id(o.args[0]);
    std::optional<since_spec> since;
    if (std::optional<std::string> v = flag(o, "--since")) since = parse_since(*v);
    redis_client redis(o);
    const std::string hash = key_hash_key(key_sha(redis, id));
    auto [start, since_text] = usage_start(redis, since);
    usage_sums s = sum_usage(redis, start, "key_id", id);
    // Read after the sums, so used is at least what they saw settled.
    reply_ptr reply = redis.run({"HGETALL", hash});
    print_usage({{"id", id}}, since_text, s, hash_fields(reply.get()));
    return 0;
}

// ---- trace ----

// "2026-12-05T11:40:01.123Z" for a time in unix milliseconds.
std::string iso_time_ms(std::int64_t ms) {
    std::time_t tt = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    char buf[64];
    if (ms < 0 || gmtime_r(&tt, &tm) == nullptr ||
        std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        return std::to_string(ms) + " ms";
    }
    char frac[8];
    std::snprintf(frac, sizeof(frac), ".%03dZ", static_cast<int>(ms % 1000));
    return std::string(buf) + frac;
}

// The time a stream id ("<ms>-<seq>") was made at.
std::string stream_id_time(std::string_view stream_id) {
    std::optional<std::int64_t> ms = parse_integer(stream_id.substr(0, stream_id.find('-')));
    return ms ? iso_time_ms(*ms) : printable(stream_id);
}

// Micro-USD as "0.000420 USD (420 micro-USD)".
std::string usd_6_text(std::string_view raw) {
    std::optional<std::int64_t> m = parse_integer(raw);
    if (!m) return raw.empty() ? "-" : printable(raw) + " (not a number of micro-USD)";
    std::uint64_t a = *m < 0 ? 0 - static_cast<std::uint64_t>(*m) : static_cast<std::uint64_t>(*m);
    char buf[96];
    std::snprintf(buf, sizeof(buf), "%s%llu.%06llu USD (%lld micro-USD)", *m < 0 ? "-" : "",
                  static_cast<unsigned long long>(a / 1000000),
                  static_cast<unsigned long long>(a % 1000000), static_cast<long long>(*m));
    return buf;
}

// The name the gateway's logs and metrics give a dialect.
std::string_view dialect_text(dialect_id d) {
    switch (d) {
    case dialect_id::openai_chat: return "openai_chat";
    case dialect_id::anthropic: return "anthropic";
    case dialect_id::openai_responses: return "openai_responses";
    case dialect_id::gemini: return "gemini";
    }
    return "unknown";
}

// One record found by trace: its stream id, its fields, and how many copies of it (same
// record_id: delivery to the stream is at least once) the stream holds.
struct traced_record {
    std::string stream_id;
    std::vector<std::pair<std::string, std::string>> fields;
    std::int64_t copies = 1;
};

std::string traced_field(const traced_record& t, std::string_view name) {
    for (const auto& [f, v] : t.fields) {
        if (f == name) return v;
    }
    return {};
}

bool traced_has(const traced_record& t, std::string_view name) {
    for (const auto& f : t.fields) {
        if (f.first == name) return true;
    }
    return false;
}

// The key line: its id, and its masked key while the key still exists.
std::string key_text(redis_client& redis, const std::string& key_id) {
    if (key_id.empty()) return "- (no key)";
    std::string shown = printable(key_id);
    bool plain = key_id.size() <= 64 && std::all_of(key_id.begin(), key_id.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                 });
    if (!plain) return shown;
    std::string sha = reply_string(redis.run({"GET", key_id_index(key_id)}).get());
    if (sha.empty()) return shown + " (the key no longer exists)";
    std::string last4 = reply_string(
        redis.run({"HGET", key_hash_key(sha), std::string(key_field::last4)}).get());
    return shown + " (" + mask_from_last4(last4) + ")";
}

// The label column of trace's `label: value` lines ("upstream_model: ").
constexpr std::size_t trace_label_width = 15;

void print_attempts(const traced_record& t) {
    std::string attempts = traced_field(t, "attempts");
    auto line = [](const std::string& value) {
        print_fields({{"attempts", value}}, trace_label_width);
    };
    if (!traced_has(t, "tries")) {
        // A record from before the tries field: the last channel only.
        std::string channel = traced_field(t, "channel");
        line(printable(attempts) + " (no per-attempt detail in this record; last channel " +
             (channel.empty() ? "-" : printable(channel)) + ")");
        return;
    }
    attempts_decode_result d = decode_attempts(traced_field(t, "tries"));
    if (!d.ok) {
        line(printable(attempts) + " (unreadable tries field: " + printable(d.error) + ")");
        return;
    }
    if (d.attempts.empty()) {
        line((attempts.empty() ? "0" : printable(attempts)) + " (no channel tried)");
        return;
    }
    line(std::to_string(d.attempts.size()));
    std::vector<std::vector<std::string>> rows = {
        {"  #", "CHANNEL", "OUTCOME", "UPSTREAM", "HEADERS", "TOOK", "SWALLOWED"}};
    for (std::size_t i = 0; i < d.attempts.size(); i++) {
        const attempt_entry& a = d.attempts[i];
        rows.push_back({"  " + std::to_string(i + 1), printable(a.channel),
                        std::string(attempt_outcome_name(a.outcome)),
                        a.upstream_status ? std::to_string(a.upstream_status) : "-",
                        a.header_ms ? std::to_string(*a.header_ms) + " ms" : "-",
                        std::to_string(a.duration_ms) + " ms", a.swallowed ? "yes" : "no"});
    }
    print_table(rows);
}

void print_traced(redis_client& redis, const traced_record& t) {
    auto f = [&t](std::string_view name) { return traced_field(t, name); };
    auto shown = [](const std::string& v) { return v.empty() ? std::string("-") : printable(v); };
    std::vector<std::pair<std::string, std::string>> lines;
    std::optional<std::int64_t> ts = parse_integer(f("ts"));
    lines.emplace_back("time", ts ? iso_time_ms(*ts) : shown(f("ts")));
    lines.emplace_back("request_id", shown(f("request_id")));
    lines.emplace_back("record_id", shown(f("record_id")) +
                                        (t.copies > 1 ? " (" + std::to_string(t.copies) +
                                                            " copies in the stream)"
                                                      : ""));
    lines.emplace_back("stream_id", printable(t.stream_id));
    lines.emplace_back("key", key_text(redis, f("key_id")));
    lines.emplace_back("owner", shown(f("owner")));
    lines.emplace_back("group", shown(f("group")));
    lines.emplace_back("model", shown(f("model")));
    lines.emplace_back("upstream_model", shown(f("upstream_model")));
    std::string endpoint = f("endpoint");
    const endpoint_info* ep = endpoint.empty() ? nullptr : find_endpoint(endpoint);
    lines.emplace_back("ingress", ep ? std::string(dialect_text(ep->dialect)) + " " + printable(endpoint)
                                     : shown(endpoint));
    lines.emplace_back("stream", f("stream") == "1" ? "yes" : "no");
    lines.emplace_back("status", shown(f("status")));
    lines.emplace_back("http_status", shown(f("http_status")));
    lines.emplace_back("error_code", shown(f("error_code")));
    lines.emplace_back("latency", f("latency_ms").empty() ? "-" : printable(f("latency_ms")) + " ms");
    lines.emplace_back("ttft", f("ttft_ms").empty() ? "-" : printable(f("ttft_ms")) + " ms");
    print_fields(lines, trace_label_width);
    print_attempts(t);
    lines.clear();
    auto n = [&](std::string_view name) { return f(name).empty() ? std::string("0") : printable(f(name)); };
    lines.emplace_back("tokens", "prompt " + n("prompt_tokens") + ", completion " +
                                     n("completion_tokens") + ", total " + n("total_tokens"));
    lines.emplace_back("token_detail", "cached " + n("cached_tokens") + ", cache_write " +
                                           n("cache_write_tokens") + ", reasoning " +
                                           n("reasoning_tokens"));
    lines.emplace_back("counted_by", shown(f("counted_by")));
    lines.emplace_back("cost", usd_6_text(f("cost")));
    lines.emplace_back("charged", f("charged") == "1" ? "yes" : "no");
    print_fields(lines, trace_label_width);
}

// Reads the usage stream newest first, in pages, for the records of one request id. The
// client's X-Request-Id may repeat, so every record is kept; copies of one record (the same
// record_id) are shown once.
int cmd_trace(const options& o) {
    expect_arguments(o, 1, {}, "a request id");
    const std::string& id = o.args[0];
    if (!acceptable_client_request_id(id)) {
        throw usage_error("'" + printable(id) + "' is not a request id the gateway records");
    }
    constexpr std::size_t page_size = 1000;
    constexpr std::size_t scan_max = 2000000;  // records read at most: twice the default MAXLEN
    redis_client redis(o);
    const std::string stream(usage_stream());
    std::vector<traced_record> found;
    std::unordered_set<std::string> seen;
    std::size_t scanned = 0;
    std::string to = "+";
    bool bounded = false;
    for (;;) {
        reply_ptr page = redis.run({"XREVRANGE", stream, to, "-", "COUNT", std::to_string(page_size)});
        if (page->type != REDIS_REPLY_ARRAY) throw failure("unexpected reply to XREVRANGE");
        for (std::size_t i = 0; i < page->elements; ++i) {
            const redisReply* entry = page->element[i];
            if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
                entry->element[0]->type != REDIS_REPLY_STRING) {
                throw failure("unexpected entry in the XREVRANGE reply");
            }
            const field_list fields = hash_fields(entry->element[1]);
            if (field_value(fields, "request_id") != std::string_view(id)) continue;
            std::string record_id(field_value(fields, "record_id").value_or(""));
            if (!record_id.empty() && !seen.emplace(record_id).second) {
                for (traced_record& t : found) {
                    if (traced_field(t, "record_id") == record_id) t.copies++;
                }
                continue;
            }
            traced_record t;
            t.stream_id = reply_string(entry->element[0]);
            for (const auto& [k, v] : fields) t.fields.emplace_back(k, v);
            found.push_back(std::move(t));
        }
        scanned += page->elements;
        if (page->elements < page_size) break;
        if (scanned >= scan_max) {
            bounded = true;
            break;
        }
        const redisReply* last = page->element[page->elements - 1]->element[0];
        to = "(" + std::string(last->str, last->len);
    }

    if (found.empty()) {
        long long len = redis.run({"XLEN", stream})->integer;
        std::string reach;
        if (len == 0) {
            reach = stream + " is empty";
        } else {
            reply_ptr oldest = redis.run({"XRANGE", stream, "-", "+", "COUNT", "1"});
            std::string oldest_id;
            if (oldest->type == REDIS_REPLY_ARRAY && oldest->elements == 1 &&
                oldest->element[0]->type == REDIS_REPLY_ARRAY &&
                oldest->element[0]->elements == 2) {
                oldest_id = reply_string(oldest->element[0]->element[0]);
            }
            reach = stream + " holds " + std::to_string(len) + " record" + (len == 1 ? "" : "s") +
                    ", the oldest from " + stream_id_time(oldest_id) +
                    (bounded ? "; the newest " + std::to_string(scanned) + " were searched" : "") +
                    ". The gateway trims the stream to about aigw_usage_log maxlen= records "
                    "(default 1000000), so an older request is no longer there";
        }
        throw failure("no record of request " + printable(id) + ": " + reach);
    }
    for (std::size_t i = 0; i < found.size(); ++i) {
        if (found.size() > 1) {
            std::printf("%s--- record %zu of %zu (newest first) ---\n", i ? "\n" : "", i + 1,
                        found.size());
        }
        print_traced(redis, found[i]);
    }
    if (bounded) {
        std::fprintf(stderr, "searched the newest %zu records of %s only\n", scanned,
                     stream.c_str());
    }
    return 0;
}

// ---- groups ----

// MULTI, the queued commands, EXEC; a refused step is a failure. The EXEC replies.
template <typename Queue>
reply_ptr transaction(redis_client& redis, Queue queue) {
    redis.run({"MULTI"});
    queue();
    reply_ptr exec = redis.run({"EXEC"});
    if (exec->type != REDIS_REPLY_ARRAY) throw failure("the transaction was aborted");
    for (std::size_t i = 0; i < exec->elements; ++i) {
        if (exec->element[i]->type == REDIS_REPLY_ERROR) {
            throw failure("Redis refused a step of the change: " +
                          std::string(exec->element[i]->str, exec->element[i]->len));
        }
    }
    return exec;
}

std::string checked_group_arg(const options& o) {
    return checked_group_name("group name", o.args[0]);
}

int cmd_group_set(const options& o) {
    expect_arguments(o, 1, {"--quota", "--rpm", "--tpm", "--budget-hourly"}, "a group name");
    const std::string name = checked_group_arg(o);
    const std::vector<field_change> changes = limit_changes(o, true);
    redis_client redis(o);
    // Only the named fields: a settlement's HINCRBY on used is neither read nor overwritten.
    transaction(redis, [&] {
        queue_field_changes(redis, group_hash_key(name), changes);
        redis.run({"SADD", std::string(group_set()), name});
    });
    std::printf("group %s: %s\n", name.c_str(), joined_changes(changes).c_str());
    return 0;
}

int cmd_group_show(const options& o) {
    expect_arguments(o, 1, {}, "a group name");
    const std::string name = checked_group_arg(o);
    redis_client redis(o);
    const std::string hash = group_hash_key(name);
    std::vector<reply_ptr> r = redis.pipeline(
        {{"SISMEMBER", std::string(group_set()), name}, {"HGETALL", hash}});
    for (const reply_ptr& x : r) {
        if (x->type == REDIS_REPLY_ERROR) {
            throw failure("Redis refused to read group " + name + ": " +
                          std::string(x->str, x->len));
        }
    }
    const field_list fields = hash_fields(r[1].get());
    if (r[0]->integer != 1 && fields.empty()) throw failure("no group " + name);
    std::vector<std::pair<std::string, std::string>> lines = {{"group", name}};
    for (auto& line : billing_lines(fields)) lines.push_back(std::move(line));
    lines.emplace_back("redis_key", hash);
    if (r[0]->integer != 1) lines.emplace_back("note", "not in " + std::string(group_set()));
    print_fields(lines);
    return 0;
}

int cmd_group_list(const options& o) {
    expect_arguments(o, 0, {});
    redis_client redis(o);
    reply_ptr members = redis.run({"SMEMBERS", std::string(group_set())});
    std::vector<std::string> names;
    for (std::size_t i = 0; i < members->elements; ++i) {
        names.push_back(reply_string(members->element[i]));
    }
    std::sort(names.begin(), names.end());
    std::vector<std::vector<std::string>> hgetalls;
    hgetalls.reserve(names.size());
    for (const std::string& n : names) hgetalls.push_back({"HGETALL", group_hash_key(n)});
    std::vector<reply_ptr> hashes = redis.pipeline(hgetalls);
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "QUOTA", "USED", "REMAINING", "RPM", "TPM", "BUDGET_HOURLY"}};
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::vector<std::string> row = {printable(names[i])};
        for (auto& [label, value] : billing_lines(hash_fields(hashes[i].get()))) {
            row.push_back(std::move(value));
        }
        rows.push_back(std::move(row));
    }
    print_table(rows);
    if (names.empty()) std::fprintf(stderr, "(no groups)\n");
    return 0;
}

int cmd_group_top_up(const options& o) {
    expect_arguments(o, 2, {}, "a group name and an amount in USD");
    const std::string name = checked_group_arg(o);
    const micro_usd amount = checked_amount(o.args[1]);
    redis_client redis(o);
    const std::string hash = group_hash_key(name);
    micro_usd quota = 0;
    int outcome = top_up_outcome(redis.run(top_up_command(hash, amount)).get(), &quota);
    if (outcome == 0 &&
        redis.run({"SISMEMBER", std::string(group_set()), name})->integer != 1) {
        throw failure("no group " + name);
    }
    if (outcome != 2) {
        throw failure("group " + name + " has no quota (it is unlimited), so there is nothing " +
                      "to top up; give it one with group set " + name + " --quota USD");
    }
    std::printf("group %s quota: %s (raised by %s; used so far: %s)\n", name.c_str(),
                format_usd(quota).c_str(), format_usd(amount).c_str(),
                used_text(redis.run({"HGET", hash, std::string(key_field::used)}).get()).c_str());
    return 0;
}

// A group need not have a hash (no limits of its own) for its keys to have spent: this works
// for any well-formed name.
int cmd_group_usage(const options& o) {
    expect_arguments(o, 1, {"--since"}, "a group name");
    const std::string name = checked_group_arg(o);
    std::optional<since_spec> since;
    if (std::optional<std::string> v = flag(o, "--since")) since = parse_since(*v);
    redis_client redis(o);
    auto [start, since_text] = usage_start(redis, since);
    usage_sums s = sum_usage(redis, start, "group", name);
    reply_ptr reply = redis.run({"HGETALL", group_hash_key(name)});
    print_usage({{"group", name}}, since_text, s, hash_fields(reply.get()));
    return 0;
}

int cmd_group_delete(const options& o) {
    expect_arguments(o, 1, {}, "a group name");
    const std::string name = checked_group_arg(o);
    redis_client redis(o);
    // The lease hash goes too: deleting it releases quota leased to gateways.
    reply_ptr exec = transaction(redis, [&] {
        redis.run({"DEL", group_hash_key(name), group_lease_key(name)});
        redis.run({"SREM", std::string(group_set()), name});
    });
    if (exec->element[0]->integer == 0 && exec->element[1]->integer == 0) {
        throw failure("no group " + name);
    }
    std::printf("group %s deleted\n", name.c_str());
    return 0;
}

int cmd_group(options& o) {
    if (o.args.empty()) {
        throw usage_error("group needs a subcommand: set, show, list, top-up, usage or delete");
    }
    const std::string sub = o.args.front();
    o.args.erase(o.args.begin());
    o.command = "group " + sub;
    if (sub == "set") return cmd_group_set(o);
    if (sub == "show") return cmd_group_show(o);
    if (sub == "list") return cmd_group_list(o);
    if (sub == "top-up") return cmd_group_top_up(o);
    if (sub == "usage") return cmd_group_usage(o);
    if (sub == "delete") return cmd_group_delete(o);
    throw usage_error("unknown group subcommand '" + sub + "'");
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
    if (o.command == "set-quota") return cmd_set_quota(o);
    if (o.command == "top-up") return cmd_top_up(o);
    if (o.command == "set-limits") return cmd_set_limits(o);
    if (o.command == "set-endpoints") return cmd_set_endpoints(o);
    if (o.command == "usage") return cmd_usage(o);
    if (o.command == "trace") return cmd_trace(o);
    if (o.command == "group") return cmd_group(o);
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
