// The PostgreSQL connection on Asio against a throwaway cluster: queries with parameters,
// errors with their SQLSTATE, clear failures for a malformed URL, an unknown role and a server
// that is not there; pipelines, and the pool that batches its callers' statements into them.
#include "core/attempt.hpp"
#include "pg/connection.hpp"
#include "pg/pool.hpp"
#include "server/free_port.hpp"
#include "support/postgres_cluster.hpp"
#include "support/run.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;
namespace pg = discord::oauth2::pg;
using namespace std::chrono_literals;

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
        // libpq's own message would quote the password: ours names the problem only.
        const char* leaky[] = {"postgres://bot:s3cr%t-pw@127.0.0.1:5432/db", "postgres://bot:s3cr%zz-pw@127.0.0.1/db",
                               "postgres://bot:s3cr-pw@127.0.0.1:5432/db?s3cr-pw=1"};
        for (const char* u : leaky) {
            CAPTURE(u);
            std::string url(u);
            auto e = co_await test::expect_error([&]() -> asio::awaitable<void> {
                (void)co_await pg::connection::connect(io.get_executor(), url);
            });
            CHECK(e.code() == oauth2::errc::invalid_argument);
            CHECK(std::string(e.what()).find("s3cr") == std::string::npos);
            CHECK(std::string(e.what()).find("malformed") != std::string::npos);
        }
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

TEST_CASE("pipelines: statements share a round trip, and one that fails fails alone")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto db = co_await pg::connection::connect(io.get_executor(), cluster.url());
        std::vector<pg::statement> batch{
            {"SELECT $1::int + 1", {"41"}},
            {"SELECT 1 / $1::int", {"0"}}, // division by zero
            {"SELECT 'after'", {}},
        };
        auto outcomes = co_await db->pipeline(batch);
        REQUIRE(outcomes.size() == 3);
        REQUIRE(outcomes[0].rows);
        CHECK(*outcomes[0].rows->rows[0][0] == "42");
        CHECK_FALSE(outcomes[1].rows);
        CHECK(outcomes[1].failure.find("22012") != std::string::npos);
        REQUIRE(outcomes[2].rows);
        CHECK(*outcomes[2].rows->rows[0][0] == "after");

        // 300 callers on a pool of 2: their statements go in far fewer round trips, each gets its own answer.
        pg::pool_options options;
        options.size = 2;
        pg::pool shared(io.get_executor(), cluster.url(), options, co_await pg::connection::connect(io.get_executor(), cluster.url()));
        int right = 0;
        int refused = 0;
        int done = 0;
        for (int i = 0; i < 300; ++i)
            asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
                pg::parameters p{std::to_string(i)};
                if (i % 50 == 7) {
                    auto e = co_await test::expect_error([&]() -> asio::awaitable<void> {
                        (void)co_await shared.run("SELECT 1 / ($1::int - $1::int)", p);
                    });
                    refused += e.code() == oauth2::errc::store_failed;
                } else {
                    auto r = co_await shared.run("SELECT $1::int * 2", p);
                    right += *r.rows[0][0] == std::to_string(i * 2);
                }
                ++done;
            }, asio::detached);
        while (done < 300)
            co_await test::sleep(2ms);
        CHECK(right == 294);
        CHECK(refused == 6);
        CHECK(shared.round_trips() < 100);
        MESSAGE("300 statements in " << shared.round_trips() << " round trips");
    }());
}

TEST_CASE("group commit: a pipeline's statements in one transaction, a failure still failing alone")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto db = co_await pg::connection::connect(io.get_executor(), cluster.url());
        auto other = co_await pg::connection::connect(io.get_executor(), cluster.url());
        (void)co_await other->query("CREATE TABLE kept (id int PRIMARY KEY)");
        using commit = pg::connection::commit;

        // One transaction: every statement sees the same transaction id; apart, each its own.
        std::vector<pg::statement> ids{{"SELECT txid_current()", {}}, {"SELECT txid_current()", {}}};
        auto together = co_await db->pipeline(ids, commit::together);
        REQUIRE((together[0].rows && together[1].rows));
        CHECK(*together[0].rows->rows[0][0] == *together[1].rows->rows[0][0]);
        auto apart = co_await db->pipeline(ids, commit::each);
        REQUIRE((apart[0].rows && apart[1].rows));
        CHECK(*apart[0].rows->rows[0][0] != *apart[1].rows->rows[0][0]);

        // Answered after the commit: another session sees the rows as soon as the answers are in,
        // and a statement of the group sees the ones before it.
        std::vector<pg::statement> writes{
            {"INSERT INTO kept VALUES ($1::int)", {"1"}},
            {"INSERT INTO kept VALUES ($1::int)", {"2"}},
            {"SELECT count(*) FROM kept", {}},
        };
        auto written = co_await db->pipeline(writes, commit::together);
        REQUIRE(written[2].rows);
        CHECK(*written[2].rows->rows[0][0] == "2");
        CHECK(*(co_await other->query("SELECT count(*) FROM kept")).rows[0][0] == "2");

        // A failure in the middle: the group is rolled back and run again statement by statement,
        // so the others take effect once (a second insert of the same key would fail) and the
        // failing one alone is refused.
        std::vector<pg::statement> mixed{
            {"INSERT INTO kept VALUES ($1::int)", {"3"}},
            {"SELECT 1 / $1::int", {"0"}},
            {"INSERT INTO kept VALUES ($1::int)", {"4"}},
        };
        auto outcomes = co_await db->pipeline(mixed, commit::together);
        CHECK(outcomes[0].rows);
        CHECK_FALSE(outcomes[1].rows);
        CHECK(outcomes[1].failure.find("22012") != std::string::npos);
        CHECK(outcomes[2].rows);
        CHECK(*(co_await other->query("SELECT string_agg(id::text, ',' ORDER BY id) FROM kept")).rows[0][0]
              == "1,2,3,4");

        // A pool with group commit: 300 callers, a few refused, every other write kept once.
        pg::pool_options options;
        options.size = 2;
        options.group_commit = true;
        pg::pool shared(io.get_executor(), cluster.url(), options, co_await pg::connection::connect(io.get_executor(), cluster.url()));
        int kept = 0;
        int refused = 0;
        int done = 0;
        for (int i = 100; i < 400; ++i)
            asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
                // Every 50th inserts a key that is already there: refused alone.
                pg::parameters p{std::to_string(i % 50 == 7 ? 1 : i)};
                auto r = co_await oauth2::core::attempt(shared.run("INSERT INTO kept VALUES ($1::int)", p));
                if (r.failure)
                    refused += r.failure->code() == oauth2::errc::store_failed;
                else
                    kept += r.value->affected == 1;
                ++done;
            }, asio::detached);
        while (done < 300)
            co_await test::sleep(2ms);
        CHECK(kept == 294);
        CHECK(refused == 6);
        CHECK(*(co_await other->query("SELECT count(*) FROM kept")).rows[0][0] == "298");
        CHECK(shared.round_trips() < 100);
    }());
}

TEST_CASE("host names are resolved without blocking; several hosts are tried in order; a name that does not resolve fails clearly")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    auto port = std::to_string(cluster.port());
    test::run(io, [&]() -> asio::awaitable<void> {
        // `localhost` goes through Asio's resolver (libpq would call getaddrinfo on the event loop).
        std::string by_name = "postgres://postgres@localhost:" + port + "/postgres";
        auto db = co_await pg::connection::connect(io.get_executor(), by_name);
        CHECK(*(co_await db->query("SELECT 1")).rows[0][0] == "1");
        // The first host refuses; the second, a name with its own port, answers.
        std::string refused = std::to_string(discord::oauth2::server::free_port());
        std::string two = "postgres://postgres@127.0.0.1:" + refused + ",localhost:" + port + "/postgres";
        auto second = co_await pg::connection::connect(io.get_executor(), two);
        CHECK(*(co_await second->query("SELECT 2")).rows[0][0] == "2");
        std::string nowhere = "postgres://postgres@no-such-host.invalid:" + port + "/postgres";
        auto unresolved = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await pg::connection::connect(io.get_executor(), nowhere);
        });
        CHECK(unresolved.code() == oauth2::errc::store_failed);
        CHECK(std::string(unresolved.what()).find("no-such-host.invalid could not be resolved") != std::string::npos);
    }());
}
