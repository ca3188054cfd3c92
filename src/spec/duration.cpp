#include <array>
#include <utility>

#include "base/text_util.hpp"
#include "portkit/spec/spec.hpp"

namespace portkit {
namespace {

using Nanos = std::int64_t;
constexpr Nanos kMaxNanos = Nanos{1} << 62;  // about 146 years: far beyond any timeout

constexpr std::array<std::pair<std::string_view, Nanos>, 5> kUnits{{
    {"us", 1'000},
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

std::optional<Nanos> unit_nanos(std::string_view unit) {
  for (const auto& [name, nanos] : kUnits) {
    if (name == unit) return nanos;
  }
  return std::nullopt;
}

bool is_number_char(char c) {
  return is_ascii_digit(c) || c == '.';
}

// "1.25" in `unit` nanoseconds, exact up to nanoseconds, or nothing on overflow.
std::optional<Nanos> scaled(std::string_view number, Nanos unit) {
  const auto dot = number.find('.');
  const auto whole_text = number.substr(0, dot);
  auto fraction_text = dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  const auto whole =
      whole_text.empty() ? std::optional<std::uint64_t>{0} : parse_decimal(whole_text);
  if (!whole || *whole > static_cast<std::uint64_t>(kMaxNanos / unit)) return std::nullopt;
  Nanos total = static_cast<Nanos>(*whole) * unit;
  if (fraction_text.size() > 9) fraction_text = fraction_text.substr(0, 9);  // below a nanosecond
  if (!fraction_text.empty()) {
    Nanos scale = 1;
    for (std::size_t i = 0; i < fraction_text.size(); ++i) scale *= 10;
    const auto fraction = static_cast<Nanos>(*parse_decimal(fraction_text));
    // unit <= 3.6e12 and fraction < 1e9 would overflow as a product: divide first.
    total += (unit / scale) * fraction + (unit % scale) * fraction / scale;
  }
  if (total > kMaxNanos) return std::nullopt;
  return total;
}

bool valid_number(std::string_view number) {
  const auto dot = number.find('.');
  if (dot != number.rfind('.')) return false;
  if (dot == std::string_view::npos) return all_digits(number);
  const auto whole = number.substr(0, dot);
  const auto fraction = number.substr(dot + 1);
  return (whole.empty() || all_digits(whole)) && (fraction.empty() || all_digits(fraction)) &&
         !(whole.empty() && fraction.empty());
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  if (trim_spaces(text).empty()) return make_error("empty duration");
  if (text.front() == '-') return make_error("duration " + single_quoted(text) + " is negative");
  if (text.front() == '+') text.remove_prefix(1);
  Nanos total = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto number_end = pos;
    while (number_end < text.size() && is_number_char(text[number_end])) ++number_end;
    const auto number = text.substr(pos, number_end - pos);
    auto unit_end = number_end;
    while (unit_end < text.size() && !is_number_char(text[unit_end])) ++unit_end;
    const auto unit = text.substr(number_end, unit_end - number_end);
    if (number.empty()) {
      return make_error("duration " + single_quoted(text) + " has no number before " +
                        single_quoted(unit));
    }
    if (!valid_number(number)) {
      return make_error("invalid number " + single_quoted(number) + " in duration " +
                        single_quoted(text));
    }
    Nanos unit_size = 1'000'000'000;
    if (unit.empty()) {
      if (pos != 0 || unit_end != text.size()) {
        return make_error("missing unit after " + single_quoted(number) + " in duration " +
                          single_quoted(text));
      }
    } else {
      const auto known = unit_nanos(unit);
      if (!known) {
        return make_error("unknown unit " + single_quoted(unit) + " in duration " +
                          single_quoted(text) + " (use us, ms, s, m or h)");
      }
      unit_size = *known;
    }
    const auto part = scaled(number, unit_size);
    if (!part || total > kMaxNanos - *part) {
      return make_error("duration " + single_quoted(text) + " is too long");
    }
    total += *part;
    pos = unit_end;
  }
  return Duration{total};
}

}  // namespace portkit
