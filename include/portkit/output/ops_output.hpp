#pragma once
// Text and JSON for `free` and `audit`.
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "portkit/audit/audit.hpp"
#include "portkit/free/free_ports.hpp"
#include "portkit/output/table.hpp"

namespace portkit {

std::string render_free(const FreeResult& result);  // one port per line
nlohmann::json free_json(const FreeResult& result, const FreeQuery& query);

// Grouped by severity, highest first; each finding with where, why and how to fix.
std::string render_audit(std::span<const Finding> findings, Style style);
nlohmann::json audit_json(std::span<const Finding> findings, Severity fail_on);
std::string render_audit_rules(Style style);
nlohmann::json audit_rules_json();

}  // namespace portkit
