// Reading the server's Prometheus endpoint in tests: find its port in the
// server's log, fetch the exposition text, pick one series' value.
#ifndef CASEBRIDGE_TESTS_INTEGRATION_METRICS_SCRAPE_H_
#define CASEBRIDGE_TESTS_INTEGRATION_METRICS_SCRAPE_H_

#include <map>
#include <string>

namespace casebridge::testing {

// The port of "serving Prometheus metrics on http://127.0.0.1:<port>/metrics"
// in `server_log`; 0 when absent.
int MetricsPort(const std::string& server_log);

// GET http://127.0.0.1:<port><path>; the body, or "" on any failure.
std::string HttpGet(int port, const std::string& path);

// Value of the series `name` whose labels include all of `labels`; -1 when
// no such series exists.
double SeriesValue(const std::string& text, const std::string& name,
                   const std::map<std::string, std::string>& labels);

}  // namespace casebridge::testing

#endif  // CASEBRIDGE_TESTS_INTEGRATION_METRICS_SCRAPE_H_
