#pragma once
// What logic asks of im-storage: one method per storage operation, each
// asynchronous. `done` runs exactly once, on any thread (possibly before the
// method returns), and must not block. Errors are absl statuses a handler can
// pass on to the client: a storage that is down or too slow comes back as
// UNAVAILABLE. StorageClient (logic/storage_client.h) is the gRPC one;
// unit tests script one (logic/handler_test_doubles.h). Thread-safe.

#include <functional>

#include "absl/status/statusor.h"
#include "storage.pb.h"

namespace im::logic {

template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;

class StorageApi {
 public:
  virtual ~StorageApi() = default;

  virtual void CreateUser(internal::CreateUserRequest request,
                          Done<internal::CreateUserResponse> done) = 0;
  virtual void GetUser(internal::GetUserRequest request, Done<internal::User> done) = 0;
  virtual void CreateSession(internal::CreateSessionRequest request,
                             Done<internal::CreateSessionResponse> done) = 0;
  virtual void RevokeSession(internal::RevokeSessionRequest request,
                             Done<internal::RevokeSessionResponse> done) = 0;
  virtual void GuardLogin(internal::GuardLoginRequest request,
                          Done<internal::GuardLoginResponse> done) = 0;
  virtual void ListSessions(internal::UserRef request,
                            Done<internal::ListSessionsResponse> done) = 0;
  virtual void RevokeSessions(internal::RevokeSessionsRequest request,
                              Done<internal::RevokeSessionsResponse> done) = 0;
  // A token login: the session, its user and the route, in one call.
  virtual void ResumeSession(internal::ResumeSessionRequest request,
                             Done<internal::ResumeSessionResponse> done) = 0;
  virtual void AppendMessage(internal::AppendMessageRequest request,
                             Done<internal::AppendMessageResponse> done) = 0;
  virtual void RegisterRoute(internal::RegisterRouteRequest request,
                             Done<internal::RegisterRouteResponse> done) = 0;
  virtual void RemoveRoute(internal::RemoveRouteRequest request,
                           Done<internal::RemoveRouteResponse> done) = 0;
  virtual void GetRoutes(internal::GetRoutesRequest request,
                         Done<internal::GetRoutesResponse> done) = 0;
  virtual void RenewNodeLease(internal::NodeLeaseRequest request,
                              Done<internal::NodeLeaseResponse> done) = 0;
  virtual void RestoreRoutes(internal::RestoreRoutesRequest request,
                             Done<internal::RestoreRoutesResponse> done) = 0;
  virtual void ReleaseNodeLease(internal::NodeLeaseRelease request,
                                Done<internal::NodeLeaseReleased> done) = 0;

  virtual void RequestFriend(internal::RequestFriendRequest request,
                             Done<internal::RelationChange> done) = 0;
  virtual void RespondFriend(internal::RespondFriendRequest request,
                             Done<internal::RelationChange> done) = 0;
  virtual void CancelFriendRequest(internal::UserPair request,
                                   Done<internal::RelationChange> done) = 0;
  virtual void RemoveFriend(internal::UserPair request, Done<internal::RelationChange> done) = 0;
  virtual void SetBlock(internal::SetBlockRequest request, Done<internal::RelationChange> done) = 0;
  virtual void SetMessagePolicy(internal::SetMessagePolicyRequest request,
                                Done<internal::SetMessagePolicyResponse> done) = 0;
  virtual void ListFriends(internal::UserRef request, Done<internal::ListFriendsResponse> done) = 0;
  virtual void ListFriendRequests(internal::UserRef request,
                                  Done<internal::ListFriendRequestsResponse> done) = 0;
  virtual void ListBlocked(internal::UserRef request, Done<internal::ListBlockedResponse> done) = 0;
  virtual void GetRelation(internal::UserPair request, Done<internal::Relation> done) = 0;

  virtual void SyncMessages(internal::SyncMessagesRequest request,
                            Done<internal::MessagePage> done) = 0;
  virtual void AckMessages(internal::AckMessagesRequest request,
                           Done<internal::AckMessagesResponse> done) = 0;
  virtual void ListConversations(internal::UserRef request,
                                 Done<internal::ListConversationsResponse> done) = 0;
  virtual void History(internal::HistoryQuery request, Done<internal::MessagePage> done) = 0;
  virtual void MarkRead(internal::MarkReadQuery request, Done<internal::MarkReadResult> done) = 0;
  virtual void RecallMessage(internal::RecallMessageRequest request,
                             Done<internal::RecallMessageResponse> done) = 0;

  virtual void CreateGroup(internal::CreateGroupRequest request,
                           Done<internal::GroupChangeResult> done) = 0;
  virtual void ChangeGroup(internal::ChangeGroupRequest request,
                           Done<internal::GroupChangeResult> done) = 0;
  virtual void GetGroupInfo(internal::GroupRef request, Done<internal::GroupRecord> done) = 0;
  virtual void ListGroupMembers(internal::ListGroupMembersRequest request,
                                Done<internal::GroupMemberPage> done) = 0;
  virtual void ListGroups(internal::UserRef request, Done<internal::GroupRecords> done) = 0;
  virtual void GetGroupRoutes(internal::GetGroupRoutesRequest request,
                              Done<internal::GetRoutesResponse> done) = 0;

  virtual void Desk(internal::DeskCall request, Done<internal::DeskResult> done) = 0;

  virtual void ClaimWebhookEvents(internal::ClaimWebhookEventsRequest request,
                                  Done<internal::WebhookEvents> done) = 0;
  virtual void FinishWebhookEvents(internal::FinishWebhookEventsRequest request,
                                   Done<internal::FinishWebhookEventsResponse> done) = 0;
};

}  // namespace im::logic
