#include "aigw/request_id.hpp"

#include <openssl/rand.h>

namespace aigw {

bool make_request_id(char* out) {
    static constexpr char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return false;
    }
    out[0] = 'r';
    out[1] = 'e';
    out[2] = 'q';
    out[3] = '_';
    for (std::size_t i = 0; i < sizeof(raw); ++i) {
        out[4 + 2 * i] = hex[raw[i] >> 4];
        out[5 + 2 * i] = hex[raw[i] & 0x0f];
    }
    return true;
}

bool acceptable_client_request_id(std::string_view id) {
    if (id.empty() || id.size() > client_request_id_max) {
        return false;
    }
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':';
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace aigw
