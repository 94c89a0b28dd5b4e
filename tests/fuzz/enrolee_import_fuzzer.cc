// libFuzzer target: the enrolee import of rsp_admin (services/admin/enrolee_file.h and
// csv_reader.h). The first byte picks CSV or JSON; every row is pulled until the end or an error.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "services/admin/csv_reader.h"
#include "services/admin/enrolee_file.h"

namespace admin = onem2m::admin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode == 2) {  // the bare CSV tokenizer
    std::istringstream in(text);
    admin::CsvReader reader(&in);
    std::vector<std::string> fields;
    for (int i = 0; i < 10000; ++i) {
      absl::StatusOr<bool> more = reader.ReadRecord(&fields);
      if (!more.ok() || !*more) break;
    }
    return 0;
  }
  absl::StatusOr<std::unique_ptr<admin::EnroleeSource>> src =
      mode == 0 ? admin::OpenCsvText(text) : admin::OpenJsonText(text);
  if (!src.ok()) return 0;
  (void)(*src)->total_rows();
  admin::SourceRow row;
  for (int i = 0; i < 10000; ++i) {
    absl::StatusOr<bool> more = (*src)->Next(&row);
    if (!more.ok() || !*more) break;
  }
  std::string kpm;
  (void)admin::ParseKpmHex(text, &kpm);
  return 0;
}
