#include "service/tls_session.hpp"

#include <arpa/inet.h>

#include <chrono>
#include <ctime>

#include "service/tls_library.hpp"

namespace portkit::service {
namespace {

bool is_address(const std::string& text) {
  in6_addr scratch{};
  return ::inet_pton(AF_INET, text.c_str(), &scratch) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), &scratch) == 1;
}

std::string name_text(const TlsLibrary& lib, const X509_NAME* name) {
  BIO* bio = lib.BIO_new(lib.BIO_s_mem());
  if (bio == nullptr) return {};
  lib.X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const auto length = lib.BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data);
  std::string text =
      length > 0 && data != nullptr ? std::string(data, static_cast<std::size_t>(length)) : "";
  lib.BIO_free(bio);
  return text;
}

std::int64_t epoch_seconds(const TlsLibrary& lib, const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || lib.ASN1_TIME_to_tm(time, &parts) != 1) return 0;
  return static_cast<std::int64_t>(::timegm(&parts));
}

std::vector<std::string> alt_names(const TlsLibrary& lib, X509* cert) {
  std::vector<std::string> names;
  auto* list = static_cast<GENERAL_NAMES*>(
      lib.X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (list == nullptr) return names;
  const int count = lib.OPENSSL_sk_num(reinterpret_cast<const OPENSSL_STACK*>(list));
  for (int i = 0; i < count && names.size() < 256; ++i) {
    const auto* name = static_cast<const GENERAL_NAME*>(
        lib.OPENSSL_sk_value(reinterpret_cast<const OPENSSL_STACK*>(list), i));
    if (name->type == GEN_DNS) {
      const auto* bytes = lib.ASN1_STRING_get0_data(name->d.dNSName);
      names.push_back(
          "DNS:" + std::string(reinterpret_cast<const char*>(bytes),
                               static_cast<std::size_t>(lib.ASN1_STRING_length(name->d.dNSName))));
    } else if (name->type == GEN_IPADD) {
      const auto length = lib.ASN1_STRING_length(name->d.iPAddress);
      const auto* bytes = lib.ASN1_STRING_get0_data(name->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = {};
      if (length == 4 || length == 16) {
        ::inet_ntop(length == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
        names.push_back(std::string("IP:") + text);
      }
    }
  }
  lib.GENERAL_NAMES_free(list);
  return names;
}

std::string serial_hex(const TlsLibrary& lib, X509* cert) {
  BIGNUM* number = lib.ASN1_INTEGER_to_BN(lib.X509_get_serialNumber(cert), nullptr);
  if (number == nullptr) return {};
  char* hex = lib.BN_bn2hex(number);
  std::string text = hex != nullptr ? hex : "";
  lib.CRYPTO_free(hex, __FILE__, __LINE__);
  lib.BN_free(number);
  return text;
}

// One context per offer for the whole process: loading the system's trust store costs ~15 ms
// of CPU, which a context per handshake paid every time (bench/service.sh).
SSL_CTX* make_context(const TlsLibrary& lib, TlsOffer offer) {
  SSL_CTX* context = lib.SSL_CTX_new(lib.TLS_client_method());
  if (context == nullptr) return context;
  lib.SSL_CTX_set_default_verify_paths(context);
  static constexpr unsigned char kAlpn[] = "\x02h2\x08http/1.1";
  const auto* alpn = offer == TlsOffer::h2_and_http1 ? kAlpn : kAlpn + 3;
  lib.SSL_CTX_set_alpn_protos(context, alpn,
                              static_cast<unsigned>(sizeof kAlpn - 1 - (alpn - kAlpn)));
  if (offer == TlsOffer::legacy_only) {
    // Debian's system configuration forbids both versions; the question is the server's.
    lib.SSL_CTX_set_cipher_list(context, "DEFAULT:@SECLEVEL=0");
    lib.SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_VERSION, nullptr);
    lib.SSL_CTX_ctrl(context, SSL_CTRL_SET_MAX_PROTO_VERSION, TLS1_1_VERSION, nullptr);
  }
  return context;
}

SSL_CTX* client_context(const TlsLibrary& lib, TlsOffer offer) {
  static SSL_CTX* const h2_and_http1 = make_context(lib, TlsOffer::h2_and_http1);
  static SSL_CTX* const http1 = make_context(lib, TlsOffer::http1);
  static SSL_CTX* const legacy_only = make_context(lib, TlsOffer::legacy_only);
  switch (offer) {
    case TlsOffer::http1:
      return http1;
    case TlsOffer::legacy_only:
      return legacy_only;
    default:
      return h2_and_http1;
  }
}

}  // namespace

std::shared_ptr<TlsSession> TlsSession::create(asio::ip::tcp::socket socket,
                                               const std::string& server_name, TlsOffer offer,
                                               std::string* error) {
  const auto* lib = tls_library(error);
  if (lib == nullptr) return nullptr;
  std::shared_ptr<TlsSession> session(new TlsSession(std::move(socket), *lib));
  session->server_name_ = server_name;
  SSL_CTX* context = client_context(*lib, offer);
  if (context == nullptr) {
    *error = "OpenSSL could not make a TLS context";
    return nullptr;
  }
  session->ssl_ = lib->SSL_new(context);
  if (session->ssl_ == nullptr) {
    *error = "OpenSSL could not make a TLS session";
    return nullptr;
  }
  asio::error_code ignored;
  session->socket_.native_non_blocking(true, ignored);
  lib->SSL_set_fd(session->ssl_, session->socket_.native_handle());
  if (!server_name.empty() && !is_address(server_name)) {
    lib->SSL_ctrl(session->ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(server_name.c_str()));
  }
  lib->SSL_set_connect_state(session->ssl_);
  return session;
}

TlsSession::TlsSession(asio::ip::tcp::socket socket, const TlsLibrary& library)
    : socket_(std::move(socket)), lib_(library) {}

TlsSession::~TlsSession() {
  if (ssl_ != nullptr) lib_.SSL_free(ssl_);
  lib_.ERR_clear_error();
}

void TlsSession::close() {
  closed_ = true;
  asio::error_code ignored;
  socket_.close(ignored);
}

// Runs one OpenSSL step until it neither wants to read nor to write.
void TlsSession::drive(std::function<int()> step, std::function<void(int, int)> then) {
  if (closed_) return then(-1, SSL_ERROR_SYSCALL);
  const int result = step();
  const int error = result > 0 ? SSL_ERROR_NONE : lib_.SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    const auto wait = error == SSL_ERROR_WANT_READ ? asio::ip::tcp::socket::wait_read
                                                   : asio::ip::tcp::socket::wait_write;
    socket_.async_wait(wait, [self = shared_from_this(), step = std::move(step),
                              then = std::move(then)](const asio::error_code& ec) mutable {
      if (ec) return then(-1, SSL_ERROR_SYSCALL);
      self->drive(std::move(step), std::move(then));
    });
    return;
  }
  lib_.ERR_clear_error();
  then(result, error);
}

void TlsSession::handshake(Done done) {
  drive([this] { return lib_.SSL_do_handshake(ssl_); },
        [done = std::move(done)](int result, int error) {
          if (result == 1) return done(true, {});
          done(false, error == SSL_ERROR_SSL ? "the server refused the TLS handshake"
                                             : "the connection ended during the TLS handshake");
        });
}

void TlsSession::write(std::string bytes, Done done) {
  pending_write_ = std::move(bytes);
  drive(
      [this] {
        return lib_.SSL_write(ssl_, pending_write_.data(), static_cast<int>(pending_write_.size()));
      },
      [done = std::move(done)](int result, int) {
        done(result > 0, result > 0 ? "" : "TLS write failed");
      });
}

void TlsSession::read(Received received) {
  auto buffer = std::make_shared<std::array<char, 4096>>();
  drive(
      [this, buffer] {
        return lib_.SSL_read(ssl_, buffer->data(), static_cast<int>(buffer->size()));
      },
      [self = shared_from_this(), buffer, received = std::move(received)](int result, int) mutable {
        if (result <= 0) return received({}, true);
        received(std::string_view(buffer->data(), static_cast<std::size_t>(result)), false);
        if (!self->closed_) self->read(std::move(received));
      });
}

TlsFacts TlsSession::facts() const {
  TlsFacts facts;
  facts.version = lib_.SSL_get_version(ssl_);
  if (const auto* cipher = lib_.SSL_get_current_cipher(ssl_)) {
    facts.cipher = lib_.SSL_CIPHER_get_name(cipher);
  }
  const unsigned char* alpn = nullptr;
  unsigned alpn_length = 0;
  lib_.SSL_get0_alpn_selected(ssl_, &alpn, &alpn_length);
  if (alpn != nullptr) facts.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  facts.server_name = server_name_;
  if (auto* chain = lib_.SSL_get_peer_cert_chain(ssl_)) {
    facts.chain_length = lib_.OPENSSL_sk_num(reinterpret_cast<const OPENSSL_STACK*>(chain));
  }
  X509* cert = lib_.SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return facts;
  facts.subject = name_text(lib_, lib_.X509_get_subject_name(cert));
  facts.issuer = name_text(lib_, lib_.X509_get_issuer_name(cert));
  facts.subject_alt_names = alt_names(lib_, cert);
  facts.serial = serial_hex(lib_, cert);
  facts.not_before = epoch_seconds(lib_, lib_.X509_get0_notBefore(cert));
  facts.not_after = epoch_seconds(lib_, lib_.X509_get0_notAfter(cert));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  facts.days_left = static_cast<double>(facts.not_after - now) / 86400.0;
  facts.expired = facts.not_after <= now;
  facts.self_signed = lib_.X509_self_signed(cert, 0) == 1;
  const auto verify = lib_.SSL_get_verify_result(ssl_);
  facts.chain_verified = verify == X509_V_OK;
  if (!facts.chain_verified) facts.verify_error = lib_.X509_verify_cert_error_string(verify);
  if (!server_name_.empty()) {
    facts.name_matches = is_address(server_name_)
                             ? lib_.X509_check_ip_asc(cert, server_name_.c_str(), 0) == 1
                             : lib_.X509_check_host(cert, server_name_.c_str(), server_name_.size(),
                                                    0, nullptr) == 1;
  }
  lib_.X509_free(cert);
  lib_.ERR_clear_error();
  return facts;
}

}  // namespace portkit::service
