#pragma once
// Who a user name belongs to. Logic asks storage once per name and keeps the
// answer: a user's id and name never change and ids are never reused, so a
// send or a friend request names its peer without a storage round trip.
// Only the id and the name are kept, never the password hash; a name that
// does not exist is not kept (it may be registered later). Thread-safe; a
// lookup that misses completes on a gRPC thread, one that hits at once.

#include <string>

#include "logic/sharded_cache.h"
#include "logic/storage_api.h"

namespace im::logic {

class UserDirectory {
 public:
  UserDirectory(StorageApi* storage, std::size_t max_entries)
      : storage_(storage), by_name_(max_entries) {}

  // The user named `name`, or storage's error (NOT_FOUND for no such user).
  void FindByName(const std::string& name, Done<internal::User> done);

 private:
  StorageApi* storage_;
  ShardedCache<std::string, internal::User> by_name_;
};

}  // namespace im::logic
