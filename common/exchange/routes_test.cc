#include "common/exchange/routes.h"

#include "common/exchange/rsc.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace {

TEST(RoutesTest, ResolvesEveryPath) {
  for (Operation op :
       {Operation::kEnrolment, Operation::kMafClientRegistration,
        Operation::kMafClientConfigRetrieval, Operation::kMafClientUpdate,
        Operation::kMafClientDeregistration, Operation::kMafKeyRegistration,
        Operation::kMafKeyRetrieval, Operation::kMafKeyUpdate, Operation::kMafKeyDeregistration,
        Operation::kMafDeregistration}) {
    Request r;
    r.path = std::string(PathFor(op));
    absl::StatusOr<Operation> got = ResolveOperation(r);
    ASSERT_TRUE(got.ok()) << r.path;
    EXPECT_EQ(*got, op);
  }
  EXPECT_EQ(SuccessRsc(Operation::kEnrolment), kRscCreated);
  EXPECT_EQ(SuccessRsc(Operation::kMafKeyRetrieval), kRscOk);
  EXPECT_EQ(SuccessRsc(Operation::kMafDeregistration), kRscDeleted);
  // TS-0003 8.8.2.4 .. 8.8.2.6 and 8.8.2.10: a retrieval, an update and two deletions.
  EXPECT_EQ(SuccessRsc(Operation::kMafClientConfigRetrieval), kRscOk);
  EXPECT_EQ(SuccessRsc(Operation::kMafClientUpdate), kRscUpdated);
  EXPECT_EQ(SuccessRsc(Operation::kMafClientDeregistration), kRscDeleted);
  EXPECT_EQ(SuccessRsc(Operation::kMafKeyDeregistration), kRscDeleted);
  EXPECT_EQ(PathFor(Operation::kMafClientConfigRetrieval), "/maf/clients/config");
  EXPECT_EQ(PathFor(Operation::kMafKeyDeregistration), "/maf/keys/deregister");
}

TEST(RoutesTest, UnknownPathIsNotFound) {
  Request r;
  r.path = "/enrolment/";
  EXPECT_EQ(RscForStatus(ResolveOperation(r).status()), kRscNotFound);
}

TEST(RoutesTest, WrongMethodIsOperationNotAllowed) {
  Request r;
  r.path = "/enrolment";
  r.method = Method::kGet;
  EXPECT_EQ(RscForStatus(ResolveOperation(r).status()), kRscOperationNotAllowed);
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m
