#include "tests/e2e/process_runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/testing/wait_for.h"

namespace onem2m::e2e {

std::string RunfilePath(const std::string& rel) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  std::string base = srcdir != nullptr ? srcdir : ".";
  std::string workspace = ws != nullptr ? ws : "onem2m_rsp";
  return absl::StrCat(base, "/", workspace, "/", rel);
}

std::string NewTempDir(const std::string& stem) {
  static std::atomic<int> counter{0};
  const char* t = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(t != nullptr ? t : "/tmp", "/", stem, "-", getpid(), "-",
                                 counter.fetch_add(1), "-", absl::ToUnixMicros(absl::Now()) % 1000000);
  mkdir(dir.c_str(), 0755);
  return dir;
}

absl::Status WriteFileWithMode(const std::string& path, const std::string& contents, int mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", strerror(errno)));
  fchmod(fd, mode);
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = write(fd, contents.data() + off, contents.size() - off);
    if (n <= 0) {
      close(fd);
      return absl::InternalError(absl::StrCat("write ", path));
    }
    off += static_cast<size_t>(n);
  }
  close(fd);
  return absl::OkStatus();
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
int BindLoopback(int type, int port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

int PickFreePort(bool udp_too) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int fd = BindLoopback(SOCK_STREAM, 0);
    if (fd < 0) continue;
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    int port = ntohs(a.sin_port);
    bool ok = true;
    if (udp_too) {
      int u = BindLoopback(SOCK_DGRAM, port);
      ok = u >= 0;
      if (u >= 0) close(u);
    }
    close(fd);
    if (ok) return port;
  }
  return 0;
}

absl::StatusOr<int> HttpGetStatus(int port, const std::string& path, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  auto wait_for = [&](short ev) -> bool {
    int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (ms <= 0) return false;
    pollfd p{fd, ev, 0};
    return poll(&p, 1, ms) == 1;
  };
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    if (errno != EINPROGRESS || !wait_for(POLLOUT)) {
      close(fd);
      return absl::UnavailableError("connect");
    }
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      close(fd);
      return absl::UnavailableError("connect refused");
    }
  }
  std::string req = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  size_t off = 0;
  while (off < req.size()) {
    if (!wait_for(POLLOUT)) {
      close(fd);
      return absl::DeadlineExceededError("write");
    }
    ssize_t n = send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0 && errno != EAGAIN) {
      close(fd);
      return absl::UnavailableError("write");
    }
    if (n > 0) off += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[1024];
  while (resp.find("\r\n") == std::string::npos) {
    if (!wait_for(POLLIN)) break;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  // "HTTP/1.1 200 OK"
  std::vector<std::string> parts = absl::StrSplit(resp, ' ');
  if (parts.size() < 2) return absl::UnavailableError("no status line");
  return std::atoi(parts[1].c_str());
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_.has_value()) Stop(absl::Seconds(5));
}

absl::Status ChildProcess::Start(const std::vector<std::string>& argv, const std::string& out,
                                 const std::string& err) {
  stderr_path_ = err;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) return absl::InternalError("cannot open log files");
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // Unblock everything the test runner may have blocked; the services set their own masks.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  pid_ = pid;
  status_.reset();
  return absl::OkStatus();
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || status_.has_value()) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    return false;
  }
  return true;
}

int ChildProcess::Stop(absl::Duration grace) {
  if (pid_ <= 0) return -1;
  if (status_.has_value()) return *status_;
  kill(pid_, SIGTERM);
  if (::onem2m::testing::WaitFor([&] { return !Running(); }, grace, absl::Milliseconds(20))) {
    return *status_;
  }
  Kill();
  return status_.value_or(-1);
}

void ChildProcess::Kill() {
  if (pid_ <= 0 || status_.has_value()) return;
  kill(pid_, SIGKILL);
  int st = 0;
  if (waitpid(pid_, &st, 0) == pid_) status_ = st;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& work_dir,
                         absl::Duration timeout) {
  static std::atomic<int> counter{0};
  std::string stem = absl::StrCat(work_dir, "/cmd-", counter.fetch_add(1));
  CommandResult r;
  ChildProcess p;
  if (!p.Start(argv, stem + ".out", stem + ".err").ok()) return r;
  (void)::onem2m::testing::WaitFor([&] { return !p.Running(); }, timeout, absl::Milliseconds(10));
  if (p.Running()) p.Kill();
  int st = p.wait_status().value_or(-1);
  r.exit_code = (st >= 0 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
  r.output = ReadFileOrEmpty(stem + ".out") + ReadFileOrEmpty(stem + ".err");
  return r;
}

}  // namespace onem2m::e2e
