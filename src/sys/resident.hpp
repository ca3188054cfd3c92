#pragma once
// The resident set of a long-running process (the forwarder).
#include <cstddef>
#include <string_view>
#include <vector>

namespace portkit::sys {

struct AddressRange {
  std::size_t start = 0;
  std::size_t end = 0;
  bool operator==(const AddressRange&) const = default;
};

// From /proc/self/smaps text: the read-only, private, file-backed mappings (code, constants)
// that hold no anonymous page. Only their pages can be dropped and read back from the file
// unchanged; a mapping the loader relocated (RELRO) holds anonymous copies and is left alone.
std::vector<AddressRange> droppable_file_mappings(std::string_view smaps_text);

// After start-up (command-line parsing, config loading, every subcommand's static set-up),
// unmaps this process's droppable file pages: what becomes resident again is what the serving
// loop touches. The pages stay in the page cache; nothing is lost. Returns the bytes advised.
std::size_t drop_startup_pages();

}  // namespace portkit::sys
