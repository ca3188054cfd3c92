#pragma once
// OpenSSL, loaded on first use: linking libssl and libcrypto costs every start ~0.9 ms (measured
// with hyperfine: a program that links them starts in 1.8 ms, one that does not in 0.9 ms), and
// only TLS probes use them. The declarations come from OpenSSL's own headers, so each pointer
// has the library's exact type.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <string>

namespace portkit::service {

// clang-format off
#define PORTKIT_TLS_FUNCTIONS(X)                                                             \
  X(TLS_client_method) X(SSL_CTX_new) X(SSL_CTX_free) X(SSL_CTX_set_default_verify_paths)  \
  X(SSL_CTX_set_alpn_protos) X(SSL_CTX_ctrl) X(SSL_CTX_set_cipher_list) X(SSL_new)         \
  X(SSL_free) X(SSL_set_fd) X(SSL_ctrl) X(SSL_set_connect_state) X(SSL_do_handshake)       \
  X(SSL_get_error) X(SSL_read) X(SSL_write) X(SSL_get_version) X(SSL_get_current_cipher)   \
  X(SSL_CIPHER_get_name) X(SSL_get0_alpn_selected) X(SSL_get1_peer_certificate)            \
  X(SSL_get_peer_cert_chain) X(SSL_get_verify_result)
#define PORTKIT_CRYPTO_FUNCTIONS(X)                                                          \
  X(X509_free) X(X509_get_subject_name) X(X509_get_issuer_name) X(X509_NAME_print_ex)      \
  X(X509_get0_notBefore) X(X509_get0_notAfter) X(ASN1_TIME_to_tm) X(X509_get_ext_d2i)      \
  X(OPENSSL_sk_num) X(OPENSSL_sk_value) X(GENERAL_NAMES_free) X(ASN1_STRING_get0_data)     \
  X(ASN1_STRING_length) X(X509_get_serialNumber) X(ASN1_INTEGER_to_BN) X(BN_bn2hex)        \
  X(BN_free) X(CRYPTO_free) X(X509_self_signed) X(X509_verify_cert_error_string)           \
  X(X509_check_host) X(X509_check_ip_asc) X(ERR_clear_error) X(BIO_new) X(BIO_s_mem)       \
  X(BIO_ctrl) X(BIO_free)
// clang-format on

struct TlsLibrary {
// A function name, not an expression: it cannot be put in brackets.
#define PORTKIT_TLS_POINTER(name) \
  decltype(&::name) name = nullptr;  // NOLINT(bugprone-macro-parentheses)
  PORTKIT_TLS_FUNCTIONS(PORTKIT_TLS_POINTER)
  PORTKIT_CRYPTO_FUNCTIONS(PORTKIT_TLS_POINTER)
#undef PORTKIT_TLS_POINTER
};

// The loaded library, or null with `why` saying what is missing (libssl3 not installed).
const TlsLibrary* tls_library(std::string* why = nullptr);

}  // namespace portkit::service
