#pragma once
// Units as JSON carries them: times are milliseconds as numbers, to the microsecond.
#include <cmath>

namespace portkit {

inline double json_ms(double milliseconds) {
  return std::round(milliseconds * 1000) / 1000;
}

}  // namespace portkit
