#include "logic/storage_client.h"

#include "common/async_unary.h"
#include "common/grpc_server.h"
#include "common/sharded_stream_client.h"

namespace im::logic {
namespace {

// Wraps `done` so transport failures read as "storage unavailable"; the call
// counts as in flight until `done` has run (`guard`).
template <typename Response>
common::Completion<Response> Adapt(Done<Response> done, common::InFlight::Guard guard) {
  return [done = std::move(done), guard = std::move(guard)](absl::Status status,
                                                            Response response) {
    if (status.ok()) {
      done(std::move(response));
    } else if (status.code() == absl::StatusCode::kUnavailable ||
               status.code() == absl::StatusCode::kDeadlineExceeded) {
      done(absl::UnavailableError("storage unavailable, try again"));
    } else {
      done(status);
    }
  };
}

// Unwraps one kind of SessionStream answer: `field` picks it out of the result.
template <typename Response>
common::Completion<internal::SessionOpResult> AdaptSessionOp(
    Done<Response> done, Response* (internal::SessionOpResult::*field)(),
    common::InFlight::Guard guard) {
  return Adapt<internal::SessionOpResult>(
      [done = std::move(done), field](absl::StatusOr<internal::SessionOpResult> result) {
        if (!result.ok()) return done(result.status());
        done(std::move(*((*result).*field)()));
      },
      std::move(guard));
}

}  // namespace

#define IM_STORAGE_CALL(Method, Request, Response)                                                \
  void StorageClient::Method(Request request, Done<Response> done) {                              \
    common::CallAsync<Request, Response>(                                                         \
        [this](auto* ctx, auto* req, auto* resp, auto cb) {                                       \
          stub_->async()->Method(ctx, req, resp, std::move(cb));                                  \
        },                                                                                        \
        std::move(request), timeout_, Adapt<Response>(std::move(done), in_flight_->Enter()),      \
        /*wait_for_ready=*/true);                                                                 \
  }

using AppendStream = common::ShardedStreamClient<internal::AppendCalls, internal::AppendResults>;
using AckStream = common::ShardedStreamClient<internal::AckCalls, internal::AckResults>;
using SessionStream = common::ShardedStreamClient<internal::SessionCalls, internal::SessionResults>;

namespace {

// Options of every stream to storage at `target`.
template <typename Streams>
typename Streams::Shard::Options StreamOptions(const std::string& target,
                                               std::chrono::milliseconds timeout,
                                               const common::StreamSpread& spread) {
  return {.peer = "storage " + target,
          .timeout = timeout,
          .wait_for_ready = true,
          .max_stream_age = spread.rebalance};
}

}  // namespace

StorageClient::StorageClient(const std::string& target,
                             const common::InternalCredentials& credentials,
                             common::InFlight* in_flight, std::chrono::milliseconds timeout,
                             common::StreamSpread spread)
    : stub_(internal::Storage::NewStub(common::MakeInternalChannel(target, credentials))),
      in_flight_(in_flight),
      timeout_(timeout),
      appends_(std::make_unique<AppendStream>(
          spread.streams,
          [this](grpc::ClientContext* context, AppendStream::Reactor* reactor) {
            stub_->async()->AppendStream(context, reactor);
          },
          StreamOptions<AppendStream>(target, timeout, spread))),
      acks_(std::make_unique<AckStream>(
          spread.streams,
          [this](grpc::ClientContext* context, AckStream::Reactor* reactor) {
            stub_->async()->AckStream(context, reactor);
          },
          StreamOptions<AckStream>(target, timeout, spread))),
      sessions_(std::make_unique<SessionStream>(
          spread.streams,
          [this](grpc::ClientContext* context, SessionStream::Reactor* reactor) {
            stub_->async()->SessionStream(context, reactor);
          },
          StreamOptions<SessionStream>(target, timeout, spread))) {}

StorageClient::~StorageClient() = default;

void StorageClient::AppendMessage(internal::AppendMessageRequest request,
                                  Done<internal::AppendMessageResponse> done) {
  const std::uint64_t sender = request.sender_id();  // a sender's appends keep their order
  appends_->Submit(sender, std::move(request),
                   Adapt<internal::AppendMessageResponse>(std::move(done), in_flight_->Enter()));
}

void StorageClient::AckMessages(internal::AckMessagesRequest request,
                                Done<internal::AckMessagesResponse> done) {
  const std::uint64_t user = request.user_id();
  acks_->Submit(user, std::move(request),
                Adapt<internal::AckMessagesResponse>(std::move(done), in_flight_->Enter()));
}

void StorageClient::ResumeSession(internal::ResumeSessionRequest request,
                                  Done<internal::ResumeSessionResponse> done) {
  internal::SessionOp op;
  const std::uint64_t conn = request.route().conn_id();  // no user yet: the token names one
  *op.mutable_resume() = std::move(request);
  sessions_->Submit(conn, std::move(op),
                    AdaptSessionOp<internal::ResumeSessionResponse>(
                        std::move(done), &internal::SessionOpResult::mutable_resume,
                        in_flight_->Enter()));
}

void StorageClient::RegisterRoute(internal::RegisterRouteRequest request,
                                  Done<internal::RegisterRouteResponse> done) {
  internal::SessionOp op;
  const std::uint64_t user = request.user_id();
  *op.mutable_register_route() = std::move(request);
  sessions_->Submit(user, std::move(op),
                    AdaptSessionOp<internal::RegisterRouteResponse>(
                        std::move(done), &internal::SessionOpResult::mutable_register_route,
                        in_flight_->Enter()));
}

void StorageClient::RemoveRoute(internal::RemoveRouteRequest request,
                                Done<internal::RemoveRouteResponse> done) {
  internal::SessionOp op;
  const std::uint64_t user = request.user_id();
  *op.mutable_remove_route() = std::move(request);
  sessions_->Submit(user, std::move(op),
                    AdaptSessionOp<internal::RemoveRouteResponse>(
                        std::move(done), &internal::SessionOpResult::mutable_remove_route,
                        in_flight_->Enter()));
}

IM_STORAGE_CALL(CreateUser, internal::CreateUserRequest, internal::CreateUserResponse)
IM_STORAGE_CALL(GetUser, internal::GetUserRequest, internal::User)
IM_STORAGE_CALL(CreateSession, internal::CreateSessionRequest, internal::CreateSessionResponse)
IM_STORAGE_CALL(RevokeSession, internal::RevokeSessionRequest, internal::RevokeSessionResponse)
IM_STORAGE_CALL(GuardLogin, internal::GuardLoginRequest, internal::GuardLoginResponse)
IM_STORAGE_CALL(ListSessions, internal::UserRef, internal::ListSessionsResponse)
IM_STORAGE_CALL(RevokeSessions, internal::RevokeSessionsRequest, internal::RevokeSessionsResponse)
IM_STORAGE_CALL(GetRoutes, internal::GetRoutesRequest, internal::GetRoutesResponse)
IM_STORAGE_CALL(RenewNodeLease, internal::NodeLeaseRequest, internal::NodeLeaseResponse)
IM_STORAGE_CALL(RestoreRoutes, internal::RestoreRoutesRequest, internal::RestoreRoutesResponse)
IM_STORAGE_CALL(ReleaseNodeLease, internal::NodeLeaseRelease, internal::NodeLeaseReleased)
IM_STORAGE_CALL(RequestFriend, internal::RequestFriendRequest, internal::RelationChange)
IM_STORAGE_CALL(RespondFriend, internal::RespondFriendRequest, internal::RelationChange)
IM_STORAGE_CALL(CancelFriendRequest, internal::UserPair, internal::RelationChange)
IM_STORAGE_CALL(RemoveFriend, internal::UserPair, internal::RelationChange)
IM_STORAGE_CALL(SetBlock, internal::SetBlockRequest, internal::RelationChange)
IM_STORAGE_CALL(SetMessagePolicy, internal::SetMessagePolicyRequest,
                internal::SetMessagePolicyResponse)
IM_STORAGE_CALL(ListFriends, internal::UserRef, internal::ListFriendsResponse)
IM_STORAGE_CALL(ListFriendRequests, internal::UserRef, internal::ListFriendRequestsResponse)
IM_STORAGE_CALL(ListBlocked, internal::UserRef, internal::ListBlockedResponse)
IM_STORAGE_CALL(GetRelation, internal::UserPair, internal::Relation)
IM_STORAGE_CALL(SyncMessages, internal::SyncMessagesRequest, internal::MessagePage)
IM_STORAGE_CALL(ListConversations, internal::UserRef, internal::ListConversationsResponse)
IM_STORAGE_CALL(History, internal::HistoryQuery, internal::MessagePage)
IM_STORAGE_CALL(MarkRead, internal::MarkReadQuery, internal::MarkReadResult)
IM_STORAGE_CALL(RecallMessage, internal::RecallMessageRequest, internal::RecallMessageResponse)
IM_STORAGE_CALL(CreateGroup, internal::CreateGroupRequest, internal::GroupChangeResult)
IM_STORAGE_CALL(ChangeGroup, internal::ChangeGroupRequest, internal::GroupChangeResult)
IM_STORAGE_CALL(GetGroupInfo, internal::GroupRef, internal::GroupRecord)
IM_STORAGE_CALL(ListGroupMembers, internal::ListGroupMembersRequest, internal::GroupMemberPage)
IM_STORAGE_CALL(ListGroups, internal::UserRef, internal::GroupRecords)
IM_STORAGE_CALL(GetGroupRoutes, internal::GetGroupRoutesRequest, internal::GetRoutesResponse)
IM_STORAGE_CALL(Desk, internal::DeskCall, internal::DeskResult)
IM_STORAGE_CALL(ClaimWebhookEvents, internal::ClaimWebhookEventsRequest, internal::WebhookEvents)
IM_STORAGE_CALL(FinishWebhookEvents, internal::FinishWebhookEventsRequest,
                internal::FinishWebhookEventsResponse)

#undef IM_STORAGE_CALL

}  // namespace im::logic
