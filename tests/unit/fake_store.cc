#include "tests/unit/fake_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace casebridge::store::testing {

namespace {

absl::Status Unsupported(const char* what) {
  return absl::UnimplementedError(
      absl::StrCat(what, " is not supported by FakeStore"));
}

size_t AlertCount(const Attachment& a) {
  if (a.type != AttachmentType::kAlert) return 0;
  auto it = a.content.find("alertId");
  if (it == a.content.end()) return 0;
  return it->is_array() ? it->size() : 1;
}

}  // namespace

class FakeTransaction : public Transaction {
 public:
  FakeTransaction(FakeStore* store, bool write) : store_(store), write_(write) {
    if (write_) store_->writer_.lock();
    std::lock_guard<std::mutex> lock(store_->mu_);
    state_ = store_->state_;
  }
  ~FakeTransaction() override {
    if (write_ && !done_) store_->writer_.unlock();
  }

  absl::Status Commit() override {
    if (done_) return absl::FailedPreconditionError("transaction finished");
    done_ = true;
    absl::Status status;
    {
      std::lock_guard<std::mutex> lock(store_->mu_);
      status = std::exchange(store_->fail_next_commit_, absl::OkStatus());
      if (status.ok() && write_) store_->state_ = std::move(state_);
    }
    if (write_) store_->writer_.unlock();
    return status;
  }

  absl::StatusOr<Case> GetCase(std::string_view id) override {
    auto it = state_.cases.find(std::string(id));
    if (it == state_.cases.end()) return absl::NotFoundError("no such case");
    Case c = it->second;
    c.total_comment = 0;
    c.total_alerts = 0;
    for (const auto& a : state_.attachments) {
      if (a.case_id != c.id) continue;
      c.total_comment += a.type == AttachmentType::kUser;
      c.total_alerts += static_cast<int32_t>(AlertCount(a));
    }
    return c;
  }
  absl::StatusOr<std::vector<Case>> GetCases(
      absl::Span<const std::string> ids) override {
    std::vector<Case> out;
    for (const auto& id : ids) {
      auto c = GetCase(id);
      if (c.ok()) out.push_back(*std::move(c));
    }
    return out;
  }
  absl::Status InsertCase(Case& c) override {
    if (state_.cases.count(c.id) > 0) return absl::AlreadyExistsError(c.id);
    c.version = 1;
    state_.cases[c.id] = c;
    return absl::OkStatus();
  }
  absl::Status UpdateCase(Case& c) override {
    auto it = state_.cases.find(c.id);
    if (it == state_.cases.end()) return absl::NotFoundError(c.id);
    if (it->second.version != c.version) return absl::AbortedError(c.id);
    c.version += 1;
    it->second = c;
    return absl::OkStatus();
  }
  absl::Status DeleteCase(std::string_view id) override {
    std::string key(id);
    if (state_.cases.erase(key) == 0) return absl::NotFoundError(key);
    auto& atts = state_.attachments;
    atts.erase(
        std::remove_if(atts.begin(), atts.end(),
                       [&](const Attachment& a) { return a.case_id == key; }),
        atts.end());
    auto& acts = state_.user_actions;
    acts.erase(
        std::remove_if(acts.begin(), acts.end(),
                       [&](const UserAction& a) { return a.case_id == key; }),
        acts.end());
    return absl::OkStatus();
  }
  absl::StatusOr<CasePage> FindCases(const CaseQuery&) override {
    return Unsupported("FindCases");
  }
  absl::StatusOr<StatusCounts> CountCasesByStatus(const CaseFilter&) override {
    return Unsupported("CountCasesByStatus");
  }
  absl::StatusOr<std::vector<User>> ListReporters(
      absl::Span<const std::string>) override {
    return Unsupported("ListReporters");
  }
  absl::StatusOr<std::vector<std::string>> ListTags(
      absl::Span<const std::string>) override {
    return Unsupported("ListTags");
  }
  absl::StatusOr<std::vector<std::string>> ListCategories(
      absl::Span<const std::string>) override {
    return Unsupported("ListCategories");
  }
  absl::StatusOr<std::vector<Case>> FindCasesByAlert(
      std::string_view, absl::Span<const std::string>) override {
    return Unsupported("FindCasesByAlert");
  }

  absl::StatusOr<Attachment> GetAttachment(std::string_view case_id,
                                           std::string_view id) override {
    for (const auto& a : state_.attachments) {
      if (a.case_id == case_id && a.id == id) return a;
    }
    return absl::NotFoundError("no such attachment");
  }
  absl::StatusOr<std::vector<Attachment>> ListAttachments(
      std::string_view case_id) override {
    std::vector<Attachment> out;
    for (const auto& a : state_.attachments) {
      if (a.case_id == case_id) out.push_back(a);
    }
    return out;
  }
  absl::StatusOr<AttachmentPage> FindUserComments(std::string_view, bool, int,
                                                  int) override {
    return Unsupported("FindUserComments");
  }
  absl::Status InsertAttachment(Attachment& a) override {
    a.version = 1;
    state_.attachments.push_back(a);
    return absl::OkStatus();
  }
  absl::Status UpdateAttachment(Attachment& a) override {
    for (auto& stored : state_.attachments) {
      if (stored.id != a.id || stored.case_id != a.case_id) continue;
      if (stored.version != a.version) return absl::AbortedError(a.id);
      a.version += 1;
      stored = a;
      return absl::OkStatus();
    }
    return absl::NotFoundError(a.id);
  }
  absl::Status DeleteAttachment(std::string_view case_id,
                                std::string_view id) override {
    auto& atts = state_.attachments;
    auto it = std::find_if(atts.begin(), atts.end(), [&](const Attachment& a) {
      return a.case_id == case_id && a.id == id;
    });
    if (it == atts.end()) return absl::NotFoundError("no such attachment");
    atts.erase(it);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<CaseAlert>> ListCaseAlerts(
      std::string_view) override {
    return Unsupported("ListCaseAlerts");
  }

  absl::Status InsertUserAction(const UserAction& action) override {
    state_.user_actions.push_back(action);
    return absl::OkStatus();
  }
  absl::StatusOr<UserActionPage> FindUserActions(
      const UserActionQuery& query) override {
    UserActionPage page;
    for (const auto& a : state_.user_actions) {
      if (a.case_id != query.case_id) continue;
      if (!query.types.empty() &&
          std::find(query.types.begin(), query.types.end(), a.type) ==
              query.types.end()) {
        continue;
      }
      page.user_actions.push_back(a);
    }
    page.total = static_cast<int64_t>(page.user_actions.size());
    return page;
  }
  absl::StatusOr<int64_t> CountUserActions(std::string_view case_id) override {
    return std::count_if(
        state_.user_actions.begin(), state_.user_actions.end(),
        [&](const UserAction& a) { return a.case_id == case_id; });
  }

  absl::StatusOr<Configuration> GetConfiguration(std::string_view id) override {
    auto it = state_.configurations.find(std::string(id));
    if (it == state_.configurations.end()) return absl::NotFoundError("none");
    return it->second;
  }
  absl::StatusOr<Configuration> GetConfigurationByOwner(
      std::string_view owner) override {
    for (const auto& [id, c] : state_.configurations) {
      if (c.owner == owner) return c;
    }
    return absl::NotFoundError("no configuration");
  }
  absl::StatusOr<std::vector<Configuration>> ListConfigurations(
      absl::Span<const std::string>) override {
    return Unsupported("ListConfigurations");
  }
  absl::Status InsertConfiguration(Configuration& c) override {
    c.version = 1;
    state_.configurations[c.id] = c;
    return absl::OkStatus();
  }
  absl::Status UpdateConfiguration(Configuration& c) override {
    auto it = state_.configurations.find(c.id);
    if (it == state_.configurations.end()) return absl::NotFoundError(c.id);
    if (it->second.version != c.version) return absl::AbortedError(c.id);
    c.version += 1;
    it->second = c;
    return absl::OkStatus();
  }
  absl::Status DeleteConfiguration(std::string_view id) override {
    state_.configurations.erase(std::string(id));
    return absl::OkStatus();
  }

  absl::StatusOr<Connector> GetConnector(std::string_view) override {
    return Unsupported("connectors");
  }
  absl::StatusOr<std::vector<Connector>> ListConnectors() override {
    return Unsupported("connectors");
  }
  absl::Status InsertConnector(const Connector&) override {
    return Unsupported("connectors");
  }
  absl::Status UpdateConnector(const Connector&) override {
    return Unsupported("connectors");
  }
  absl::Status DeleteConnector(std::string_view) override {
    return Unsupported("connectors");
  }
  absl::StatusOr<int64_t> CountConnectorReferences(std::string_view) override {
    return Unsupported("connectors");
  }
  absl::StatusOr<std::optional<CachedToken>> GetCachedToken(
      std::string_view, std::string_view) override {
    return Unsupported("tokens");
  }
  absl::Status PutCachedToken(const CachedToken&) override {
    return Unsupported("tokens");
  }
  absl::Status DeleteCachedTokens(std::string_view) override {
    return Unsupported("tokens");
  }
  absl::StatusOr<std::optional<ApiKey>> GetApiKey(std::string_view) override {
    return Unsupported("api keys");
  }
  absl::StatusOr<std::vector<ApiKey>> ListApiKeys() override {
    return Unsupported("api keys");
  }
  absl::Status InsertApiKey(const ApiKey&) override {
    return Unsupported("api keys");
  }
  absl::Status RevokeApiKey(std::string_view, absl::Time) override {
    return Unsupported("api keys");
  }
  absl::Status InsertCaseEvent(CaseEvent& event) override {
    event.seq = ++state_.last_event_seq;
    state_.case_events.push_back(event);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<CaseEvent>> ListCaseEvents(int64_t after_seq,
                                                        int limit) override {
    std::vector<CaseEvent> out;
    for (const auto& e : state_.case_events) {
      if (e.seq > after_seq && static_cast<int>(out.size()) < limit) {
        out.push_back(e);
      }
    }
    return out;
  }
  absl::StatusOr<int64_t> LatestCaseEventSeq() override {
    return state_.last_event_seq;
  }
  absl::StatusOr<int64_t> PruneCaseEvents(absl::Time before) override {
    int64_t deleted = 0;
    auto& events = state_.case_events;
    while (!events.empty() && events.front().time < before) {
      state_.events_pruned_through = events.front().seq;
      events.erase(events.begin());
      ++deleted;
    }
    return deleted;
  }
  absl::StatusOr<int64_t> CaseEventsPrunedThrough() override {
    return state_.events_pruned_through;
  }

  absl::Status InsertPushJob(const PushJob&) override {
    return Unsupported("push jobs");
  }
  absl::StatusOr<PushJob> GetPushJob(std::string_view) override {
    return Unsupported("push jobs");
  }
  absl::Status UpdatePushJob(const PushJob&, std::string_view) override {
    return Unsupported("push jobs");
  }
  absl::StatusOr<PushJobPage> FindPushJobs(const PushJobQuery&) override {
    return Unsupported("push jobs");
  }
  absl::StatusOr<std::vector<PushJob>> ClaimPushJobs(std::string_view,
                                                     absl::Time, absl::Time,
                                                     int) override {
    return Unsupported("push jobs");
  }
  absl::Status RenewPushJobLease(std::string_view, std::string_view,
                                 absl::Time) override {
    return Unsupported("push jobs");
  }
  absl::StatusOr<std::optional<absl::Time>> NextPushJobDue() override {
    return Unsupported("push jobs");
  }
  absl::StatusOr<std::vector<PushJob>> LatestPushJobs(
      std::string_view) override {
    return std::vector<PushJob>();  // GetCase asks; the fake keeps none
  }
  absl::StatusOr<std::optional<PushRecord>> GetPushRecord(
      std::string_view, std::string_view) override {
    return Unsupported("push records");
  }
  absl::StatusOr<std::vector<PushRecord>> ListPushRecords(
      std::string_view) override {
    return std::vector<PushRecord>();  // GetCase asks; the fake keeps none
  }
  absl::Status PutPushRecord(const PushRecord&) override {
    return Unsupported("push records");
  }

 private:
  FakeStore* store_;
  bool write_;
  bool done_ = false;
  FakeState state_;
};

absl::StatusOr<std::unique_ptr<Transaction>> FakeStore::BeginRead() {
  return std::unique_ptr<Transaction>(new FakeTransaction(this, false));
}

absl::StatusOr<std::unique_ptr<Transaction>> FakeStore::BeginWrite() {
  return std::unique_ptr<Transaction>(new FakeTransaction(this, true));
}

FakeState FakeStore::Snapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

}  // namespace casebridge::store::testing
