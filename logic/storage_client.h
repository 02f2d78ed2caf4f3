#pragma once
// Logic's gRPC client of im-storage (the StorageApi of logic/storage_api.h),
// each call with the configured deadline; `done` runs on a gRPC thread. A
// storage that is down or too slow comes back as UNAVAILABLE ("storage
// unavailable"), so callers need no gRPC knowledge.
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
#include "logic/storage_api.h"
#include "storage.grpc.pb.h"

namespace im::common {
template <typename Calls, typename Results>
class ShardedStreamClient;
}

namespace im::logic {

class StorageClient final : public StorageApi {
 public:
  // `in_flight` outlives this client.
  StorageClient(const std::string& target, const common::InternalCredentials& credentials,
                common::InFlight* in_flight, std::chrono::milliseconds timeout,
                common::StreamSpread spread = {});
  ~StorageClient();

  void CreateUser(internal::CreateUserRequest request,
                  Done<internal::CreateUserResponse> done) override;
  void GetUser(internal::GetUserRequest request, Done<internal::User> done) override;
  void CreateSession(internal::CreateSessionRequest request,
                     Done<internal::CreateSessionResponse> done) override;
  void RevokeSession(internal::RevokeSessionRequest request,
                     Done<internal::RevokeSessionResponse> done) override;
  void GuardLogin(internal::GuardLoginRequest request,
                  Done<internal::GuardLoginResponse> done) override;
  void ListSessions(internal::UserRef request, Done<internal::ListSessionsResponse> done) override;
  void RevokeSessions(internal::RevokeSessionsRequest request,
                      Done<internal::RevokeSessionsResponse> done) override;
  // A token login: the session, its user and the route, in one call.
  void ResumeSession(internal::ResumeSessionRequest request,
                     Done<internal::ResumeSessionResponse> done) override;
  void AppendMessage(internal::AppendMessageRequest request,
                     Done<internal::AppendMessageResponse> done) override;
  void RegisterRoute(internal::RegisterRouteRequest request,
                     Done<internal::RegisterRouteResponse> done) override;
  void RemoveRoute(internal::RemoveRouteRequest request,
                   Done<internal::RemoveRouteResponse> done) override;
  void GetRoutes(internal::GetRoutesRequest request,
                 Done<internal::GetRoutesResponse> done) override;
  void RenewNodeLease(internal::NodeLeaseRequest request,
                      Done<internal::NodeLeaseResponse> done) override;
  void RestoreRoutes(internal::RestoreRoutesRequest request,
                     Done<internal::RestoreRoutesResponse> done) override;
  void ReleaseNodeLease(internal::NodeLeaseRelease request,
                        Done<internal::NodeLeaseReleased> done) override;

  void RequestFriend(internal::RequestFriendRequest request,
                     Done<internal::RelationChange> done) override;
  void RespondFriend(internal::RespondFriendRequest request,
                     Done<internal::RelationChange> done) override;
  void CancelFriendRequest(internal::UserPair request,
                           Done<internal::RelationChange> done) override;
  void RemoveFriend(internal::UserPair request, Done<internal::RelationChange> done) override;
  void SetBlock(internal::SetBlockRequest request, Done<internal::RelationChange> done) override;
  void SetMessagePolicy(internal::SetMessagePolicyRequest request,
                        Done<internal::SetMessagePolicyResponse> done) override;
  void ListFriends(internal::UserRef request, Done<internal::ListFriendsResponse> done) override;
  void ListFriendRequests(internal::UserRef request,
                          Done<internal::ListFriendRequestsResponse> done) override;
  void ListBlocked(internal::UserRef request, Done<internal::ListBlockedResponse> done) override;
  void GetRelation(internal::UserPair request, Done<internal::Relation> done) override;

  void SyncMessages(internal::SyncMessagesRequest request,
                    Done<internal::MessagePage> done) override;
  void AckMessages(internal::AckMessagesRequest request,
                   Done<internal::AckMessagesResponse> done) override;
  void ListConversations(internal::UserRef request,
                         Done<internal::ListConversationsResponse> done) override;
  void History(internal::HistoryQuery request, Done<internal::MessagePage> done) override;
  void MarkRead(internal::MarkReadQuery request, Done<internal::MarkReadResult> done) override;
  void RecallMessage(internal::RecallMessageRequest request,
                     Done<internal::RecallMessageResponse> done) override;

  void CreateGroup(internal::CreateGroupRequest request,
                   Done<internal::GroupChangeResult> done) override;
  void ChangeGroup(internal::ChangeGroupRequest request,
                   Done<internal::GroupChangeResult> done) override;
  void GetGroupInfo(internal::GroupRef request, Done<internal::GroupRecord> done) override;
  void ListGroupMembers(internal::ListGroupMembersRequest request,
                        Done<internal::GroupMemberPage> done) override;
  void ListGroups(internal::UserRef request, Done<internal::GroupRecords> done) override;
  void GetGroupRoutes(internal::GetGroupRoutesRequest request,
                      Done<internal::GetRoutesResponse> done) override;
  void Desk(internal::DeskCall request, Done<internal::DeskResult> done) override;
  void ClaimWebhookEvents(internal::ClaimWebhookEventsRequest request,
                          Done<internal::WebhookEvents> done) override;
  void FinishWebhookEvents(internal::FinishWebhookEventsRequest request,
                           Done<internal::FinishWebhookEventsResponse> done) override;

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
