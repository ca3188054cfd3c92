// The version and commit, compiled apart from the rest of the CLI: a new commit rebuilds only
// this file.
#include "version.hpp"

namespace portkit::cli {

std::string_view version() {
  return PORTKIT_VERSION;
}
std::string_view commit() {
  return PORTKIT_COMMIT;
}

}  // namespace portkit::cli
