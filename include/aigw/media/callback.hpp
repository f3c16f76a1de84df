// Signed callbacks: a client's URL told when its task finishes, checked when the task is
// created, and the signature the gateway sends with each delivery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aigw/keys/cidr.hpp"

namespace aigw {

// ---- the URL ----

inline constexpr std::size_t callback_url_max = 2048;

struct callback_target {
    bool ok = false;
    std::string error;           // why not, when !ok
    bool https = false;
    std::string host;            // lowercase; an IPv6 literal without its brackets
    int port = 0;                // as written, else 80 / 443
    std::string path;            // from the first '/' (query included, fragment dropped); "/" if none
    bool host_is_ip = false;
};

// http:// or https:// only (scheme in any case); no userinfo; host a name or an IPv4 dotted
// quad or an [IPv6] literal (no zone id); port 1..65535; at most callback_url_max bytes of
// printable ASCII. A host whose last label is numeric ("127.1", "2130706433", "0x7f.1") is
// an IPv4 address to resolvers: only the dotted-quad form is taken.
//
// An IP literal that is loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10),
// link-local (169.254/16, fe80::/10), unspecified or "this network" (0/8, ::), multicast
// (224/4, ff00::/8), reserved or broadcast (240/4), CGNAT (100.64/10), or such an address
// inside IPv6 (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96) is
// refused unless it falls in a block of `allow`. The names "localhost" and "*.localhost"
// (a trailing dot too) are refused unless `allow_hosts` names them (exact, case-insensitive).
//
// Names are resolved when a callback is delivered, and the addresses a DNS answer gives are
// not checked again here: a name that resolves to a private address reaches it. Deployments
// that must prevent that deliver through a proxy or a resolver that filters such answers.
callback_target check_callback_url(std::string_view url, const std::vector<cidr_block>& allow,
                                   const std::vector<std::string>& allow_hosts);

// ---- the signature ----

// The header a delivery carries the signature in.
inline constexpr std::string_view callback_signature_header = "aigw-signature";

// "t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(secret, "<t>.<body>")>". "" only when
// OpenSSL fails.
std::string callback_signature(std::string_view secret, std::int64_t t, std::string_view body);

// True when `header` ("t=...,v1=...", items in any order, blanks around them allowed, several
// v1 accepted for a secret in rotation) carries a t within tolerance_s seconds of `now` (either
// way) and a v1 that is the signature of `body` at that t (compared in constant time).
bool verify_callback_signature(std::string_view header, std::string_view secret,
                               std::string_view body, std::int64_t now, std::int64_t tolerance_s);

// ---- the delivery schedule ----

// Attempt 1 at once; after failed attempt k (1-based) wait 2^(k-1) s, capped at 300 s; at
// most callback_max_attempts attempts, then the callback is failed.
inline constexpr int callback_max_attempts = 8;
inline constexpr std::int64_t callback_retry_cap_ms = 300000;

// The wait in ms after `failed_attempts` failed attempts (0 for none: deliver now).
std::int64_t callback_retry_delay_ms(int failed_attempts);

}  // namespace aigw
