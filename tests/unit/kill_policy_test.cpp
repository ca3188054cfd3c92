// who --kill's policy, with a fake kernel and a fake clock: nothing is signalled for real.
#include "portkit/inventory/kill_policy.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <map>

namespace portkit {
namespace {

using std::chrono::milliseconds;

SocketRow row_owned_by(std::span<const ProcessInfo* const> owners, bool listening = true) {
  SocketRow row;
  row.socket.proto = Proto::tcp;
  row.socket.state = listening ? SocketState::listen : SocketState::established;
  row.processes = owners;
  return row;
}

TEST(KillPlan, OwnersOfListenersButNeverInitOrItself) {
  ProcessInfo init{.pid = 1}, self{.pid = 4242}, server{.pid = 700}, worker{.pid = 701},
      client{.pid = 900};
  const ProcessInfo* shared[] = {&server, &worker, &init, &self};
  const ProcessInfo* connected[] = {&client};
  const std::vector<SocketRow> rows{row_owned_by(shared), row_owned_by(connected, false),
                                    row_owned_by(shared)};
  const auto plan = plan_kill(rows, 4242, false);
  EXPECT_EQ(plan.targets, (std::vector<int>{700, 701}));  // each once; not the client
  EXPECT_TRUE(plan.refusal.empty());

  const ProcessInfo* only_init[] = {&init};
  const std::vector<SocketRow> init_rows{row_owned_by(only_init)};
  const auto refused = plan_kill(init_rows, 4242, false);
  EXPECT_TRUE(refused.targets.empty());
  EXPECT_NE(refused.refusal.find("PID 1"), std::string::npos);
  EXPECT_NE(plan_kill({}, 4242, true).refusal.find("run as root"), std::string::npos);
  EXPECT_EQ(plan_kill({}, 4242, false).refusal, "nothing listens there to kill");
}

// A kernel where the port frees `frees_after` after a signal, or only after SIGKILL.
struct FakeHost {
  std::chrono::steady_clock::time_point clock{};
  std::optional<std::chrono::steady_clock::time_point> frees_at;
  milliseconds frees_after{0};
  bool only_sigkill_works = false;
  std::map<int, int> refuse;  // pid -> errno
  std::vector<std::pair<int, int>> sent;
  std::vector<int> refused;

  KillActions actions() {
    return {.send =
                [this](int pid, int signal) {
                  if (refuse.count(pid)) return refuse[pid];
                  if (!only_sigkill_works || signal == SIGKILL) frees_at = clock + frees_after;
                  return 0;
                },
            .port_free = [this] { return frees_at && clock >= *frees_at; },
            .now = [this] { return clock; },
            .sleep = [this](milliseconds pause) { clock += pause; },
            .sent = [this](int pid, int signal) { sent.emplace_back(pid, signal); },
            .refused = [this](int pid, int) { refused.push_back(pid); }};
  }
};

TEST(KillRun, SignalsEveryTargetAndStopsThereWithoutWait) {
  FakeHost host;
  host.refuse[9] = EPERM;
  const auto report = run_kill({7, 8, 9}, {.signal = SIGTERM}, host.actions());
  EXPECT_EQ(report.outcome, KillOutcome::signalled);
  EXPECT_EQ(report.failures, 1);
  EXPECT_EQ(host.sent, (std::vector<std::pair<int, int>>{{7, SIGTERM}, {8, SIGTERM}}));
  EXPECT_EQ(host.refused, std::vector<int>{9});
}

TEST(KillRun, WaitsWithinTheGraceForThePortToFree) {
  FakeHost host;
  host.frees_after = milliseconds(300);
  const auto report =
      run_kill({7}, {.signal = SIGTERM, .wait = true, .grace = milliseconds(1000)}, host.actions());
  EXPECT_EQ(report.outcome, KillOutcome::freed);
  EXPECT_EQ(host.sent.size(), 1u);  // no SIGKILL was needed
  EXPECT_LT(host.clock.time_since_epoch(), milliseconds(400));
}

TEST(KillRun, EscalatesToSigkillOnlyWhenForcedAfterTheGrace) {
  FakeHost stubborn;
  stubborn.only_sigkill_works = true;
  const KillOptions patient{.signal = SIGTERM, .wait = true, .grace = milliseconds(500)};
  EXPECT_EQ(run_kill({7}, patient, stubborn.actions()).outcome, KillOutcome::still_in_use);
  EXPECT_EQ(stubborn.sent, (std::vector<std::pair<int, int>>{{7, SIGTERM}}));
  EXPECT_GE(stubborn.clock.time_since_epoch(), milliseconds(500));

  FakeHost forced;
  forced.only_sigkill_works = true;
  auto options = patient;
  options.force = true;
  EXPECT_EQ(run_kill({7, 8}, options, forced.actions()).outcome, KillOutcome::freed);
  EXPECT_EQ(forced.sent, (std::vector<std::pair<int, int>>{
                             {7, SIGTERM}, {8, SIGTERM}, {7, SIGKILL}, {8, SIGKILL}}));
}

}  // namespace
}  // namespace portkit
