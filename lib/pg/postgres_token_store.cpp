#include <discord/oauth2/postgres_token_store.hpp>

#include "core/aead.hpp"
#include "core/base64.hpp"
#include "pg/connection.hpp"
#include "store/sealed_grant.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <deque>
#include <functional>
#include <mutex>

namespace discord::oauth2 {
namespace {

constexpr std::string_view key_check_plain = "discord-oauth2 token store";
constexpr std::string_view key_check_aad = "key-check";
// Serialises schema changes between instances that open the store at the same moment.
constexpr const char* migration_lock = "SELECT pg_advisory_lock(729711)";
constexpr const char* migration_unlock = "SELECT pg_advisory_unlock(729711)";

std::string seconds_of(std::chrono::system_clock::time_point t)
{
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

std::string id_of(snowflake s)
{
    return std::to_string(static_cast<std::int64_t>(s.value()));
}

} // namespace

struct postgres_token_store::impl {
    std::unique_ptr<pg::connection> db;
    std::string key;

    // One statement at a time on the connection: callers queue here.
    std::mutex mutex;
    bool busy = false;
    std::deque<std::function<void()>> queue;

    asio::awaitable<void> acquire()
    {
        {
            std::lock_guard lock(mutex);
            if (!busy) {
                busy = true;
                co_return;
            }
        }
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
            [this](auto handler) {
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                std::lock_guard lock(mutex);
                if (!busy) { // released meanwhile
                    busy = true;
                    auto ex = asio::get_associated_executor(*shared);
                    asio::post(ex, [shared]() mutable { std::move(*shared)(); });
                    return;
                }
                queue.emplace_back([shared]() {
                    auto ex = asio::get_associated_executor(*shared);
                    asio::post(ex, [shared]() mutable { std::move(*shared)(); });
                });
            },
            asio::use_awaitable);
    }

    void release()
    {
        std::function<void()> next;
        {
            std::lock_guard lock(mutex);
            if (queue.empty()) {
                busy = false;
                return;
            }
            next = std::move(queue.front());
            queue.pop_front(); // stays busy: handed to the next caller
        }
        next();
    }

    // Runs one statement with the connection held.
    asio::awaitable<pg::result> run(const char* sql, pg::parameters params)
    {
        co_await acquire();
        pg::result r;
        std::exception_ptr failure;
        try {
            r = co_await db->query(sql, params);
        } catch (...) {
            failure = std::current_exception();
        }
        release();
        if (failure)
            std::rethrow_exception(failure);
        co_return r;
    }

    asio::awaitable<void> migrate_and_check()
    {
        (void)co_await db->query(migration_lock);
        std::exception_ptr failure;
        try {
            (void)co_await db->query("CREATE TABLE IF NOT EXISTS discord_oauth2_meta (name text PRIMARY KEY, value text NOT NULL)");
            auto version = co_await db->query("SELECT value FROM discord_oauth2_meta WHERE name = 'schema_version'");
            int current = version.rows.empty() ? 0 : std::stoi(*version.rows[0][0]);
            if (current > schema_version)
                throw error(errc::invalid_argument,
                            fmt::format("the token store's schema is version {}, newer than this program's {}; use a "
                                        "newer discord-oauth2",
                                        current, schema_version));
            if (current < 1) {
                (void)co_await db->query("CREATE TABLE discord_oauth2_grants (user_id bigint PRIMARY KEY,"
                                         " version bigint NOT NULL, expires_at bigint NOT NULL, flags integer NOT NULL,"
                                         " sealed text NOT NULL)");
                (void)co_await db->query("CREATE INDEX discord_oauth2_grants_by_expiry ON discord_oauth2_grants (expires_at)");
                (void)co_await db->query("INSERT INTO discord_oauth2_meta VALUES ('schema_version', '1')");
            }
            auto check = co_await db->query("SELECT value FROM discord_oauth2_meta WHERE name = 'key_check'");
            if (check.rows.empty()) {
                pg::parameters p{base64::encode_url(aead::seal(key, key_check_plain, key_check_aad))};
                (void)co_await db->query("INSERT INTO discord_oauth2_meta VALUES ('key_check', $1)", p);
            } else {
                auto sealed = base64::decode_url(*check.rows[0][0]);
                auto plain = sealed ? aead::open(key, *sealed, key_check_aad) : std::nullopt;
                if (!plain || *plain != key_check_plain)
                    throw error(errc::wrong_store_key,
                                "the token store was written with another key: give the key it was created with");
            }
        } catch (...) {
            failure = std::current_exception();
        }
        (void)co_await db->query(migration_unlock);
        if (failure)
            std::rethrow_exception(failure);
    }

    pg::parameters row(const stored_grant& g) const
    {
        return {id_of(g.user_id), seconds_of(g.token.expires_at),
                std::to_string((g.refresh_in_flight ? 1 : 0) | (g.needs_reauthorization ? 2 : 0)),
                base64::encode_url(store::seal_grant(key, g.user_id, g.token))};
    }
};

asio::awaitable<std::shared_ptr<postgres_token_store>> postgres_token_store::open(asio::any_io_executor executor,
                                                                                std::string url, store_key key)
{
    auto i = std::make_unique<impl>();
    i->key = key.bytes().reveal();
    i->db = co_await pg::connection::connect(executor, std::move(url));
    co_await i->migrate_and_check();
    co_return std::make_shared<postgres_token_store>(std::move(i));
}

postgres_token_store::postgres_token_store(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
postgres_token_store::~postgres_token_store() = default;

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
    g.token = store::open_grant(impl_->key, user, *sealed);
    co_return g;
}

asio::awaitable<std::optional<std::uint64_t>> postgres_token_store::compare_and_swap(stored_grant grant)
{
    auto p = impl_->row(grant);
    pg::result r;
    if (grant.version == 0) {
        r = co_await impl_->run("INSERT INTO discord_oauth2_grants (user_id, version, expires_at, flags, sealed)"
                                " VALUES ($1, 1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING RETURNING version",
                                std::move(p));
    } else {
        p.push_back(std::to_string(grant.version));
        r = co_await impl_->run("UPDATE discord_oauth2_grants SET version = version + 1, expires_at = $2, flags = $3,"
                                " sealed = $4 WHERE user_id = $1 AND version = $5 RETURNING version",
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

} // namespace discord::oauth2
