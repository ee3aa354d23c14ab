// Acd behaviour while interactions wait: max wait, overflow, skill relaxation,
// keep-my-place callbacks and announcements.
#include <gtest/gtest.h>

#include "cc/acd.hpp"
#include "cc/acd_test_fixture.hpp"

namespace hotline::cc {
namespace {

using std::chrono::seconds;
using testing::AcdTest;
using testing::Harness;

TEST_F(AcdTest, MaxWaitSendsToTheExit) {
  QueueConfig c = basic("sales");
  c.max_wait = seconds(120);
  c.exit_destination = "voicemail";
  const QueueId q = queue(c);
  const InteractionId i = arrive(q);
  h.advance(seconds(119));
  EXPECT_TRUE(h.commands_of<MoveToExit>().empty());
  h.advance(seconds(1));
  ASSERT_EQ(h.commands_of<MoveToExit>().size(), 1u);
  EXPECT_EQ(h.commands_of<MoveToExit>()[0].destination, "voicemail");
  EXPECT_EQ(h.events_of<InteractionTimedOut>().at(0).wait, seconds(120));
  EXPECT_FALSE(h.acd.phase(i).has_value());
  EXPECT_EQ(h.pending_timers(), 0u);
}

TEST_F(AcdTest, MaxWaitLetsARingingOfferFinish) {
  QueueConfig c = basic("sales");
  c.max_wait = seconds(20);
  c.exit_destination = "voicemail";
  const QueueId q = queue(c);
  const InteractionId i = arrive(q);
  h.advance(seconds(10));
  const AgentId a = agent("alice", {{q, 0}});
  EXPECT_EQ(last_offer(), a);
  h.advance(seconds(12));  // max wait passes while ringing
  EXPECT_TRUE(h.commands_of<MoveToExit>().empty());
  h.advance(seconds(3));  // ring timeout: now it leaves
  EXPECT_EQ(h.commands_of<MoveToExit>().size(), 1u);
  EXPECT_FALSE(h.acd.phase(i).has_value());
  EXPECT_EQ(state(a), AgentState::kReady);
  check();
}

TEST_F(AcdTest, OverflowMovesToAnotherQueueAsANewVisit) {
  const QueueId sales = queue(basic("sales"));
  QueueConfig bc = basic("backup");
  bc.music_on_hold = "backup-music";
  const QueueId backup = queue(bc);
  QueueConfig c = basic("sales");
  c.overflow = {{seconds(60), OverflowAction::kMoveTo, backup}};
  ASSERT_TRUE(h.acd.update_queue(sales, c).has_value());
  const AgentId b = agent("bob", {{backup, 0}});
  const InteractionId i = arrive(sales);
  h.advance(seconds(60));
  auto over = h.events_of<InteractionOverflowed>();
  ASSERT_EQ(over.size(), 1u);
  EXPECT_EQ(over[0].target, backup);
  EXPECT_EQ(over[0].visit, 1u);
  auto queued = h.events_of<InteractionQueued>();
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[1].queue, backup);
  EXPECT_EQ(queued[1].visit, 2u);
  EXPECT_EQ(last_offer(), b);
  EXPECT_EQ(h.acd.visit(i), 2u);
  auto music = h.commands_of<HoldWithMusic>();
  ASSERT_EQ(music.size(), 2u);
  EXPECT_EQ(music[1].music_class, "backup-music");
  check();
}

TEST_F(AcdTest, OverflowCanAlsoOfferToAnotherQueuesAgents) {
  const QueueId sales = queue(basic("sales"));
  const QueueId support = queue(basic("support"));
  QueueConfig c = basic("sales");
  c.overflow = {{seconds(30), OverflowAction::kAlsoOffer, support}};
  ASSERT_TRUE(h.acd.update_queue(sales, c).has_value());
  const AgentId s = agent("sam", {{support, 0}});
  const InteractionId i = arrive(sales);
  EXPECT_FALSE(last_offer().has_value());
  h.advance(seconds(30));
  EXPECT_EQ(h.events_of<InteractionTargetAdded>().size(), 1u);
  EXPECT_EQ(last_offer(), s);
  ASSERT_TRUE(h.acd.offer_answered(i, s).has_value());
  h.pump();
  EXPECT_EQ(h.events_of<InteractionAnswered>().at(0).queue, sales);
  EXPECT_EQ(h.acd.waiting_count(support), 0u);
  check();
}

TEST_F(AcdTest, SkillRequirementsRelaxAfterWaiting) {
  QueueConfig c = basic("tech");
  c.relaxation = {{seconds(30), 3}};
  const QueueId q = queue(c);
  const AgentId junior = agent("jo", {{q, 0}}, {{7, 5}});
  arrive(q, 0, {{7, 8}});
  EXPECT_FALSE(last_offer().has_value());
  h.advance(seconds(30));
  EXPECT_EQ(h.events_of<InteractionSkillsRelaxed>().at(0).reduced_by, 3);
  EXPECT_EQ(last_offer(), junior);
}

TEST_F(AcdTest, KeepMyPlaceCallback) {
  const QueueId q = queue(basic("sales"));
  const AgentId a = agent("alice", {{q, 0}}, {}, false);
  const InteractionId first = arrive(q);
  const InteractionId second = arrive(q);
  ASSERT_TRUE(h.acd.request_callback(first, "+15550199").has_value());
  EXPECT_EQ(h.acd.request_callback(first, "").error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(h.acd.caller_hung_up(first).error().code, ErrorCode::kFailedPrecondition);
  h.advance(seconds(40));
  ASSERT_TRUE(h.acd.set_presence(a, Presence::kReady).has_value());
  h.pump();
  // The first caller kept their place: the free agent goes to the callback.
  auto placed = h.commands_of<PlaceCallback>();
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[0].interaction, first);
  EXPECT_EQ(placed[0].number, "+15550199");
  EXPECT_EQ(h.events_of<InteractionCalledBack>().at(0).wait, seconds(40));
  EXPECT_EQ(state(a), AgentState::kReserved);
  EXPECT_TRUE(h.commands_of<OfferToAgent>().empty());
  ASSERT_TRUE(h.acd.offer_answered(first, a).has_value());
  EXPECT_EQ(state(a), AgentState::kBusy);
  ASSERT_TRUE(h.acd.conversation_ended(first).has_value());
  h.pump();
  EXPECT_EQ(last_offer(), a);
  EXPECT_EQ(h.commands_of<OfferToAgent>().back().interaction, second);
  check();
}

TEST_F(AcdTest, FailedCallbackReleasesTheAgent) {
  const QueueId q = queue(basic("sales"));
  const InteractionId i = arrive(q);
  ASSERT_TRUE(h.acd.request_callback(i, "").has_value());  // uses the caller number
  const AgentId a = agent("alice", {{q, 0}});
  EXPECT_EQ(h.commands_of<PlaceCallback>().at(0).number, "+15550100");
  ASSERT_TRUE(h.acd.callback_failed(i).has_value());
  EXPECT_EQ(state(a), AgentState::kReady);
  EXPECT_FALSE(h.acd.phase(i).has_value());
}

TEST_F(AcdTest, AnnouncementsTellPositionAndEstimate) {
  QueueConfig c = basic("sales");
  c.announce_period = seconds(30);
  const QueueId q = queue(c);
  agent("a", {{q, 0}}, {}, false);
  ASSERT_TRUE(h.acd.set_presence(AgentId{0}, Presence::kNotReady, "break").has_value());
  arrive(q);
  const InteractionId second = arrive(q);
  h.advance(seconds(30));
  auto ann = h.commands_of<PlayAnnouncement>();
  ASSERT_EQ(ann.size(), 2u);
  EXPECT_EQ(ann[1].interaction, second);
  EXPECT_EQ(ann[1].position, 2u);
  EXPECT_EQ(ann[1].estimated_wait, seconds(360));  // 2 x 180 s / 1 staffed agent
  h.advance(seconds(30));
  EXPECT_EQ(h.commands_of<PlayAnnouncement>().size(), 4u);
}

}  // namespace
}  // namespace hotline::cc
