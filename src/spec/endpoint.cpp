#include "base/text_util.hpp"
#include "portkit/spec/spec.hpp"
#include "spec/spec_internal.hpp"

namespace portkit {
namespace {

struct HostAndPort {
  std::string_view host;
  std::string_view port;
};

Result<HostAndPort> split_host_port(std::string_view text) {
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return make_error("endpoint " + single_quoted(text) + " is missing ']'");
    }
    const auto rest = text.substr(close + 1);
    if (rest.empty() || rest == ":")
      return make_error("endpoint " + single_quoted(text) + " has no port");
    if (rest.front() != ':') return make_error("expected ':' after ']' in " + single_quoted(text));
    return HostAndPort{text.substr(0, close + 1), rest.substr(1)};
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error("endpoint " + single_quoted(text) + " has no port (expected HOST:PORT)");
  }
  if (text.find(':') != colon) {
    const auto before_port = parse_ip_address(text.substr(0, colon));
    const auto whole = parse_ip_address(text);
    if (!(before_port && before_port->is_v6) && whole && whole->is_v6) {
      return make_error("endpoint " + single_quoted(text) + " has no port: an IPv6 address " +
                        "goes in brackets before it, as in '[" + std::string(text) + "]:PORT'");
    }
    const auto suggestion =
        "[" + std::string(text.substr(0, colon)) + "]" + std::string(text.substr(colon));
    return make_error("IPv6 address in " + single_quoted(text) + " needs brackets, as in " +
                      single_quoted(suggestion));
  }
  if (colon == 0) return make_error("endpoint " + single_quoted(text) + " has no host");
  if (colon + 1 == text.size())
    return make_error("endpoint " + single_quoted(text) + " has no port");
  return HostAndPort{text.substr(0, colon), text.substr(colon + 1)};
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view text, Proto default_proto) {
  return parse_endpoint(text, EndpointOptions{.default_proto = default_proto});
}

Result<Endpoint> parse_endpoint(std::string_view text, const EndpointOptions& options) {
  const auto default_proto = options.default_proto;
  if (trim_spaces(text).empty()) return make_error("empty endpoint");
  if (const auto scheme = text.find("://"); scheme != std::string_view::npos) {
    // A URL where HOST:PORT belongs: say what to write instead.
    auto rest = text.substr(scheme + 3);
    rest = rest.substr(0, rest.find('/'));
    const bool has_port = rest.find(':') != std::string_view::npos && rest.back() != ']';
    const auto name = to_lower(text.substr(0, scheme));
    const auto port = has_port ? "" : name == "https" ? ":443" : name == "http" ? ":80" : ":PORT";
    return make_error("endpoint " + single_quoted(text) + " is a URL: give HOST:PORT, as in " +
                      single_quoted(std::string(rest.empty() ? "HOST" : rest) + port));
  }
  // Host names and bracketed IPv6 hold no '/', so the first one starts the suffix.
  auto split = spec_detail::split_proto_suffix(text);
  if (!split) return split.error();
  const auto suffix_proto = split->proto;
  const auto body = split->body;
  if (body.empty()) return make_error("endpoint " + single_quoted(text) + " has no host");
  auto parts = split_host_port(body);
  if (!parts) return parts.error();
  auto host = parse_host(parts->host);
  if (!host) return host.error();
  const auto proto = suffix_proto.value_or(default_proto);
  auto port =
      parse_single_port(parts->port, {.allow_zero = options.allow_zero, .name_proto = proto});
  if (!port) return port.error();
  return Endpoint{std::move(host).value(), port->port, proto, suffix_proto.has_value()};
}

}  // namespace portkit
