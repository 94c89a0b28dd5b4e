// File: tests/e2e/process_runner.h
//
// Helpers for end-to-end tests that run the service binaries as real child processes: start a
// binary with its stdout/stderr in files, stop it with SIGTERM and then SIGKILL after a deadline
// (also from the destructor, so a failed assertion never leaks a process; children also get
// PR_SET_PDEATHSIG=SIGKILL in case the test binary itself dies), run a short command to
// completion with a timeout, locate Bazel runfiles, pick free loopback ports and probe a plain
// HTTP endpoint (/readyz). Loopback only; every wait has a deadline.
#ifndef ONEM2M_TESTS_E2E_PROCESS_RUNNER_H_
#define ONEM2M_TESTS_E2E_PROCESS_RUNNER_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace onem2m::e2e {

// RunfilePath returns the absolute path of `workspace_relative` (e.g. "services/mef/mef_server")
// in the test's runfiles ($TEST_SRCDIR/<workspace>/...).
std::string RunfilePath(const std::string& workspace_relative);

// TestTempDir returns $TEST_TMPDIR (or /tmp) joined with a fresh unique sub-directory.
std::string NewTempDir(const std::string& stem);

absl::Status WriteFileWithMode(const std::string& path, const std::string& contents, int mode);
std::string ReadFileOrEmpty(const std::string& path);

// PickFreePort binds 127.0.0.1:0 (TCP; and the same number over UDP when `udp_too`) and returns
// the number after closing the sockets. Racy by nature; callers retry a start that fails to bind.
int PickFreePort(bool udp_too = false);

// HttpGetStatus returns the HTTP status code of GET http://127.0.0.1:<port><path>, or an error.
absl::StatusOr<int> HttpGetStatus(int port, const std::string& path, absl::Duration timeout);

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // Stop(5 s) if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Start forks and execs argv[0] with argv; stdout to `stdout_path`, stderr to `stderr_path`.
  absl::Status Start(const std::vector<std::string>& argv, const std::string& stdout_path,
                     const std::string& stderr_path);

  pid_t pid() const { return pid_; }
  // Running is true until the child has been reaped (polls waitpid without blocking).
  bool Running();
  // Exit status as from waitpid (only after Running() returned false or Stop()).
  std::optional<int> wait_status() const { return status_; }

  // Stop sends SIGTERM, waits up to `grace`, then SIGKILL and waits. Returns the wait status.
  int Stop(absl::Duration grace);
  // Kill sends SIGKILL and reaps.
  void Kill();

  const std::string& stderr_path() const { return stderr_path_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string stderr_path_;
};

struct CommandResult {
  int exit_code = -1;  // -1: killed / timed out
  std::string output;  // stdout then stderr
};

// RunCommand runs argv to completion (SIGKILL after `timeout`) and returns its exit code and output.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& work_dir,
                         absl::Duration timeout);

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_PROCESS_RUNNER_H_
