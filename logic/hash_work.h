#pragma once
// Password hashing work for a request, on the pool of hash workers, bounded in
// time: the work is not started if it waited longer than `max_wait` for a
// worker (its caller is about to give up, and must not have something done
// that it will never hear of); the request gets "server busy, try again"
// (UNAVAILABLE, retry after 1 s) instead, or RESOURCE_EXHAUSTED when the
// pool's queue is full.

#include <chrono>
#include <functional>

#include "common/work_pool.h"
#include "logic/handler_task.h"

namespace im::logic {

// For a handler coroutine: `if (auto turn = co_await HashWorkerTurn(pool,
// max_wait); !turn.ok()) co_return reply(turn.status());` OK: the coroutine
// now runs on a hash worker. Otherwise the status to answer, on the thread
// that found out.
Suspend<std::monostate> HashWorkerTurn(common::WorkPool* pool, std::chrono::milliseconds max_wait);

}  // namespace im::logic
