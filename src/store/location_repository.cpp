#include "store/location_repository.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "common/log.hpp"

namespace hotline::store {
namespace {
// How long the writer lets changes gather into one transaction, and at most how many.
constexpr auto kBatchLinger = std::chrono::milliseconds(10);
constexpr std::size_t kBatchMax = 1000;
}  // namespace
namespace {

constexpr std::string_view kUpsert =
    "INSERT INTO sip_contacts (tenant_id, aor, contact, instance_id, path, call_id, cseq, "
    "expires_at, transport, source_address, source_port, local_address, local_port, user_agent, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
    "ON CONFLICT (tenant_id, aor, contact) DO UPDATE SET instance_id = excluded.instance_id, "
    "path = excluded.path, call_id = excluded.call_id, cseq = excluded.cseq, "
    "expires_at = excluded.expires_at, transport = excluded.transport, "
    "source_address = excluded.source_address, source_port = excluded.source_port, "
    "local_address = excluded.local_address, local_port = excluded.local_port, "
    "user_agent = excluded.user_agent, updated_at = excluded.updated_at";

}  // namespace

Status LocationRepository::upsert(const ContactRow& r) {
  auto n =
      db_.execute(kUpsert, {r.tenant_id, r.aor, r.contact, text_or_null(r.instance_id),
                            text_or_null(r.path), r.call_id, r.cseq, to_micros(r.expires_at),
                            r.transport, r.source_address, r.source_port, r.local_address,
                            r.local_port, text_or_null(r.user_agent), to_micros(r.updated_at)});
  if (!n) return std::unexpected(n.error());
  return {};
}

Status LocationRepository::remove(std::string_view tenant, std::string_view aor,
                                  std::string_view contact) {
  auto n =
      db_.execute("DELETE FROM sip_contacts WHERE tenant_id = $1 AND aor = $2 AND contact = $3",
                  {std::string(tenant), std::string(aor), std::string(contact)});
  if (!n) return std::unexpected(n.error());
  return {};
}

Result<std::int64_t> LocationRepository::remove_expired(std::string_view tenant, Timestamp now) {
  return db_.execute("DELETE FROM sip_contacts WHERE tenant_id = $1 AND expires_at <= $2",
                     {std::string(tenant), to_micros(now)});
}

Result<std::vector<ContactRow>> LocationRepository::load(std::string_view tenant, Timestamp now) {
  auto rows = db_.query(
      "SELECT tenant_id, aor, contact, instance_id, path, call_id, cseq, expires_at, transport, "
      "source_address, source_port, local_address, local_port, user_agent, updated_at "
      "FROM sip_contacts WHERE tenant_id = $1 AND expires_at > $2 ORDER BY aor, contact",
      {std::string(tenant), to_micros(now)});
  if (!rows) return std::unexpected(rows.error());
  std::vector<ContactRow> out;
  out.reserve(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    ContactRow r;
    r.tenant_id = rows->text(i, 0);
    r.aor = rows->text(i, 1);
    r.contact = rows->text(i, 2);
    r.instance_id = rows->text(i, 3);
    r.path = rows->text(i, 4);
    r.call_id = rows->text(i, 5);
    r.cseq = rows->int64(i, 6).value_or(0);
    r.expires_at = from_micros(rows->int64(i, 7).value_or(0));
    r.transport = rows->text(i, 8);
    r.source_address = rows->text(i, 9);
    r.source_port = rows->int64(i, 10).value_or(0);
    r.local_address = rows->text(i, 11);
    r.local_port = rows->int64(i, 12).value_or(0);
    r.user_agent = rows->text(i, 13);
    r.updated_at = from_micros(rows->int64(i, 14).value_or(0));
    out.push_back(std::move(r));
  }
  return out;
}

LocationWriter::LocationWriter(std::unique_ptr<Database> db, MetricsRegistry& metrics)
    : db_(std::move(db)),
      writes_(metrics.counter("hotline_sip_location_writes_total",
                              "Registrar contact changes written to storage")),
      errors_(metrics.counter("hotline_sip_location_write_errors_total",
                              "Registrar contact changes that storage refused (dropped)")),
      thread_([this] { run(); }) {}

LocationWriter::~LocationWriter() {
  stop();
}

void LocationWriter::upsert(ContactRow row) {
  push(std::move(row));
}

void LocationWriter::remove(std::string tenant, std::string aor, std::string contact) {
  push(Remove{std::move(tenant), std::move(aor), std::move(contact)});
}

void LocationWriter::push(Change c) {
  bool was_empty = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      errors_.inc();
      return;
    }
    was_empty = queue_.empty();
    queue_.push_back(std::move(c));
    ++pushed_;
  }
  // The writer only sleeps on an empty queue: waking it for every registration
  // cost the control loop a futex call each, at thousands per second.
  if (was_empty) wake_.notify_one();
}

void LocationWriter::flush() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = pushed_;
  flush_target_ = std::max(flush_target_, target);
  wake_.notify_one();  // no lingering for more: someone waits
  progress_.wait(lock, [&] { return done_ >= target; });
}

void LocationWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LocationWriter::coalesce(std::vector<Change>& batch) {
  // Only the last change of a row (tenant, AOR, contact: the primary key) decides
  // what the row holds after the batch, and rows are independent: keep the last
  // change per row, in the order those last changes were handed over. A phone
  // refreshing many times within one batch costs one row write.
  if (batch.size() < 2) return;
  std::unordered_set<std::string> seen;
  seen.reserve(batch.size());
  std::vector<Change> kept;
  kept.reserve(batch.size());
  for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
    std::string key;
    if (const auto* row = std::get_if<ContactRow>(&*it)) {
      key.append(row->tenant_id).push_back('\0');
      key.append(row->aor).push_back('\0');
      key.append(row->contact);
    } else {
      const Remove& r = std::get<Remove>(*it);
      key.append(r.tenant).push_back('\0');
      key.append(r.aor).push_back('\0');
      key.append(r.contact);
    }
    if (seen.insert(std::move(key)).second) kept.push_back(std::move(*it));
  }
  std::reverse(kept.begin(), kept.end());
  batch = std::move(kept);
}

void LocationWriter::run() {
  LocationRepository repo(*db_);
  std::vector<Change> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      // Let a burst gather into one transaction (a REGISTER storm after a network
      // blip, or steady thousands per second) instead of one commit per contact.
      wake_.wait_for(lock, kBatchLinger, [&] {
        return stopping_ || flush_target_ > done_ || queue_.size() >= kBatchMax;
      });
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    const std::size_t handed_over = batch.size();
    coalesce(batch);
    Status st = [&]() -> Status {
      auto tx = Transaction::begin(*db_);
      if (!tx) return std::unexpected(tx.error());
      for (const Change& c : batch) {
        Status s = std::holds_alternative<ContactRow>(c)
                       ? repo.upsert(std::get<ContactRow>(c))
                       : repo.remove(std::get<Remove>(c).tenant, std::get<Remove>(c).aor,
                                     std::get<Remove>(c).contact);
        if (!s) return s;
      }
      return tx->commit();
    }();
    if (st) {
      writes_.inc(handed_over);
    } else {
      errors_.inc(handed_over);
      log::error("store", "cannot write registrar contacts; batch dropped",
                 {log::kv("changes", handed_over), log::kv("error", st.error().message)});
    }
    {
      std::lock_guard lock(mu_);
      done_ += handed_over;
    }
    progress_.notify_all();
    batch.clear();
  }
}

}  // namespace hotline::store
