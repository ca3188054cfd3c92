// Build-time generator: data/curated.json + a services(5) file -> registry_data.cpp,
// so the binary carries the whole registry and needs no data file at run time.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "registry/curated_format.hpp"
#include "registry/services_format.hpp"

namespace {

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  ok = static_cast<bool>(in) || in.eof();
  return buffer.str();
}

// A C++ string literal; octal escapes cannot run into the next character as \x can.
std::string literal(std::string_view text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '?') {
      out += "\\?";  // no trigraphs
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\{:03o}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// All strings in one blob, each stored once; records refer to them by offset and length.
class TextBlob {
 public:
  std::string ref(std::string_view text) {
    auto [it, inserted] = offsets_.emplace(std::string(text), blob_.size());
    if (inserted) blob_ += text;
    return fmt::format("{{{}, {}}}", it->second, text.size());
  }
  [[nodiscard]] std::string definition() const {
    std::string out = "const char kText[] =\n";
    for (std::size_t pos = 0; pos < blob_.size(); pos += 100) {
      out += "    " + literal(std::string_view(blob_).substr(pos, 100)) + "\n";
    }
    return out + "    \"\";\n";
  }

 private:
  std::string blob_;
  std::map<std::string, std::size_t> offsets_;
};

struct NameRow {
  std::string lower_name;
  std::size_t index;
  bool operator<(const NameRow& other) const {
    return std::tie(lower_name, index) < std::tie(other.lower_name, other.index);
  }
};

class AliasTable {
 public:
  // "begin, count" of the aliases appended to the table.
  std::string add(TextBlob& blob, const std::vector<std::string>& aliases) {
    const auto begin = count_;
    for (const auto& alias : aliases) {
      rows_ += "    " + blob.ref(alias) + ",\n";
      ++count_;
    }
    return fmt::format("{}, {}", begin, aliases.size());
  }
  [[nodiscard]] std::string definition() const {
    return "const TextRef kAliases[] = {\n" + rows_ + "    {0, 0}};\n";
  }

 private:
  std::string rows_;
  std::size_t count_ = 0;
};

std::string table(const char* type, const char* name, const std::string& rows) {
  return fmt::format("const {} {}[] = {{\n{}}};\n", type, name, rows);
}

std::string name_index(TextBlob& blob, std::vector<NameRow> rows) {
  std::sort(rows.begin(), rows.end());
  std::string out;
  for (const auto& row : rows)
    out += fmt::format("    {{{}, {}}},\n", blob.ref(row.lower_name), row.index);
  return out;
}

int generate(const portkit::CuratedDocument& curated, std::vector<portkit::ServiceLine> iana,
             const std::string& output_path) {
  std::stable_sort(iana.begin(), iana.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ports.low, a.ports.high, a.name) <
           std::tie(b.ports.low, b.ports.high, b.name);
  });
  TextBlob blob;
  AliasTable aliases;
  std::string curated_rows;
  std::vector<NameRow> curated_names;
  for (std::size_t i = 0; i < curated.ports.size(); ++i) {
    const auto& entry = curated.ports[i];
    curated_rows += fmt::format("    {{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}}},\n",
                                entry.ports.low, entry.ports.high, entry.protocols, entry.rank,
                                blob.ref(entry.name), aliases.add(blob, entry.aliases),
                                blob.ref(entry.description), blob.ref(entry.category),
                                blob.ref(entry.devops_note), blob.ref(entry.exposure_advice));
    curated_names.push_back({lower(entry.name), i});
    for (const auto& alias : entry.aliases) curated_names.push_back({lower(alias), i});
  }
  std::string portless_rows;
  for (const auto& entry : curated.portless) {
    portless_rows += fmt::format("    {{{}, {}, {}, {}, {}}},\n", blob.ref(entry.name),
                                 aliases.add(blob, entry.aliases), entry.ip_protocol,
                                 blob.ref(entry.description), blob.ref(entry.devops_note));
  }
  std::string concept_rows;
  for (const auto& concept_entry : curated.concepts) {
    concept_rows +=
        fmt::format("    {{{}, {}, {}, {{{}, {}, {}}}, {}}},\n", blob.ref(concept_entry.id),
                    blob.ref(concept_entry.question), blob.ref(concept_entry.answer),
                    blob.ref(concept_entry.wrong[0]), blob.ref(concept_entry.wrong[1]),
                    blob.ref(concept_entry.wrong[2]), blob.ref(concept_entry.explanation));
  }
  std::string iana_rows;
  std::string ranged_rows;
  std::size_t ranged_count = 0;
  std::vector<NameRow> iana_names;
  for (std::size_t i = 0; i < iana.size(); ++i) {
    const auto& entry = iana[i];
    iana_rows += fmt::format("    {{{}, {}, {}, {}, {}}},\n", entry.ports.low, entry.ports.high,
                             entry.protocols, blob.ref(entry.name), blob.ref(entry.description));
    if (entry.ports.low != entry.ports.high) {
      ranged_rows += fmt::format("{}, ", i);
      ++ranged_count;
    }
    iana_names.push_back({lower(entry.name), i});
    for (const auto& alias : entry.aliases) iana_names.push_back({lower(alias), i});
  }
  const auto curated_name_rows = name_index(blob, curated_names);
  const auto iana_name_rows = name_index(blob, iana_names);

  std::string out =
      "// Generated by tools/gen_registry.cpp. Do not edit.\n"
      "#include \"registry/registry_data.hpp\"\n\n"
      "namespace portkit::registry_data {\n\n";
  out += blob.definition();
  out += aliases.definition();
  out += table("CuratedRecord", "kCurated", curated_rows);
  out += table("PortlessRecord", "kPortless", portless_rows);
  out += table("ConceptRecord", "kConcepts", concept_rows);
  out += table("IanaRecord", "kIana", iana_rows);
  out += fmt::format("const std::uint16_t kIanaRanged[] = {{{}0}};\n", ranged_rows);
  out += table("NameIndexRecord", "kCuratedNames", curated_name_rows);
  out += table("NameIndexRecord", "kIanaNames", iana_name_rows);
  out += fmt::format("const std::size_t kCuratedCount = {};\n", curated.ports.size());
  out += fmt::format("const std::size_t kPortlessCount = {};\n", curated.portless.size());
  out += fmt::format("const std::size_t kConceptCount = {};\n", curated.concepts.size());
  out += fmt::format("const std::size_t kIanaCount = {};\n", iana.size());
  out += fmt::format("const std::size_t kCuratedNameCount = {};\n", curated_names.size());
  out += fmt::format("const std::size_t kIanaNameCount = {};\n", iana_names.size());
  out += fmt::format("const std::size_t kIanaRangedCount = {};\n", ranged_count);
  out += "\n}  // namespace portkit::registry_data\n";

  const auto temporary = output_path + ".tmp";
  std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
  file << out;
  file.close();
  if (!file || std::rename(temporary.c_str(), output_path.c_str()) != 0) {
    fmt::print(stderr, "gen_registry: cannot write {}\n", output_path);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  if (!args.count("--curated") || !args.count("--services") || !args.count("--output")) {
    fmt::print(stderr, "usage: gen_registry --curated FILE --services FILE --output FILE\n");
    return 2;
  }
  bool ok = false;
  const auto curated_text = read_file(args["--curated"], ok);
  if (!ok) return fmt::print(stderr, "gen_registry: cannot read {}\n", args["--curated"]), 1;
  auto curated = portkit::parse_curated(curated_text);
  if (!curated) {
    fmt::print(stderr, "gen_registry: {}: {}\n", args["--curated"], curated.error().message);
    return 1;
  }
  const auto services_text = read_file(args["--services"], ok);
  if (!ok) return fmt::print(stderr, "gen_registry: cannot read {}\n", args["--services"]), 1;
  auto services = portkit::parse_services(services_text);
  if (!services) {
    fmt::print(stderr, "gen_registry: {}: {}\n", args["--services"], services.error().message);
    return 1;
  }
  return generate(*curated, std::move(services).value(), args["--output"]);
}
