#include "server/auth/authenticator.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/auth/api_key.h"

namespace casebridge::auth {
namespace {

// Stored keys are re-read at most this often, so a revocation made by
// another server instance takes effect within this time.
constexpr absl::Duration kCacheTtl = absl::Seconds(5);
constexpr size_t kMaxCacheEntries = 4096;

constexpr char kHowToAuthenticate[] =
    "send the metadata header 'authorization: ApiKey <key>' or "
    "'authorization: Bearer <JWT>'";

store::User ToUser(const config::Principal& p) {
  return store::User{p.username, p.full_name, p.email, p.profile_uid};
}

std::string ClaimString(const nlohmann::json& claims, const std::string& name) {
  if (name.empty() || !claims.contains(name)) return "";
  const nlohmann::json& v = claims[name];
  return v.is_string() ? v.get<std::string>() : "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    const config::AuthConfig& auth, const config::Principal& default_user,
    ApiKeyLookup lookup) {
  std::unique_ptr<Authenticator> a(new Authenticator());
  a->lookup_ = std::move(lookup);
  for (const auto& k : auth.api_keys) {
    auto roles = RoleSet::Parse(k.roles);
    if (!roles.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "auth.api_keys '", k.id, "': ", roles.status().message()));
    }
    a->config_keys_.push_back({k.id, absl::AsciiStrToLower(k.sha256),
                               ToUser(k.principal), *std::move(roles)});
  }
  if (!auth.jwt.public_key_files.empty()) {
    JwtVerifierOptions options;
    for (const auto& path : auth.jwt.public_key_files) {
      std::ifstream in(path);
      if (!in) {
        return absl::InvalidArgumentError(
            absl::StrCat("auth.jwt.public_key_files: cannot read ", path));
      }
      std::stringstream buffer;
      buffer << in.rdbuf();
      options.public_keys_pem.push_back(buffer.str());
    }
    options.issuer = auth.jwt.issuer;
    options.audiences = auth.jwt.audiences;
    options.leeway = absl::Seconds(auth.jwt.leeway_seconds);
    auto verifier = JwtVerifier::Create(std::move(options));
    if (!verifier.ok()) return verifier.status();
    a->jwt_ = *std::move(verifier);
    a->jwt_config_ = auth.jwt;
  }
  if (auth.anonymous.enabled) {
    auto roles = RoleSet::Parse(auth.anonymous.roles);
    if (!roles.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("auth.anonymous: ", roles.status().message()));
    }
    Principal p;
    p.user = ToUser(auth.anonymous.principal_set ? auth.anonymous.principal
                                                 : default_user);
    p.id = "anonymous";
    p.method = "anonymous";
    p.roles = *std::move(roles);
    a->anonymous_ = std::move(p);
  }
  return a;
}

absl::StatusOr<Principal> Authenticator::Authenticate(std::string_view header,
                                                      absl::Time now) const {
  Credentials credentials;
  ParseAuthorization(header, &credentials);
  switch (credentials.kind) {
    case Credentials::Kind::kNone:
      if (anonymous_.has_value()) return *anonymous_;
      return absl::UnauthenticatedError(
          absl::StrCat("no credentials: ", kHowToAuthenticate));
    case Credentials::Kind::kMalformed:
      return absl::UnauthenticatedError(absl::StrCat(
          "the authorization header is not understood: ", kHowToAuthenticate));
    case Credentials::Kind::kApiKey:
      return FromApiKey(credentials.value);
    case Credentials::Kind::kJwt:
      return FromJwt(credentials.value, now);
  }
  return absl::UnauthenticatedError(kHowToAuthenticate);
}

absl::StatusOr<Principal> Authenticator::FromApiKey(
    const std::string& key) const {
  std::string hash = HashApiKey(key);
  // Every config key is compared, so the time taken does not tell which one
  // matched.
  const ConfigKey* match = nullptr;
  for (const auto& k : config_keys_) {
    if (ConstantTimeEquals(hash, k.sha256) && match == nullptr) match = &k;
  }
  if (match != nullptr) {
    Wipe(hash);
    Principal p;
    p.user = match->user;
    p.id = "apikey:" + match->id;
    p.method = "api_key";
    p.roles = match->roles;
    return p;
  }
  const std::string id = ApiKeyId(key);
  if (!id.empty() && lookup_) {
    std::optional<ApiKeyRecord> record;
    bool cached = false;
    {
      absl::MutexLock lock(&mu_);
      auto it = cache_.find(id);
      if (it != cache_.end() && absl::Now() - it->second.fetched < kCacheTtl) {
        record = it->second.record;
        cached = true;
      }
    }
    if (!cached) {
      auto found = lookup_(id);
      if (!found.ok()) {
        Wipe(hash);
        return absl::UnavailableError(
            "API keys cannot be checked right now; retry");
      }
      record = *found;
      absl::MutexLock lock(&mu_);
      if (cache_.size() >= kMaxCacheEntries) cache_.clear();
      cache_[id] = Cached{record, absl::Now()};
    }
    if (record.has_value() && !record->revoked &&
        ConstantTimeEquals(hash, record->sha256)) {
      Wipe(hash);
      auto roles = RoleSet::Parse(record->roles);
      if (!roles.ok()) {
        return absl::PermissionDeniedError(
            "this API key carries a role the server does not know");
      }
      Principal p;
      p.user = record->user;
      p.id = "apikey:" + record->id;
      p.method = "api_key";
      p.roles = *std::move(roles);
      return p;
    }
  }
  Wipe(hash);
  return absl::UnauthenticatedError(
      "the API key is not valid (unknown or revoked): send a current key as "
      "'authorization: ApiKey <key>'");
}

absl::StatusOr<Principal> Authenticator::FromJwt(const std::string& token,
                                                 absl::Time now) const {
  if (jwt_ == nullptr) {
    return absl::UnauthenticatedError(
        "bearer tokens (JWT) are not accepted by this server: send "
        "'authorization: ApiKey <key>'");
  }
  auto claims = jwt_->Verify(token, now);
  if (!claims.ok()) return claims.status();
  Principal p;
  p.user.username = ClaimString(*claims, jwt_config_.username_claim);
  if (p.user.username.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("the bearer token was refused: no '",
                     jwt_config_.username_claim, "' claim"));
  }
  p.user.full_name = ClaimString(*claims, jwt_config_.full_name_claim);
  p.user.email = ClaimString(*claims, jwt_config_.email_claim);
  p.user.profile_uid = ClaimString(*claims, jwt_config_.profile_uid_claim);
  std::vector<std::string> role_names;
  if (claims->contains(jwt_config_.roles_claim)) {
    const nlohmann::json& r = (*claims)[jwt_config_.roles_claim];
    if (r.is_array()) {
      for (const auto& x : r) {
        if (x.is_string()) role_names.push_back(x.get<std::string>());
      }
    } else if (r.is_string()) {
      role_names = absl::StrSplit(r.get<std::string>(), ' ', absl::SkipEmpty());
    }
  }
  // Unknown roles in a token are ignored (the issuer may serve other
  // applications too); only known ones grant anything.
  std::vector<std::string> known;
  for (const auto& name : role_names) {
    if (RoleSet::Parse({name}).ok()) known.push_back(name);
  }
  p.roles = *RoleSet::Parse(known);
  p.id = "jwt:" + p.user.username;
  p.method = "jwt";
  return p;
}

void Authenticator::Forget(const std::string& key_id) const {
  absl::MutexLock lock(&mu_);
  cache_.erase(key_id);
}

}  // namespace casebridge::auth
