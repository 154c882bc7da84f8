#include "server/store/sqlite/case_doc.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "server/store/sqlite/sqlite_codec.h"

namespace casebridge::store::sqlite {
namespace {

// Layout (all integers little-endian; sizes and counts are varints):
//   u8 format (kFormat)
//   tags: count, strings        assignees: count, strings
//   custom fields: count, each {string key, u8 type, u8 kind, value}
//     kind 0 none, 1 string, 2 bool (u8), 3 int64 (8 bytes)
//   connector: string id, name, type, fields (JSON text; "" = null)
//   u8 flags (kFlag*), i64 duration if kHasDuration
//   created_by; updated_by, closed_by if flagged (user = 4 strings)
//   external service if flagged: 5 strings, i64 pushed_at (us), user
constexpr uint8_t kFormat = 1;
constexpr uint8_t kSyncAlerts = 1 << 0;
constexpr uint8_t kHasDuration = 1 << 1;
constexpr uint8_t kHasUpdatedBy = 1 << 2;
constexpr uint8_t kHasClosedBy = 1 << 3;
constexpr uint8_t kHasExternalService = 1 << 4;

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void I64(int64_t v) {
    uint64_t u = static_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(u >> (8 * i)));
  }
  void Str(std::string_view s) {
    Varint(s.size());
    out_.append(s.data(), s.size());
  }
  void Strings(const std::vector<std::string>& v) {
    Varint(v.size());
    for (const std::string& s : v) Str(s);
  }
  void UserValue(const User& u) {
    Str(u.username);
    Str(u.full_name);
    Str(u.email);
    Str(u.profile_uid);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Every read fails softly: once out of bounds, ok() is false and reads
// return defaults.
class Reader {
 public:
  explicit Reader(std::string_view in)
      : p_(in.data()), end_(in.data() + in.size()) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return p_ == end_; }

  uint8_t U8() {
    if (!Need(1)) return 0;
    return static_cast<uint8_t>(*p_++);
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1)) return 0;
      uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  int64_t I64() {
    if (!Need(8)) return 0;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i)
      u |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += 8;
    return static_cast<int64_t>(u);
  }
  void Str(std::string* s) {
    uint64_t n = Varint();
    if (!Need(n)) return;
    s->assign(p_, static_cast<size_t>(n));
    p_ += n;
  }
  std::string_view View() {
    uint64_t n = Varint();
    if (!Need(n)) return {};
    std::string_view v(p_, static_cast<size_t>(n));
    p_ += n;
    return v;
  }
  // A count of items that take at least one byte each.
  size_t Count() {
    uint64_t n = Varint();
    if (!Need(n)) return 0;
    return static_cast<size_t>(n);
  }
  void Strings(std::vector<std::string>* v) {
    size_t n = Count();
    v->resize(n);
    for (std::string& s : *v) Str(&s);
  }
  void UserValue(User* u) {
    Str(&u->username);
    Str(&u->full_name);
    Str(&u->email);
    Str(&u->profile_uid);
  }

 private:
  bool Need(uint64_t n) {
    if (!ok_ || static_cast<uint64_t>(end_ - p_) < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

absl::Status Corrupt() {
  return absl::InternalError("sqlite store: corrupt case document");
}

}  // namespace

std::string EncodeCaseDoc(const Case& c) {
  Writer w;
  w.U8(kFormat);
  w.Strings(c.tags);
  w.Strings(c.assignees);
  w.Varint(c.custom_fields.size());
  for (const CustomFieldValue& f : c.custom_fields) {
    w.Str(f.key);
    w.U8(static_cast<uint8_t>(f.type));
    if (const auto* s = std::get_if<std::string>(&f.value)) {
      w.U8(1);
      w.Str(*s);
    } else if (const auto* b = std::get_if<bool>(&f.value)) {
      w.U8(2);
      w.U8(*b ? 1 : 0);
    } else if (const auto* n = std::get_if<int64_t>(&f.value)) {
      w.U8(3);
      w.I64(*n);
    } else {
      w.U8(0);
    }
  }
  w.Str(c.connector.id);
  w.Str(c.connector.name);
  w.Str(c.connector.type);
  w.Str(c.connector.fields.is_null() ? std::string()
                                     : DumpJson(c.connector.fields));
  uint8_t flags = 0;
  if (c.sync_alerts) flags |= kSyncAlerts;
  if (c.duration_seconds) flags |= kHasDuration;
  if (c.updated_by) flags |= kHasUpdatedBy;
  if (c.closed_by) flags |= kHasClosedBy;
  if (c.external_service) flags |= kHasExternalService;
  w.U8(flags);
  if (c.duration_seconds) w.I64(*c.duration_seconds);
  w.UserValue(c.created_by);
  if (c.updated_by) w.UserValue(*c.updated_by);
  if (c.closed_by) w.UserValue(*c.closed_by);
  if (c.external_service) {
    const ExternalService& e = *c.external_service;
    w.Str(e.connector_id);
    w.Str(e.connector_name);
    w.Str(e.external_id);
    w.Str(e.external_title);
    w.Str(e.external_url);
    w.I64(absl::ToUnixMicros(e.pushed_at));
    w.UserValue(e.pushed_by);
  }
  return w.Take();
}

absl::Status DecodeCaseDoc(std::string_view blob, Case* c) {
  Reader r(blob);
  if (r.U8() != kFormat) return Corrupt();
  r.Strings(&c->tags);
  r.Strings(&c->assignees);
  size_t n = r.Count();
  c->custom_fields.clear();
  c->custom_fields.reserve(n);
  for (size_t i = 0; i < n && r.ok(); ++i) {
    CustomFieldValue f;
    r.Str(&f.key);
    switch (r.U8()) {
      case 1:
        f.type = CustomFieldType::kToggle;
        break;
      case 2:
        f.type = CustomFieldType::kNumber;
        break;
      default:
        f.type = CustomFieldType::kText;
        break;
    }
    switch (r.U8()) {
      case 1: {
        std::string s;
        r.Str(&s);
        f.value = std::move(s);
        break;
      }
      case 2:
        f.value = r.U8() != 0;
        break;
      case 3:
        f.value = r.I64();
        break;
      default:
        break;
    }
    c->custom_fields.push_back(std::move(f));
  }
  r.Str(&c->connector.id);
  r.Str(&c->connector.name);
  r.Str(&c->connector.type);
  std::string_view fields = r.View();
  if (fields.empty()) {
    c->connector.fields = nullptr;
  } else {
    absl::StatusOr<Json> j = ParseJson(fields, "case connector fields");
    if (!j.ok()) return j.status();
    c->connector.fields = *std::move(j);
  }
  const uint8_t flags = r.U8();
  c->sync_alerts = (flags & kSyncAlerts) != 0;
  c->duration_seconds.reset();
  if (flags & kHasDuration) c->duration_seconds = r.I64();
  r.UserValue(&c->created_by);
  c->updated_by.reset();
  c->closed_by.reset();
  c->external_service.reset();
  if (flags & kHasUpdatedBy) r.UserValue(&c->updated_by.emplace());
  if (flags & kHasClosedBy) r.UserValue(&c->closed_by.emplace());
  if (flags & kHasExternalService) {
    ExternalService& e = c->external_service.emplace();
    r.Str(&e.connector_id);
    r.Str(&e.connector_name);
    r.Str(&e.external_id);
    r.Str(&e.external_title);
    r.Str(&e.external_url);
    e.pushed_at = absl::FromUnixMicros(r.I64());
    r.UserValue(&e.pushed_by);
  }
  if (!r.ok() || !r.AtEnd()) return Corrupt();
  return absl::OkStatus();
}

}  // namespace casebridge::store::sqlite
