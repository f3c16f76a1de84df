#include "aigw/request_id.hpp"

#include <openssl/rand.h>

#include <cstring>

namespace aigw {

namespace {

// Random bytes are drawn 4 KiB at a time: one RAND_bytes call (and its fork check) per 256
// ids instead of per request. The pool starts empty in every process, so processes forked
// from one that never made an id cannot share bytes.
class random_pool {
public:
    bool take(unsigned char* out, std::size_t n) {
        if (n > sizeof(buf_)) {
            return RAND_bytes(out, static_cast<int>(n)) == 1;
        }
        if (left_ < n) {
            if (RAND_bytes(buf_, sizeof(buf_)) != 1) {
                return false;
            }
            left_ = sizeof(buf_);
        }
        unsigned char* p = buf_ + sizeof(buf_) - left_;
        std::memcpy(out, p, n);
        std::memset(p, 0, n);  // used bytes are not left lying around
        left_ -= n;
        return true;
    }

private:
    unsigned char buf_[4096];
    std::size_t left_ = 0;
};

}  // namespace

bool make_request_id(char* out) {
    static constexpr char hex[] = "0123456789abcdef";
    static thread_local random_pool pool;
    unsigned char raw[16];
    if (!pool.take(raw, sizeof(raw))) {
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
