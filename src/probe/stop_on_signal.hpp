#pragma once
// SIGINT/SIGTERM end a check or wait early, with what is known: while `io` runs, a signal
// stops it and sets `interrupted`. done() lets the loop end once nothing is left to wait for.
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <csignal>

namespace portkit {

class StopOnSignal {
 public:
  StopOnSignal(asio::io_context& io, bool enabled, bool& interrupted) : signals_(io) {
    if (!enabled) return;
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.async_wait([&io, &interrupted](const asio::error_code& error, int) {
      if (error) return;
      interrupted = true;
      io.stop();
    });
  }
  void done() { signals_.cancel(); }

 private:
  asio::signal_set signals_;
};

}  // namespace portkit
