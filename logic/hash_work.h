#pragma once
// Password hashing work for a request, on the pool of hash workers, bounded in
// time: the work is not started if it waited longer than `max_wait` for a
// worker (its caller is about to give up, and must not have something done
// that it will never hear of); the request is answered "server busy, try
// again" (UNAVAILABLE, retry after 1 s) instead, or RESOURCE_EXHAUSTED when the
// pool's queue is full.

#include <chrono>
#include <functional>

#include "common/work_pool.h"
#include "logic/request_dispatcher.h"

namespace im::logic {

void SubmitHashWork(common::WorkPool* pool, std::chrono::milliseconds max_wait, const Reply& reply,
                    std::function<void()> work);

}  // namespace im::logic
