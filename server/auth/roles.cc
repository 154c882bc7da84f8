#include "server/auth/roles.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace casebridge::auth {
namespace {

constexpr char kAnyOwner[] = "*";

int Index(Privilege p) { return static_cast<int>(p); }

}  // namespace

const char* PrivilegeName(Privilege privilege) {
  switch (privilege) {
    case Privilege::kCasesRead:
      return "cases:read";
    case Privilege::kCasesWrite:
      return "cases:all";
    case Privilege::kCasesDelete:
      return "cases:delete";
    case Privilege::kCasesSettings:
      return "cases:settings";
    case Privilege::kConnectorsRead:
      return "connectors:read";
    case Privilege::kConnectorsAll:
      return "connectors:all";
    case Privilege::kAdmin:
      return "admin";
  }
  return "unknown";
}

bool IsOwnerScoped(Privilege privilege) {
  return privilege == Privilege::kCasesRead ||
         privilege == Privilege::kCasesWrite ||
         privilege == Privilege::kCasesDelete ||
         privilege == Privilege::kCasesSettings;
}

absl::StatusOr<RoleSet> RoleSet::Parse(const std::vector<std::string>& roles) {
  RoleSet set;
  for (const std::string& role : roles) {
    std::vector<std::string> parts = absl::StrSplit(role, ':');
    auto grant = [&](Privilege p, const std::string& owner) {
      set.grants_[Index(p)].insert(owner);
    };
    bool ok = true;
    if (parts.size() == 1 && parts[0] == "superuser") {
      for (auto& g : set.grants_) g.insert(kAnyOwner);
    } else if (parts.size() == 1 && parts[0] == "admin") {
      grant(Privilege::kAdmin, kAnyOwner);
    } else if (parts.size() == 2 && parts[0] == "connectors") {
      if (parts[1] == "read") {
        grant(Privilege::kConnectorsRead, kAnyOwner);
      } else if (parts[1] == "all") {
        grant(Privilege::kConnectorsRead, kAnyOwner);
        grant(Privilege::kConnectorsAll, kAnyOwner);
      } else {
        ok = false;
      }
    } else if ((parts.size() == 2 || parts.size() == 3) &&
               parts[0] == "cases") {
      const std::string owner = parts.size() == 3 ? parts[2] : kAnyOwner;
      if (owner.empty()) ok = false;
      if (parts[1] == "read") {
        grant(Privilege::kCasesRead, owner);
      } else if (parts[1] == "all") {
        grant(Privilege::kCasesRead, owner);
        grant(Privilege::kCasesWrite, owner);
      } else if (parts[1] == "delete") {
        grant(Privilege::kCasesDelete, owner);
      } else if (parts[1] == "settings") {
        grant(Privilege::kCasesSettings, owner);
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown role '", role,
          "': use cases:read|all|delete|settings[:OWNER], connectors:read|all, "
          "admin or superuser"));
    }
    set.names_.push_back(role);
  }
  return set;
}

bool RoleSet::Allows(Privilege privilege, const std::string& owner) const {
  const std::set<std::string>& owners = grants_[Index(privilege)];
  if (owners.count(kAnyOwner) > 0) return true;
  return IsOwnerScoped(privilege) && !owner.empty() && owners.count(owner) > 0;
}

RoleSet::Readable RoleSet::ReadableOwners() const {
  Readable r;
  const std::set<std::string>& owners = grants_[Index(Privilege::kCasesRead)];
  if (owners.count(kAnyOwner) > 0) {
    r.all = true;
    return r;
  }
  r.owners.assign(owners.begin(), owners.end());
  return r;
}

}  // namespace casebridge::auth
