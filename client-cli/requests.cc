#include "client-cli/requests.h"

namespace im::cli {

client::ClientFrame FriendRequestFrame(const std::string& peer, const std::string& note) {
  client::ClientFrame f;
  f.mutable_friend_request()->set_peer(peer);
  f.mutable_friend_request()->set_note(note);
  return f;
}

client::ClientFrame FriendRespondFrame(const std::string& peer, bool accept) {
  client::ClientFrame f;
  f.mutable_friend_respond()->set_peer(peer);
  f.mutable_friend_respond()->set_accept(accept);
  return f;
}

client::ClientFrame FriendCancelFrame(const std::string& peer) {
  client::ClientFrame f;
  f.mutable_friend_cancel()->set_peer(peer);
  return f;
}

client::ClientFrame FriendRemoveFrame(const std::string& peer) {
  client::ClientFrame f;
  f.mutable_friend_remove()->set_peer(peer);
  return f;
}

client::ClientFrame FriendListFrame() {
  client::ClientFrame f;
  f.mutable_friend_list();
  return f;
}

client::ClientFrame FriendPendingFrame() {
  client::ClientFrame f;
  f.mutable_friend_pending();
  return f;
}

client::ClientFrame BlockFrame(const std::string& peer, bool blocked) {
  client::ClientFrame f;
  f.mutable_block_set()->set_peer(peer);
  f.mutable_block_set()->set_blocked(blocked);
  return f;
}

client::ClientFrame BlockListFrame() {
  client::ClientFrame f;
  f.mutable_block_list();
  return f;
}

client::ClientFrame PrivacyFrame(client::MessagePolicy messages) {
  client::ClientFrame f;
  f.mutable_privacy_set()->set_messages(messages);
  return f;
}

}  // namespace im::cli
