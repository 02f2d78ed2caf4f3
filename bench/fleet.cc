#include "bench/fleet.h"

#include <thread>

namespace im::bench {
namespace asio = boost::asio;

asio::ip::address SourceAddress(std::size_t index) {
  const std::size_t host = index % 62500;  // 250 * 250 addresses
  return asio::ip::make_address_v4(asio::ip::address_v4::bytes_type{
      127, 1, static_cast<unsigned char>(host / 250), static_cast<unsigned char>(1 + host % 250)});
}

Fleet::Fleet(std::vector<ServerAddress> servers, int threads, std::string run_tag)
    : servers_(std::move(servers)),
      tag_(std::move(run_tag)),
      workers_(std::make_unique<IoWorkers>(std::max(1, threads))) {
  for (int i = 0; i < workers_->size(); ++i) {
    heartbeat_timers_.push_back(std::make_unique<asio::steady_timer>(workers_->context(i)));
  }
  owned_.resize(workers_->size());
}

Fleet::~Fleet() {
  RunOnEach([this](int worker) {
    heartbeat_timers_[worker]->cancel();
    for (std::size_t i = worker; i < devices_.size(); i += workers_->size()) devices_[i]->Drop();
    owned_[worker].clear();
    heartbeat_timers_[worker].reset();
  });
  workers_.reset();  // stops the threads; pending handlers are freed, never run
}

std::size_t Fleet::Add(const BenchUser& user) {
  const std::size_t i = devices_.size();
  devices_.push_back(std::make_unique<BenchDevice>(workers_->context(worker_of(i)), user, tag_));
  return i;
}

struct Fleet::StartRun {
  explicit StartRun(int workers) : next(workers), errors(workers) {}
  std::size_t last = 0;
  std::vector<std::size_t> next;    // per worker: the next index it owns (touched on it only)
  std::vector<std::string> errors;  // per worker: its first error
  std::chrono::steady_clock::time_point deadline;
  std::atomic<std::size_t> up{0}, finished{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<bool> stopped{false};
};

std::size_t Fleet::Start(std::size_t first, std::size_t last, int concurrency,
                         std::chrono::milliseconds timeout, std::string* error,
                         std::uint64_t* retries) {
  const int n = workers_->size();
  auto run = std::make_shared<StartRun>(n);
  run->last = last;
  run->deadline = std::chrono::steady_clock::now() + timeout;
  RunOnEach([&](int w) {
    run->next[w] =
        first + static_cast<std::size_t>(((w - static_cast<int>(first % n)) % n + n) % n);
    for (int c = 0; c < concurrency; ++c) StartNext(w, run);
  });
  while (run->finished.load() < last - first && std::chrono::steady_clock::now() < run->deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Hand out no more starts or retries; those running finish on their own.
  run->stopped = true;
  RunOnEach([&](int w) { run->next[w] = last; });
  if (retries != nullptr) *retries = run->retries.load();
  if (error != nullptr) {
    error->clear();
    std::vector<std::string> errors(n);
    RunOnEach([&](int w) { errors[w] = run->errors[w]; });  // read on the thread that writes
    for (const auto& e : errors) {
      if (!e.empty()) {
        *error = e;
        break;
      }
    }
    if (error->empty() && run->finished.load() < last - first) *error = "timed out";
  }
  return run->up.load();
}

void Fleet::StartNext(int worker, const std::shared_ptr<StartRun>& run) {
  if (run->next[worker] >= run->last) return;
  const std::size_t i = run->next[worker];
  run->next[worker] += workers_->size();
  StartOne(worker, i, 0, run);
}

void Fleet::StartOne(int worker, std::size_t i, int attempt, const std::shared_ptr<StartRun>& run) {
  devices_[i]->Start(servers_[i % servers_.size()], SourceAddress(i),
                     [this, worker, i, attempt, run](absl::Status s) {
                       const auto pause = RetryPause(attempt, s);
                       if (!s.ok() && IsPassing(s) && !run->stopped &&
                           std::chrono::steady_clock::now() + pause < run->deadline) {
                         ++run->retries;
                         auto timer =
                             std::make_shared<asio::steady_timer>(workers_->context(worker), pause);
                         timer->async_wait([this, worker, i, attempt, run,
                                            timer](const boost::system::error_code&) {
                           if (run->stopped) {
                             ++run->finished;
                             return;
                           }
                           StartOne(worker, i, attempt + 1, run);
                         });
                         return;
                       }
                       if (s.ok()) {
                         ++run->up;
                       } else if (run->errors[worker].empty()) {
                         run->errors[worker] = std::string(s.message());
                       }
                       ++run->finished;
                       StartNext(worker, run);
                     });
}

void Fleet::ForEachDevice(const std::function<void(BenchDevice&, std::size_t)>& fn) {
  RunOnEach([&](int worker) {
    for (std::size_t i = worker; i < devices_.size(); i += workers_->size()) fn(*devices_[i], i);
  });
}

void Fleet::StartHeartbeats(std::chrono::milliseconds interval) {
  heartbeat_interval_ = interval;
  RunOnEach([this](int worker) { Heartbeat(worker); });
}

void Fleet::Heartbeat(int worker) {
  auto& timer = *heartbeat_timers_[worker];
  timer.expires_after(heartbeat_interval_);
  timer.async_wait([this, worker](const boost::system::error_code& ec) {
    if (ec) return;
    for (std::size_t i = worker; i < devices_.size(); i += workers_->size()) {
      if (auto* c = devices_[i]->connection()) c->Ping();
    }
    Heartbeat(worker);
  });
}

DeliveryCounts Fleet::Counts() {
  std::vector<DeliveryCounts> per(workers_->size());
  ForEachDevice([&](BenchDevice& d, std::size_t i) { per[worker_of(i)].Add(d.counts()); });
  DeliveryCounts total;
  for (const auto& c : per) total.Add(c);
  return total;
}

}  // namespace im::bench
