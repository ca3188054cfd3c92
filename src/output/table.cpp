#include "portkit/output/table.hpp"

#include <fmt/color.h>
#include <fmt/format.h>

#include <algorithm>

namespace portkit {

std::string styled(std::string_view text, Tone tone, Style style) {
  if (!style.color || tone == Tone::plain) return std::string(text);
  switch (tone) {
    case Tone::bold:
      return fmt::format(fmt::emphasis::bold, "{}", text);
    case Tone::dim:
      return fmt::format(fmt::emphasis::faint, "{}", text);
    case Tone::good:
      return fmt::format(fg(fmt::terminal_color::green), "{}", text);
    case Tone::warn:
      return fmt::format(fg(fmt::terminal_color::yellow), "{}", text);
    case Tone::bad:
      return fmt::format(fg(fmt::terminal_color::red) | fmt::emphasis::bold, "{}", text);
    case Tone::accent:
      return fmt::format(fg(fmt::terminal_color::cyan), "{}", text);
    case Tone::plain:
      break;
  }
  return std::string(text);
}

bool has_control_bytes(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

std::string printable(std::string_view text) {
  if (!has_control_bytes(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

void Table::add_row(std::vector<std::string> cells, std::vector<Tone> tones) {
  for (auto& cell : cells) {
    if (has_control_bytes(cell)) cell = printable(cell);
  }
  rows_.push_back({std::move(cells), std::move(tones), {}});
}

void Table::add_note(std::string_view note) {
  if (!rows_.empty()) rows_.back().notes.push_back(printable(note));
}

std::string Table::render(Style style, std::string_view indent) const {
  std::size_t columns = headers_.size();
  for (const auto& row : rows_) columns = std::max(columns, row.cells.size());
  std::vector<std::size_t> widths(columns, 0);
  const auto measure = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) widths[i] = std::max(widths[i], cells[i].size());
  };
  measure(headers_);
  for (const auto& row : rows_) measure(row.cells);

  std::string out;
  std::size_t line_width = indent.size() + 8;
  for (const auto width : widths) line_width += width + 2;
  out.reserve(line_width * (rows_.size() + 1));
  const auto emit = [&](const std::vector<std::string>& cells, const auto& tone_of) {
    out += indent;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const auto tone = tone_of(i);
      if (style.color && tone != Tone::plain) {
        out += styled(cells[i], tone, style);
      } else {
        out += cells[i];
      }
      if (i + 1 < cells.size()) out += std::string(widths[i] - cells[i].size() + 2, ' ');
    }
    out += '\n';
  };
  if (!headers_.empty()) emit(headers_, [](std::size_t) { return Tone::bold; });
  for (const auto& row : rows_) {
    emit(row.cells,
         [&](std::size_t i) { return i < row.tones.size() ? row.tones[i] : Tone::plain; });
    for (const auto& note : row.notes) {
      out += std::string(indent) + "    " + styled(note, Tone::dim, style) + "\n";
    }
  }
  return out;
}

}  // namespace portkit
