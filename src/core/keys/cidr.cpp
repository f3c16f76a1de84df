#include "aigw/keys/cidr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "aigw/text/strings.hpp"

namespace aigw {

namespace {

// The address as written, IPv4-mapped IPv6 left as IPv6 (parse_cidr needs it that way).
std::optional<ip_address> parse_address(std::string_view text) {
    char buf[64];
    if (text.empty() || text.size() >= sizeof(buf) ||
        std::memchr(text.data(), '\0', text.size()) != nullptr) {
        return std::nullopt;
    }
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    ip_address ip;
    if (text.find(':') != std::string_view::npos) {
        if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
        ip.v4 = false;
    } else {
        if (inet_pton(AF_INET, buf, ip.bytes.data()) != 1) return std::nullopt;
        ip.v4 = true;
    }
    return ip;
}

// ::ffff:a.b.c.d
bool is_v4_mapped(const ip_address& ip) {
    if (ip.v4) return false;
    for (std::size_t i = 0; i < 10; ++i) {
        if (ip.bytes[i] != 0) return false;
    }
    return ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
}

ip_address unmap_v4(const ip_address& ip) {
    ip_address out;
    out.v4 = true;
    std::memcpy(out.bytes.data(), ip.bytes.data() + 12, 4);
    return out;
}

// True when the first `bits` bits of a and b agree.
bool prefix_equal(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                  unsigned bits) {
    unsigned whole = bits / 8;
    if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
    unsigned rest = bits % 8;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

void clear_host_bits(ip_address& ip, unsigned prefix_len) {
    unsigned total = ip.v4 ? 32 : 128;
    for (unsigned bit = prefix_len; bit < total; ++bit) {
        ip.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    }
}

}  // namespace

// ---- IP addresses and CIDR blocks ----

std::optional<ip_address> parse_ip(std::string_view text) {
    std::optional<ip_address> ip = parse_address(text);
    if (ip && is_v4_mapped(*ip)) return unmap_v4(*ip);
    return ip;
}

cidr_parse_result parse_cidr(std::string_view text) {
    cidr_parse_result r;
    auto fail = [&](std::string_view why) {
        r.error = "bad CIDR " + quoted(text) + ": ";
        r.error += why;
        return r;
    };
    if (text.empty()) return fail("empty");
    std::size_t slash = text.find('/');
    std::optional<ip_address> ip = parse_address(text.substr(0, slash));
    if (!ip) return fail("not an IPv4 or IPv6 address");
    unsigned max = ip->v4 ? 32 : 128;
    unsigned prefix_len = max;
    if (slash != std::string_view::npos) {
        std::string_view p = text.substr(slash + 1);
        // Plain decimal: no sign, no blanks, no leading zeros ("/08" is a typo, not 8).
        bool digits = !p.empty() && p.size() <= 3 && !(p.size() > 1 && p.front() == '0');
        for (char c : p) digits = digits && c >= '0' && c <= '9';
        if (!digits) return fail("prefix length is not a number");
        std::from_chars(p.data(), p.data() + p.size(), prefix_len);
        if (prefix_len > max) {
            return fail(ip->v4 ? "prefix length must be 0..32" : "prefix length must be 0..128");
        }
    }
    // A block inside ::ffff:0:0/96 names IPv4 clients; store it as the IPv4 block so it meets
    // them the same way a plain IPv4 rule would.
    if (is_v4_mapped(*ip) && prefix_len >= 96) {
        *ip = unmap_v4(*ip);
        prefix_len -= 96;
    }
    clear_host_bits(*ip, prefix_len);
    r.ok = true;
    r.block.base = *ip;
    r.block.prefix_len = prefix_len;
    return r;
}

cidr_list_result parse_cidr_list(std::string_view list) {
    cidr_list_result r;
    for (std::string_view item : split_list(list)) {
        cidr_parse_result c = parse_cidr(item);
        if (!c.ok) {
            r.blocks.clear();
            r.error = std::move(c.error);
            return r;
        }
        r.blocks.push_back(c.block);
    }
    r.ok = true;
    return r;
}

bool cidr_contains(const cidr_block& block, const ip_address& ip) {
    if (block.base.v4 != ip.v4) return false;
    return prefix_equal(block.base.bytes, ip.bytes, block.prefix_len);
}

std::string format_cidr(const cidr_block& block) {
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(block.base.v4 ? AF_INET : AF_INET6, block.base.bytes.data(), buf,
                  sizeof(buf)) == nullptr) {
        return {};
    }
    std::string out = buf;
    out += "/";
    out += std::to_string(block.prefix_len);
    return out;
}

}  // namespace aigw
