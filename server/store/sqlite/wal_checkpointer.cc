#include "server/store/sqlite/wal_checkpointer.h"

#include <utility>

#include "server/util/log.h"

namespace casebridge::store::sqlite {
namespace {

constexpr char kComponent[] = "store";

}  // namespace

absl::StatusOr<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(
    const std::string& path, Conn* writer, int threshold_pages,
    absl::Duration busy_timeout) {
  SQ_ASSIGN_OR_RETURN(std::unique_ptr<Conn> own,
                      Conn::Open(path, /*read_only=*/false, busy_timeout));
  std::unique_ptr<WalCheckpointer> checkpointer(
      new WalCheckpointer(writer, std::move(own), threshold_pages));
  // Replaces SQLite's own hook, i.e. turns automatic checkpoints off.
  sqlite3_wal_hook(writer->db(), &WalCheckpointer::OnCommit,
                   checkpointer.get());
  checkpointer->thread_ = std::thread([p = checkpointer.get()] { p->Run(); });
  return checkpointer;
}

WalCheckpointer::WalCheckpointer(Conn* writer, std::unique_ptr<Conn> own,
                                 int threshold_pages)
    : writer_(writer),
      own_(std::move(own)),
      threshold_pages_(threshold_pages < 1 ? 1 : threshold_pages) {}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_->db(), nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int64_t WalCheckpointer::checkpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checkpoints_;
}

int WalCheckpointer::OnCommit(void* self, sqlite3* /*db*/, const char* /*name*/,
                              int pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  if (pages < checkpointer->threshold_pages_) return SQLITE_OK;
  {
    std::lock_guard<std::mutex> lock(checkpointer->mu_);
    checkpointer->wanted_ = true;
  }
  checkpointer->cv_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::Run() {
  bool warned = false;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return wanted_ || stopping_; });
      if (stopping_) return;
      wanted_ = false;
    }
    int wal_frames = 0;
    int copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(
        own_->db(), "main", SQLITE_CHECKPOINT_PASSIVE, &wal_frames, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      if (!warned) {
        log::Warn(kComponent, "WAL checkpoint failed: ",
                  SqliteError(own_->db(), rc, "wal checkpoint").ToString());
        warned = true;
      }
      continue;
    }
    warned = false;
    std::lock_guard<std::mutex> lock(mu_);
    ++checkpoints_;
  }
}

}  // namespace casebridge::store::sqlite
