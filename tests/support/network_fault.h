#pragma once
// Faults on the loopback links between the tiers, made with nftables: drop
// every TCP segment to or from a set of ports (a partition), or a share of
// them (a lossy link: TCP retransmits with growing back-off, so traffic is
// delayed by up to seconds rather than cut). Established connections stay
// open through it, as they do when a real network fails.
//
// The rules live in a table of this object's own, `inet im_fault_<pid>_<n>`,
// hooked on output of `lo` only, so nothing else on the machine is touched;
// Heal() and the destructor delete that table. Needs root and the `nft`
// command; Unavailable() says why not, for a test to skip.
//
// Not thread-safe: one thread (the fault thread) uses an object at a time.

#include <optional>
#include <string>
#include <vector>

namespace im::testing {

class NetworkFault {
 public:
  // Why nftables cannot be used here (no `nft`, not root, no nf_tables in
  // the kernel), or nullopt if it can.
  static std::optional<std::string> Unavailable();

  NetworkFault();
  ~NetworkFault();
  NetworkFault(const NetworkFault&) = delete;
  NetworkFault& operator=(const NetworkFault&) = delete;

  // Replaces whatever this object had in place: drops `percent` (1-100) of
  // the TCP segments whose source or destination port is one of `ports`.
  // Throws if nft refuses the rules.
  void Drop(const std::vector<int>& ports, int percent = 100);
  // Removes every rule of this object; traffic flows again.
  void Heal();

 private:
  std::string table_;
  bool installed_ = false;
};

}  // namespace im::testing
