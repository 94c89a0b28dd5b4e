// File: common/read_file.h
//
// ReadFile reads a whole file for the services and tools: certificates and private keys, an
// operator's enrolee file, a device's Kpm file. Some of those hold secrets, so it reads straight
// into one buffer sized from the file (no stream buffer or reallocation leaves a copy behind; the
// caller wipes the result, WipeString in common/secret_bytes.h), and it reports a path that cannot
// be read as such: an ifstream reads a directory as an empty file and a failed read as a short one,
// and the caller would then blame the contents.
#ifndef ONEM2M_COMMON_READ_FILE_H_
#define ONEM2M_COMMON_READ_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace onem2m {

// ReadFile returns a file's contents, or an error naming the path and the system's reason:
// NotFound (missing or unopenable), PermissionDenied, FailedPrecondition (a directory), DataLoss (a
// failed read).
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace onem2m

#endif  // ONEM2M_COMMON_READ_FILE_H_
