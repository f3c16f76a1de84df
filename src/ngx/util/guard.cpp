// The boundary helper; see guard.hpp.
#include "ngx/util/guard.hpp"

#include <exception>

namespace aigw::ngx {

const char* current_exception_text() noexcept {
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace aigw::ngx
