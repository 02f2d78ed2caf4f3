#pragma once
// Builders for the client requests of the relationship chain, shared by
// im-cli and the tests so both speak the protocol the same way.

#include <string>

#include "client.pb.h"

namespace im::cli {

client::ClientFrame FriendRequestFrame(const std::string& peer, const std::string& note = "");
client::ClientFrame FriendRespondFrame(const std::string& peer, bool accept);
client::ClientFrame FriendCancelFrame(const std::string& peer);
client::ClientFrame FriendRemoveFrame(const std::string& peer);
client::ClientFrame FriendListFrame();
client::ClientFrame FriendPendingFrame();
client::ClientFrame BlockFrame(const std::string& peer, bool blocked);
client::ClientFrame BlockListFrame();
client::ClientFrame PrivacyFrame(client::MessagePolicy messages);

}  // namespace im::cli
