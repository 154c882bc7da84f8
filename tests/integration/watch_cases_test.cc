// CaseService.WatchCases over real gRPC: events for every kind of case
// mutation in commit order, resume tokens, owner and type filters, request
// validation, and a server shutdown that ends open streams.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/integration/test_util.h"

namespace casebridge::testing {
namespace {

struct Watch {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<v1::WatchCasesResponse>> reader;
};

// Opens a stream and waits until the server has established it, so every
// event committed afterwards must arrive.
std::unique_ptr<Watch> OpenWatch(v1::CaseService::Stub* stub,
                                 const v1::WatchCasesRequest& request) {
  auto w = std::make_unique<Watch>();
  w->ctx.set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(30));
  w->reader = stub->WatchCases(&w->ctx, request);
  w->reader->WaitForInitialMetadata();
  return w;
}

// The next event; fails the test when the stream ends first.
v1::CaseEvent Next(Watch& w) {
  v1::WatchCasesResponse response;
  EXPECT_TRUE(w.reader->Read(&response)) << "the stream ended early";
  return response.event();
}

// The status a stream that should be refused ends with.
grpc::Status Refused(v1::CaseService::Stub* stub,
                     const v1::WatchCasesRequest& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = stub->WatchCases(&ctx, request);
  v1::WatchCasesResponse response;
  EXPECT_FALSE(reader->Read(&response)) << "a refused stream sent an event";
  return reader->Finish();
}

class WatchCasesTest : public CaseApiTest {
 protected:
  v1::WatchCasesRequest MyOwner() const {
    v1::WatchCasesRequest r;
    r.add_owners(owner_);
    return r;
  }
};

TEST_F(WatchCasesTest, EveryMutationIsOneEventInCommitOrder) {
  auto w = OpenWatch(stub_.get(), MyOwner());
  v1::Case c = CreateTitled("Watched");
  v1::CasePatch patch = PatchOf(c);
  patch.set_title("Watched, renamed");
  v1::Case updated = Update(patch);
  v1::Case commented = AddUserComment(c.id(), "first look");

  v1::CaseEvent created = Next(*w);
  EXPECT_EQ(created.type(), v1::CASE_EVENT_TYPE_CREATED);
  EXPECT_EQ(created.case_id(), c.id());
  EXPECT_EQ(created.owner(), owner_);
  EXPECT_EQ(created.version(), c.version());
  EXPECT_FALSE(created.resume_token().empty());
  EXPECT_TRUE(created.has_time());

  v1::CaseEvent update = Next(*w);
  EXPECT_EQ(update.type(), v1::CASE_EVENT_TYPE_UPDATED);
  EXPECT_EQ(update.case_id(), c.id());
  EXPECT_EQ(update.version(), updated.version());

  v1::CaseEvent comment = Next(*w);
  EXPECT_EQ(comment.type(), v1::CASE_EVENT_TYPE_COMMENTED);
  EXPECT_EQ(comment.version(), commented.version());

  v1::DeleteCasesRequest del;
  del.add_ids(c.id());
  v1::DeleteCasesResponse del_response;
  ASSERT_TRUE(
      Call(&v1::CaseService::Stub::DeleteCases, del, &del_response).ok());
  v1::CaseEvent deleted = Next(*w);
  EXPECT_EQ(deleted.type(), v1::CASE_EVENT_TYPE_DELETED);
  EXPECT_EQ(deleted.case_id(), c.id());
  EXPECT_TRUE(deleted.version().empty());

  std::vector<std::string> tokens = {
      created.resume_token(), update.resume_token(), comment.resume_token(),
      deleted.resume_token()};
  for (size_t i = 1; i < tokens.size(); ++i) {
    EXPECT_NE(tokens[i], tokens[i - 1]);
  }
  w->ctx.TryCancel();
}

TEST_F(WatchCasesTest, ResumeTokenReplaysOnlyLaterEvents) {
  std::string first_token;
  std::string second_id;
  {
    auto w = OpenWatch(stub_.get(), MyOwner());
    v1::Case a = CreateTitled("A");
    v1::Case b = CreateTitled("B");
    v1::CaseEvent ea = Next(*w);
    v1::CaseEvent eb = Next(*w);
    EXPECT_EQ(ea.case_id(), a.id());
    EXPECT_EQ(eb.case_id(), b.id());
    first_token = ea.resume_token();
    second_id = b.id();
    w->ctx.TryCancel();
  }
  // Committed while nobody watches.
  v1::Case c = CreateTitled("C");

  v1::WatchCasesRequest resume = MyOwner();
  resume.set_resume_token(first_token);
  auto w = OpenWatch(stub_.get(), resume);
  EXPECT_EQ(Next(*w).case_id(), second_id);
  EXPECT_EQ(Next(*w).case_id(), c.id());
  // And it follows live after the replay.
  v1::Case d = CreateTitled("D");
  EXPECT_EQ(Next(*w).case_id(), d.id());
  w->ctx.TryCancel();
}

TEST_F(WatchCasesTest, OwnerAndTypeFiltersNarrowTheFeed) {
  v1::WatchCasesRequest comments_only = MyOwner();
  comments_only.add_types(v1::CASE_EVENT_TYPE_COMMENTED);
  auto w = OpenWatch(stub_.get(), comments_only);

  // Another owner's case and comment, then this owner's.
  v1::CreateCaseRequest other = NewCase("Other owner");
  other.set_owner(owner_ + "-other");
  v1::Case o = Create(other);
  {
    v1::AddCommentRequest comment;
    comment.set_case_id(o.id());
    *comment.mutable_attachment() = UserContent("not for this watcher");
    v1::AddCommentResponse response;
    ASSERT_TRUE(
        Call(&v1::CaseService::Stub::AddComment, comment, &response).ok());
  }
  v1::Case mine = CreateTitled("Mine");
  AddUserComment(mine.id(), "for this watcher");

  v1::CaseEvent e = Next(*w);
  EXPECT_EQ(e.type(), v1::CASE_EVENT_TYPE_COMMENTED);
  EXPECT_EQ(e.case_id(), mine.id());
  EXPECT_EQ(e.owner(), owner_);
  w->ctx.TryCancel();
}

TEST_F(WatchCasesTest, BadRequestsAreRefusedNamingTheField) {
  v1::WatchCasesRequest bad_token = MyOwner();
  bad_token.set_resume_token("not-a-token");
  grpc::Status s = Refused(stub_.get(), bad_token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("resume_token"), std::string::npos)
      << s.error_message();

  v1::WatchCasesRequest ahead = MyOwner();
  ahead.set_resume_token("ev1.999999999999");
  s = Refused(stub_.get(), ahead);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("resume_token"), std::string::npos);

  v1::WatchCasesRequest bad_type = MyOwner();
  bad_type.add_types(v1::CASE_EVENT_TYPE_UNSPECIFIED);
  s = Refused(stub_.get(), bad_type);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("types[0]"), std::string::npos)
      << s.error_message();

  v1::WatchCasesRequest bad_owner;
  bad_owner.add_owners("bad owner!");
  s = Refused(stub_.get(), bad_owner);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("owners[0]"), std::string::npos)
      << s.error_message();
}

// A server of its own: stopping it ends the open stream with UNAVAILABLE
// (not the CANCELLED of gRPC's shutdown deadline), and a resume token from
// before the restart still works (events are in the store).
TEST(WatchCasesServerTest, ShutdownEndsStreamsAndTokensSurviveRestart) {
  ServerProcess server;
  ASSERT_TRUE(server.Start().ok());
  auto stub = server.NewCaseStub();
  v1::WatchCasesRequest all;
  auto w = OpenWatch(stub.get(), all);

  v1::CreateCaseRequest create;
  create.set_title("Before restart");
  create.set_description("d");
  create.set_owner("securitySolution");
  v1::CreateCaseResponse created;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->CreateCase(&ctx, create, &created).ok());
  }
  v1::CaseEvent first = Next(*w);
  EXPECT_EQ(first.case_id(), created.case_().id());

  ASSERT_TRUE(server.Restart().ok());
  v1::WatchCasesResponse response;
  EXPECT_FALSE(w->reader->Read(&response));
  grpc::Status ended = w->reader->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE)
      << ended.error_message();

  stub = server.NewCaseStub();
  create.set_title("After restart");
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->CreateCase(&ctx, create, &created).ok());
  }
  v1::WatchCasesRequest resume;
  resume.set_resume_token(first.resume_token());
  auto again = OpenWatch(stub.get(), resume);
  EXPECT_EQ(Next(*again).case_id(), created.case_().id());
  again->ctx.TryCancel();
}

}  // namespace
}  // namespace casebridge::testing
