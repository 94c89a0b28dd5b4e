#include "common/tls/testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/time/clock.h"

namespace onem2m {
namespace tls {
namespace testing {

Subprocess::Subprocess(const std::vector<std::string>& argv) {
  int out[2];
  int in[2];
  if (pipe2(out, O_CLOEXEC) != 0) return;
  if (pipe2(in, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(in[0]);
  if (pid < 0) {
    close(out[0]);
    close(in[1]);
    return;
  }
  pid_ = pid;
  out_fd_ = out[0];
  in_fd_ = in[1];  // Kept open: s_client/s_server stop when stdin closes.
}

Subprocess::~Subprocess() { Kill(); }

bool Subprocess::WaitFor(absl::string_view pattern, absl::Time deadline, std::string* out_all) {
  for (;;) {
    size_t at = output_.find(pattern.data(), 0, pattern.size());
    if (at != std::string::npos && output_.find('\n', at) != std::string::npos) {
      *out_all = output_;
      return true;
    }
    absl::Duration left = deadline - absl::Now();
    if (out_fd_ < 0 || left <= absl::ZeroDuration()) break;
    pollfd p = {out_fd_, POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(left))));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t got = read(out_fd_, buf, sizeof(buf));
    if (got <= 0) {
      close(out_fd_);
      out_fd_ = -1;
      break;
    }
    output_.append(buf, static_cast<size_t>(got));
  }
  *out_all = output_;
  return false;
}

void Subprocess::Kill() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (in_fd_ >= 0) close(in_fd_);
  out_fd_ = in_fd_ = -1;
}

}  // namespace testing
}  // namespace tls
}  // namespace onem2m
