#pragma once
// Inputs that toml++ 3.3 (Debian 12) cannot be trusted with, refused before it sees them.
#include <string_view>

#include "portkit/base/result.hpp"

namespace portkit {

Result<bool> refuse_toml_parser_traps(std::string_view text, std::string_view file_name);

}  // namespace portkit
