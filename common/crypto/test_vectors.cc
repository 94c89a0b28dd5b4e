#include "common/crypto/test_vectors.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common/crypto/key_id.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace crypto {
namespace testing {

nlohmann::json LoadDerivationVectors() {
  const std::string rel = "tests/vectors/derivation.json";
  std::vector<std::string> candidates = {rel};
  if (const char* srcdir = std::getenv("TEST_SRCDIR")) {
    const char* ws = std::getenv("TEST_WORKSPACE");
    candidates.push_back(std::string(srcdir) + "/" + (ws ? ws : "onem2m_rsp") + "/" + rel);
  }
  for (const std::string& path : candidates) {
    std::ifstream in(path);
    if (!in) continue;
    std::stringstream buf;
    buf << in.rdbuf();
    nlohmann::json j = nlohmann::json::parse(buf.str(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      ADD_FAILURE() << path << " is not valid JSON";
      return nlohmann::json();
    }
    return j;
  }
  ADD_FAILURE() << "cannot find " << rel << " in the runfiles";
  return nlohmann::json();
}

SecretBytes HexField(const nlohmann::json& entry, const std::string& name) {
  if (!entry.contains(name) || !entry[name].is_string()) {
    ADD_FAILURE() << "vector lacks string field " << name;
    return SecretBytes();
  }
  absl::StatusOr<SecretBytes> bytes = ParseHexSecret(entry[name].get<std::string>());
  if (!bytes.ok()) {
    ADD_FAILURE() << "field " << name << ": " << bytes.status();
    return SecretBytes();
  }
  return *std::move(bytes);
}

std::string StringField(const nlohmann::json& entry, const std::string& name) {
  if (!entry.contains(name) || !entry[name].is_string()) {
    ADD_FAILURE() << "vector lacks string field " << name;
    return "";
  }
  return entry[name].get<std::string>();
}

}  // namespace testing
}  // namespace crypto
}  // namespace onem2m
