#pragma once
// Helpers for the line-based protocols' readers.
#include <string_view>

namespace portkit::service {

// True when `reply` is a proper beginning of `prefix` (more bytes could still make it).
bool could_become(std::string_view reply, std::string_view prefix);
// Case-insensitive search.
bool contains_word(std::string_view text, std::string_view word);
// The run of non-space characters after `marker`, or empty when `marker` is absent.
std::string_view word_after(std::string_view text, std::string_view marker);

}  // namespace portkit::service
