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

class Table {
 public:
  explicit Table(std::vector<std::string> headers = {}) : headers_(std::move(headers)) {}
  void add_row(std::vector<std::string> cells, std::vector<Tone> tones = {}) {
    rows_.push_back({std::move(cells), std::move(tones), {}});
  }
  // A free line under the last row (a banner, a hint), indented, outside the columns.
  void add_note(std::string note) {
    if (!rows_.empty()) rows_.back().note = std::move(note);
  }
  [[nodiscard]] bool empty() const { return rows_.empty(); }
  // Columns padded to their widest cell; the last column is never padded.
  [[nodiscard]] std::string render(Style style, std::string_view indent = "") const;

 private:
  std::vector<std::string> headers_;
  struct Row {
    std::vector<std::string> cells;
    std::vector<Tone> tones;  // per cell; missing means plain
    std::string note;
  };
  std::vector<Row> rows_;
};

}  // namespace portkit
