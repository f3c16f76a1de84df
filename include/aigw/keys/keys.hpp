// Client API keys: every part, for files that use them all.
#pragma once

#include "aigw/keys/cidr.hpp"
#include "aigw/keys/key_record.hpp"
#include "aigw/keys/key_text.hpp"
