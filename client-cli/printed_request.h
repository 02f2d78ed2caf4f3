#pragma once
// A command of im-cli as one request and how to print its answer, shared by
// the one-shot CLI and the REPL (group, relation and desk commands).

#include <functional>
#include <ostream>

#include "absl/status/status.h"
#include "client-cli/im_client.h"

namespace im::cli {

struct PrintedRequest {
  client::ClientFrame request;
  std::function<void(const client::ServerFrame& response, bool json, std::ostream& out)> print;
};

// Sends the request and prints the answer to `out` (one JSON object per line
// with `json`); returns the server's status.
inline absl::Status RunPrintedRequest(ImClient& client, const PrintedRequest& command, bool json,
                                      std::ostream& out) {
  auto response = client.Request(command.request);
  if (!response.ok()) return response.status();
  command.print(*response, json, out);
  return absl::OkStatus();
}

}  // namespace im::cli
