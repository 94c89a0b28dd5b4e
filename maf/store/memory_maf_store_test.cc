#include "maf/store/memory_maf_store.h"

#include "maf/store/maf_store_test_suite.h"

namespace onem2m {
namespace maf {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Memory, MafStoreTest,
    ::testing::Values(MafStoreFactory([](const Clock* clock) -> std::unique_ptr<MafStore> {
      return MemoryMafStore::Create(clock);
    })));

}  // namespace
}  // namespace maf
}  // namespace onem2m
