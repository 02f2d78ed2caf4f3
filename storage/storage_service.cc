#include "storage/storage_service.h"

#include "storage/storage_service_call.h"

namespace im::storage {
namespace {

constexpr std::size_t kMaxUsernameBytes = 32;
constexpr std::size_t kMaxDeviceIdBytes = 64;
constexpr std::size_t kMaxAddressBytes = 64;
constexpr std::size_t kMaxClientMsgIdBytes = 64;
constexpr std::size_t kMaxRoutesLookup = 10000;

absl::Status FillOutcome(absl::StatusOr<internal::RelationOutcome> outcome,
                         internal::RelationChange* response) {
  if (!outcome.ok()) return outcome.status();
  response->set_outcome(*outcome);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* StorageService::CreateUser(grpc::CallbackServerContext* ctx,
                                                     const internal::CreateUserRequest* request,
                                                     internal::CreateUserResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (request->username().empty() || request->username().size() > kMaxUsernameBytes) {
      return absl::InvalidArgumentError("bad username");
    }
    auto id = users_->CreateUser(request->username(), request->password_hash());
    if (!id.ok()) return id.status();
    response->set_user_id(*id);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageService::GetUser(grpc::CallbackServerContext* ctx,
                                                  const internal::GetUserRequest* request,
                                                  internal::User* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    absl::Status found;
    switch (request->key_case()) {
      case internal::GetUserRequest::kUsername:
        found = Fill(users_->FindByName(request->username()), response);
        break;
      case internal::GetUserRequest::kUserId:
        found = Fill(users_->FindById(request->user_id()), response);
        break;
      default:
        return absl::InvalidArgumentError("GetUser needs a username or user_id");
    }
    if (!request->with_password_hash()) response->clear_password_hash();
    return found;
  });
}

grpc::ServerUnaryReactor* StorageService::CreateSession(
    grpc::CallbackServerContext* ctx, const internal::CreateSessionRequest* request,
    internal::CreateSessionResponse* response) {
  return OnWorker(ctx, [this, request]() -> absl::Status {
    if (request->token_hash().empty() || request->token_hash().size() > 64 ||
        request->device_id().size() > kMaxDeviceIdBytes || request->ttl_seconds() <= 0) {
      return absl::InvalidArgumentError("bad session");
    }
    return users_->CreateSession(request->token_hash(), request->user_id(), request->device_id(),
                                 request->ttl_seconds());
  });
}

grpc::ServerUnaryReactor* StorageService::RevokeSession(
    grpc::CallbackServerContext* ctx, const internal::RevokeSessionRequest* request,
    internal::RevokeSessionResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (request->token_hash().empty() || request->token_hash().size() > 64) {
      return absl::InvalidArgumentError("bad session");
    }
    auto revoked = users_->RevokeSession(request->token_hash(), request->user_id());
    if (!revoked.ok()) return revoked.status();
    response->set_revoked(*revoked);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageService::ListSessions(grpc::CallbackServerContext* ctx,
                                                       const internal::UserRef* request,
                                                       internal::ListSessionsResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    auto list = users_->ListSessions(request->user_id());
    if (!list.ok()) return list.status();
    *response = std::move(*list);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageService::RevokeSessions(
    grpc::CallbackServerContext* ctx, const internal::RevokeSessionsRequest* request,
    internal::RevokeSessionsResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (request->user_id() == 0 || request->device_id().size() > kMaxDeviceIdBytes ||
        request->password_hash().size() > 255) {
      return absl::InvalidArgumentError("bad user, device or password hash");
    }
    auto revoked = users_->RevokeSessions(*request);
    if (!revoked.ok()) return revoked.status();
    *response = std::move(*revoked);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageService::GuardLogin(grpc::CallbackServerContext* ctx,
                                                     const internal::GuardLoginRequest* request,
                                                     internal::GuardLoginResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (request->username().empty() || request->username().size() > kMaxUsernameBytes ||
        request->address().size() > kMaxAddressBytes) {
      return absl::InvalidArgumentError("bad username or address");
    }
    absl::StatusOr<LoginGuard::Wait> wait;
    switch (request->event()) {
      case internal::GuardLoginRequest::CHECK:
        wait = logins_->Check(request->username(), request->address());
        break;
      case internal::GuardLoginRequest::FAILED:
        wait = logins_->Failed(request->username(), request->address(), request->per_account(),
                               request->per_address());
        break;
      case internal::GuardLoginRequest::SUCCEEDED:
        return logins_->Succeeded(request->username());
      default:
        return absl::InvalidArgumentError("unknown login event");
    }
    if (!wait.ok()) return wait.status();
    response->set_retry_after_ms(wait->retry_after_ms);
    response->set_scope(wait->scope);
    return absl::OkStatus();
  });
}

void StorageService::StartAppend(const internal::AppendMessageRequest& request,
                                 internal::AppendMessageResponse* response, Done done) {
  if (request.client_msg_id().size() > kMaxClientMsgIdBytes) {
    return done(absl::InvalidArgumentError("client_msg_id longer than 64 bytes"));
  }
  if (request.kind().size() > 16) return done(absl::InvalidArgumentError("kind too long"));
  if (request.sender_device().size() > kMaxDeviceIdBytes) {
    return done(absl::InvalidArgumentError("sender_device longer than 64 bytes"));
  }
  Append append;
  append.sender_id = request.sender_id();
  append.recipient_id = request.recipient_id();
  append.group_id = request.group_id();
  append.client_msg_id = request.client_msg_id();
  append.body = request.text();
  append.kind = request.kind().empty() ? "text" : request.kind();
  append.sender_device = request.sender_device();
  if (request.has_webhook_event()) append.webhook_event = request.webhook_event();
  if (request.check_relation() && request.group_id() == 0) {
    append.precondition = RelationPrecondition{request.sender_relation_version(),
                                               request.recipient_relation_version()};
  }
  // Group commit: answered when the batch it joined is committed.
  auto finish = std::make_shared<Done>(std::move(done));
  const bool queued =
      appends_->Submit(std::move(append),
                       [finish, response](absl::StatusOr<internal::AppendMessageResponse> stored) {
                         (*finish)(LogFault(Fill(std::move(stored), response)));
                       });
  if (!queued) (*finish)(Overloaded());
}

void StorageService::StartSessionOp(const internal::SessionOp& request,
                                    internal::SessionOpResult* response, Done done) {
  // `request` and `response` stay valid until `done` runs.
  if (request.op_case() == internal::SessionOp::kResume) {
    const auto& resume = request.resume();
    if (resume.token_hash().empty() || resume.token_hash().size() > 64) {
      return done(absl::InvalidArgumentError("bad session token hash"));
    }
    return resumer_->Submit(
        resume, [response, done](absl::StatusOr<internal::ResumeSessionResponse> resumed) {
          if (resumed.ok()) *response->mutable_resume() = std::move(*resumed);
          done(LogFault(resumed.status()));
        });
  }
  const bool queued = workers_->Submit(
      [this, &request, response, done]() { done(LogFault(RunSessionOp(request, response))); });
  if (!queued) done(Overloaded());
}

absl::Status StorageService::RunSessionOp(const internal::SessionOp& request,
                                          internal::SessionOpResult* response) {
  switch (request.op_case()) {
    case internal::SessionOp::kRegisterRoute: {
      const auto& r = request.register_route();
      if (r.route().device_id().size() > kMaxDeviceIdBytes) {
        return absl::InvalidArgumentError("device_id longer than 64 bytes");
      }
      return Fill(routes_->Register(r.user_id(), r.route(), r.max_devices()),
                  response->mutable_register_route());
    }
    case internal::SessionOp::kRemoveRoute: {
      const auto& r = request.remove_route();
      auto removed = routes_->Remove(r.user_id(), r.device_id(), r.epoch());
      if (!removed.ok()) return removed.status();
      response->mutable_remove_route()->set_removed(*removed);
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("empty session call");
  }
}

grpc::ServerUnaryReactor* StorageService::GetRoutes(grpc::CallbackServerContext* ctx,
                                                    const internal::GetRoutesRequest* request,
                                                    internal::GetRoutesResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (static_cast<std::size_t>(request->user_ids_size()) > kMaxRoutesLookup) {
      return absl::InvalidArgumentError("too many users in one route lookup");
    }
    std::vector<std::uint64_t> ids(request->user_ids().begin(), request->user_ids().end());
    return Fill(routes_->Lookup(ids), response);
  });
}

grpc::ServerUnaryReactor* StorageService::RenewNodeLease(grpc::CallbackServerContext* ctx,
                                                         const internal::NodeLeaseRequest* request,
                                                         internal::NodeLeaseResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (request->node_id().empty() || request->node_id().size() > 200) {
      return absl::InvalidArgumentError("a node id is 1 to 200 bytes");
    }
    if (request->lease_ms() < 1000 || request->lease_ms() > 600000) {
      return absl::InvalidArgumentError("a lease lasts 1 to 600 seconds");
    }
    auto held = routes_->RenewLease(request->node_id(), request->lease_ms());
    if (!held.ok()) return held.status();
    response->set_was_held(*held);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageService::ReleaseNodeLease(
    grpc::CallbackServerContext* ctx, const internal::NodeLeaseRelease* request,
    internal::NodeLeaseReleased* /*response*/) {
  return OnWorker(ctx, [this, request]() -> absl::Status {
    if (request->node_id().empty() || request->node_id().size() > 200) {
      return absl::InvalidArgumentError("a node id is 1 to 200 bytes");
    }
    return routes_->ReleaseLease(request->node_id());
  });
}

grpc::ServerUnaryReactor* StorageService::RestoreRoutes(
    grpc::CallbackServerContext* ctx, const internal::RestoreRoutesRequest* request,
    internal::RestoreRoutesResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (static_cast<std::size_t>(request->routes_size()) > kMaxRoutesLookup) {
      return absl::InvalidArgumentError("too many routes in one call");
    }
    std::vector<RouteStore::UserRoute> restore, register_now;
    for (const auto& r : request->routes()) {
      if (r.user_id() == 0 || r.route().device_id().empty() ||
          r.route().device_id().size() > kMaxDeviceIdBytes) {
        return absl::InvalidArgumentError("a restored route needs a user and a device");
      }
      (r.route().epoch() == 0 ? register_now : restore).emplace_back(r.user_id(), r.route());
    }
    if (!restore.empty()) {
      auto restored = routes_->Restore(restore);
      if (!restored.ok()) return restored.status();
      response->set_restored(*restored);
    }
    if (register_now.empty()) return absl::OkStatus();
    auto registered = routes_->RegisterMany(register_now);
    if (!registered.ok()) return registered.status();
    for (std::size_t i = 0; i < register_now.size(); ++i) {
      if (!(*registered)[i].ok()) continue;  // stays unregistered: the node asks again
      const auto& [user_id, route] = register_now[i];
      auto* done = response->add_registered();
      done->set_user_id(user_id);
      done->set_conn_id(route.conn_id());
      done->set_device_id(route.device_id());
      done->set_epoch((*registered)[i]->epoch());
      const auto& replaced = (*registered)[i]->replaced();
      if ((*registered)[i]->has_replaced() &&
          (replaced.access_node_id() != route.access_node_id() ||
           replaced.conn_id() != route.conn_id())) {
        *done->mutable_replaced() = replaced;
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StorageService::RequestFriend(
    grpc::CallbackServerContext* ctx, const internal::RequestFriendRequest* request,
    internal::RelationChange* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (request->note().size() > 255) return absl::InvalidArgumentError("note too long");
    return FillOutcome(relations_->RequestFriend(request->user_id(), request->peer_id(),
                                                 request->note(), request->record_webhook_event()),
                       response);
  });
}

grpc::ServerUnaryReactor* StorageService::RespondFriend(
    grpc::CallbackServerContext* ctx, const internal::RespondFriendRequest* request,
    internal::RelationChange* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return FillOutcome(
        relations_->RespondFriend(request->user_id(), request->peer_id(), request->accept(),
                                  request->record_webhook_event()),
        response);
  });
}

grpc::ServerUnaryReactor* StorageService::CancelFriendRequest(grpc::CallbackServerContext* ctx,
                                                              const internal::UserPair* request,
                                                              internal::RelationChange* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return FillOutcome(relations_->CancelRequest(request->user_id(), request->peer_id(),
                                                 request->record_webhook_event()),
                       response);
  });
}

grpc::ServerUnaryReactor* StorageService::RemoveFriend(grpc::CallbackServerContext* ctx,
                                                       const internal::UserPair* request,
                                                       internal::RelationChange* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return FillOutcome(relations_->RemoveFriend(request->user_id(), request->peer_id(),
                                                request->record_webhook_event()),
                       response);
  });
}

grpc::ServerUnaryReactor* StorageService::SetBlock(grpc::CallbackServerContext* ctx,
                                                   const internal::SetBlockRequest* request,
                                                   internal::RelationChange* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return FillOutcome(relations_->SetBlock(request->user_id(), request->peer_id(),
                                            request->blocked(), request->record_webhook_event()),
                       response);
  });
}

grpc::ServerUnaryReactor* StorageService::SetMessagePolicy(
    grpc::CallbackServerContext* ctx, const internal::SetMessagePolicyRequest* request,
    internal::SetMessagePolicyResponse* response) {
  return OnWorker(ctx, [this, request]() -> absl::Status {
    return relations_->SetMessagePolicy(request->user_id(), request->policy());
  });
}

grpc::ServerUnaryReactor* StorageService::ListFriends(grpc::CallbackServerContext* ctx,
                                                      const internal::UserRef* request,
                                                      internal::ListFriendsResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(relations_->ListFriends(request->user_id()), response);
  });
}

grpc::ServerUnaryReactor* StorageService::ListFriendRequests(
    grpc::CallbackServerContext* ctx, const internal::UserRef* request,
    internal::ListFriendRequestsResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(relations_->ListRequests(request->user_id()), response);
  });
}

grpc::ServerUnaryReactor* StorageService::ListBlocked(grpc::CallbackServerContext* ctx,
                                                      const internal::UserRef* request,
                                                      internal::ListBlockedResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(relations_->ListBlocked(request->user_id()), response);
  });
}

grpc::ServerUnaryReactor* StorageService::GetRelation(grpc::CallbackServerContext* ctx,
                                                      const internal::UserPair* request,
                                                      internal::Relation* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(relations_->GetRelation(request->user_id(), request->peer_id()), response);
  });
}

grpc::ServerUnaryReactor* StorageService::SyncMessages(grpc::CallbackServerContext* ctx,
                                                       const internal::SyncMessagesRequest* request,
                                                       internal::MessagePage* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    if (request->conv_id() != 0) {
      return Fill(conversations_->SyncConversation(request->user_id(), request->device_id(),
                                                   request->conv_id(), request->limit()),
                  response);
    }
    return Fill(conversations_->Sync(request->user_id(), request->device_id(), request->limit()),
                response);
  });
}

void StorageService::StartAck(const internal::AckMessagesRequest& request, Done done) {
  if (request.acks_size() > 1000) return done(absl::InvalidArgumentError("too many acks at once"));
  // Group commit: answered when the batch it joined is committed.
  auto finish = std::make_shared<Done>(std::move(done));
  const bool queued = acks_->Submit(
      request.user_id(), request.device_id(),
      std::vector<internal::ConversationSeq>(request.acks().begin(), request.acks().end()),
      [finish](absl::Status status) { (*finish)(LogFault(std::move(status))); });
  if (!queued) (*finish)(Overloaded());
}

grpc::ServerUnaryReactor* StorageService::ListConversations(
    grpc::CallbackServerContext* ctx, const internal::UserRef* request,
    internal::ListConversationsResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(conversations_->List(request->user_id()), response);
  });
}

grpc::ServerUnaryReactor* StorageService::History(grpc::CallbackServerContext* ctx,
                                                  const internal::HistoryQuery* request,
                                                  internal::MessagePage* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(
        conversations_->History(request->conversation(), request->before_seq(), request->limit()),
        response);
  });
}

grpc::ServerUnaryReactor* StorageService::MarkRead(grpc::CallbackServerContext* ctx,
                                                   const internal::MarkReadQuery* request,
                                                   internal::MarkReadResult* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(conversations_->MarkRead(request->conversation(), request->seq()), response);
  });
}

grpc::ServerUnaryReactor* StorageService::RecallMessage(
    grpc::CallbackServerContext* ctx, const internal::RecallMessageRequest* request,
    internal::RecallMessageResponse* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    // The cache marks the message recalled before the update and again
    // after it (RecentMessages::MarkRecalled).
    auto mark = [this](std::uint64_t conv_id, std::uint64_t seq) {
      return recent_->MarkRecalled(conv_id, seq);
    };
    auto recalled =
        messages_->Recall(request->user_id(), request->msg_id(), request->window_ms(), mark);
    if (recalled.ok()) {
      if (absl::Status s = mark(recalled->conv_id(), recalled->seq()); !s.ok()) return s;
    }
    return Fill(std::move(recalled), response);
  });
}

grpc::ServerUnaryReactor* StorageService::ClaimWebhookEvents(
    grpc::CallbackServerContext* ctx, const internal::ClaimWebhookEventsRequest* request,
    internal::WebhookEvents* response) {
  return OnWorker(ctx, [this, request, response]() -> absl::Status {
    return Fill(outbox_->Claim(request->limit(), request->lease_ms()), response);
  });
}

grpc::ServerUnaryReactor* StorageService::FinishWebhookEvents(
    grpc::CallbackServerContext* ctx, const internal::FinishWebhookEventsRequest* request,
    internal::FinishWebhookEventsResponse* /*response*/) {
  return OnWorker(ctx, [this, request]() -> absl::Status { return outbox_->Finish(*request); });
}

}  // namespace im::storage
