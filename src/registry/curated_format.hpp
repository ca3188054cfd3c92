#pragma once
// The curated knowledge base source (data/curated.json), read by the build-time generator.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "portkit/base/port_range.hpp"
#include "portkit/base/proto.hpp"
#include "portkit/base/result.hpp"

namespace portkit {

struct CuratedSource {
  PortRange ports;
  ProtoMask protocols = 0;
  std::string name;
  std::vector<std::string> aliases;
  std::string description;
  std::string category;
  std::string devops_note;
  std::string exposure_advice;
  std::uint16_t rank = 0;  // our own "most commonly open" order, 0 = unranked
};

struct PortlessSource {
  std::string name;
  std::vector<std::string> aliases;
  std::uint8_t ip_protocol = 0;
  std::string description;
  std::string devops_note;
};

// A networking idea the quiz asks about (what a socket is, closed vs filtered, ...).
struct ConceptSource {
  std::string id;
  std::string question;
  std::string answer;
  std::vector<std::string> wrong;  // exactly three plausible wrong answers
  std::string explanation;
};

struct CuratedDocument {
  std::vector<CuratedSource> ports;
  std::vector<PortlessSource> portless;
  std::vector<ConceptSource> concepts;
};

Result<CuratedDocument> parse_curated(std::string_view json_text);

}  // namespace portkit
