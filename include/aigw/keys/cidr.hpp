// IP addresses and CIDR blocks: a key's ip_allow list.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aigw {

struct ip_address {
    bool v4 = false;
    std::array<std::uint8_t, 16> bytes{};   // IPv4 uses the first 4
};

struct cidr_block {
    ip_address base;                        // host bits cleared
    unsigned prefix_len = 0;                // 0..32 for IPv4, 0..128 for IPv6
};

// A literal IPv4 or IPv6 address, as NGINX's $remote_addr spells it. IPv4-mapped IPv6
// (::ffff:10.1.2.3, what a dual-stack listener reports) comes back as the IPv4 address, so it
// meets the IPv4 rules an admin wrote. nullopt for anything else (zone ids, "unix:", names).
std::optional<ip_address> parse_ip(std::string_view text);

struct cidr_parse_result {
    bool ok = false;
    cidr_block block;
    std::string error;                      // why not, when !ok
};

// "10.0.0.0/8", "2001:db8::/32", or a single address ("10.1.2.3" = /32, "::1" = /128).
// Host bits past the prefix are cleared ("10.1.2.3/8" is 10.0.0.0/8). An IPv6 block inside
// ::ffff:0:0/96 becomes the IPv4 block it names.
cidr_parse_result parse_cidr(std::string_view text);

struct cidr_list_result {
    bool ok = false;
    std::vector<cidr_block> blocks;
    std::string error;
};

// Comma-separated CIDRs, items trimmed, empty items skipped; the first bad item fails it all.
cidr_list_result parse_cidr_list(std::string_view list);

bool cidr_contains(const cidr_block& block, const ip_address& ip);

std::string format_cidr(const cidr_block& block);   // canonical text, "10.0.0.0/8"

}  // namespace aigw
