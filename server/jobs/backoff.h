// Retry delays for push jobs: exponential backoff with jitter, and how a
// server's Retry-After hint combines with it. Pure functions; thread-safe.
#ifndef CASEBRIDGE_SERVER_JOBS_BACKOFF_H_
#define CASEBRIDGE_SERVER_JOBS_BACKOFF_H_

#include <optional>

#include "absl/time/time.h"

namespace casebridge::jobs {

struct BackoffPolicy {
  absl::Duration base = absl::Seconds(1);  // delay after the first failure
  absl::Duration cap = absl::Minutes(5);   // no computed delay exceeds this
};

// The longest Retry-After honoured; longer hints are clamped to it.
inline constexpr absl::Duration kMaxRetryAfter = absl::Hours(1);

// The delay after `failed_attempts` (>= 1) failed attempts: d = min(cap,
// base * 2^(failed_attempts - 1)), jittered into [d/2, d) by `jitter` in
// [0, 1) ("equal jitter": never less than half the nominal delay, so
// retries spread out without collapsing to zero).
absl::Duration BackoffDelay(const BackoffPolicy& policy, int failed_attempts,
                            double jitter);

// The delay before the next attempt: the backoff delay, or the server's
// hint (Retry-After / retry_after_ms) when that is longer, the hint clamped
// to kMaxRetryAfter.
absl::Duration RetryDelay(const BackoffPolicy& policy, int failed_attempts,
                          std::optional<absl::Duration> retry_after,
                          double jitter);

}  // namespace casebridge::jobs

#endif  // CASEBRIDGE_SERVER_JOBS_BACKOFF_H_
