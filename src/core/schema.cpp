#include "aigw/schema.hpp"

namespace aigw {

namespace {
std::string tagged(std::string_view prefix, std::string_view tag) {
    std::string out(prefix);
    out += '{';
    out += tag;
    out += '}';
    return out;
}
}  // namespace

std::string key_hash_key(std::string_view sha_hex) {
    return tagged("aigw:key:", sha_hex);
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

std::string group_hash_key(std::string_view name) {
    return tagged("aigw:group:", name);
}

std::string_view group_set() {
    return "aigw:groups";
}

std::string key_lease_key(std::string_view sha_hex) {
    return tagged("aigw:lease:", sha_hex);
}

std::string group_lease_key(std::string_view name) {
    return tagged("aigw:lease:group:", name);
}

std::string price_key(std::string_view model) {
    return tagged("aigw:price:", model);
}

std::string_view usage_stream() {
    return "aigw:usage";
}

std::string_view alerts_channel() {
    return "aigw:alerts";
}

std::string task_hash_key(std::string_view id) {
    return tagged("aigw:task:", id);
}

std::string account_tasks_key(std::string_view account) {
    return tagged("aigw:tasks:", account);
}

std::string_view pending_tasks_key() {
    return "aigw:tasks:pending";
}

}  // namespace aigw
