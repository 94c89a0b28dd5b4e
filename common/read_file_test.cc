#include "common/read_file.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace onem2m {
namespace {

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return "";
  std::fwrite(contents.data(), 1, contents.size(), f);
  std::fclose(f);
  return path;
}

TEST(ReadFileTest, ReadsTheWholeFile) {
  const std::string contents(20000, 'k');
  const std::string path = WriteTemp("whole.pem", contents);
  ASSERT_FALSE(path.empty());
  absl::StatusOr<std::string> got = ReadFile(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, contents);
  // Read into a buffer sized from the file: one byte to spare, never regrown.
  EXPECT_LE(got->capacity(), contents.size() + 16);
  unlink(path.c_str());
}

TEST(ReadFileTest, EmptyFileIsEmptyNotAnError) {
  const std::string path = WriteTemp("empty.pem", "");
  absl::StatusOr<std::string> got = ReadFile(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->empty());
  unlink(path.c_str());
}

TEST(ReadFileTest, MissingFileIsNotFoundNamingThePath) {
  absl::StatusOr<std::string> got = ReadFile("/nonexistent/a.crt");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(got.status().message().find("/nonexistent/a.crt"), std::string::npos);
  EXPECT_NE(got.status().message().find("No such file"), std::string::npos);
}

TEST(ReadFileTest, DirectoryIsAnErrorNotAnEmptyFile) {
  // An ifstream read a directory as "", and a PEM or hex check then blamed the contents.
  absl::StatusOr<std::string> got = ReadFile(::testing::TempDir());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(got.status().message().find("Is a directory"), std::string::npos);
}

TEST(ReadFileTest, ReadsFilesThatAreNotRegular) {
  // /proc files report size 0 and a pipe none: the buffer grows as the reads come.
  absl::StatusOr<std::string> got = ReadFile("/proc/self/status");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_NE(got->find("VmRSS:"), std::string::npos);
}

}  // namespace
}  // namespace onem2m
