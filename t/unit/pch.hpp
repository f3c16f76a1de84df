// The standard headers most unit tests include, read before each test's own source (the
// Makefile's -include): it compiles them once, with the tests' flags, into a precompiled header
// in the build directory, which the compiler reads in their place. Not cmocka.h: a test
// includes it last, as its fail() and skip() macros break C++ headers read after them; not
// simdjson.h: four tests include it, and loading it precompiled costs the others more than it
// saves those.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
