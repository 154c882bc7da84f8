// A client for the server's own grpc.health.v1 service, for container
// HEALTHCHECKs and scripts where grpc_health_probe is not installed
// (`casebridge-server --health-probe 127.0.0.1:50051`). Stateless;
// thread-safe.
#ifndef CASEBRIDGE_SERVER_API_HEALTH_PROBE_H_
#define CASEBRIDGE_SERVER_API_HEALTH_PROBE_H_

#include <string>

namespace casebridge::api {

// Checks `address` (host:port, plaintext) with Health.Check for the overall
// service within `timeout_ms`. Returns 0 when SERVING, 1 otherwise, after
// printing one line saying what was found.
int RunHealthProbe(const std::string& address, int timeout_ms = 3000);

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_HEALTH_PROBE_H_
