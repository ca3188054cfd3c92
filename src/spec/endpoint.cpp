#include "portkit/spec.hpp"
#include "spec/spec_internal.hpp"
#include "text_util.hpp"

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
  if (trim_spaces(text).empty()) return make_error("empty endpoint");
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
  auto port = parse_single_port(parts->port, {.allow_zero = false, .name_proto = proto});
  if (!port) return port.error();
  return Endpoint{std::move(host).value(), port->port, proto, suffix_proto.has_value()};
}

}  // namespace portkit
