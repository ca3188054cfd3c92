// The exporter's HTTP side: an event-driven server answers /metrics from a cached collection.
#include "portkit/exporter/exporter.hpp"

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <mutex>

#include "exporter/http_server.hpp"

namespace portkit {

struct Exporter::State {
  ExporterOptions options;
  std::mutex mutex;  // one collection at a time; concurrent scrapes share it
  std::chrono::steady_clock::time_point collected_at{};
  std::string body;
  std::uint64_t collections = 0;
  OwnerCache owners;
  // Collections run here, off the serving thread, so slow ones (probes) never stall it.
  asio::thread_pool collector{1};
  std::unique_ptr<HttpServer> server;
};

namespace {

constexpr std::string_view kIndex =
    "<html><head><title>portkit exporter</title></head><body><h1>portkit exporter</h1>"
    "<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

void answer(Exporter& exporter, asio::thread_pool& collector, const HttpRequest& request,
            HttpRespond respond) {
  if (request.method != "GET" && request.method != "HEAD") {
    return respond({.status = 405, .body = "read-only: GET /metrics\n"});
  }
  if (request.path == "/") {
    return respond({.status = 200, .content_type = "text/html", .body = std::string(kIndex)});
  }
  if (request.path != "/metrics") {
    return respond({.status = 404, .body = "not found: try /metrics\n"});
  }
  asio::post(collector, [&exporter, respond = std::move(respond)] {
    auto body = exporter.scrape();
    if (!body) return respond({.status = 500, .body = body.error().message + "\n"});
    respond({.status = 200,
             .content_type = "text/plain; version=0.0.4; charset=utf-8",
             .body = std::move(body).value()});
  });
}

}  // namespace

Exporter::Exporter(std::unique_ptr<State> state) : state_(std::move(state)) {}

Exporter::~Exporter() {
  // A collection still running answers through the server: let it finish first.
  state_->collector.join();
  state_->server.reset();
}

std::uint16_t Exporter::port() const {
  return state_->server->port();
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
  asio::error_code error;
  const auto address = asio::ip::make_address(options.listen.host.text, error);
  if (error) return make_error("--listen: '" + options.listen.host.text + "' is not an address");
  auto state = std::make_unique<State>();
  state->options = options;
  std::unique_ptr<Exporter> exporter(new Exporter(std::move(state)));
  auto* self = exporter.get();
  auto server =
      HttpServer::start(asio::ip::tcp::endpoint(address, options.listen.port),
                        [self](const HttpRequest& request, HttpRespond respond) {
                          answer(*self, self->state_->collector, request, std::move(respond));
                        });
  if (!server) return server.error();
  exporter->state_->server = std::move(server).value();
  return exporter;
}

}  // namespace portkit
