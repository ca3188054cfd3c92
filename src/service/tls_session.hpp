#pragma once
// A TLS client session over a connected Asio socket, driven by the event loop: OpenSSL reads
// and writes the non-blocking descriptor itself and says which readiness it waits for.
#include <asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "portkit/service/service_identity.hpp"

struct ssl_st;  // OpenSSL's SSL, declared at global scope as OpenSSL does

namespace portkit::service {

struct TlsLibrary;

// What the client offers: ALPN h2 and http/1.1 (the default), http/1.1 alone, or only TLS 1.0
// and 1.1 at security level 0 (does the server still accept them?).
enum class TlsOffer : std::uint8_t { h2_and_http1, http1, legacy_only };

class TlsSession : public std::enable_shared_from_this<TlsSession> {
 public:
  using Done = std::function<void(bool ok, std::string error)>;
  using Received = std::function<void(std::string_view bytes, bool closed)>;

  // `server_name` goes out as SNI when it is a name, and is what the certificate is checked
  // against.
  static std::shared_ptr<TlsSession> create(asio::ip::tcp::socket socket,
                                            const std::string& server_name, TlsOffer offer,
                                            std::string* error);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  void handshake(Done done);
  void write(std::string bytes, Done done);
  // Calls `received` with each piece that arrives until closed or close() is called.
  void read(Received received);
  void close();

  // The facts of the finished handshake.
  [[nodiscard]] TlsFacts facts() const;

 private:
  TlsSession(asio::ip::tcp::socket socket, const TlsLibrary& library);
  void drive(std::function<int()> step, std::function<void(int result, int error)> then);

  asio::ip::tcp::socket socket_;
  const TlsLibrary& lib_;
  ::ssl_st* ssl_ = nullptr;
  std::string server_name_;
  std::string pending_write_;
  bool closed_ = false;
};

}  // namespace portkit::service
