#pragma once
// Test doubles for logic's unit tests. ScriptedStorage, a StorageApi: each method answers from the
// function a test scripted for it by name, at once on the caller's thread:
//
//   storage.Answer<internal::GetUserRequest, internal::User>(
//       "GetUser", [](const internal::GetUserRequest& r) { return BobUser(); });
//
// A method nobody scripted answers UNIMPLEMENTED "not scripted: NAME" (and the
// test sees it in the handler's answer). Every call is recorded, by method
// name and request, in the order made. Thread-safe.

#include <any>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "logic/access_push_api.h"
#include "logic/request_dispatcher.h"
#include "logic/storage_api.h"

namespace im::logic {

class ScriptedStorage final : public StorageApi {
 public:
  struct Call {
    std::string method;
    std::string request;  // its DebugString
  };

  template <typename Request, typename Response>
  void Answer(const std::string& method,
              std::function<absl::StatusOr<Response>(const Request&)> answer) {
    std::lock_guard lock(mutex_);
    answers_[method] = std::move(answer);
  }

  // GetUser finds these users by name; any other name is NOT_FOUND.
  void AnswerUsers(std::vector<internal::User> users) {
    Answer<internal::GetUserRequest, internal::User>(
        "GetUser", [users](const internal::GetUserRequest& r) -> absl::StatusOr<internal::User> {
          for (const auto& user : users) {
            if (user.username() == r.username()) return user;
          }
          return absl::NotFoundError("no such user");
        });
  }

  std::vector<Call> Calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  // How many times `method` was called.
  int CallsTo(const std::string& method) const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const Call& call : calls_) n += call.method == method;
    return n;
  }
  // The request of the last call to `method`, parsed back; empty if none.
  template <typename Request>
  Request LastRequest(const std::string& method) const {
    std::lock_guard lock(mutex_);
    for (auto it = requests_.rbegin(); it != requests_.rend(); ++it) {
      if (it->first == method) return std::any_cast<Request>(it->second);
    }
    return Request();
  }

  void CreateUser(internal::CreateUserRequest request,
                  Done<internal::CreateUserResponse> done) override {
    Respond("CreateUser", std::move(request), std::move(done));
  }
  void GetUser(internal::GetUserRequest request, Done<internal::User> done) override {
    Respond("GetUser", std::move(request), std::move(done));
  }
  void CreateSession(internal::CreateSessionRequest request,
                     Done<internal::CreateSessionResponse> done) override {
    Respond("CreateSession", std::move(request), std::move(done));
  }
  void RevokeSession(internal::RevokeSessionRequest request,
                     Done<internal::RevokeSessionResponse> done) override {
    Respond("RevokeSession", std::move(request), std::move(done));
  }
  void GuardLogin(internal::GuardLoginRequest request,
                  Done<internal::GuardLoginResponse> done) override {
    Respond("GuardLogin", std::move(request), std::move(done));
  }
  void ListSessions(internal::UserRef request, Done<internal::ListSessionsResponse> done) override {
    Respond("ListSessions", std::move(request), std::move(done));
  }
  void RevokeSessions(internal::RevokeSessionsRequest request,
                      Done<internal::RevokeSessionsResponse> done) override {
    Respond("RevokeSessions", std::move(request), std::move(done));
  }
  void ResumeSession(internal::ResumeSessionRequest request,
                     Done<internal::ResumeSessionResponse> done) override {
    Respond("ResumeSession", std::move(request), std::move(done));
  }
  void AppendMessage(internal::AppendMessageRequest request,
                     Done<internal::AppendMessageResponse> done) override {
    Respond("AppendMessage", std::move(request), std::move(done));
  }
  void RegisterRoute(internal::RegisterRouteRequest request,
                     Done<internal::RegisterRouteResponse> done) override {
    Respond("RegisterRoute", std::move(request), std::move(done));
  }
  void RemoveRoute(internal::RemoveRouteRequest request,
                   Done<internal::RemoveRouteResponse> done) override {
    Respond("RemoveRoute", std::move(request), std::move(done));
  }
  void GetRoutes(internal::GetRoutesRequest request,
                 Done<internal::GetRoutesResponse> done) override {
    Respond("GetRoutes", std::move(request), std::move(done));
  }
  void RenewNodeLease(internal::NodeLeaseRequest request,
                      Done<internal::NodeLeaseResponse> done) override {
    Respond("RenewNodeLease", std::move(request), std::move(done));
  }
  void RestoreRoutes(internal::RestoreRoutesRequest request,
                     Done<internal::RestoreRoutesResponse> done) override {
    Respond("RestoreRoutes", std::move(request), std::move(done));
  }
  void ReleaseNodeLease(internal::NodeLeaseRelease request,
                        Done<internal::NodeLeaseReleased> done) override {
    Respond("ReleaseNodeLease", std::move(request), std::move(done));
  }
  void RequestFriend(internal::RequestFriendRequest request,
                     Done<internal::RelationChange> done) override {
    Respond("RequestFriend", std::move(request), std::move(done));
  }
  void RespondFriend(internal::RespondFriendRequest request,
                     Done<internal::RelationChange> done) override {
    Respond("RespondFriend", std::move(request), std::move(done));
  }
  void CancelFriendRequest(internal::UserPair request,
                           Done<internal::RelationChange> done) override {
    Respond("CancelFriendRequest", std::move(request), std::move(done));
  }
  void RemoveFriend(internal::UserPair request, Done<internal::RelationChange> done) override {
    Respond("RemoveFriend", std::move(request), std::move(done));
  }
  void SetBlock(internal::SetBlockRequest request, Done<internal::RelationChange> done) override {
    Respond("SetBlock", std::move(request), std::move(done));
  }
  void SetMessagePolicy(internal::SetMessagePolicyRequest request,
                        Done<internal::SetMessagePolicyResponse> done) override {
    Respond("SetMessagePolicy", std::move(request), std::move(done));
  }
  void ListFriends(internal::UserRef request, Done<internal::ListFriendsResponse> done) override {
    Respond("ListFriends", std::move(request), std::move(done));
  }
  void ListFriendRequests(internal::UserRef request,
                          Done<internal::ListFriendRequestsResponse> done) override {
    Respond("ListFriendRequests", std::move(request), std::move(done));
  }
  void ListBlocked(internal::UserRef request, Done<internal::ListBlockedResponse> done) override {
    Respond("ListBlocked", std::move(request), std::move(done));
  }
  void GetRelation(internal::UserPair request, Done<internal::Relation> done) override {
    Respond("GetRelation", std::move(request), std::move(done));
  }
  void SyncMessages(internal::SyncMessagesRequest request,
                    Done<internal::MessagePage> done) override {
    Respond("SyncMessages", std::move(request), std::move(done));
  }
  void AckMessages(internal::AckMessagesRequest request,
                   Done<internal::AckMessagesResponse> done) override {
    Respond("AckMessages", std::move(request), std::move(done));
  }
  void ListConversations(internal::UserRef request,
                         Done<internal::ListConversationsResponse> done) override {
    Respond("ListConversations", std::move(request), std::move(done));
  }
  void History(internal::HistoryQuery request, Done<internal::MessagePage> done) override {
    Respond("History", std::move(request), std::move(done));
  }
  void MarkRead(internal::MarkReadQuery request, Done<internal::MarkReadResult> done) override {
    Respond("MarkRead", std::move(request), std::move(done));
  }
  void RecallMessage(internal::RecallMessageRequest request,
                     Done<internal::RecallMessageResponse> done) override {
    Respond("RecallMessage", std::move(request), std::move(done));
  }
  void CreateGroup(internal::CreateGroupRequest request,
                   Done<internal::GroupChangeResult> done) override {
    Respond("CreateGroup", std::move(request), std::move(done));
  }
  void ChangeGroup(internal::ChangeGroupRequest request,
                   Done<internal::GroupChangeResult> done) override {
    Respond("ChangeGroup", std::move(request), std::move(done));
  }
  void GetGroupInfo(internal::GroupRef request, Done<internal::GroupRecord> done) override {
    Respond("GetGroupInfo", std::move(request), std::move(done));
  }
  void ListGroupMembers(internal::ListGroupMembersRequest request,
                        Done<internal::GroupMemberPage> done) override {
    Respond("ListGroupMembers", std::move(request), std::move(done));
  }
  void ListGroups(internal::UserRef request, Done<internal::GroupRecords> done) override {
    Respond("ListGroups", std::move(request), std::move(done));
  }
  void GetGroupRoutes(internal::GetGroupRoutesRequest request,
                      Done<internal::GetRoutesResponse> done) override {
    Respond("GetGroupRoutes", std::move(request), std::move(done));
  }
  void Desk(internal::DeskCall request, Done<internal::DeskResult> done) override {
    Respond("Desk", std::move(request), std::move(done));
  }
  void ClaimWebhookEvents(internal::ClaimWebhookEventsRequest request,
                          Done<internal::WebhookEvents> done) override {
    Respond("ClaimWebhookEvents", std::move(request), std::move(done));
  }
  void FinishWebhookEvents(internal::FinishWebhookEventsRequest request,
                           Done<internal::FinishWebhookEventsResponse> done) override {
    Respond("FinishWebhookEvents", std::move(request), std::move(done));
  }

 private:
  template <typename Request, typename Response>
  void Respond(const char* method, Request request, Done<Response> done) {
    using Answerer = std::function<absl::StatusOr<Response>(const Request&)>;
    Answerer answer;
    {
      std::lock_guard lock(mutex_);
      calls_.push_back({method, request.DebugString()});
      requests_.emplace_back(method, request);
      auto it = answers_.find(method);
      if (it != answers_.end()) answer = std::any_cast<Answerer>(it->second);
    }
    if (!answer) return done(absl::UnimplementedError(std::string("not scripted: ") + method));
    done(answer(request));
  }

  mutable std::mutex mutex_;
  std::map<std::string, std::any> answers_;
  std::vector<Call> calls_;
  std::vector<std::pair<std::string, std::any>> requests_;
};

// An AccessPushApi that records each push and kick; `delivered` runs at once.
class RecordedAccess final : public AccessPushApi {
 public:
  struct Pushed {
    std::string endpoint;
    internal::PushRequest request;
  };
  struct Kicked {
    std::string endpoint;
    internal::KickRequest request;
  };

  void Push(const std::string& endpoint, internal::PushRequest request,
            std::function<void()> delivered) override {
    {
      std::lock_guard lock(mutex_);
      pushes_.push_back({endpoint, std::move(request)});
    }
    if (delivered) delivered();
  }
  void Kick(const std::string& endpoint, internal::KickRequest request) override {
    std::lock_guard lock(mutex_);
    kicks_.push_back({endpoint, std::move(request)});
  }

  std::vector<Pushed> pushes() const {
    std::lock_guard lock(mutex_);
    return pushes_;
  }
  std::vector<Kicked> kicks() const {
    std::lock_guard lock(mutex_);
    return kicks_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Pushed> pushes_;
  std::vector<Kicked> kicks_;
};

// Dispatches `frame` from `session` and waits (up to 5 s) for its answer.
inline internal::HandleResponse Ask(const RequestDispatcher& dispatcher,
                                    const internal::SessionContext& session,
                                    client::ClientFrame frame) {
  internal::HandleRequest request;
  *request.mutable_session() = session;
  *request.mutable_frame() = std::move(frame);
  auto answered = std::make_shared<std::promise<internal::HandleResponse>>();
  auto answer = answered->get_future();
  dispatcher.Dispatch(
      request, [answered](internal::HandleResponse r) { answered->set_value(std::move(r)); });
  if (answer.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    internal::HandleResponse none;
    none.mutable_frame()->mutable_status()->set_code(-1);
    none.mutable_frame()->mutable_status()->set_message("no answer within 5 s");
    return none;
  }
  return answer.get();
}

// A logged-in session: user `user_id` named `username` on connection
// `conn_id` of node "a1".
inline internal::SessionContext LoggedIn(std::uint64_t user_id, const std::string& username,
                                         std::uint64_t conn_id = 10) {
  internal::SessionContext session;
  session.set_user_id(user_id);
  session.set_username(username);
  session.set_device_id("phone");
  session.set_access_node_id("a1");
  session.set_access_endpoint("a1:7100");
  session.set_conn_id(conn_id);
  return session;
}

// A user as storage returns it.
inline internal::User StoredUser(std::uint64_t user_id, const std::string& username) {
  internal::User user;
  user.set_user_id(user_id);
  user.set_username(username);
  return user;
}

}  // namespace im::logic
