// The Store conformance suite: behaviour every Store implementation must
// share, written against the abstract interface only.
//
// An implementation plugs in by instantiating the value-parameterised suite
// with a StoreFactory in its own test file:
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(MySqliteFactory()),
//                            StoreFactoryName);
// and linking store_conformance_test.cc. The fixture gives every test a
// fresh temporary directory; a factory must open the same database again
// when called again with the same directory (the reopen test relies on it).
#ifndef CASEBRIDGE_TESTS_UNIT_STORE_CONFORMANCE_H_
#define CASEBRIDGE_TESTS_UNIT_STORE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "server/store/store.h"

namespace casebridge::store::testing {

struct StoreFactory {
  std::string name;  // a gtest-safe instantiation name
  std::function<absl::StatusOr<std::unique_ptr<Store>>(const std::string& dir)>
      open;
};

inline void PrintTo(const StoreFactory& factory, std::ostream* os) {
  *os << factory.name;
}

inline std::string StoreFactoryName(
    const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

#define CB_ASSERT_OK(expr)                      \
  do {                                          \
    const ::absl::Status cb_status_ = (expr);   \
    ASSERT_TRUE(cb_status_.ok()) << cb_status_; \
  } while (0)
#define CB_EXPECT_OK(expr)                      \
  do {                                          \
    const ::absl::Status cb_status_ = (expr);   \
    EXPECT_TRUE(cb_status_.ok()) << cb_status_; \
  } while (0)
#define CB_CONCAT_INNER(a, b) a##b
#define CB_CONCAT(a, b) CB_CONCAT_INNER(a, b)
#define CB_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  CB_ASSERT_OK_AND_ASSIGN_IMPL(CB_CONCAT(cb_statusor_, __LINE__), lhs, expr)
#define CB_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  ASSERT_TRUE(tmp.ok()) << tmp.status();             \
  lhs = std::move(*tmp)

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Closes and reopens the store on the same directory.
  void Reopen();

  // Conveniences; each runs in its own transaction and records a test
  // failure on error.
  void Insert(Case c);
  void Write(const std::function<void(Transaction&)>& fn);
  CasePage Find(const CaseQuery& query);
  std::vector<std::string> FindIds(
      const CaseFilter& filter);  // created_at ascending
  Case Get(const std::string& id);

  std::string dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace casebridge::store::testing

#endif  // CASEBRIDGE_TESTS_UNIT_STORE_CONFORMANCE_H_
