#include "server/auth/rate_limiter.h"

#include <algorithm>

namespace casebridge::auth {

RateLimiter::RateLimiter(double per_second, double burst)
    : per_second_(per_second),
      burst_(burst > 0 ? burst : std::max(1.0, per_second)) {}

bool RateLimiter::Allow(const std::string& key, absl::Time now) {
  if (per_second_ <= 0) return true;
  absl::MutexLock lock(&mu_);
  if (now - last_sweep_ > absl::Minutes(1)) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      it = now - it->second.last > absl::Minutes(1) ? buckets_.erase(it)
                                                    : std::next(it);
    }
    last_sweep_ = now;
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted && now > b.last) {
    b.tokens = std::min(
        burst_, b.tokens + absl::ToDoubleSeconds(now - b.last) * per_second_);
    b.last = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace casebridge::auth
