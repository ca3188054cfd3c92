#pragma once
#include <string_view>

namespace portkit::cli {

std::string_view version();  // the project's version, as in CMakeLists.txt
std::string_view commit();   // the git commit built, or "unknown"

}  // namespace portkit::cli
