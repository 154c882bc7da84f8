// Per-principal token bucket: `per_second` tokens refill continuously up to
// `burst`; each call takes one. Idle buckets are dropped after a minute.
//
// Thread-safe (one internal mutex).
#ifndef CASEBRIDGE_SERVER_AUTH_RATE_LIMITER_H_
#define CASEBRIDGE_SERVER_AUTH_RATE_LIMITER_H_

#include <string>
#include <unordered_map>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace casebridge::auth {

class RateLimiter {
 public:
  // per_second <= 0 turns the limiter off (Allow always true). burst <= 0
  // means max(1, per_second).
  RateLimiter(double per_second, double burst);

  bool enabled() const { return per_second_ > 0; }

  // Takes a token from `key`'s bucket; false when it is empty.
  bool Allow(const std::string& key, absl::Time now);

 private:
  struct Bucket {
    double tokens;
    absl::Time last;
  };
  const double per_second_;
  const double burst_;
  absl::Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace casebridge::auth

#endif  // CASEBRIDGE_SERVER_AUTH_RATE_LIMITER_H_
