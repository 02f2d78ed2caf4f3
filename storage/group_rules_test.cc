#include "storage/group_rules.h"

#include <gtest/gtest.h>

namespace im::storage {
namespace {

constexpr GroupRole kOwner = internal::GROUP_ROLE_OWNER;
constexpr GroupRole kAdmin = internal::GROUP_ROLE_ADMIN;
constexpr GroupRole kMember = internal::GROUP_ROLE_MEMBER;

TEST(GroupRulesTest, OwnerAndAdminsManageMembersDoNot) {
  EXPECT_TRUE(MayManageGroup(kOwner).ok());
  EXPECT_TRUE(MayManageGroup(kAdmin).ok());
  EXPECT_EQ(MayManageGroup(kMember).code(), absl::StatusCode::kPermissionDenied);
}

TEST(GroupRulesTest, KickAndMuteMatrix) {
  struct Case {
    GroupRole actor, target;
    absl::StatusCode expected;
  };
  const Case cases[] = {
      {kOwner, kAdmin, absl::StatusCode::kOk},
      {kOwner, kMember, absl::StatusCode::kOk},
      {kAdmin, kMember, absl::StatusCode::kOk},
      {kAdmin, kAdmin, absl::StatusCode::kPermissionDenied},
      {kAdmin, kOwner, absl::StatusCode::kPermissionDenied},
      {kMember, kMember, absl::StatusCode::kPermissionDenied},
      {kMember, kAdmin, absl::StatusCode::kPermissionDenied},
      {kMember, kOwner, absl::StatusCode::kPermissionDenied},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MayActOnMember(c.actor, c.target, false, "remove").code(), c.expected)
        << internal::GroupRole_Name(c.actor) << " removing " << internal::GroupRole_Name(c.target);
  }
  EXPECT_EQ(MayActOnMember(kOwner, kOwner, true, "remove").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(GroupRulesTest, OnlyTheOwnerChangesRolesTransfersAndDissolves) {
  EXPECT_TRUE(MayChangeRole(kOwner, kMember, kAdmin).ok());
  EXPECT_TRUE(MayChangeRole(kOwner, kAdmin, kMember).ok());
  EXPECT_EQ(MayChangeRole(kAdmin, kMember, kAdmin).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(MayChangeRole(kOwner, kMember, kOwner).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(MayTransfer(kOwner, kMember, false).ok());
  EXPECT_EQ(MayTransfer(kAdmin, kMember, false).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(MayDissolve(kOwner).ok());
  EXPECT_EQ(MayDissolve(kAdmin).code(), absl::StatusCode::kPermissionDenied);
}

TEST(GroupRulesTest, TheOwnerMustTransferBeforeLeaving) {
  EXPECT_EQ(MayLeave(kOwner).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(MayLeave(kAdmin).ok());
  EXPECT_TRUE(MayLeave(kMember).ok());
}

TEST(GroupRulesTest, MuteAndMuteAll) {
  const std::int64_t now = 1'000'000;
  EXPECT_TRUE(MaySend(kMember, 0, false, now).ok());
  EXPECT_TRUE(MaySend(kMember, now, false, now).ok());  // expired
  EXPECT_EQ(MaySend(kMember, now + 1, false, now).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(MaySend(kMember, 0, true, now).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(MaySend(kAdmin, 0, true, now).ok());
  EXPECT_TRUE(MaySend(kOwner, 0, true, now).ok());
}

}  // namespace
}  // namespace im::storage
