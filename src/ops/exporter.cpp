// The exporter's HTTP side: civetweb threads answer /metrics from a cached collection.
#include "portkit/exporter.hpp"

#include <civetweb.h>
#include <fmt/format.h>

#include <cstring>
#include <mutex>

namespace portkit {

struct Exporter::State {
  ExporterOptions options;
  mg_context* context = nullptr;
  std::uint16_t port = 0;
  std::mutex mutex;  // one collection at a time; concurrent scrapes share it
  std::chrono::steady_clock::time_point collected_at{};
  std::string body;
  std::uint64_t collections = 0;
  OwnerCache owners;
};

namespace {

constexpr std::string_view kIndex =
    "<html><head><title>portkit exporter</title></head><body><h1>portkit exporter</h1>"
    "<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

void send(mg_connection* connection, int status, std::string_view reason,
          std::string_view content_type, std::string_view body, bool head_only) {
  mg_printf(connection,
            "HTTP/1.1 %d %.*s\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\n\r\n",
            status, static_cast<int>(reason.size()), reason.data(),
            static_cast<int>(content_type.size()), content_type.data(), body.size());
  if (!head_only) mg_write(connection, body.data(), body.size());
}

int handle_request(mg_connection* connection, void* data) {
  auto* exporter = static_cast<Exporter*>(data);
  const auto* request = mg_get_request_info(connection);
  const std::string_view method = request->request_method ? request->request_method : "";
  const std::string_view uri = request->local_uri ? request->local_uri : "";
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    send(connection, 405, "Method Not Allowed", "text/plain", "read-only: GET /metrics\n", false);
    return 405;
  }
  if (uri == "/") {
    send(connection, 200, "OK", "text/html", kIndex, head_only);
    return 200;
  }
  if (uri != "/metrics") {
    send(connection, 404, "Not Found", "text/plain", "not found: try /metrics\n", head_only);
    return 404;
  }
  const auto body = exporter->scrape();
  if (!body) {
    send(connection, 500, "Internal Server Error", "text/plain", body.error().message + "\n",
         head_only);
    return 500;
  }
  send(connection, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", *body, head_only);
  return 200;
}

// civetweb logs to stderr through this; silence it (the CLI reports what matters).
int ignore_log(const mg_connection*, const char*) {
  return 1;
}

}  // namespace

Exporter::Exporter(std::unique_ptr<State> state) : state_(std::move(state)) {}

Exporter::~Exporter() {
  if (state_ && state_->context) mg_stop(state_->context);
}

std::uint16_t Exporter::port() const {
  return state_->port;
}

Result<std::string> Exporter::scrape() {
  std::lock_guard lock(state_->mutex);
  const auto now = std::chrono::steady_clock::now();
  if (!state_->body.empty() && now - state_->collected_at < state_->options.min_interval)
    return state_->body;
  auto body = collect_metrics(state_->options, state_->collections + 1, &state_->owners);
  if (!body) return body;
  ++state_->collections;
  state_->body = std::move(body).value();
  state_->collected_at = std::chrono::steady_clock::now();
  return state_->body;
}

Result<std::unique_ptr<Exporter>> Exporter::start(const ExporterOptions& options) {
  static std::once_flag library_ready;
  std::call_once(library_ready, [] { mg_init_library(0); });
  const auto& host = options.listen.host;
  constexpr unsigned kCivetwebIpv6 = 8;
  if (host.kind == HostKind::ipv6 && !mg_check_feature(kCivetwebIpv6)) {
    return make_error("cannot listen on [" + host.text +
                      "]: the system's civetweb library was built without IPv6; give an IPv4 "
                      "address (a forward rule can carry IPv6 to it)");
  }
  auto state = std::make_unique<State>();
  state->options = options;
  const std::string listening = host.kind == HostKind::ipv6
                                    ? fmt::format("[{}]:{}", host.text, options.listen.port)
                                    : fmt::format("{}:{}", host.text, options.listen.port);
  const char* settings[] = {
      "listening_ports", listening.c_str(),   "num_threads", "4",    "request_timeout_ms",
      "10000",           "enable_keep_alive", "yes",         nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = ignore_log;
  std::unique_ptr<Exporter> exporter(new Exporter(std::move(state)));
  char error_text[256] = {};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = nullptr;
  init.configuration_options = settings;
  mg_error_data error{};
  unsigned error_code = 0;
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  exporter->state_->context = mg_start2(&init, &error);
  if (!exporter->state_->context) {
    return make_error(fmt::format("cannot listen on {}: {}", listening,
                                  error_text[0] ? error_text : "civetweb refused to start"),
                      EADDRINUSE);
  }
  mg_set_request_handler(exporter->state_->context, "/", handle_request, exporter.get());
  mg_server_port ports[4] = {};
  const int count = mg_get_server_ports(exporter->state_->context, 4, ports);
  exporter->state_->port = count > 0 ? static_cast<std::uint16_t>(ports[0].port) : 0;
  return exporter;
}

}  // namespace portkit
