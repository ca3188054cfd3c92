// HTTP/1.x: a GET for "/" and the status line, headers and the start of the body that come
// back. The Server header names the product; some applications say who they are only in
// their answer (Prometheus redirects to /graph, the Docker API sends Api-Version).
#include <algorithm>
#include <charconv>

#include "service/protocol.hpp"
#include "service/protocols/text_reply.hpp"

namespace portkit::service {
namespace {

constexpr std::uint16_t kHttpPorts[] = {80,   81,   591,  3000, 5601, 8000, 8008, 8080, 8081,
                                        8088, 8888, 9090, 9091, 9093, 9100, 9163, 9200, 15672};
constexpr std::size_t kEnoughBody = 4096;

std::string http_request(const ProbeContext& context) {
  return "GET / HTTP/1.0\r\nHost: " + context.host +
         "\r\nUser-Agent: portkit\r\nAccept: */*\r\nConnection: close\r\n\r\n";
}

// The value of header `name` (case-insensitive), or empty.
std::string_view header(std::string_view headers, std::string_view name) {
  std::size_t at = 0;
  while (at < headers.size()) {
    const auto end = headers.find("\r\n", at);
    const auto line = headers.substr(at, end == std::string_view::npos ? end : end - at);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      auto value = line.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return value;
    }
    if (end == std::string_view::npos) break;
    at = end + 2;
  }
  return {};
}

// "nginx/1.22.1" -> nginx 1.22.1; "Apache/2.4.57 (Debian)" -> Apache httpd 2.4.57 (Debian).
void read_server_header(std::string_view server, ServiceMatch& match) {
  if (server.empty()) return;
  auto product = server.substr(0, server.find_first_of("/ "));
  std::string_view version;
  if (product.size() < server.size() && server[product.size()] == '/') {
    version = server.substr(product.size() + 1);
    version = version.substr(0, version.find(' '));
  }
  if (const auto comment = server.find('('); comment != std::string_view::npos) {
    const auto close = server.find(')', comment);
    match.info = std::string(server.substr(comment + 1, close == std::string_view::npos
                                                            ? std::string_view::npos
                                                            : close - comment - 1));
  }
  match.product = product == "Apache" ? "Apache httpd" : std::string(product);
  match.version = std::string(version);
}

// Applications that say who they are only in their answer.
void read_application(std::string_view headers, std::string_view body, ServiceMatch& match) {
  const auto location = header(headers, "Location");
  if (!header(headers, "Api-Version").empty() || starts_with(header(headers, "Server"), "Docker")) {
    match.name = "docker";
    match.product = "Docker";
    match.version = std::string(header(headers, "Api-Version"));
    match.info = "API";
  } else if (location == "/graph" || location == "/query") {
    match.product = "Prometheus";
  } else if (location == "/login" && contains_word(body, "grafana")) {
    match.product = "Grafana";
  } else if (contains_word(body, "<pre>\n\ns_server ")) {
    match.product = "OpenSSL s_server -www httpd";
  } else if (contains_word(body, "Node Exporter")) {
    match.product = "Prometheus node_exporter";
  } else if (contains_word(body, "\"kind\":\"Status\"") ||
             contains_word(body, "\"kind\": \"Status\"")) {
    match.product = "Kubernetes API server";
  } else if (contains_word(body, "\"cluster_name\"") && contains_word(body, "\"lucene_version\"")) {
    match.name = "http";
    match.product = "Elasticsearch REST API";
  }
}

Reading read_http(std::string_view reply) {
  if (reply.size() < 5) return could_become(reply, "HTTP/") ? incomplete() : mismatch();
  if (!starts_with(reply, "HTTP/")) return mismatch();
  ServiceMatch match{.name = "http"};
  const auto head_end = reply.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return reply.size() > 16384 ? matched(match) : incomplete(match);
  }
  const auto status_line = first_line(reply);
  int status = 0;
  if (status_line.size() >= 12) {
    std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  }
  const auto headers = reply.substr(status_line.size() + 2, head_end - status_line.size());
  const auto body = reply.substr(head_end + 4);
  read_server_header(header(headers, "Server"), match);
  read_application(headers, body, match);
  // nginx and Apache answer plain HTTP on a TLS port with a 400 that says so: the TLS probe's
  // answer is the better one.
  if (status == 400 && (contains_word(body, "HTTPS") || contains_word(body, "SSL"))) {
    match.definitive = false;
  }
  std::size_t content_length = kEnoughBody;
  if (const auto text = header(headers, "Content-Length"); !text.empty()) {
    std::from_chars(text.data(), text.data() + text.size(), content_length);
  }
  if (body.size() >= std::min(content_length, kEnoughBody)) return matched(match);
  return incomplete(match);
}

}  // namespace

const ProtocolProbe& http_probe() {
  static const ProtocolProbe probe{"http", http_request, read_http, kHttpPorts};
  return probe;
}

}  // namespace portkit::service
