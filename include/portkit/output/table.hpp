#pragma once
// Aligned text tables and terminal styling (colour only when the caller says so).
#include <string>
#include <string_view>
#include <vector>

namespace portkit {

struct Style {
  bool color = false;
};

enum class Tone : unsigned char { plain, bold, dim, good, warn, bad, accent };
std::string styled(std::string_view text, Tone tone, Style style);

// Text to print on a terminal as one line: control bytes (a newline, an escape sequence, BEL)
// from a file, an argument or /proc become \xNN; printable ASCII and UTF-8 stay as they are.
bool has_control_bytes(std::string_view text);
std::string printable(std::string_view text);

class Table {
 public:
  explicit Table(std::vector<std::string> headers = {}) : headers_(std::move(headers)) {}
  // Cells and notes are made printable (control bytes become \xNN): they quote process names,
  // banners and files, which may hold anything.
  void add_row(std::vector<std::string> cells, std::vector<Tone> tones = {});
  // A free line under the last row (a banner, a hint), indented, outside the columns.
  void add_note(std::string_view note);
  [[nodiscard]] bool empty() const { return rows_.empty(); }
  // Columns padded to their widest cell; the last column is never padded.
  [[nodiscard]] std::string render(Style style, std::string_view indent = "") const;

 private:
  std::vector<std::string> headers_;
  struct Row {
    std::vector<std::string> cells;
    std::vector<Tone> tones;         // per cell; missing means plain
    std::vector<std::string> notes;  // each on a line of its own under the row
  };
  std::vector<Row> rows_;
};

}  // namespace portkit
