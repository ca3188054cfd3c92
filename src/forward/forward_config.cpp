// The forward config file, read with toml++ (the only translation unit that includes it:
// the header is large).
#include <fmt/format.h>
#include <toml++/toml.h>

#include <cctype>

#include "base/text_util.hpp"
#include "base/toml_config.hpp"
#include "portkit/forward/forward.hpp"
#include "sys/file.hpp"

namespace portkit {
namespace {

Result<std::string> string_or_integer(std::string_view file, std::string_view key,
                                      const toml::node& node) {
  if (const auto* text = node.as_string()) return std::string(text->get());
  if (const auto* number = node.as_integer()) return std::to_string(number->get());
  return make_error(toml_where(file, node) + std::string(key) + " must be a string or a number");
}

Result<std::vector<std::string>> string_list(std::string_view file, std::string_view key,
                                             const toml::node& node) {
  std::vector<std::string> items;
  if (const auto* array = node.as_array()) {
    for (const auto& element : *array) {
      auto item = string_or_integer(file, key, element);
      if (!item) return item.error();
      items.push_back(std::move(item).value());
    }
    return items;
  }
  auto single = string_or_integer(file, key, node);
  if (!single) return single.error();
  items.push_back(std::move(single).value());
  return items;
}

Result<std::chrono::milliseconds> duration_value(std::string_view file, std::string_view key,
                                                 const toml::node& node) {
  auto text = string_or_integer(file, key, node);
  if (!text) return text.error();
  const auto duration = parse_duration(*text);
  if (!duration)
    return make_error(toml_where(file, node) + std::string(key) + ": " + duration.error().message);
  return std::chrono::ceil<std::chrono::milliseconds>(*duration);
}

Result<std::vector<AddressBlock>> blocks_value(std::string_view file, std::string_view key,
                                               const toml::node& node) {
  auto items = string_list(file, key, node);
  if (!items) return items.error();
  std::vector<AddressBlock> blocks;
  for (const auto& item : *items) {
    auto block = parse_address_block(item);
    if (!block)
      return make_error(toml_where(file, node) + std::string(key) + ": " + block.error().message);
    blocks.push_back(std::move(block).value());
  }
  return blocks;
}

// Applies the RuleSettings keys found in `table`; other keys are left to the caller.
Result<bool> apply_settings(std::string_view file, const toml::table& table,
                            RuleSettings& settings) {
  for (const auto& [key, node] : table) {
    const auto name = key.str();
    if (name == "balance") {
      const auto* text = node.as_string();
      const auto balance = text ? parse_balance(text->get()) : std::nullopt;
      if (!balance) {
        return make_error(toml_where(file, node) +
                          "balance must be \"round-robin\" or \"first-healthy\"");
      }
      settings.balance = *balance;
    } else if (name == "allow" || name == "deny") {
      auto blocks = blocks_value(file, name, node);
      if (!blocks) return blocks.error();
      (name == "allow" ? settings.allow : settings.deny) = std::move(blocks).value();
    } else if (name == "max_conns") {
      const auto* number = node.as_integer();
      if (!number || number->get() < 0) {
        return make_error(toml_where(file, node) +
                          "max_conns must be a number of connections, 0 or more");
      }
      settings.max_conns = static_cast<std::size_t>(number->get());
    } else if (name == "idle_timeout" || name == "connect_timeout") {
      auto duration = duration_value(file, name, node);
      if (!duration) return duration.error();
      if (name == "idle_timeout") {
        settings.idle_timeout = *duration;
      } else if (duration->count() <= 0) {
        return make_error(toml_where(file, node) + "connect_timeout must be more than 0");
      } else {
        settings.connect_timeout = *duration;
      }
    } else if (name == "proxy_protocol") {
      auto text = string_or_integer(file, name, node);
      const auto version = text ? parse_proxy_protocol(*text) : std::nullopt;
      if (!version)
        return make_error(toml_where(file, node) +
                          "proxy_protocol must be \"v1\", \"v2\" or \"none\"");
      settings.proxy = *version;
    }
  }
  return true;
}

bool is_setting(std::string_view key) {
  static constexpr std::array<std::string_view, 7> kSettings{
      "balance", "allow", "deny", "max_conns", "idle_timeout", "connect_timeout", "proxy_protocol"};
  return std::find(kSettings.begin(), kSettings.end(), key) != kSettings.end();
}

Result<ForwardRule> parse_rule_table(std::string_view file, const toml::table& table,
                                     const RuleSettings& defaults) {
  RuleSettings settings = defaults;
  if (auto applied = apply_settings(file, table, settings); !applied) return applied.error();
  const toml::node* listen = nullptr;
  const toml::node* targets = nullptr;
  for (const auto& [key, node] : table) {
    const auto name = key.str();
    if (name == "listen") {
      listen = &node;
    } else if (name == "target" || name == "targets") {
      if (targets)
        return make_error(toml_where(file, node) + "give either target or targets, not both");
      targets = &node;
    } else if (!is_setting(name)) {
      return make_error(toml_where(file, node) + "unknown key '" + std::string(name) +
                        "' in [[rule]]");
    }
  }
  const auto rule_line = fmt::format("{}:{}: ", file, table.source().begin.line);
  if (!listen) return make_error(rule_line + "[[rule]] has no listen key");
  if (!targets) return make_error(rule_line + "[[rule]] has no target or targets key");
  auto listen_text = string_or_integer(file, "listen", *listen);
  if (!listen_text) return listen_text.error();
  auto target_list = string_list(file, "targets", *targets);
  if (!target_list) return target_list.error();
  std::string joined;
  for (const auto& target : *target_list) {
    if (target.find(',') != std::string::npos) {
      return make_error(toml_where(file, *targets) + "one target per string in targets");
    }
    joined += (joined.empty() ? "" : ",") + target;
  }
  auto rule = parse_forward_rule(*listen_text, joined, settings);
  if (!rule) return make_error(toml_where(file, *listen) + rule.error().message);
  return rule;
}

}  // namespace

Result<ForwardConfig> parse_forward_config(std::string_view text, std::string_view file_name,
                                           const RuleSettings& defaults) {
  auto parsed = parse_toml_guarded(text, file_name);
  if (!parsed) return parsed.error();
  const toml::table& root = *parsed;
  ForwardConfig config;
  RuleSettings settings = defaults;
  if (auto applied = apply_settings(file_name, root, settings); !applied) return applied.error();
  for (const auto& [key, node] : root) {
    const auto name = key.str();
    if (name == "drain") {
      auto drain = duration_value(file_name, name, node);
      if (!drain) return drain.error();
      config.drain = *drain;
    } else if (name == "rule") {
      const auto* rules = node.as_array();
      if (!rules)
        return make_error(toml_where(file_name, node) +
                          "rule must be an array of tables ([[rule]])");
      for (const auto& element : *rules) {
        const auto* table = element.as_table();
        if (!table) return make_error(toml_where(file_name, element) + "each rule must be a table");
        auto rule = parse_rule_table(file_name, *table, settings);
        if (!rule) return rule.error();
        config.rules.push_back(std::move(rule).value());
      }
    } else if (!is_setting(name)) {
      return make_error(toml_where(file_name, node) + "unknown key '" + std::string(name) + "'");
    }
  }
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.rules[i].listen_text() == config.rules[j].listen_text()) {
        return make_error(std::string(file_name) + ": two rules listen on " +
                          config.rules[i].listen_text());
      }
    }
  }
  return config;
}

Result<ForwardConfig> read_forward_config(const std::string& path, const RuleSettings& defaults) {
  auto text = sys::read_input_file(path, sys::kMaxConfigBytes);
  if (!text) return text.error();
  return parse_forward_config(*text, path, defaults);
}

}  // namespace portkit
