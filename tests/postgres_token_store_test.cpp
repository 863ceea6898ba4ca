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
