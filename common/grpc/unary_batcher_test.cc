#include "common/grpc/unary_batcher.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/testing/wait_for.h"
#include "gtest/gtest.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"

namespace onem2m::grpcutil {
namespace {

namespace v1 = ::onem2m::rsp::v1;
using Svc = v1::MefCredentialService;
using ::onem2m::testing::WaitFor;
using Batcher = UnaryBatcher<v1::FetchCredentialRequest, v1::FetchCredentialResponse>;

class AsyncFetch final : public Svc::WithAsyncMethod_FetchCredential<Svc::Service> {};

// Harness runs a loopback server whose FetchCredential goes through a UnaryBatcher with `handler`.
class Harness {
 public:
  Harness(Batcher::Handler handler, UnaryBatcherOptions options,
          std::function<void(v1::FetchCredentialResponse*)> scrub = nullptr)
      : batcher_(
            [this](Batcher::Call* call, grpc::ServerCompletionQueue* cq) {
              service_.RequestFetchCredential(call->context(), call->mutable_request(),
                                              call->responder(), cq, cq, call->tag());
            },
            std::move(handler), options) {
    if (scrub) batcher_.SetResponseScrubber(std::move(scrub));
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(&service_);
    batcher_.AddQueues(&b);
    server_ = b.BuildAndStart();
    batcher_.Start();
    stub_ = Svc::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                             grpc::InsecureChannelCredentials()));
  }

  ~Harness() { Stop(); }

  void Stop() {
    if (server_ == nullptr) return;
    server_->Shutdown();
    batcher_.Stop();
    server_.reset();
  }

  const Batcher& batcher() const { return batcher_; }

  grpc::Status Fetch(const std::string& ke_id, v1::FetchCredentialResponse* out) {
    v1::FetchCredentialRequest req;
    req.set_ke_id(ke_id);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->FetchCredential(&ctx, req, out);
  }

 private:
  AsyncFetch service_;
  Batcher batcher_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Svc::Stub> stub_;
};

// Echo answers each call with its own KeID, or INVALID_ARGUMENT for "bad".
void Echo(Batcher::Call* call) {
  if (call->request().ke_id() == "bad") {
    call->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad key"));
    return;
  }
  call->response()->set_ke_id(call->request().ke_id());
  call->Finish(grpc::Status::OK);
}

TEST(UnaryBatcherTest, EveryCallGetsItsOwnAnswerAndErrorsPassThrough) {
  Harness h(
      [](absl::Span<Batcher::Call* const> batch, Batcher::Turn*) {
        for (Batcher::Call* call : batch) Echo(call);
      },
      {});
  std::vector<std::thread> callers;
  std::atomic<int> right{0};
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        v1::FetchCredentialResponse r;
        if (h.Fetch(id, &r).ok() && r.ke_id() == id) ++right;
      }
    });
  }
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(right, 400);
  v1::FetchCredentialResponse r;
  grpc::Status bad = h.Fetch("bad", &r);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message(), "bad key");
}

// With batches taking turns (as the MEF's credential service runs it), calls that arrive while a
// handler holds the turn wait, and all of them make up the next batch.
TEST(UnaryBatcherTest, CallsArrivingWhileTheHandlerRunsComeAsOneBatch) {
  absl::Notification handling_first, release;
  absl::Mutex mu;
  std::vector<size_t> sizes;
  Harness h(
      [&](absl::Span<Batcher::Call* const> batch, Batcher::Turn*) {
        bool first = false;
        {
          absl::MutexLock l(&mu);
          first = sizes.empty();
          sizes.push_back(batch.size());
        }
        if (first) {
          handling_first.Notify();
          release.WaitForNotification();  // the others queue meanwhile
        }
        for (Batcher::Call* call : batch) Echo(call);
      },
      {/*threads=*/2, /*max_batch=*/128, /*requests_ahead=*/128, /*one_batch_at_a_time=*/true});
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  auto call = [&](const std::string& id) {
    v1::FetchCredentialResponse r;
    if (h.Fetch(id, &r).ok() && r.ke_id() == id) ++ok;
  };
  callers.emplace_back(call, "first");
  handling_first.WaitForNotification();  // the first call is being handled
  for (int i = 0; i < 10; ++i) callers.emplace_back(call, "k" + std::to_string(i));
  // The other thread polls the ten and parks them behind the held turn.
  EXPECT_TRUE(WaitFor([&] { return h.batcher().waiting_calls() == 10; }))
      << h.batcher().waiting_calls();
  release.Notify();
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(ok, 11);
  absl::MutexLock l(&mu);
  ASSERT_GE(sizes.size(), 2u);
  EXPECT_EQ(sizes[0], 1u);
  EXPECT_LT(sizes.size(), 11u) << "the ten queued calls should share batches";
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 10}));
  size_t total = 0;
  for (size_t s : sizes) total += s;
  EXPECT_EQ(total, 11u);
}

TEST(UnaryBatcherTest, CallsMayBeFinishedFromAnotherThreadAndShutdownWaitsForThem) {
  std::vector<std::thread> finishers;
  absl::Mutex mu;
  std::atomic<int> handed{0};
  absl::Notification release;  // the finishers answer once every call is with one of them
  Harness h(
      [&](absl::Span<Batcher::Call* const> batch, Batcher::Turn*) {
        std::vector<Batcher::Call*> calls(batch.begin(), batch.end());
        absl::MutexLock l(&mu);
        finishers.emplace_back([calls, &release] {
          release.WaitForNotification();
          for (Batcher::Call* call : calls) Echo(call);
        });
        handed += static_cast<int>(calls.size());
      },
      {});
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i) {
    callers.emplace_back([&, i] {
      v1::FetchCredentialResponse r;
      if (h.Fetch("x" + std::to_string(i), &r).ok()) ++ok;
    });
  }
  EXPECT_TRUE(WaitFor([&] { return handed.load() == 6; })) << handed.load();
  EXPECT_EQ(ok, 0) << "answered before a finisher ran";
  release.Notify();
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(ok, 6);
  h.Stop();
  absl::MutexLock l(&mu);
  for (std::thread& f : finishers) f.join();
}

// With two turns (the MEF's credential service: two store reads out at once), a second batch runs
// while the first still holds its turn, but only once overlap_min calls wait; with both turns
// held, calls wait for one to come free.
TEST(UnaryBatcherTest, SecondTurnOverlapsOnceEnoughCallsWait) {
  absl::Notification release_first, release_second;
  absl::Mutex mu;
  std::vector<size_t> sizes;  // batch sizes, in the order the batches started
  UnaryBatcherOptions options;
  options.threads = 3;
  options.one_batch_at_a_time = true;
  options.turns = 2;
  options.overlap_min = 3;
  Harness h(
      [&](absl::Span<Batcher::Call* const> batch, Batcher::Turn*) {
        size_t index = 0;
        {
          absl::MutexLock l(&mu);
          index = sizes.size();
          sizes.push_back(batch.size());
        }
        if (index == 0) release_first.WaitForNotification();  // holds turn 1
        if (index == 1) release_second.WaitForNotification();  // holds turn 2
        for (Batcher::Call* call : batch) Echo(call);
      },
      options);
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  auto call = [&](const std::string& id) {
    callers.emplace_back([&, id] {
      v1::FetchCredentialResponse r;
      if (h.Fetch(id, &r).ok() && r.ke_id() == id) ++ok;
    });
  };
  auto batches = [&] {
    absl::MutexLock l(&mu);
    return sizes.size();
  };
  call("first");
  ASSERT_TRUE(WaitFor([&] { return batches() == 1; }));
  // Two calls are fewer than overlap_min: they wait although a turn is free.
  call("a");
  call("b");
  ASSERT_TRUE(WaitFor([&] { return h.batcher().waiting_calls() == 2; }));
  // The third makes three: they take the second turn while the first is still held.
  call("c");
  ASSERT_TRUE(WaitFor([&] { return batches() == 2; }));
  // Both turns are held: five calls wait, however many they are.
  for (int i = 0; i < 5; ++i) call("d" + std::to_string(i));
  ASSERT_TRUE(WaitFor([&] { return h.batcher().waiting_calls() == 5; }));
  EXPECT_EQ(batches(), 2u);
  // The second turn comes free: the five take it (the released turn wakes a polling thread),
  // all answered while the first batch still holds its turn.
  release_second.Notify();
  ASSERT_TRUE(WaitFor([&] { return ok.load() == 8; })) << ok.load();
  release_first.Notify();
  for (std::thread& c : callers) c.join();
  EXPECT_EQ(ok, 9);
  absl::MutexLock l(&mu);
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 3, 5}));
}

TEST(UnaryBatcherTest, TurnsNeverOverlapAndLoseNoCall) {
  // Each handler "reads" holding its turn, releases it, then "answers": reads never overlap,
  // answers overlap the next read, and every call is answered once.
  constexpr int kCallers = 16, kCallsEach = 20, kCalls = kCallers * kCallsEach;
  std::atomic<int> reading{0}, overlapping_reads{0}, handled{0};
  std::atomic<int> in_flight{0};      // callers inside Fetch
  std::atomic<int> reads_started{0};  // handlers entered (each with the turn, so in turn order)
  absl::Mutex mu;
  size_t largest = 0;
  UnaryBatcherOptions options;
  options.threads = 3;
  options.one_batch_at_a_time = true;
  Harness* hp = nullptr;  // set before the first call
  Harness h(
      [&](absl::Span<Batcher::Call* const> batch, Batcher::Turn* turn) {
        const int read = ++reads_started;
        if (reading.fetch_add(1) != 0) ++overlapping_reads;
        // The read lasts until calls wait for the next batch. When every caller's call is in this
        // batch none can come until it answers: waiting for one then would stall every caller
        // until its deadline (the stall once blamed on the batcher's wake-up).
        EXPECT_TRUE(WaitFor(
            [&] {
              return hp->batcher().waiting_calls() > 0 ||
                     in_flight.load() <= static_cast<int>(batch.size());
            },
            absl::Seconds(10), absl::Microseconds(200)));
        reading.fetch_sub(1);
        turn->Release();
        turn->Release();  // a second release is harmless
        {
          absl::MutexLock l(&mu);
          largest = std::max(largest, batch.size());
        }
        // Answering lasts until the next read has started or no call waits for one: this thread
        // does not come back to take them, so the released turn must wake another.
        EXPECT_TRUE(WaitFor(
            [&] { return reads_started.load() > read || hp->batcher().waiting_calls() == 0; },
            absl::Seconds(10), absl::Microseconds(200)))
            << "read " << read << " released with calls waiting and no other read started";
        handled += static_cast<int>(batch.size());
        for (Batcher::Call* call : batch) Echo(call);
      },
      options);
  hp = &h;
  std::vector<std::thread> callers;
  std::atomic<int> right{0};
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kCallsEach; ++i) {
        const std::string id = std::to_string(t) + "/" + std::to_string(i);
        v1::FetchCredentialResponse r;
        ++in_flight;
        if (h.Fetch(id, &r).ok() && r.ke_id() == id) ++right;
        --in_flight;
      }
    });
  }
  for (std::thread& c : callers) c.join();
  h.Stop();
  EXPECT_EQ(right, kCalls);
  EXPECT_EQ(handled, kCalls);
  EXPECT_EQ(overlapping_reads, 0);
  absl::MutexLock l(&mu);
  EXPECT_GT(largest, 1u) << "calls that arrive during a read should join the next batch";
}

// A handler that releases its turn and stays busy answering leaves the calls waiting to another
// thread: ReleaseTurn's alarm must wake a poller every time, also after earlier wake-ups (re-arm).
TEST(UnaryBatcherTest, AReleasedTurnWakesAnotherThreadEveryTime) {
  struct Round {
    absl::Notification first_handling, second_handled;
    // woke: the first handler saw the second batch handled while it was still busy.
    std::atomic<bool> woke{false};
  };
  constexpr int kRounds = 20;
  std::vector<std::unique_ptr<Round>> rounds;
  for (int r = 0; r < kRounds; ++r) rounds.push_back(std::make_unique<Round>());
  Harness* hp = nullptr;
  UnaryBatcherOptions options;
  options.threads = 2;
  options.one_batch_at_a_time = true;
  Harness h(
      [&](absl::Span<Batcher::Call* const> batch, Batcher::Turn* turn) {
        // Keys are "first/<r>" and "second/<r>"; each comes alone (the second waits for the turn).
        const std::string& id = batch[0]->request().ke_id();
        Round& round = *rounds[std::stoi(id.substr(id.find('/') + 1))];
        if (id.rfind("first/", 0) == 0) {
          round.first_handling.Notify();
          EXPECT_TRUE(WaitFor([&] { return hp->batcher().waiting_calls() == 1; }));
          turn->Release();
          // Bounded so that a lost wake-up fails the round instead of hanging the test.
          round.woke = round.second_handled.WaitForNotificationWithTimeout(absl::Seconds(10));
        } else {
          round.second_handled.Notify();
        }
        for (Batcher::Call* call : batch) Echo(call);
      },
      options);
  hp = &h;
  for (int r = 0; r < kRounds; ++r) {
    const std::string first = "first/" + std::to_string(r), second = "second/" + std::to_string(r);
    grpc::Status first_status, second_status;
    std::thread first_caller([&] {
      v1::FetchCredentialResponse resp;
      first_status = h.Fetch(first, &resp);
    });
    rounds[r]->first_handling.WaitForNotification();
    std::thread second_caller([&] {
      v1::FetchCredentialResponse resp;
      second_status = h.Fetch(second, &resp);
    });
    first_caller.join();
    second_caller.join();
    EXPECT_TRUE(first_status.ok()) << first_status.error_message();
    EXPECT_TRUE(second_status.ok()) << second_status.error_message();
    ASSERT_TRUE(rounds[r]->woke) << "round " << r << ": the released turn woke no thread";
  }
}

TEST(UnaryBatcherTest, EveryResponseIsScrubbedAfterItWasSent) {
  absl::Mutex mu;
  std::vector<std::string> scrubbed;  // the ke_id each scrubbed response carried
  Harness h(
      [](absl::Span<Batcher::Call* const> batch, Batcher::Turn*) {
        for (Batcher::Call* call : batch) Echo(call);
      },
      {},
      [&](v1::FetchCredentialResponse* r) {
        absl::MutexLock l(&mu);
        scrubbed.push_back(r->ke_id());
        r->clear_ke_id();
      });
  for (const std::string id : {"a", "b", "c"}) {
    v1::FetchCredentialResponse r;
    ASSERT_TRUE(h.Fetch(id, &r).ok());
    EXPECT_EQ(r.ke_id(), id) << "scrubbed only after it was sent";
  }
  h.Stop();
  absl::MutexLock l(&mu);
  std::sort(scrubbed.begin(), scrubbed.end());
  EXPECT_EQ(scrubbed, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(UnaryBatcherTest, StartAndStopWithoutQueuesDoNothing) {
  // A server that does not serve the method (e.g. its port is turned off) never adds the queue.
  Batcher batcher([](Batcher::Call*, grpc::ServerCompletionQueue*) { FAIL() << "no requests"; },
                  [](absl::Span<Batcher::Call* const>, Batcher::Turn*) {}, {});
  batcher.Start();
  batcher.Stop();
}

TEST(UnaryBatcherTest, StopWithoutStartAndTwiceIsSafe) {
  AsyncFetch service;
  Batcher batcher(
      [&](Batcher::Call* call, grpc::ServerCompletionQueue* cq) {
        service.RequestFetchCredential(call->context(), call->mutable_request(), call->responder(),
                                       cq, cq, call->tag());
      },
      [](absl::Span<Batcher::Call* const>, Batcher::Turn*) {}, {});
  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  b.RegisterService(&service);
  batcher.AddQueues(&b);
  std::unique_ptr<grpc::Server> server = b.BuildAndStart();
  server->Shutdown();
  batcher.Stop();
  batcher.Stop();
}

}  // namespace
}  // namespace onem2m::grpcutil
