// The token store on a throwaway PostgreSQL cluster: the same contract as the SQLite store
// (compare-and-swap, flags, expiry order, sealed tokens, tampering, a wrong key), many callers
// at once on one connection, and two stores (two instances) on one database.
#include "pg/connection.hpp"
#include "support/postgres_cluster.hpp"
#include "support/run.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/postgres_token_store.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;
namespace pg = discord::oauth2::pg;
using oauth2::secret;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

oauth2::stored_grant grant_for(std::uint64_t user, std::string token, std::chrono::seconds lifetime = 604800s)
{
    oauth2::stored_grant g;
    g.user_id = snowflake(user);
    g.token.token = secret(std::move(token));
    g.token.refresh_token = secret("refresh-" + std::to_string(user));
    g.token.scopes = {"identify"};
    g.token.expires_in = lifetime;
    g.token.expires_at = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now() + lifetime);
    return g;
}

} // namespace

TEST_CASE("the contract on PostgreSQL: versions, compare-and-swap, flags, expiry order; no token in the table")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    auto key = oauth2::store_key::generate();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto store = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key);
        CHECK(co_await store->compare_and_swap(grant_for(1, "one")) == std::optional<std::uint64_t>(1));
        CHECK_FALSE(co_await store->compare_and_swap(grant_for(1, "again")));
        auto g = *co_await store->load(snowflake(1));
        CHECK(g.token.token.reveal() == "one");
        g.refresh_in_flight = true;
        CHECK(co_await store->compare_and_swap(g) == std::optional<std::uint64_t>(2));
        CHECK_FALSE(co_await store->compare_and_swap(g)); // stale now
        CHECK((*co_await store->load(snowflake(1))).refresh_in_flight);
        CHECK(co_await store->save(grant_for(2, "two", 60s)) == 1);
        auto soon = co_await store->list_expiring_before(std::chrono::system_clock::now() + 1h);
        REQUIRE(soon.size() == 1);
        CHECK(soon[0] == snowflake(2));
        CHECK((co_await store->list()).size() == 2);
        CHECK(co_await store->erase(snowflake(2)));
        CHECK_FALSE(co_await store->erase(snowflake(2)));
        CHECK_FALSE(co_await store->load(snowflake(2)));

        // What the database holds: no token, in any column.
        auto raw = co_await pg::connection::connect(io.get_executor(), cluster.url());
        auto rows = co_await raw->query("SELECT user_id::text || version::text || flags::text || sealed FROM discord_oauth2_grants");
        REQUIRE(rows.rows.size() == 1);
        CHECK(rows.rows[0][0]->find("one") == std::string::npos);
        CHECK(rows.rows[0][0]->find("refresh-1") == std::string::npos);
    }());
}

TEST_CASE("tampering and a wrong key are refused; two instances share one database; many callers queue")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    auto key = oauth2::store_key::generate();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto a = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key);
        auto b = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key); // another instance
        co_await a->save(grant_for(1, "one"));
        co_await a->save(grant_for(2, "two"));
        CHECK((*co_await b->load(snowflake(1))).token.token.reveal() == "one");
        // b loses a compare-and-swap that a won first.
        auto seen_by_b = *co_await b->load(snowflake(1));
        auto seen_by_a = *co_await a->load(snowflake(1));
        CHECK(co_await a->compare_and_swap(seen_by_a));
        CHECK_FALSE(co_await b->compare_and_swap(seen_by_b));

        auto raw = co_await pg::connection::connect(io.get_executor(), cluster.url());
        (void)co_await raw->query("UPDATE discord_oauth2_grants SET sealed = (SELECT sealed FROM discord_oauth2_grants"
                                  " WHERE user_id = 2) WHERE user_id = 1");
        auto copied = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await a->load(snowflake(1)); });
        CHECK(copied.code() == oauth2::errc::grant_copied);
        (void)co_await raw->query("UPDATE discord_oauth2_grants SET sealed = overlay(sealed placing"
                                  " (CASE WHEN substr(sealed, 40, 1) = 'A' THEN 'B' ELSE 'A' END) from 40 for 1)"
                                  " WHERE user_id = 2");
        auto altered = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await a->load(snowflake(2)); });
        CHECK(altered.code() == oauth2::errc::grant_altered);

        auto wrong = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), oauth2::store_key::generate());
        });
        CHECK(wrong.code() == oauth2::errc::wrong_store_key);

        // 200 callers at once on one connection: each statement waits its turn.
        int done = 0;
        for (std::uint64_t u = 100; u < 300; ++u)
            asio::co_spawn(io, [&, u]() -> asio::awaitable<void> {
                co_await a->save(grant_for(u, "t" + std::to_string(u)));
                auto back = co_await a->load(snowflake(u));
                done += back && back->token.token.reveal() == "t" + std::to_string(u);
            }, asio::detached);
        while (done < 200)
            co_await test::sleep(5ms);
        CHECK((co_await b->list()).size() == 202);
    }());
}

namespace {

// Ends every session on the database but the caller's: what a server restart or a network cut
// does to a store's connections.
asio::awaitable<void> cut_connections(pg::connection& raw)
{
    (void)co_await raw.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                             " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
}

} // namespace

TEST_CASE("the pool makes broken connections again; a server that stays away is a clear error, then is forgiven")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    auto key = oauth2::store_key::generate();
    oauth2::postgres_options options;
    options.reconnect_timeout = 800ms;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto store = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key, options);
        co_await store->save(grant_for(1, "one"));
        auto raw = co_await pg::connection::connect(io.get_executor(), cluster.url());
        co_await cut_connections(*raw);
        // The statement meets the broken connection, and is sent again on a new one.
        CHECK((*co_await store->load(snowflake(1))).token.token.reveal() == "one");
        auto g = *co_await store->load(snowflake(1));
        co_await cut_connections(*raw);
        CHECK(co_await store->compare_and_swap(g) == std::optional<std::uint64_t>(g.version + 1));
        CHECK(store->broken_connections() >= 2);

        cluster.stop();
        auto away = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await store->load(snowflake(1)); });
        CHECK(away.code() == oauth2::errc::store_failed);
        CHECK(std::string(away.what()).find("unreachable") != std::string::npos);
        cluster.start();
        CHECK((*co_await store->load(snowflake(1))).token.token.reveal() == "one");
    }());
}

TEST_CASE("lock_grant: one holder per grant across stores; a holder's lost session frees it")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    auto key = oauth2::store_key::generate();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto a = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key);
        auto b = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key);
        auto held_by_a = co_await a->lock_grant(snowflake(7));
        REQUIRE(held_by_a);
        auto other_user = co_await b->lock_grant(snowflake(8)); // another grant: no waiting
        CHECK(other_user);
        std::unique_ptr<oauth2::grant_lock> held_by_b;
        bool b_has_it = false;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            held_by_b = co_await b->lock_grant(snowflake(7));
            b_has_it = true;
        }, asio::detached);
        co_await test::sleep(150ms);
        CHECK_FALSE(b_has_it);
        held_by_a.reset(); // released after the holder's commit
        for (int i = 0; i < 200 && !b_has_it; ++i)
            co_await test::sleep(5ms);
        CHECK(b_has_it);

        // b's sessions end (a crash): its locks end with them, and a takes the grant.
        auto raw = co_await pg::connection::connect(io.get_executor(), cluster.url());
        co_await cut_connections(*raw);
        auto after_crash = co_await a->lock_grant(snowflake(7));
        CHECK(after_crash);
        held_by_b.reset(); // its session is gone: nothing to release, and nothing goes wrong
        other_user.reset();
    }());
    test::drain(io); // the releases, sent after the stores' owners let go
}

TEST_CASE("the cluster: a state consumed once across stores, outcomes recorded, messages to the others only")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    auto key = oauth2::store_key::generate();
    std::vector<std::string> to_a;
    std::vector<std::string> to_b;
    int gaps_b = 0;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto a = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key);
        auto b = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key);
        a->subscribe(io.get_executor(), [&](std::string m) { to_a.push_back(std::move(m)); }, [] {});
        b->subscribe(io.get_executor(), [&](std::string m) { to_b.push_back(std::move(m)); }, [&] { ++gaps_b; });
        CHECK_THROWS_AS(b->subscribe(io.get_executor(), [](std::string) {}, [] {}), oauth2::error);
        for (int i = 0; i < 400 && gaps_b == 0; ++i)
            co_await test::sleep(5ms); // b listens (told through on_gap)
        co_await test::sleep(50ms);    // and a, which subscribed at the same moment
        CHECK(b->listening());
        auto expires = std::chrono::system_clock::now() + 10min;
        CHECK(co_await a->consume("nonce-1", expires));
        CHECK_FALSE(co_await b->consume("nonce-1", expires));
        CHECK_FALSE(co_await a->consume("nonce-1", expires));
        CHECK(co_await b->consume("nonce-2", expires));
        co_await a->record_outcome("nonce-1", "the outcome", "settled nonce-1");
        for (int i = 0; i < 200 && to_b.empty(); ++i)
            co_await test::sleep(5ms);
        CHECK(to_b == std::vector<std::string>{"settled nonce-1"});
        std::vector<std::string> asked{"nonce-1", "nonce-2", "nonce-\"3\\"};
        auto found = co_await b->outcomes(asked);
        REQUIRE(found.size() == 1);
        CHECK(found[0].first == "nonce-1");
        CHECK(found[0].second == "the outcome");
        auto too_long = co_await test::expect_error([&]() -> asio::awaitable<void> {
            std::string huge(5000, 'x');
            co_await a->broadcast(huge);
        });
        CHECK(too_long.code() == oauth2::errc::invalid_argument);

        // The listening connection breaks: b is told of the gap, and hears what comes after.
        auto raw = co_await pg::connection::connect(io.get_executor(), cluster.url());
        co_await cut_connections(*raw);
        for (int i = 0; i < 400 && gaps_b < 2; ++i)
            co_await test::sleep(5ms);
        CHECK(gaps_b == 2); // once listening, then after the gap
        co_await a->broadcast("after the gap");
        for (int i = 0; i < 200 && to_b.size() < 2; ++i)
            co_await test::sleep(5ms);
        CHECK(to_b.back() == "after the gap");
        CHECK(to_a.empty()); // never its own
        a->unsubscribe();
        CHECK_FALSE(a->listening());
        b->unsubscribe();
    }());
    test::drain(io); // the listeners end
}

TEST_CASE("schema: a version 1 database is migrated on open with its grants; a newer one is refused")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    auto key = oauth2::store_key::generate();
    test::run(io, [&]() -> asio::awaitable<void> {
        {
            auto store = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key);
            co_await store->save(grant_for(1, "kept"));
        }
        // Back to what version 1 of this library left: no states table.
        auto raw = co_await pg::connection::connect(io.get_executor(), cluster.url());
        (void)co_await raw->query("DROP TABLE discord_oauth2_states");
        (void)co_await raw->query("UPDATE discord_oauth2_meta SET value = '1' WHERE name = 'schema_version'");
        auto store = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key);
        CHECK((*co_await store->load(snowflake(1))).token.token.reveal() == "kept");
        CHECK(co_await store->consume("after-migration", std::chrono::system_clock::now() + 1min));
        auto version = co_await raw->query("SELECT value FROM discord_oauth2_meta WHERE name = 'schema_version'");
        CHECK(*version.rows[0][0] == std::to_string(oauth2::postgres_token_store::schema_version));

        (void)co_await raw->query("UPDATE discord_oauth2_meta SET value = '99' WHERE name = 'schema_version'");
        auto newer = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), key);
        });
        CHECK(newer.code() == oauth2::errc::invalid_argument);
        CHECK(std::string(newer.what()).find("newer") != std::string::npos);
    }());
}
