// File: common/tls/testing/subprocess.h
//
// TEST ONLY. Runs a program (e.g. /usr/bin/openssl s_server) with stdin, stdout and stderr on
// pipes, lets the test wait for a pattern in its output with a deadline, and kills it (SIGKILL)
// when the object dies, so a test never leaves a process behind or hangs on one.
//
//   Subprocess p({"/usr/bin/openssl", "s_server", "-accept", "0", ...});
//   std::string out;
//   ASSERT_TRUE(p.WaitFor("ACCEPT", absl::Now() + absl::Seconds(5), &out));
#ifndef ONEM2M_COMMON_TLS_TESTING_SUBPROCESS_H_
#define ONEM2M_COMMON_TLS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace onem2m {
namespace tls {
namespace testing {

class Subprocess {
 public:
  // Subprocess starts `argv` (argv[0] is an absolute path). started() reports success.
  explicit Subprocess(const std::vector<std::string>& argv);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool started() const { return pid_ > 0; }

  // WaitFor reads the combined stdout/stderr until it contains `pattern` followed by a newline
  // (true) or until `deadline` or EOF (false). `*out_all` receives everything read so far.
  bool WaitFor(absl::string_view pattern, absl::Time deadline, std::string* out_all);

  // Output returns everything read so far.
  const std::string& Output() const { return output_; }

  // Kill sends SIGKILL and reaps the process.
  void Kill();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
  std::string output_;
};

}  // namespace testing
}  // namespace tls
}  // namespace onem2m

#endif  // ONEM2M_COMMON_TLS_TESTING_SUBPROCESS_H_
