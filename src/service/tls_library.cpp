#include "service/tls_library.hpp"

#include <dlfcn.h>

namespace portkit::service {
namespace {

struct Loaded {
  TlsLibrary library;
  bool ok = false;
  std::string why;
};

bool bind(void* handle, const char* name, void** slot, std::string& why) {
  *slot = ::dlsym(handle, name);
  if (*slot == nullptr) why = std::string("OpenSSL has no ") + name;
  return *slot != nullptr;
}

Loaded load() {
  Loaded loaded;
  // The sonames of OpenSSL 3, the version the declarations come from.
  void* crypto = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
  void* ssl = crypto != nullptr ? ::dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL) : nullptr;
  if (ssl == nullptr) {
    const char* error = ::dlerror();
    loaded.why = "TLS needs OpenSSL 3 (libssl3): " + std::string(error ? error : "not found");
    return loaded;
  }
  auto& lib = loaded.library;
  bool ok = true;
#define PORTKIT_TLS_BIND(name) \
  ok = ok && bind(ssl, #name, reinterpret_cast<void**>(&lib.name), loaded.why);
#define PORTKIT_CRYPTO_BIND(name) \
  ok = ok && bind(crypto, #name, reinterpret_cast<void**>(&lib.name), loaded.why);
  PORTKIT_TLS_FUNCTIONS(PORTKIT_TLS_BIND)
  PORTKIT_CRYPTO_FUNCTIONS(PORTKIT_CRYPTO_BIND)
#undef PORTKIT_TLS_BIND
#undef PORTKIT_CRYPTO_BIND
  loaded.ok = ok;
  return loaded;  // the handles stay open for the life of the process
}

}  // namespace

const TlsLibrary* tls_library(std::string* why) {
  static const Loaded loaded = load();
  if (!loaded.ok && why != nullptr) *why = loaded.why;
  return loaded.ok ? &loaded.library : nullptr;
}

}  // namespace portkit::service
