#pragma once
// OpenSSL writes to the socket itself, without MSG_NOSIGNAL: a server that closes first would
// end the process with SIGPIPE. Blocked on this thread while TLS runs (the signal goes to the
// writing thread), then any pending one is taken before the old mask returns.
#include <pthread.h>
#include <signal.h>

namespace portkit::service {

class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~SigpipeBlocked() {
    const timespec now{0, 0};
    while (::sigtimedwait(&pipe_, nullptr, &now) == SIGPIPE) {
    }
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
};

}  // namespace portkit::service
