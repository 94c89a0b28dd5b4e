#include "common/ops/ops_server.h"

#include <fcntl.h>
#include <poll.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/http/request_parser.h"
#include "common/http/serializer.h"
#include "common/net/socket_util.h"

namespace onem2m::ops {

OpsServer::OpsServer(std::shared_ptr<prometheus::Registry> registry, OpsOptions options)
    : registry_(std::move(registry)), options_(options) {
  if (registry_ != nullptr) {
    check_runs_ = &prometheus::BuildCounter()
                       .Name("onem2m_readiness_check_runs_total")
                       .Help("Runs of each readiness check that returned, by result.")
                       .Register(*registry_);
  }
}

OpsServer::~OpsServer() {
  // A check left blocked by an earlier Stop(timeout) is not waited for again (see Stop).
  bool abandoned;
  {
    absl::MutexLock lock(&mu_);
    abandoned = checks_stop_ && checks_running_ > 0;
  }
  if (!abandoned) Stop();
}

void OpsServer::AddReadinessCheck(std::string name, std::function<absl::Status()> check) {
  auto c = std::make_unique<Check>();
  c->name = std::move(name);
  c->fn = std::move(check);
  if (check_runs_ != nullptr) {
    c->ok_runs = &check_runs_->Add({{"check", c->name}, {"result", "ok"}});
    c->failed_runs = &check_runs_->Add({{"check", c->name}, {"result", "failed"}});
  }
  Check* raw = c.get();
  absl::MutexLock lock(&mu_);
  if (checks_stop_) return;
  checks_.push_back(std::move(c));
  ++checks_running_;
  raw->thread = std::thread([this, raw] { RunCheck(raw); });
}

void OpsServer::RunCheck(Check* check) {
  absl::MutexLock lock(&mu_);
  while (!checks_stop_) {
    check->running = true;
    check->run_started = absl::Now();
    mu_.Unlock();
    absl::Status s = check->fn();
    mu_.Lock();
    check->running = false;
    if (check->ok_runs != nullptr) (s.ok() ? check->ok_runs : check->failed_runs)->Increment();
    check->last = std::move(s);
    const absl::Time next = absl::Now() + options_.check_interval;
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return checks_stop_; };
    mu_.AwaitWithDeadline(absl::Condition(&stopping), next);
  }
  --checks_running_;
}

void OpsServer::AddScrapeHook(std::function<void()> hook) {
  absl::MutexLock lock(&scrape_mu_);
  scrape_hooks_.push_back(std::move(hook));
}

void OpsServer::SetStarting(std::string what) {
  absl::MutexLock lock(&mu_);
  starting_ = what.empty() ? "starting" : std::move(what);
}

void OpsServer::SetStarted() {
  absl::MutexLock lock(&mu_);
  starting_.clear();
}

absl::Status OpsServer::Start(const std::string& address) {
  absl::StatusOr<net::SocketAddress> addr = net::ParseHostPort(address);
  if (!addr.ok()) return addr.status();
  absl::StatusOr<int> fd = net::ListenTcp(*addr, false, 64);
  if (!fd.ok()) return fd.status();
  fd_ = *fd;
  // Several threads wait on the one socket; non-blocking so the losers of a race for a connection
  // go back to poll instead of hanging in accept.
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  absl::StatusOr<net::SocketAddress> local = net::LocalAddress(fd_);
  if (local.ok()) port_ = local->port();
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] { Serve(); });
  }
  return absl::OkStatus();
}

bool OpsServer::Stop(absl::Duration checks_wait) {
  if (!stop_.exchange(true)) {
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::vector<std::thread> checkers;
  bool all_returned;
  {
    absl::MutexLock lock(&mu_);
    checks_stop_ = true;
    auto returned = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return checks_running_ == 0; };
    all_returned = mu_.AwaitWithTimeout(absl::Condition(&returned), checks_wait);
    for (auto& c : checks_) {
      if (c->thread.joinable()) checkers.push_back(std::move(c->thread));
    }
  }
  for (std::thread& t : checkers) {
    if (all_returned) {
      t.join();
    } else {
      t.detach();
    }
  }
  return all_returned;
}

absl::Status OpsServer::Readiness() {
  if (draining_) return absl::UnavailableError("draining");
  absl::MutexLock lock(&mu_);
  if (!starting_.empty()) return absl::UnavailableError(absl::StrCat("starting: ", starting_));
  const absl::Time now = absl::Now();
  for (const auto& c : checks_) {
    if (c->running && now - c->run_started > options_.check_timeout) {
      return absl::UnavailableError(
          absl::StrCat(c->name, ": no answer for ", absl::FormatDuration(absl::Trunc(
                                                        now - c->run_started, absl::Seconds(1)))));
    }
    if (!c->last.ok()) {
      return absl::Status(c->last.code(), absl::StrCat(c->name, ": ", c->last.message()));
    }
  }
  return absl::OkStatus();
}

std::string OpsServer::Handle(const std::string& method, const std::string& path) {
  http::HttpResponse r;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.headers.push_back({"Connection", "close"});
  if (method != "GET") {
    r.status = 405;
    r.body = "method not allowed\n";
  } else if (path == "/healthz") {
    r.status = 200;
    r.body = "ok\n";
  } else if (path == "/readyz") {
    absl::Status s = Readiness();
    r.status = s.ok() ? 200 : 503;
    r.body = s.ok() ? "ready\n" : absl::StrCat("not ready: ", s.message(), "\n");
  } else if (path == "/metrics") {
    r.status = 200;
    r.headers[0].value = "text/plain; version=0.0.4; charset=utf-8";
    {
      absl::MutexLock lock(&scrape_mu_);
      for (auto& hook : scrape_hooks_) hook();
    }
    prometheus::TextSerializer serializer;
    r.body = serializer.Serialize(registry_->Collect());
  } else {
    r.status = 404;
    r.body = "not found\n";
  }
  absl::StatusOr<std::string> bytes = http::SerializeResponse(r);
  return bytes.ok() ? *bytes : "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
}

void OpsServer::Serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);  // blocking: not inherited on Linux
    if (c < 0) continue;
    timeval tv{2, 0};  // a slow client costs this thread at most two seconds
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    http::RequestParser parser;
    char buf[4096];
    std::string answer;
    for (;;) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) break;
      absl::StatusOr<http::FeedResult> r = parser.Feed(absl::string_view(buf, n));
      if (!r.ok()) {
        answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        break;
      }
      if (r->state == http::ParseState::kComplete) {
        absl::StatusOr<http::HttpRequest> req = parser.TakeRequest();
        if (req.ok()) answer = Handle(req->method, req->target);
        break;
      }
    }
    size_t off = 0;
    while (off < answer.size()) {
      ssize_t n = send(c, answer.data() + off, answer.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += n;
    }
    close(c);
  }
}

}  // namespace onem2m::ops
