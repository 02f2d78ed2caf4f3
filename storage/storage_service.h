#pragma once
// The Storage gRPC service (callback API). Every method runs its blocking
// store call on the WorkPool, never on a gRPC thread, except appends and acks,
// which arrive on coalescing streams (common/stream_server.h) and join a group
// commit (AppendWriter, AckWriter); when a queue is full the call fails fast
// with RESOURCE_EXHAUSTED. DrainStreams() (at shutdown, before the server's
// Shutdown) answers what the streams carried and ends them. Validates what it is sent:
// storage trusts no caller with an unbounded field.

#include "common/stream_server.h"
#include "common/work_pool.h"
#include "storage.grpc.pb.h"
#include "storage/ack_writer.h"
#include "storage/append_writer.h"
#include "storage/conversation_store.h"
#include "storage/desk_store.h"
#include "storage/group_store.h"
#include "storage/login_guard.h"
#include "storage/message_store.h"
#include "storage/relation_store.h"
#include "storage/route_store.h"
#include "storage/session_resumer.h"
#include "storage/user_store.h"
#include "storage/webhook_outbox_store.h"

namespace im::storage {

class StorageService final : public internal::Storage::CallbackService {
 public:
  StorageService(UserStore* users, MessageStore* messages, ConversationStore* conversations,
                 RecentMessages* recent, RelationStore* relations, GroupStore* groups,
                 RouteStore* routes, AppendWriter* appends, AckWriter* acks,
                 SessionResumer* resumer, LoginGuard* logins, WebhookOutboxStore* outbox,
                 DeskStore* desks, common::WorkPool* workers)
      : users_(users),
        messages_(messages),
        conversations_(conversations),
        recent_(recent),
        relations_(relations),
        groups_(groups),
        routes_(routes),
        appends_(appends),
        acks_(acks),
        resumer_(resumer),
        logins_(logins),
        outbox_(outbox),
        desks_(desks),
        workers_(workers) {}

  grpc::ServerBidiReactor<internal::AppendCalls, internal::AppendResults>* AppendStream(
      grpc::CallbackServerContext* /*ctx*/) override {
    return append_stream_.Open();
  }
  grpc::ServerBidiReactor<internal::AckCalls, internal::AckResults>* AckStream(
      grpc::CallbackServerContext* /*ctx*/) override {
    return ack_stream_.Open();
  }
  grpc::ServerBidiReactor<internal::SessionCalls, internal::SessionResults>* SessionStream(
      grpc::CallbackServerContext* /*ctx*/) override {
    return session_stream_.Open();
  }
  void DrainStreams() {
    append_stream_.Drain();
    ack_stream_.Drain();
    session_stream_.Drain();
  }

  grpc::ServerUnaryReactor* CreateUser(grpc::CallbackServerContext* ctx,
                                       const internal::CreateUserRequest* request,
                                       internal::CreateUserResponse* response) override;
  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* ctx,
                                    const internal::GetUserRequest* request,
                                    internal::User* response) override;
  grpc::ServerUnaryReactor* CreateSession(grpc::CallbackServerContext* ctx,
                                          const internal::CreateSessionRequest* request,
                                          internal::CreateSessionResponse* response) override;
  grpc::ServerUnaryReactor* RevokeSession(grpc::CallbackServerContext* ctx,
                                          const internal::RevokeSessionRequest* request,
                                          internal::RevokeSessionResponse* response) override;
  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* ctx,
                                         const internal::UserRef* request,
                                         internal::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* RevokeSessions(grpc::CallbackServerContext* ctx,
                                           const internal::RevokeSessionsRequest* request,
                                           internal::RevokeSessionsResponse* response) override;
  grpc::ServerUnaryReactor* GuardLogin(grpc::CallbackServerContext* ctx,
                                       const internal::GuardLoginRequest* request,
                                       internal::GuardLoginResponse* response) override;
  grpc::ServerUnaryReactor* GetRoutes(grpc::CallbackServerContext* ctx,
                                      const internal::GetRoutesRequest* request,
                                      internal::GetRoutesResponse* response) override;
  grpc::ServerUnaryReactor* RenewNodeLease(grpc::CallbackServerContext* ctx,
                                           const internal::NodeLeaseRequest* request,
                                           internal::NodeLeaseResponse* response) override;
  grpc::ServerUnaryReactor* ReleaseNodeLease(grpc::CallbackServerContext* ctx,
                                             const internal::NodeLeaseRelease* request,
                                             internal::NodeLeaseReleased* response) override;
  grpc::ServerUnaryReactor* RestoreRoutes(grpc::CallbackServerContext* ctx,
                                          const internal::RestoreRoutesRequest* request,
                                          internal::RestoreRoutesResponse* response) override;

  grpc::ServerUnaryReactor* RequestFriend(grpc::CallbackServerContext* ctx,
                                          const internal::RequestFriendRequest* request,
                                          internal::RelationChange* response) override;
  grpc::ServerUnaryReactor* RespondFriend(grpc::CallbackServerContext* ctx,
                                          const internal::RespondFriendRequest* request,
                                          internal::RelationChange* response) override;
  grpc::ServerUnaryReactor* CancelFriendRequest(grpc::CallbackServerContext* ctx,
                                                const internal::UserPair* request,
                                                internal::RelationChange* response) override;
  grpc::ServerUnaryReactor* RemoveFriend(grpc::CallbackServerContext* ctx,
                                         const internal::UserPair* request,
                                         internal::RelationChange* response) override;
  grpc::ServerUnaryReactor* SetBlock(grpc::CallbackServerContext* ctx,
                                     const internal::SetBlockRequest* request,
                                     internal::RelationChange* response) override;
  grpc::ServerUnaryReactor* SetMessagePolicy(grpc::CallbackServerContext* ctx,
                                             const internal::SetMessagePolicyRequest* request,
                                             internal::SetMessagePolicyResponse* response) override;
  grpc::ServerUnaryReactor* ListFriends(grpc::CallbackServerContext* ctx,
                                        const internal::UserRef* request,
                                        internal::ListFriendsResponse* response) override;
  grpc::ServerUnaryReactor* ListFriendRequests(
      grpc::CallbackServerContext* ctx, const internal::UserRef* request,
      internal::ListFriendRequestsResponse* response) override;
  grpc::ServerUnaryReactor* ListBlocked(grpc::CallbackServerContext* ctx,
                                        const internal::UserRef* request,
                                        internal::ListBlockedResponse* response) override;
  grpc::ServerUnaryReactor* GetRelation(grpc::CallbackServerContext* ctx,
                                        const internal::UserPair* request,
                                        internal::Relation* response) override;

  grpc::ServerUnaryReactor* SyncMessages(grpc::CallbackServerContext* ctx,
                                         const internal::SyncMessagesRequest* request,
                                         internal::MessagePage* response) override;
  grpc::ServerUnaryReactor* ListConversations(
      grpc::CallbackServerContext* ctx, const internal::UserRef* request,
      internal::ListConversationsResponse* response) override;
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext* ctx,
                                    const internal::HistoryQuery* request,
                                    internal::MessagePage* response) override;
  grpc::ServerUnaryReactor* MarkRead(grpc::CallbackServerContext* ctx,
                                     const internal::MarkReadQuery* request,
                                     internal::MarkReadResult* response) override;
  grpc::ServerUnaryReactor* RecallMessage(grpc::CallbackServerContext* ctx,
                                          const internal::RecallMessageRequest* request,
                                          internal::RecallMessageResponse* response) override;

  // Groups (storage_service_groups.cc).
  grpc::ServerUnaryReactor* CreateGroup(grpc::CallbackServerContext* ctx,
                                        const internal::CreateGroupRequest* request,
                                        internal::GroupChangeResult* response) override;
  grpc::ServerUnaryReactor* ChangeGroup(grpc::CallbackServerContext* ctx,
                                        const internal::ChangeGroupRequest* request,
                                        internal::GroupChangeResult* response) override;
  grpc::ServerUnaryReactor* GetGroupInfo(grpc::CallbackServerContext* ctx,
                                         const internal::GroupRef* request,
                                         internal::GroupRecord* response) override;
  grpc::ServerUnaryReactor* ListGroupMembers(grpc::CallbackServerContext* ctx,
                                             const internal::ListGroupMembersRequest* request,
                                             internal::GroupMemberPage* response) override;
  grpc::ServerUnaryReactor* ListGroups(grpc::CallbackServerContext* ctx,
                                       const internal::UserRef* request,
                                       internal::GroupRecords* response) override;
  grpc::ServerUnaryReactor* GetGroupRoutes(grpc::CallbackServerContext* ctx,
                                           const internal::GetGroupRoutesRequest* request,
                                           internal::GetRoutesResponse* response) override;

  // Customer-service desks (storage_service_desk.cc).
  grpc::ServerUnaryReactor* Desk(grpc::CallbackServerContext* ctx,
                                 const internal::DeskCall* request,
                                 internal::DeskResult* response) override;

  // The webhook outbox (webhook_outbox_store.h).
  grpc::ServerUnaryReactor* ClaimWebhookEvents(grpc::CallbackServerContext* ctx,
                                               const internal::ClaimWebhookEventsRequest* request,
                                               internal::WebhookEvents* response) override;
  grpc::ServerUnaryReactor* FinishWebhookEvents(
      grpc::CallbackServerContext* ctx, const internal::FinishWebhookEventsRequest* request,
      internal::FinishWebhookEventsResponse* response) override;

 private:
  using Done = std::function<void(absl::Status)>;
  absl::Status RunDeskCall(const internal::DeskCall& call, internal::DeskResult* result);
  // One call of each stream: answered (`done`) when its group commit is.
  void StartAppend(const internal::AppendMessageRequest& request,
                   internal::AppendMessageResponse* response, Done done);
  void StartAck(const internal::AckMessagesRequest& request, Done done);
  // A SessionStream call: token logins batched by the SessionResumer, the
  // rest on a worker (storage_service.cc).
  void StartSessionOp(const internal::SessionOp& request, internal::SessionOpResult* response,
                      Done done);
  absl::Status RunSessionOp(const internal::SessionOp& request,
                            internal::SessionOpResult* response);

  // Runs `work` (returning absl::Status) on a worker and finishes the call with it.
  template <typename Work>
  grpc::ServerUnaryReactor* OnWorker(grpc::CallbackServerContext* ctx, Work work);

  UserStore* users_;
  MessageStore* messages_;
  ConversationStore* conversations_;
  RecentMessages* recent_;
  RelationStore* relations_;
  GroupStore* groups_;
  RouteStore* routes_;
  AppendWriter* appends_;
  AckWriter* acks_;
  SessionResumer* resumer_;
  LoginGuard* logins_;
  WebhookOutboxStore* outbox_;
  DeskStore* desks_;
  common::WorkPool* workers_;
  common::StreamServer<internal::AppendCalls, internal::AppendResults> append_stream_{
      [this](const auto& request, auto* response, Done done) {
        StartAppend(request, response, std::move(done));
      }};
  common::StreamServer<internal::AckCalls, internal::AckResults> ack_stream_{
      [this](const auto& request, auto*, Done done) { StartAck(request, std::move(done)); }};
  common::StreamServer<internal::SessionCalls, internal::SessionResults> session_stream_{
      [this](const auto& request, auto* response, Done done) {
        StartSessionOp(request, response, std::move(done));
      }};
};

}  // namespace im::storage
