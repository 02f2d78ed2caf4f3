#pragma once
// Logic's client of im-storage: one method per storage operation, each
// asynchronous with the configured deadline. `done` runs once, on a gRPC
// thread, and must not block. A storage that is down or too slow comes back
// as UNAVAILABLE ("storage unavailable"), so callers need no gRPC knowledge.
// Message appends, acks and the login calls (ResumeSession, RegisterRoute,
// RemoveRoute), the hot calls, travel on coalescing streams
// (common/sharded_stream_client.h: `spread.streams` per kind of call, spread
// over storage's replicas; a sender's appends always take the same stream,
// so they commit in the order submitted); the rest are unary calls.
// Every call counts in `in_flight` until its `done` has run, so shutdown can
// wait for callbacks before it destroys what they use.
// Thread-safe; the channel is made once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/in_flight.h"
#include "common/internal_tls.h"
#include "common/stream_spread.h"
#include "storage.grpc.pb.h"

namespace im::common {
template <typename Calls, typename Results>
class ShardedStreamClient;
}

namespace im::logic {

template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;

class StorageClient {
 public:
  // `in_flight` outlives this client.
  StorageClient(const std::string& target, const common::InternalCredentials& credentials,
                common::InFlight* in_flight, std::chrono::milliseconds timeout,
                common::StreamSpread spread = {});
  ~StorageClient();

  void CreateUser(internal::CreateUserRequest request, Done<internal::CreateUserResponse> done);
  void GetUser(internal::GetUserRequest request, Done<internal::User> done);
  void CreateSession(internal::CreateSessionRequest request,
                     Done<internal::CreateSessionResponse> done);
  void RevokeSession(internal::RevokeSessionRequest request,
                     Done<internal::RevokeSessionResponse> done);
  void GuardLogin(internal::GuardLoginRequest request, Done<internal::GuardLoginResponse> done);
  void ListSessions(internal::UserRef request, Done<internal::ListSessionsResponse> done);
  void RevokeSessions(internal::RevokeSessionsRequest request,
                      Done<internal::RevokeSessionsResponse> done);
  // A token login: the session, its user and the route, in one call.
  void ResumeSession(internal::ResumeSessionRequest request,
                     Done<internal::ResumeSessionResponse> done);
  void AppendMessage(internal::AppendMessageRequest request,
                     Done<internal::AppendMessageResponse> done);
  void RegisterRoute(internal::RegisterRouteRequest request,
                     Done<internal::RegisterRouteResponse> done);
  void RemoveRoute(internal::RemoveRouteRequest request, Done<internal::RemoveRouteResponse> done);
  void GetRoutes(internal::GetRoutesRequest request, Done<internal::GetRoutesResponse> done);
  void RenewNodeLease(internal::NodeLeaseRequest request, Done<internal::NodeLeaseResponse> done);
  void RestoreRoutes(internal::RestoreRoutesRequest request,
                     Done<internal::RestoreRoutesResponse> done);
  void ReleaseNodeLease(internal::NodeLeaseRelease request, Done<internal::NodeLeaseReleased> done);

  void RequestFriend(internal::RequestFriendRequest request, Done<internal::RelationChange> done);
  void RespondFriend(internal::RespondFriendRequest request, Done<internal::RelationChange> done);
  void CancelFriendRequest(internal::UserPair request, Done<internal::RelationChange> done);
  void RemoveFriend(internal::UserPair request, Done<internal::RelationChange> done);
  void SetBlock(internal::SetBlockRequest request, Done<internal::RelationChange> done);
  void SetMessagePolicy(internal::SetMessagePolicyRequest request,
                        Done<internal::SetMessagePolicyResponse> done);
  void ListFriends(internal::UserRef request, Done<internal::ListFriendsResponse> done);
  void ListFriendRequests(internal::UserRef request,
                          Done<internal::ListFriendRequestsResponse> done);
  void ListBlocked(internal::UserRef request, Done<internal::ListBlockedResponse> done);
  void GetRelation(internal::UserPair request, Done<internal::Relation> done);

  void SyncMessages(internal::SyncMessagesRequest request, Done<internal::MessagePage> done);
  void AckMessages(internal::AckMessagesRequest request, Done<internal::AckMessagesResponse> done);
  void ListConversations(internal::UserRef request, Done<internal::ListConversationsResponse> done);
  void History(internal::HistoryQuery request, Done<internal::MessagePage> done);
  void MarkRead(internal::MarkReadQuery request, Done<internal::MarkReadResult> done);
  void RecallMessage(internal::RecallMessageRequest request,
                     Done<internal::RecallMessageResponse> done);

  void CreateGroup(internal::CreateGroupRequest request, Done<internal::GroupChangeResult> done);
  void ChangeGroup(internal::ChangeGroupRequest request, Done<internal::GroupChangeResult> done);
  void GetGroupInfo(internal::GroupRef request, Done<client::GroupInfo> done);
  void ListGroupMembers(internal::ListGroupMembersRequest request,
                        Done<client::GroupMembersResponse> done);
  void ListGroups(internal::UserRef request, Done<client::GroupListResponse> done);
  void GetGroupRoutes(internal::GetGroupRoutesRequest request,
                      Done<internal::GetRoutesResponse> done);

 private:
  std::unique_ptr<internal::Storage::Stub> stub_;
  common::InFlight* const in_flight_;
  std::chrono::milliseconds timeout_;
  template <typename Calls, typename Results>
  using Streams = std::unique_ptr<common::ShardedStreamClient<Calls, Results>>;
  Streams<internal::AppendCalls, internal::AppendResults> appends_;
  Streams<internal::AckCalls, internal::AckResults> acks_;
  Streams<internal::SessionCalls, internal::SessionResults> sessions_;
};

}  // namespace im::logic
