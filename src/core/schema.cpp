#include "aigw/schema.hpp"

namespace aigw {

std::string key_hash_key(std::string_view sha_hex) {
    std::string out = "aigw:key:{";
    out += sha_hex;
    out += "}";
    return out;
}

std::string key_id_index(std::string_view id) {
    std::string out = "aigw:keyid:";
    out += id;
    return out;
}

std::string_view key_set() {
    return "aigw:keys";
}

std::string_view invalidate_channel() {
    return "aigw:keys:invalidate";
}

}  // namespace aigw
