#include "server/jobs/backoff.h"

#include <algorithm>

namespace casebridge::jobs {

absl::Duration BackoffDelay(const BackoffPolicy& policy, int failed_attempts,
                            double jitter) {
  if (failed_attempts < 1) failed_attempts = 1;
  jitter = std::clamp(jitter, 0.0, 1.0);
  absl::Duration d = policy.base;
  for (int i = 1; i < failed_attempts && d < policy.cap; ++i) d *= 2;
  d = std::min(d, policy.cap);
  if (d <= absl::ZeroDuration()) return absl::ZeroDuration();
  return d / 2 + (d / 2) * jitter;
}

absl::Duration RetryDelay(const BackoffPolicy& policy, int failed_attempts,
                          std::optional<absl::Duration> retry_after,
                          double jitter) {
  absl::Duration d = BackoffDelay(policy, failed_attempts, jitter);
  if (retry_after) d = std::max(d, std::min(*retry_after, kMaxRetryAfter));
  return d;
}

}  // namespace casebridge::jobs
