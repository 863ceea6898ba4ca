#include <discord/oauth2/postgres_token_store.hpp>

#include "core/attempt.hpp"
#include "core/base64.hpp"
#include "core/random.hpp"
#include "pg/connection.hpp"
#include "core/replaceable.hpp"
#include "pg/pool.hpp"
#include "store/key_check.hpp"
#include "store/sealed_grant.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <atomic>
#include <functional>
#include <mutex>

namespace discord::oauth2 {
namespace {

// Grants a rekey reads at a time.
constexpr int rekey_batch = 256;
// Times a rekey reads a grant again that another writer changed under it.
constexpr int rekey_attempts = 5;
// Serialises schema changes between instances that open the store at the same moment.
constexpr const char* migration_lock = "SELECT pg_advisory_lock(729711)";
constexpr const char* migration_unlock = "SELECT pg_advisory_unlock(729711)";
// The first key of the refresh locks (pg_advisory_lock(int, int)); the second is the user.
constexpr std::int32_t refresh_lock_class = 729712;
// Where instances talk (LISTEN/NOTIFY), and the size a message may have (NOTIFY takes < 8000).
constexpr std::string_view channel = "discord_oauth2";
constexpr std::size_t max_message = 4000;

std::string seconds_of(std::chrono::system_clock::time_point t)
{
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

std::string id_of(snowflake s)
{
    return std::to_string(static_cast<std::int64_t>(s.value()));
}

// What to write as the key check, given what `SELECT value ... 'key_check'` found: nothing when
// it is under the ring's current key; throws wrong_store_key when no key of the ring opens it.
std::optional<std::string> key_check_to_write(const store_key_ring& ring, const pg::result& found)
{
    if (!found.rows.empty()) {
        auto sealed = base64::decode_url(found.rows[0][0].value_or(""));
        if (!sealed)
            throw error(errc::wrong_store_key, "the token store's key check is malformed: was it written by another program?");
        if (store::open_key_check(ring, *sealed))
            return std::nullopt;
    }
    return base64::encode_url(store::seal_key_check(ring.current()));
}

constexpr const char* key_check_upsert = "INSERT INTO discord_oauth2_meta VALUES ('key_check', $1)"
                                         " ON CONFLICT (name) DO UPDATE SET value = excluded.value";

} // namespace

namespace pg {

// The LISTENing connection: made again with backoff whenever it breaks, with a gap reported
// after each new LISTEN so that the subscriber re-checks what it may have missed.
struct listener : std::enable_shared_from_this<listener> {
    asio::any_io_executor executor;
    std::string url;
    pg::pool_options options;
    std::string origin;
    asio::any_io_executor deliver_on;
    std::function<void(std::string)> on_message;
    std::function<void()> on_gap;
    std::atomic<bool> running{true};
    std::atomic<std::uint64_t>* broken = nullptr;
    mutable std::mutex mutex;
    pg::connection* current = nullptr;

    // A new session that LISTENs on the channel; tries until the server answers.
    asio::awaitable<std::unique_ptr<pg::connection>> listen()
    {
        auto c = co_await pg::connect_with_backoff(executor, url, options, std::chrono::hours(24 * 365));
        auto statement = "LISTEN " + std::string(channel); // named: see docs/compilers.md
        (void)co_await c->query(statement);
        co_return c;
    }

    asio::awaitable<void> run()
    {
        auto self = shared_from_this();
        while (running) {
            auto listening = co_await core::attempt(listen());
            const auto& failure = listening.failure;
            if (failure || !running) {
                if (failure && running) {
                    asio::steady_timer t(executor, options.max_backoff);
                    co_await t.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
                }
                continue;
            }
            auto c = std::move(*listening.value);
            {
                std::lock_guard lock(mutex);
                current = c.get();
            }
            // Also after the first LISTEN: what was sent before it was heard by nobody here.
            if (on_gap)
                asio::post(deliver_on, on_gap);
            while (running) {
                std::vector<pg::notification> notes;
                bool ended = false;
                try {
                    notes = co_await c->wait_for_notifications();
                } catch (...) {
                    ended = true;
                }
                if (ended)
                    break;
                for (auto& n : notes) {
                    auto space = n.payload.find(' ');
                    if (space == std::string::npos || n.payload.compare(0, space, origin) == 0)
                        continue; // ours, or not a message of this library
                    asio::post(deliver_on, [f = on_message, text = n.payload.substr(space + 1)]() mutable {
                        f(std::move(text));
                    });
                }
            }
            {
                std::lock_guard lock(mutex);
                current = nullptr;
            }
            if (running && broken)
                ++*broken;
        }
    }

    bool up() const noexcept
    {
        std::lock_guard lock(mutex);
        return current != nullptr;
    }

    void stop()
    {
        running = false;
        std::lock_guard lock(mutex);
        if (current)
            current->cancel();
    }
};

} // namespace pg

struct postgres_token_store::impl : std::enable_shared_from_this<impl> {
    class advisory_grant_lock;

    asio::any_io_executor executor;
    std::string url;
    postgres_options options;
    explicit impl(store_key_ring ring) : keys(std::move(ring)) {}

    core::replaceable<store_key_ring> keys; // a SIGHUP may replace them (set_keys)
    std::unique_ptr<pg::pool> statements;
    std::unique_ptr<pg::pool> locks; // one session: advisory locks belong to the session holding them
    std::string origin = base64::encode_url(random::bytes(12)); // this instance, in NOTIFY payloads
    std::shared_ptr<pg::listener> listening;
    std::atomic<std::uint64_t> listener_broken{0};
    std::atomic<std::uint64_t> consumed{0};

    pg::pool_options pool_options(std::size_t size) const
    {
        pg::pool_options o;
        o.size = size;
        o.reconnect_timeout = options.reconnect_timeout;
        o.max_backoff = options.max_backoff;
        return o;
    }

    // Not a coroutine: the pool copies the statement before returning, so no frame of our own.
    asio::awaitable<pg::result> run(const char* sql, const pg::parameters& params) { return statements->run(sql, params); }

    // The lock session's generation: locks taken on a session that has since broken are gone.
    std::uint64_t lock_generation() const { return locks->broken_connections(); }

    asio::awaitable<void> migrate_and_check(pg::connection& db)
    {
        (void)co_await db.query(migration_lock);
        std::exception_ptr failure;
        try {
            (void)co_await db.query("CREATE TABLE IF NOT EXISTS discord_oauth2_meta (name text PRIMARY KEY, value text NOT NULL)");
            auto version = co_await db.query("SELECT value FROM discord_oauth2_meta WHERE name = 'schema_version'");
            int current = version.rows.empty() ? 0 : std::stoi(*version.rows[0][0]);
            if (current > schema_version)
                throw error(errc::invalid_argument,
                            fmt::format("the token store's schema is version {}, newer than this program's {}; use a "
                                        "newer discord-oauth2",
                                        current, schema_version));
            if (current < 1) {
                (void)co_await db.query("CREATE TABLE discord_oauth2_grants (user_id bigint PRIMARY KEY,"
                                        " version bigint NOT NULL, expires_at bigint NOT NULL, flags integer NOT NULL,"
                                        " sealed text NOT NULL)");
                (void)co_await db.query("CREATE INDEX discord_oauth2_grants_by_expiry ON discord_oauth2_grants (expires_at)");
                (void)co_await db.query("INSERT INTO discord_oauth2_meta VALUES ('schema_version', '1')");
            }
            if (current < 2) {
                // Consumed states (a nonce is base64url, never a secret once used) and the outcome
                // of their callback, for replays and late waiters on other instances.
                (void)co_await db.query("CREATE TABLE discord_oauth2_states (nonce text PRIMARY KEY,"
                                        " expires_at bigint NOT NULL, claimant text NOT NULL, outcome text)");
                (void)co_await db.query("CREATE INDEX discord_oauth2_states_by_expiry ON discord_oauth2_states (expires_at)");
                (void)co_await db.query("UPDATE discord_oauth2_meta SET value = '2' WHERE name = 'schema_version'");
            }
            auto check = co_await db.query("SELECT value FROM discord_oauth2_meta WHERE name = 'key_check'");
            if (auto value = key_check_to_write(*keys.get(), check)) {
                pg::parameters p{std::move(*value)};
                (void)co_await db.query(key_check_upsert, p);
            }
        } catch (...) {
            failure = std::current_exception();
        }
        (void)co_await db.query(migration_unlock);
        if (failure)
            std::rethrow_exception(failure);
    }

    pg::parameters row(const stored_grant& g) const
    {
        return {id_of(g.user_id), seconds_of(g.token.expires_at),
                std::to_string((g.refresh_in_flight ? 1 : 0) | (g.needs_reauthorization ? 2 : 0)),
                base64::encode_url(store::seal_grant(keys.get()->current(), g.user_id, g.token))};
    }
};

// Released by a statement on the lock session, after the holder's commit.
class postgres_token_store::impl::advisory_grant_lock final : public grant_lock {
public:
    advisory_grant_lock(std::shared_ptr<postgres_token_store::impl> store, std::int32_t k, std::uint64_t generation)
        : store_(std::move(store)), key_(k), generation_(generation)
    {
    }
    ~advisory_grant_lock() override
    {
        asio::co_spawn(store_->executor, unlock(store_, key_, generation_), asio::detached);
    }

private:
    static asio::awaitable<void> unlock(std::shared_ptr<postgres_token_store::impl> store, std::int32_t k,
                                        std::uint64_t generation)
    {
        if (store->lock_generation() != generation)
            co_return; // that session ended, and its locks with it
        pg::parameters p{std::to_string(refresh_lock_class), std::to_string(k)};
        // A broken session frees its locks by itself: a failure here leaves nothing held.
        (void)co_await core::attempt(store->locks->run("SELECT pg_advisory_unlock($1::int, $2::int)", p));
    }

    std::shared_ptr<postgres_token_store::impl> store_;
    std::int32_t key_;
    std::uint64_t generation_;
};

asio::awaitable<std::shared_ptr<postgres_token_store>> postgres_token_store::open(asio::any_io_executor executor,
                                                                                std::string url, store_key_ring keys)
{
    postgres_options defaults;
    co_return co_await open(std::move(executor), std::move(url), std::move(keys), defaults);
}

asio::awaitable<std::shared_ptr<postgres_token_store>> postgres_token_store::open(asio::any_io_executor executor,
                                                                                std::string url, store_key_ring keys,
                                                                                postgres_options options)
{
    if (options.pool_size == 0)
        throw error(errc::invalid_argument, "postgres_options::pool_size must be at least 1");
    auto i = std::make_unique<impl>(std::move(keys));
    i->executor = executor;
    i->url = url;
    i->options = options;
    // The first connections fail at once with the server's reason: a wrong URL, role or
    // password is not something to retry.
    auto first = co_await pg::connection::connect(executor, url);
    co_await i->migrate_and_check(*first);
    auto lock_session = co_await pg::connection::connect(executor, url);
    // Every statement of the store is transactional (the advisory locks have their own pool), so
    // what queues up together may commit together: one WAL flush for the lot.
    auto shared = i->pool_options(options.pool_size);
    shared.group_commit = options.group_commit;
    i->statements = std::make_unique<pg::pool>(executor, url, shared, std::move(first));
    i->locks = std::make_unique<pg::pool>(executor, url, i->pool_options(1), std::move(lock_session));
    co_return std::shared_ptr<postgres_token_store>(new postgres_token_store(std::move(i)));
}

postgres_token_store::postgres_token_store(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

postgres_token_store::~postgres_token_store()
{
    unsubscribe();
}

bool postgres_token_store::listening() const noexcept
{
    auto l = impl_->listening;
    return l && l->up();
}

std::uint64_t postgres_token_store::broken_connections() const noexcept
{
    return impl_->statements->broken_connections() + impl_->locks->broken_connections() + impl_->listener_broken.load();
}


asio::awaitable<std::optional<stored_grant>> postgres_token_store::load(snowflake user)
{
    pg::parameters p{id_of(user)};
    auto r = co_await impl_->run("SELECT version, flags, sealed FROM discord_oauth2_grants WHERE user_id = $1",
                                 std::move(p));
    if (r.rows.empty())
        co_return std::nullopt;
    const auto& row = r.rows[0];
    stored_grant g;
    g.user_id = user;
    g.version = std::stoull(*row[0]);
    auto flags = std::stoi(*row[1]);
    g.refresh_in_flight = flags & 1;
    g.needs_reauthorization = flags & 2;
    auto sealed = base64::decode_url(*row[2]);
    if (!sealed)
        throw error(errc::grant_altered, fmt::format("the stored grant of user {} is malformed", user.value()));
    g.token = store::open_grant(*impl_->keys.get(), user, *sealed);
    co_return g;
}

asio::awaitable<void> postgres_token_store::set_keys(store_key_ring keys)
{
    pg::parameters none;
    auto found = co_await impl_->run("SELECT value FROM discord_oauth2_meta WHERE name = 'key_check'", none);
    auto value = key_check_to_write(keys, found);
    if (value) {
        pg::parameters p{std::move(*value)};
        (void)co_await impl_->run(key_check_upsert, p);
    }
    impl_->keys.set(std::move(keys)); // only once the check is written: a failure keeps the ring in use
}

asio::awaitable<rekey_report> postgres_token_store::rekey()
{
    rekey_report report;
    // The check too, so that it follows the current key whoever wrote it last (an instance or a
    // script still on the old first key): once the old key is dropped, the store still opens.
    {
        pg::parameters none;
        auto found = co_await impl_->run("SELECT value FROM discord_oauth2_meta WHERE name = 'key_check'", none);
        if (auto value = key_check_to_write(*impl_->keys.get(), found)) {
            pg::parameters p{std::move(*value)};
            (void)co_await impl_->run(key_check_upsert, p);
        }
    }
    std::optional<std::string> after; // none before the first batch: every user id is visited
    for (;;) {
        auto ring = impl_->keys.get();
        pg::parameters page{after, std::to_string(rekey_batch)};
        auto batch = co_await impl_->run("SELECT user_id, sealed FROM discord_oauth2_grants"
                                         " WHERE $1::bigint IS NULL OR user_id > $1::bigint"
                                         " ORDER BY user_id LIMIT $2::int",
                                         page);
        if (batch.rows.empty())
            break;
        after = batch.rows.back()[0];
        for (const auto& row : batch.rows) {
            std::string id = row[0].value_or("0");
            snowflake user(static_cast<std::uint64_t>(std::stoll(id)));
            std::optional<std::string> text = row[1];
            for (int attempt = 0;; ++attempt) {
                auto sealed = text ? base64::decode_url(*text) : std::nullopt;
                if (!text)
                    break; // erased meanwhile
                if (sealed && store::sealed_under(ring->current(), *sealed)) {
                    ++report.current;
                    break;
                }
                if (attempt == rekey_attempts) {
                    report.failed.push_back({user, "the grant kept changing while it was re-sealed: run rekey again"});
                    break;
                }
                std::string resealed;
                try {
                    if (!sealed)
                        throw error(errc::grant_altered, fmt::format("the stored grant of user {} is malformed", user.value()));
                    auto token = store::open_grant(*ring, user, *sealed);
                    resealed = base64::encode_url(store::seal_grant(ring->current(), user, token));
                } catch (const error& e) {
                    report.failed.push_back({user, e.what()});
                    break;
                }
                // Changed only if it is still the row read (the sealed text is unique to its
                // write); the version is left alone, so nobody's compare-and-swap fails.
                pg::parameters p{resealed, id, *text};
                auto updated = co_await impl_->run("UPDATE discord_oauth2_grants SET sealed = $1 WHERE user_id = $2"
                                                   " AND sealed = $3 RETURNING user_id",
                                                   p);
                if (!updated.rows.empty()) {
                    ++report.resealed;
                    break;
                }
                pg::parameters again{id};
                auto now = co_await impl_->run("SELECT sealed FROM discord_oauth2_grants WHERE user_id = $1", again);
                text = now.rows.empty() ? std::nullopt : now.rows[0][0];
                if (text && *text == resealed) {
                    ++report.resealed; // our own update, sent again after a broken connection
                    break;
                }
            }
        }
    }
    co_return report;
}

asio::awaitable<std::optional<std::uint64_t>> postgres_token_store::compare_and_swap(stored_grant grant)
{
    auto p = impl_->row(grant);
    pg::result r;
    // Each form also finds its own earlier write (the sealed text is unique to it), so that a
    // statement sent again after a broken connection reports the swap it made the first time.
    if (grant.version == 0) {
        r = co_await impl_->run("WITH done AS (INSERT INTO discord_oauth2_grants (user_id, version, expires_at, flags, sealed)"
                                " VALUES ($1, 1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING RETURNING version)"
                                " SELECT version FROM done UNION ALL"
                                " SELECT version FROM discord_oauth2_grants WHERE user_id = $1 AND sealed = $4",
                                std::move(p));
    } else {
        p.push_back(std::to_string(grant.version));
        r = co_await impl_->run("WITH done AS (UPDATE discord_oauth2_grants SET version = version + 1, expires_at = $2,"
                                " flags = $3, sealed = $4 WHERE user_id = $1 AND version = $5 RETURNING version)"
                                " SELECT version FROM done UNION ALL"
                                " SELECT version FROM discord_oauth2_grants WHERE user_id = $1 AND sealed = $4",
                                std::move(p));
    }
    if (r.rows.empty())
        co_return std::nullopt;
    co_return std::stoull(*r.rows[0][0]);
}

asio::awaitable<std::uint64_t> postgres_token_store::save(stored_grant grant)
{
    auto p = impl_->row(grant);
    auto r = co_await impl_->run("INSERT INTO discord_oauth2_grants (user_id, version, expires_at, flags, sealed)"
                                 " VALUES ($1, 1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET"
                                 " version = discord_oauth2_grants.version + 1, expires_at = excluded.expires_at,"
                                 " flags = excluded.flags, sealed = excluded.sealed RETURNING version",
                                 std::move(p));
    co_return std::stoull(*r.rows[0][0]);
}

asio::awaitable<bool> postgres_token_store::erase(snowflake user)
{
    pg::parameters p{id_of(user)};
    auto r = co_await impl_->run("DELETE FROM discord_oauth2_grants WHERE user_id = $1", std::move(p));
    co_return r.affected > 0;
}

asio::awaitable<std::vector<snowflake>> postgres_token_store::list()
{
    pg::parameters none;
    auto r = co_await impl_->run("SELECT user_id FROM discord_oauth2_grants ORDER BY user_id", std::move(none));
    std::vector<snowflake> out;
    for (const auto& row : r.rows)
        out.emplace_back(static_cast<std::uint64_t>(std::stoll(*row[0])));
    co_return out;
}

asio::awaitable<std::size_t> postgres_token_store::count()
{
    pg::parameters none;
    auto r = co_await impl_->run("SELECT count(*) FROM discord_oauth2_grants", std::move(none));
    if (r.rows.size() != 1 || !r.rows[0][0])
        throw error(errc::store_failed, "counting the grants gave no number");
    co_return static_cast<std::size_t>(std::stoull(*r.rows[0][0]));
}

asio::awaitable<std::vector<snowflake>> postgres_token_store::list_expiring_before(std::chrono::system_clock::time_point when)
{
    pg::parameters p{seconds_of(when)};
    auto r = co_await impl_->run(
        "SELECT user_id FROM discord_oauth2_grants WHERE expires_at < $1 ORDER BY expires_at, user_id", std::move(p));
    std::vector<snowflake> out;
    for (const auto& row : r.rows)
        out.emplace_back(static_cast<std::uint64_t>(std::stoll(*row[0])));
    co_return out;
}

asio::awaitable<std::unique_ptr<grant_lock>> postgres_token_store::lock_grant(snowflake user)
{
    auto self = impl_;
    // Two 32-bit keys: a class of our own, and the user folded (two users sharing a key only
    // take turns).
    auto folded = static_cast<std::int32_t>(static_cast<std::uint32_t>(user.value() ^ (user.value() >> 32)));
    pg::parameters p{std::to_string(refresh_lock_class), std::to_string(folded)};
    auto wait = std::chrono::milliseconds(1);
    for (;;) {
        auto generation = self->lock_generation();
        auto r = co_await self->locks->run("SELECT pg_try_advisory_lock($1::int, $2::int)", p);
        if (!r.rows.empty() && r.rows[0][0] == "t") {
            if (self->lock_generation() == generation)
                co_return std::make_unique<impl::advisory_grant_lock>(self, folded, generation);
            continue; // taken on a session made anew meanwhile: take it again to know its generation
        }
        // Another instance refreshes this grant: its refresh takes a round trip to Discord.
        asio::steady_timer t(self->executor, wait);
        co_await t.async_wait(asio::use_awaitable);
        wait = std::min(wait * 2, std::chrono::milliseconds(50));
    }
}

asio::awaitable<bool> postgres_token_store::consume(std::string_view nonce_view,
                                                    std::chrono::system_clock::time_point expires_at)
{
    auto self = impl_;
    std::string nonce(nonce_view);
    auto now = std::chrono::system_clock::now();
    if (++self->consumed % 1000 == 1) {
        // Forgetting expired states now and then keeps the table as small as the states alive.
        pg::parameters old{seconds_of(now - std::chrono::minutes(1))};
        (void)co_await self->run("DELETE FROM discord_oauth2_states WHERE expires_at < $1", std::move(old));
    }
    // The claimant tells a repeated statement (after a broken connection) from another instance.
    auto claimant = base64::encode_url(random::bytes(12));
    pg::parameters p{nonce, seconds_of(expires_at), claimant};
    auto r = co_await self->run("WITH done AS (INSERT INTO discord_oauth2_states (nonce, expires_at, claimant)"
                                " VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING RETURNING claimant)"
                                " SELECT claimant FROM done UNION ALL"
                                " SELECT claimant FROM discord_oauth2_states WHERE nonce = $1",
                                std::move(p));
    for (const auto& row : r.rows)
        if (row[0] == claimant)
            co_return true;
    co_return false;
}

namespace {

void check_message_size(std::string_view text, std::string_view what)
{
    if (text.size() > max_message)
        throw error(errc::invalid_argument, fmt::format("a cluster {} is {} bytes; the limit is {}", what, text.size(),
                                                        max_message));
}

} // namespace

asio::awaitable<void> postgres_token_store::record_outcome(std::string_view nonce, std::string_view outcome,
                                                           std::string_view message)
{
    check_message_size(outcome, "outcome");
    check_message_size(message, "message");
    auto self = impl_;
    pg::parameters p{std::string(nonce), std::string(outcome), self->origin + " " + std::string(message),
                     std::string(channel)};
    // One statement: the outcome is recorded before (in the same commit as) the notification.
    (void)co_await self->run("WITH done AS (UPDATE discord_oauth2_states SET outcome = $2 WHERE nonce = $1)"
                             " SELECT pg_notify($4, $3)",
                             std::move(p));
}

asio::awaitable<std::vector<std::pair<std::string, std::string>>> postgres_token_store::outcomes(
    const std::vector<std::string>& nonces)
{
    auto self = impl_;
    std::vector<std::pair<std::string, std::string>> out;
    if (nonces.empty())
        co_return out;
    // A text[] literal; every element quoted, quotes and backslashes escaped.
    std::string array = "{";
    for (const auto& n : nonces) {
        if (array.size() > 1)
            array += ',';
        array += '"';
        for (char c : n) {
            if (c == '"' || c == '\\')
                array += '\\';
            array += c;
        }
        array += '"';
    }
    array += '}';
    pg::parameters p{std::move(array)};
    auto r = co_await self->run(
        "SELECT nonce, outcome FROM discord_oauth2_states WHERE nonce = ANY($1::text[]) AND outcome IS NOT NULL",
        std::move(p));
    for (auto& row : r.rows)
        out.emplace_back(std::move(*row[0]), std::move(*row[1]));
    co_return out;
}

asio::awaitable<void> postgres_token_store::broadcast(std::string_view message)
{
    check_message_size(message, "message");
    auto self = impl_;
    pg::parameters p{std::string(channel), self->origin + " " + std::string(message)};
    (void)co_await self->run("SELECT pg_notify($1, $2)", std::move(p));
}

void postgres_token_store::subscribe(asio::any_io_executor executor, std::function<void(std::string)> on_message,
                                     std::function<void()> on_gap)
{
    auto& i = *impl_;
    if (i.listening)
        throw error(errc::invalid_argument, "the cluster already has a subscriber");
    auto l = std::make_shared<pg::listener>();
    l->executor = i.executor;
    l->url = i.url;
    l->options = i.pool_options(1);
    l->origin = i.origin;
    l->deliver_on = std::move(executor);
    l->on_message = std::move(on_message);
    l->on_gap = std::move(on_gap);
    l->broken = &i.listener_broken;
    i.listening = l;
    asio::co_spawn(i.executor, l->run(), asio::detached);
}

void postgres_token_store::unsubscribe()
{
    if (auto l = std::exchange(impl_->listening, nullptr))
        l->stop();
}

} // namespace discord::oauth2
