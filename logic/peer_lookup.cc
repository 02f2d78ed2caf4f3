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

Suspend<internal::User> PeerNamed(UserDirectory& users, internal::SessionContext session,
                                  std::string peer_name, std::string self_error) {
  return Suspend<internal::User>([&users, session = std::move(session),
                                  peer_name = std::move(peer_name),
                                  self_error = std::move(self_error)](Done<internal::User> done) {
    LookUpPeer(users, session, peer_name, self_error, std::move(done));
  });
}

}  // namespace im::logic
