// The PostgreSQL connection on Asio against a throwaway cluster: queries with parameters,
// errors with their SQLSTATE, and clear failures for a malformed URL, an unknown role and a
// server that is not there.
#include "pg/connection.hpp"
#include "support/postgres_cluster.hpp"
#include "support/run.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;
namespace pg = discord::oauth2::pg;

TEST_CASE("queries with parameters, null values, affected rows and SQL errors")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto db = co_await pg::connection::connect(io.get_executor(), cluster.url());
        CHECK(db->healthy());
        (void)co_await db->query("CREATE TABLE t (id bigint PRIMARY KEY, name text)");
        pg::parameters one{std::string("1"), std::string("Nelly's \"quoted\" name; DROP TABLE t")};
        auto inserted = co_await db->query("INSERT INTO t VALUES ($1, $2)", one);
        CHECK(inserted.affected == 1);
        pg::parameters two{std::string("2"), std::nullopt};
        (void)co_await db->query("INSERT INTO t VALUES ($1, $2)", two);
        auto rows = co_await db->query("SELECT id, name FROM t ORDER BY id");
        REQUIRE(rows.rows.size() == 2);
        CHECK(rows.columns[1] == "name");
        CHECK(rows.rows[0][1] == "Nelly's \"quoted\" name; DROP TABLE t");
        CHECK_FALSE(rows.rows[1][1]);
        auto duplicate = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await db->query("INSERT INTO t VALUES ($1, $2)", one);
        });
        CHECK(duplicate.code() == oauth2::errc::store_failed);
        CHECK(std::string(duplicate.what()).find("23505") != std::string::npos); // unique_violation
        auto after = co_await db->query("SELECT count(*) FROM t"); // the connection is still usable
        CHECK(after.rows[0][0] == "2");
    }());
}

TEST_CASE("a malformed URL, an unknown role and a server that is not there fail clearly")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto malformed = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await pg::connection::connect(io.get_executor(), "mysql://nope");
        });
        CHECK(malformed.code() == oauth2::errc::invalid_argument);
        auto role = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await pg::connection::connect(
                io.get_executor(), "postgres://nobody:hunter2@127.0.0.1:" + std::to_string(cluster.port()) + "/postgres");
        });
        CHECK(role.code() == oauth2::errc::store_failed);
        CHECK(std::string(role.what()).find("nobody") != std::string::npos);
        CHECK(std::string(role.what()).find("hunter2") == std::string::npos);
        cluster.stop();
        auto gone = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await pg::connection::connect(io.get_executor(), cluster.url());
        });
        CHECK(gone.code() == oauth2::errc::store_failed);
    }());
}
