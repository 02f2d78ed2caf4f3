#include "logic/peer_lookup.h"

#include "common/str_cat.h"

namespace im::logic {

void LookUpPeer(UserDirectory& users, const internal::SessionContext& session,
                const std::string& peer_name, const std::string& self_error,
                Done<internal::User> done) {
  if (peer_name.empty()) return done(absl::InvalidArgumentError("a user name is required"));
  if (peer_name == session.username()) return done(absl::InvalidArgumentError(self_error));
  users.FindByName(
      peer_name, [peer_name, done = std::move(done)](absl::StatusOr<internal::User> user) {
        if (user.status().code() == absl::StatusCode::kNotFound) {
          return done(absl::NotFoundError(common::StrCat("no such user '", peer_name, "'")));
        }
        done(std::move(user));
      });
}

}  // namespace im::logic
