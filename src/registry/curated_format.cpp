#include "registry/curated_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/text_util.hpp"

namespace portkit {
namespace {

using nlohmann::json;

// Thrown only inside this file; parse_curated turns it into an Error value.
struct CuratedError {
  std::string message;
};

std::string entry_label(const json& item, std::size_t index) {
  if (item.is_object() && item.contains("name") && item["name"].is_string()) {
    return "entry '" + item["name"].get<std::string>() + "'";
  }
  return "entry #" + std::to_string(index + 1);
}

std::string required_text(const json& item, const char* key, const std::string& label) {
  if (!item.contains(key) || !item[key].is_string() || item[key].get<std::string>().empty()) {
    throw CuratedError{label + ": '" + key + "' must be a non-empty string"};
  }
  return item[key].get<std::string>();
}

std::vector<std::string> string_list(const json& item, const char* key, const std::string& label) {
  std::vector<std::string> values;
  if (!item.contains(key)) return values;
  if (!item[key].is_array()) throw CuratedError{label + ": '" + key + "' must be a list"};
  for (const auto& value : item[key]) {
    if (!value.is_string() || value.get<std::string>().empty()) {
      throw CuratedError{label + ": '" + key + "' must hold non-empty strings"};
    }
    values.push_back(value.get<std::string>());
  }
  return values;
}

std::uint16_t port_field(const json& item, const char* key, const std::string& label) {
  if (!item[key].is_number_unsigned() || item[key].get<std::uint64_t>() > 65535) {
    throw CuratedError{label + ": '" + key + "' must be a port number 0-65535"};
  }
  return static_cast<std::uint16_t>(item[key].get<std::uint64_t>());
}

CuratedSource parse_port_entry(const json& item, std::size_t index) {
  const auto label = entry_label(item, index);
  if (!item.is_object()) throw CuratedError{label + ": must be an object"};
  CuratedSource entry;
  if (item.contains("port")) {
    entry.ports.low = entry.ports.high = port_field(item, "port", label);
  } else if (item.contains("port_low") && item.contains("port_high")) {
    entry.ports = {port_field(item, "port_low", label), port_field(item, "port_high", label)};
    if (entry.ports.low > entry.ports.high) throw CuratedError{label + ": port_low > port_high"};
  } else {
    throw CuratedError{label + ": needs 'port' or 'port_low' and 'port_high'"};
  }
  for (const auto& name : string_list(item, "protocols", label)) {
    const auto proto = parse_proto(name);
    if (!proto) throw CuratedError{fmt::format("{}: protocol '{}' is not tcp or udp", label, name)};
    entry.protocols |= proto_bit(*proto);
  }
  if (entry.protocols == 0) throw CuratedError{label + ": 'protocols' must list tcp and/or udp"};
  entry.name = required_text(item, "name", label);
  entry.aliases = string_list(item, "aliases", label);
  entry.description = required_text(item, "description", label);
  entry.category = required_text(item, "category", label);
  entry.devops_note = required_text(item, "devops_note", label);
  entry.exposure_advice = required_text(item, "exposure_advice", label);
  if (item.contains("rank")) entry.rank = port_field(item, "rank", label);
  return entry;
}

PortlessSource parse_portless_entry(const json& item, std::size_t index) {
  const auto label = entry_label(item, index);
  if (!item.is_object()) throw CuratedError{label + ": must be an object"};
  PortlessSource entry;
  entry.name = required_text(item, "name", label);
  entry.aliases = string_list(item, "aliases", label);
  if (!item.contains("ip_protocol") || !item["ip_protocol"].is_number_unsigned() ||
      item["ip_protocol"].get<std::uint64_t>() > 255) {
    throw CuratedError{label + ": 'ip_protocol' must be a number 0-255"};
  }
  entry.ip_protocol = static_cast<std::uint8_t>(item["ip_protocol"].get<std::uint64_t>());
  entry.description = required_text(item, "description", label);
  entry.devops_note = required_text(item, "devops_note", label);
  return entry;
}

ConceptSource parse_concept(const json& item, std::size_t index) {
  const auto label = "concept #" + std::to_string(index + 1);
  if (!item.is_object()) throw CuratedError{label + ": must be an object"};
  ConceptSource concept_entry;
  concept_entry.id = required_text(item, "id", label);
  concept_entry.question = required_text(item, "question", label);
  concept_entry.answer = required_text(item, "answer", label);
  concept_entry.wrong = string_list(item, "wrong", label);
  if (concept_entry.wrong.size() != 3) throw CuratedError{label + ": 'wrong' needs three answers"};
  for (const auto& wrong : concept_entry.wrong) {
    if (wrong == concept_entry.answer) throw CuratedError{label + ": a wrong answer is the answer"};
  }
  concept_entry.explanation = required_text(item, "explanation", label);
  return concept_entry;
}

// A name or alias must not shadow another entry or a category: `lookup mail` has to find the
// mail category, not the one entry that happens to carry "mail" as an alias.
void check_names(const CuratedDocument& document) {
  std::set<std::string> categories;
  for (const auto& entry : document.ports) categories.insert(to_lower(entry.category));
  std::set<std::string> names;
  const auto claim = [&](const std::string& name, const std::string& owner) {
    const auto key = to_lower(name);
    if (categories.count(key)) {
      throw CuratedError{"entry '" + owner + "': name '" + name + "' is also a category"};
    }
    if (!names.insert(key).second) {
      throw CuratedError{"entry '" + owner + "': name '" + name + "' is used twice"};
    }
  };
  for (const auto& entry : document.ports) {
    claim(entry.name, entry.name);
    for (const auto& alias : entry.aliases) claim(alias, entry.name);
  }
  for (const auto& entry : document.portless) {
    claim(entry.name, entry.name);
    for (const auto& alias : entry.aliases) claim(alias, entry.name);
  }
}

}  // namespace

Result<CuratedDocument> parse_curated(std::string_view json_text) {
  const auto document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return make_error("curated data is not valid JSON");
  if (!document.is_object() || !document.contains("ports") || !document["ports"].is_array()) {
    return make_error("curated data needs a 'ports' list");
  }
  CuratedDocument result;
  try {
    const auto& ports = document["ports"];
    for (std::size_t i = 0; i < ports.size(); ++i) {
      result.ports.push_back(parse_port_entry(ports[i], i));
    }
    if (document.contains("portless")) {
      const auto& portless = document["portless"];
      if (!portless.is_array()) return make_error("curated data: 'portless' must be a list");
      for (std::size_t i = 0; i < portless.size(); ++i) {
        result.portless.push_back(parse_portless_entry(portless[i], i));
      }
    }
    if (document.contains("concepts")) {
      const auto& concepts = document["concepts"];
      if (!concepts.is_array()) return make_error("curated data: 'concepts' must be a list");
      for (std::size_t i = 0; i < concepts.size(); ++i) {
        result.concepts.push_back(parse_concept(concepts[i], i));
      }
    }
    check_names(result);
  } catch (const CuratedError& error) {
    return make_error(error.message);
  } catch (const nlohmann::json::exception& error) {
    return make_error(std::string("curated data: ") + error.what());
  }
  return result;
}

}  // namespace portkit
