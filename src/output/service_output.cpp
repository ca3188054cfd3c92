#include "portkit/output/service_output.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

#include "portkit/output/json_units.hpp"
#include "portkit/output/table.hpp"

namespace portkit {

nlohmann::json tls_facts_json(const TlsFacts& facts) {
  return {{"version", facts.version},
          {"cipher", facts.cipher},
          {"alpn", facts.alpn.empty() ? nlohmann::json(nullptr) : nlohmann::json(facts.alpn)},
          {"subject", printable(facts.subject)},
          {"issuer", printable(facts.issuer)},
          {"subject_alt_names", facts.subject_alt_names},
          {"serial", facts.serial},
          {"not_before", facts.not_before},
          {"not_after", facts.not_after},
          {"days_left", std::round(facts.days_left * 100) / 100},
          {"expired", facts.expired},
          {"self_signed", facts.self_signed},
          {"chain_verified", facts.chain_verified},
          {"verify_error", facts.verify_error.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(facts.verify_error)},
          {"server_name", facts.server_name},
          {"name_matches", facts.name_matches},
          {"chain_length", facts.chain_length}};
}

void add_identity_json(nlohmann::json& out, const ServiceIdentity& identity) {
  const auto& match = identity.match;
  out["service"] = match.name.empty() ? "unknown" : match.name;
  out["service_source"] = "probe";
  const auto text_or_null = [](const std::string& text) {
    return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(printable(text));
  };
  out["product"] = text_or_null(match.product);
  out["version"] = text_or_null(match.version);
  out["extra_info"] = text_or_null(match.info);
  out["tunnel"] = identity.tls ? nlohmann::json("ssl") : nlohmann::json(nullptr);
  out["service_method"] = text_or_null(identity.method);
  out["identify_ms"] = json_ms(identity.elapsed_ms);
  out["tls"] = identity.tls_facts ? tls_facts_json(*identity.tls_facts) : nlohmann::json(nullptr);
  if (!identity.fingerprint.empty()) out["fingerprint"] = identity.fingerprint;
  if (!identity.error.empty()) out["service_error"] = identity.error;
}

std::string identity_product_text(const ServiceIdentity& identity) {
  const auto& match = identity.match;
  std::string text = match.product;
  if (!match.version.empty()) text += (text.empty() ? "" : " ") + match.version;
  if (!match.info.empty()) text += (text.empty() ? "" : " ") + ("(" + match.info + ")");
  return printable(text);
}

std::string utc_date(std::int64_t epoch_seconds) {
  const auto seconds = static_cast<std::time_t>(epoch_seconds);
  std::tm parts{};
  if (::gmtime_r(&seconds, &parts) == nullptr) return "?";
  return fmt::format("{:04}-{:02}-{:02}", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday);
}

std::string tls_summary(const TlsFacts& facts) {
  const auto days = static_cast<long>(std::floor(facts.days_left));
  return fmt::format(
      "{}, {} {} ({}){}", facts.version, facts.expired ? "expired" : "expires",
      utc_date(facts.not_after),
      facts.expired ? fmt::format("{} days ago", -days) : fmt::format("{} days left", days),
      facts.self_signed ? ", self-signed" : "");
}

std::vector<std::string> identity_notes(const ServiceIdentity& identity) {
  std::vector<std::string> notes;
  const auto label = identity_label(identity);
  if (const auto product = identity_product_text(identity); !product.empty()) {
    notes.push_back(label + ": " + product);
  } else if (!identity.fingerprint.empty()) {
    notes.push_back("unrecognised reply: " + identity.fingerprint);
  }
  if (const auto& facts = identity.tls_facts) {
    notes.push_back(fmt::format("TLS: {} {}{}", facts->version, facts->cipher,
                                facts->alpn.empty() ? "" : ", ALPN " + facts->alpn));
    notes.push_back("certificate: " + printable(facts->subject) + "; issuer " +
                    printable(facts->issuer));
    if (!facts->subject_alt_names.empty()) {
      std::string names;
      for (const auto& name : facts->subject_alt_names) {
        names += (names.empty() ? "" : ", ") + printable(name);
      }
      notes.push_back("names: " + names);
    }
    const auto days = static_cast<long>(std::floor(facts->days_left));
    notes.push_back(fmt::format(
        "valid {} to {} ({}){}{}", utc_date(facts->not_before), utc_date(facts->not_after),
        facts->expired ? fmt::format("expired {} days ago", -days)
                       : fmt::format("{} days left", days),
        facts->self_signed ? ", self-signed" : "",
        facts->chain_verified ? ", chain verified"
                              : ", chain not verified: " + facts->verify_error));
    notes.push_back(fmt::format("name {} {}", facts->server_name,
                                facts->name_matches ? "matches" : "does not match"));
  }
  if (!identity.error.empty()) notes.push_back(identity.error);
  return notes;
}

}  // namespace portkit
