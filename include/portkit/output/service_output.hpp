#pragma once
// Renderers for service identities and TLS facts, shared by check, scan and the exporter.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "portkit/service/service_identity.hpp"

namespace portkit {

// Adds the identity to a probe result's JSON: service (identified), service_source "probe",
// product, version, extra_info, tunnel, tls {...}, and service_error when it stopped short.
void add_identity_json(nlohmann::json& out, const ServiceIdentity& identity);
nlohmann::json tls_facts_json(const TlsFacts& facts);

// "Redis key-value store 7.0.15 (authentication required)"; empty when nothing is known.
std::string identity_product_text(const ServiceIdentity& identity);
// Lines for a table's notes: product, then the TLS facts.
std::vector<std::string> identity_notes(const ServiceIdentity& identity);
// One line for a scan's table: "TLSv1.3, expires 2026-12-30 (29 days left), self-signed".
std::string tls_summary(const TlsFacts& facts);
// "2026-12-13" (UTC) for epoch seconds.
std::string utc_date(std::int64_t epoch_seconds);

}  // namespace portkit
