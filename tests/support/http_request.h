#pragma once
// Plain HTTP to a daemon's metrics port, for the tests of /metrics and
// /healthz. HttpRequest sends `request` as given to `address` (127.0.0.1:port)
// and returns the whole response ("" if nothing answered).

#include <string>

namespace im::testing {

std::string HttpRequest(const std::string& address, const std::string& request);

// GET `path` (HTTP/1.1); the whole response.
inline std::string HttpGet(const std::string& address, const std::string& path) {
  return HttpRequest(address, "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n");
}

// The value of the sample `series` (name with its labels, as rendered) in a
// /metrics page, or -1 if it is not there.
double MetricValue(const std::string& page, const std::string& series);

}  // namespace im::testing
