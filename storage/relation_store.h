#pragma once
// The relationship chain in MySQL: friend requests, friendships, blocks and
// message policies. Every change to a pair of users runs in one transaction
// that first locks both users' rows (in id order, so concurrent changes from
// both sides serialise without deadlock) and bumps both relation versions.
// Requests in both directions meet here: the second becomes a friendship.
// With `record_event`, a change that happened (not an ALREADY_..., NO_...,
// UNCHANGED or refused outcome) is recorded in the webhook outbox in the
// same transaction (internal::RelationRecord, type "relation.changed").
// Thread-safe; blocking: call from a worker thread.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "storage.pb.h"
#include "storage/user_store.h"

namespace im::storage {

class RelationStore {
 public:
  explicit RelationStore(MysqlPool* pool) : pool_(pool) {}

  // Outcomes: REQUESTED, ALREADY_PENDING, BECAME_FRIENDS, ALREADY_FRIENDS,
  // BLOCKED_BY_PEER, PEER_BLOCKED.
  absl::StatusOr<internal::RelationOutcome> RequestFriend(std::uint64_t user, std::uint64_t peer,
                                                          std::string_view note,
                                                          bool record_event = false);
  // `user` answers `peer`'s request. Outcomes: ACCEPTED, DECLINED,
  // ALREADY_FRIENDS, ALREADY_DECLINED, NO_REQUEST, REQUEST_WITHDRAWN.
  absl::StatusOr<internal::RelationOutcome> RespondFriend(std::uint64_t user, std::uint64_t peer,
                                                          bool accept, bool record_event = false);
  // Outcomes: CANCELLED, NO_REQUEST.
  absl::StatusOr<internal::RelationOutcome> CancelRequest(std::uint64_t user, std::uint64_t peer,
                                                          bool record_event = false);
  // Outcomes: REMOVED, NOT_FRIENDS.
  absl::StatusOr<internal::RelationOutcome> RemoveFriend(std::uint64_t user, std::uint64_t peer,
                                                         bool record_event = false);
  // Outcomes: BLOCKED, UNBLOCKED, UNCHANGED. A block keeps an existing friendship.
  absl::StatusOr<internal::RelationOutcome> SetBlock(std::uint64_t user, std::uint64_t peer,
                                                     bool blocked, bool record_event = false);
  absl::Status SetMessagePolicy(std::uint64_t user, int policy);

  absl::StatusOr<internal::ListFriendsResponse> ListFriends(std::uint64_t user);
  absl::StatusOr<internal::ListFriendRequestsResponse> ListRequests(std::uint64_t user);
  absl::StatusOr<internal::ListBlockedResponse> ListBlocked(std::uint64_t user);
  // One indexed lookup: friendship, blocks both ways, the peer's policy and
  // both relation versions. NOT_FOUND if either user does not exist.
  absl::StatusOr<internal::Relation> GetRelation(std::uint64_t user, std::uint64_t peer);

 private:
  // Runs `change` in a transaction holding both users' row locks; bumps both
  // relation versions if `change` reports a change of the relation, and
  // records the event (with `note`) if asked and anything changed.
  template <typename Change>
  absl::StatusOr<internal::RelationOutcome> ChangePair(std::uint64_t user, std::uint64_t peer,
                                                       Change change, bool record_event,
                                                       std::string_view note = "");

  MysqlPool* pool_;
};

}  // namespace im::storage
