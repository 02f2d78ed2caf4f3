// GroupStore::Change: one change to a group, decided and applied under the
// group's lock (see group_store.h).

#include <limits>

#include "common/clock.h"
#include "common/str_cat.h"
#include "storage/group_membership.h"
#include "storage/group_rows.h"
#include "storage/group_rules.h"
#include "storage/group_store.h"

namespace im::storage {
namespace {

using Event = internal::StoredGroupEvent;

// What a change did: the event to record, or nothing at all.
struct Applied {
  bool changed = false;
  Event event;
  std::int64_t member_delta = 0;
};

Applied Recorded(Event event, std::int64_t member_delta = 0) {
  return Applied{true, std::move(event), member_delta};
}

Event EventOf(Event::Type type) {
  Event event;
  event.set_type(type);
  return event;
}

Event EventAboutUser(Event::Type type, const std::string& username) {
  Event event = EventOf(type);
  event.add_users(username);
  return event;
}

Applied Unchanged() { return Applied{}; }

// Applies each kind of change for `actor` to the group locked in `view`.
// Rows written refer to `seq`, the seq the system message will take.
class Changer {
 public:
  Changer(MysqlConnection& conn, const MemberView& view, NamedUser actor, std::uint32_t max_members)
      : conn_(conn),
        group_(view.group),
        role_(view.member.role),
        actor_(std::move(actor)),
        max_members_(max_members),
        seq_(view.group.max_seq + 1) {}

  absl::StatusOr<Applied> Apply(const internal::GroupChange& change) {
    using Change = internal::GroupChange;
    switch (change.change_case()) {
      case Change::kInvite:
        return Invite(change.invite());
      case Change::kKick:
        return Kick(change.kick());
      case Change::kLeave:
        return Leave();
      case Change::kDissolve:
        return Dissolve();
      case Change::kRename:
        return Rename(change.rename());
      case Change::kAnnounce:
        return Announce(change.announce());
      case Change::kSetRole:
        return SetRole(change.set_role());
      case Change::kTransfer:
        return Transfer(change.transfer());
      case Change::kMute:
        return Mute(change.mute());
      case Change::kMuteAll:
        return MuteAll(change.mute_all());
      default:
        return absl::InvalidArgumentError("no group change given");
    }
  }

 private:
  struct Target {
    NamedUser user;
    Membership member;
  };

  // A current member named `username`; NOT_FOUND otherwise.
  absl::StatusOr<Target> FindMember(std::string_view username) {
    auto user = FindUserByName(conn_, username);
    if (!user.ok()) return user.status();
    auto member = ReadMembership(conn_, group_.group_id, user->user_id);
    if (!member.ok()) return member.status();
    if (member->role == internal::GROUP_ROLE_NONE) {
      return absl::NotFoundError(common::StrCat(username, " is not a member of this group"));
    }
    return Target{std::move(*user), *member};
  }

  absl::StatusOr<Applied> Invite(const internal::GroupChange::Users& invite) {
    if (auto s = MayManageGroup(role_); !s.ok()) return s;
    std::vector<std::string> names(invite.usernames().begin(), invite.usernames().end());
    auto users = FindUsersByName(conn_, names);
    if (!users.ok()) return users.status();
    auto joining = NotMembers(conn_, group_.group_id, std::move(*users));
    if (!joining.ok()) return joining.status();
    if (joining->empty()) return Unchanged();
    const std::size_t total = group_.member_count + joining->size();
    if (total > max_members_) {
      return absl::FailedPreconditionError(
          common::StrCat("the group would have ", total, " members; the limit is ", max_members_));
    }
    std::vector<std::uint64_t> ids;
    for (const NamedUser& user : *joining) ids.push_back(user.user_id);
    if (auto s = AddMemberRows(conn_, group_.group_id, ids, internal::GROUP_ROLE_MEMBER, seq_ - 1);
        !s.ok()) {
      return s;
    }
    return Recorded(EventAbout(Event::ADDED, *joining), static_cast<std::int64_t>(joining->size()));
  }

  absl::StatusOr<Applied> Kick(std::string_view username) {
    auto target = FindMember(username);
    if (!target.ok()) return target.status();
    if (auto s = MayActOnMember(role_, target->member.role, target->user.user_id == actor_.user_id,
                                "remove");
        !s.ok()) {
      return s;
    }
    if (auto s = RemoveMemberRow(conn_, group_.group_id, target->user.user_id, seq_); !s.ok()) {
      return s;
    }
    return Recorded(EventAboutUser(Event::REMOVED, target->user.username), -1);
  }

  absl::StatusOr<Applied> Leave() {
    if (auto s = MayLeave(role_); !s.ok()) return s;
    if (auto s = RemoveMemberRow(conn_, group_.group_id, actor_.user_id, seq_); !s.ok()) return s;
    return Recorded(EventOf(Event::LEFT), -1);
  }

  absl::StatusOr<Applied> Dissolve() {
    if (auto s = MayDissolve(role_); !s.ok()) return s;
    auto removed = conn_.Execute(
        "UPDATE conversation_members SET role = 0, visible_until_seq = ?, muted_until_ms = 0"
        " WHERE conv_id = ? AND visible_until_seq IS NULL AND role > 0",
        {seq_, group_.group_id});
    if (!removed.ok()) return removed.status();
    auto dissolved =
        conn_.Execute("UPDATE chat_groups SET dissolved = 1 WHERE conv_id = ?", {group_.group_id});
    if (!dissolved.ok()) return dissolved.status();
    return Recorded(EventOf(Event::DISSOLVED), -static_cast<std::int64_t>(group_.member_count));
  }

  absl::StatusOr<Applied> Rename(std::string_view name) {
    if (auto s = MayManageGroup(role_); !s.ok()) return s;
    if (name == group_.name) return Unchanged();
    auto updated =
        conn_.Execute("UPDATE chat_groups SET name = ? WHERE conv_id = ?", {name, group_.group_id});
    if (!updated.ok()) return updated.status();
    Event event = EventOf(Event::RENAMED);
    event.set_text(std::string(name));
    return Recorded(std::move(event));
  }

  absl::StatusOr<Applied> Announce(std::string_view text) {
    if (auto s = MayManageGroup(role_); !s.ok()) return s;
    auto updated = conn_.Execute(
        "UPDATE chat_groups SET announcement = ? WHERE conv_id = ? AND announcement <> ?",
        {text, group_.group_id, text});
    if (!updated.ok()) return updated.status();
    if (updated->affected_rows == 0) return Unchanged();
    Event event = EventOf(Event::ANNOUNCED);
    event.set_text(std::string(text));
    return Recorded(std::move(event));
  }

  absl::StatusOr<Applied> SetRole(const internal::GroupChange::Role& change) {
    auto target = FindMember(change.user());
    if (!target.ok()) return target.status();
    if (auto s = MayChangeRole(role_, target->member.role, change.role()); !s.ok()) return s;
    if (target->member.role == change.role()) return Unchanged();
    if (auto s = SetRoleRow(target->user.user_id, change.role()); !s.ok()) return s;
    Event event = EventAboutUser(Event::ROLE_CHANGED, target->user.username);
    event.set_role(change.role());
    return Recorded(std::move(event));
  }

  absl::StatusOr<Applied> Transfer(std::string_view username) {
    auto target = FindMember(username);
    if (!target.ok()) return target.status();
    if (auto s = MayTransfer(role_, target->member.role, target->user.user_id == actor_.user_id);
        !s.ok()) {
      return s;
    }
    if (auto s = SetRoleRow(target->user.user_id, internal::GROUP_ROLE_OWNER); !s.ok()) return s;
    if (auto s = SetRoleRow(actor_.user_id, internal::GROUP_ROLE_ADMIN); !s.ok()) return s;
    // The new owner cannot stay muted: nobody may mute the owner.
    auto unmuted = conn_.Execute(
        "UPDATE conversation_members SET muted_until_ms = 0 WHERE conv_id = ? AND user_id = ?",
        {group_.group_id, target->user.user_id});
    if (!unmuted.ok()) return unmuted.status();
    auto owner = conn_.Execute("UPDATE chat_groups SET owner_id = ? WHERE conv_id = ?",
                               {target->user.user_id, group_.group_id});
    if (!owner.ok()) return owner.status();
    return Recorded(EventAboutUser(Event::TRANSFERRED, target->user.username));
  }

  absl::StatusOr<Applied> Mute(const internal::GroupChange::Mute& mute) {
    auto target = FindMember(mute.user());
    if (!target.ok()) return target.status();
    if (auto s = MayActOnMember(role_, target->member.role, target->user.user_id == actor_.user_id,
                                mute.muted() ? "mute" : "unmute");
        !s.ok()) {
      return s;
    }
    const std::int64_t now = common::NowMs();
    const bool muted_now = target->member.muted_until_ms > now;
    if (!mute.muted() && !muted_now) return Unchanged();
    const std::int64_t until = !mute.muted() ? 0
                               : mute.minutes() == 0
                                   ? std::numeric_limits<std::int64_t>::max()
                                   : now + static_cast<std::int64_t>(mute.minutes()) * 60'000;
    auto updated = conn_.Execute(
        "UPDATE conversation_members SET muted_until_ms = ? WHERE conv_id = ? AND user_id = ?",
        {until, group_.group_id, target->user.user_id});
    if (!updated.ok()) return updated.status();
    if (!mute.muted()) return Recorded(EventAboutUser(Event::UNMUTED, target->user.username));
    Event event = EventAboutUser(Event::MUTED, target->user.username);
    event.set_minutes(mute.minutes());
    return Recorded(std::move(event));
  }

  absl::StatusOr<Applied> MuteAll(bool on) {
    if (auto s = MayManageGroup(role_); !s.ok()) return s;
    if (on == group_.mute_all) return Unchanged();
    auto updated = conn_.Execute("UPDATE chat_groups SET mute_all = ? WHERE conv_id = ?",
                                 {std::int64_t{on ? 1 : 0}, group_.group_id});
    if (!updated.ok()) return updated.status();
    Event event = EventOf(Event::MUTE_ALL);
    event.set_on(on);
    return Recorded(std::move(event));
  }

  absl::Status SetRoleRow(std::uint64_t user_id, internal::GroupRole role) {
    return conn_
        .Execute("UPDATE conversation_members SET role = ? WHERE conv_id = ? AND user_id = ?",
                 {static_cast<std::int64_t>(role), group_.group_id, user_id})
        .status();
  }

  MysqlConnection& conn_;
  const GroupState& group_;
  const internal::GroupRole role_;
  const NamedUser actor_;
  const std::uint32_t max_members_;
  const std::uint64_t seq_;
};

}  // namespace

absl::StatusOr<internal::GroupChangeResult> GroupStore::Change(std::uint64_t actor_id,
                                                               const internal::GroupChange& change,
                                                               std::uint32_t max_members,
                                                               bool record_event) {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  MysqlConnection& conn = **lease;
  const std::uint64_t group_id = change.group_id();
  internal::GroupChangeResult result;
  auto apply = [&]() -> absl::Status {
    result.Clear();
    auto view = RequireMember(conn, group_id, actor_id, /*lock=*/true);
    if (!view.ok()) return view.status();
    auto actor_name = UsernameOf(conn, actor_id);
    if (!actor_name.ok()) return actor_name.status();
    const NamedUser actor{actor_id, *actor_name};
    auto applied = Changer(conn, *view, actor, max_members).Apply(change);
    if (!applied.ok()) return applied.status();
    result.set_group_id(group_id);
    std::int64_t members = static_cast<std::int64_t>(view->group.member_count);
    if (applied->changed) {
      members += applied->member_delta;
      if (applied->member_delta != 0) {
        auto counted = conn.Execute("UPDATE chat_groups SET member_count = ? WHERE conv_id = ?",
                                    {members, group_id});
        if (!counted.ok()) return counted.status();
      }
      auto message = RecordGroupEvent(conn, group_id, view->group.max_seq, actor,
                                      std::move(applied->event), record_event);
      if (!message.ok()) return message.status();
      *result.mutable_system_message() = std::move(*message);
    }
    result.set_changed(applied->changed);
    result.set_member_count(static_cast<std::uint32_t>(members));
    return absl::OkStatus();
  };
  if (auto s = RunTransaction(conn, apply, /*attempts=*/5); !s.ok()) return s;
  return result;
}

}  // namespace im::storage
