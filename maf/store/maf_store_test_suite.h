// File: maf/store/maf_store_test_suite.h
//
// The behavioural suite every MafStore implementation passes. An implementation's test instantiates
// it with a factory that builds a fresh, empty store reading time from the given clock:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, MafStoreTest, ::testing::Values(MafStoreFactory(
//       [](const Clock* clock) -> std::unique_ptr<MafStore> {
//         return MemoryMafStore::Create(clock);
//       })));
//
// A factory may return nullptr to skip (e.g. PostgreSQL not configured).
#ifndef ONEM2M_MAF_STORE_MAF_STORE_TEST_SUITE_H_
#define ONEM2M_MAF_STORE_MAF_STORE_TEST_SUITE_H_

#include <functional>
#include <memory>

#include "gtest/gtest.h"
#include "maf/store/maf_store.h"

namespace onem2m {
namespace maf {

// The clock (a FakeClock the suite moves) outlives the store.
using MafStoreFactory = std::function<std::unique_ptr<MafStore>(const Clock* clock)>;

class MafStoreTest : public ::testing::TestWithParam<MafStoreFactory> {};

}  // namespace maf
}  // namespace onem2m

#endif  // ONEM2M_MAF_STORE_MAF_STORE_TEST_SUITE_H_
