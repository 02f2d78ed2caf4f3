#include "logic/user_directory.h"

namespace im::logic {

void UserDirectory::FindByName(const std::string& name, Done<internal::User> done) {
  if (auto known = by_name_.Find(name)) return done(std::move(*known));
  internal::GetUserRequest get;
  get.set_username(name);
  storage_->GetUser(std::move(get),
                    [this, name, done = std::move(done)](absl::StatusOr<internal::User> user) {
                      if (user.ok()) {
                        internal::User kept;
                        kept.set_user_id(user->user_id());
                        kept.set_username(user->username());
                        by_name_.Put(name, kept);
                        return done(std::move(kept));
                      }
                      done(std::move(user));
                    });
}

}  // namespace im::logic
