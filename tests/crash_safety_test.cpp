// Grants survive SIGKILL: a child process refreshes grants in a loop over the SQLite store and
// is killed at random moments. After every kill each grant is either usable (its stored refresh
// token is the one the emulator holds as current) or, only when a refresh was in flight,
// recognisably so; never silently broken, never flagged without a refresh in flight.
#include "support/authorize.hpp"
#include "support/emulator_thread.hpp"
#include "support/process.hpp"
#include "support/run.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

namespace oauth2 = discord::oauth2;
using test::authorize;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

constexpr int users = 8;
constexpr int kills = 50;

} // namespace

TEST_CASE("SIGKILL at random moments never leaves a grant silently broken")
{
    test::emulator_thread discord;
    auto base = discord.discord.url();
    auto dir = std::filesystem::temp_directory_path() / ("crash-safety-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto db = (dir / "grants.db").string();
    auto key = oauth2::store_key::generate();
    // Before every store: the stores' threads post completions to it, so it must outlive them.
    asio::io_context io;
    {
        auto store = oauth2::sqlite_token_store::open(db, key);
        for (int u = 1; u <= users; ++u)
            authorize(io, base, *store, snowflake(static_cast<std::uint64_t>(u)));
    }

    std::mt19937 random(12345);
    std::uniform_int_distribution<int> pause_ms(5, 120);
    int in_window = 0;
    int refreshes_seen = 0;
    int violations = 0;
    for (int kill = 0; kill < kills; ++kill) {
        auto child = test::spawn(CRASH_CHILD, {db, key.to_hex().reveal(), base});
        REQUIRE(test::read_line(child.out) == "ready");
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
        ::kill(child.pid, SIGKILL);
        CHECK(test::wait_exit(child) == 128 + SIGKILL);

        auto store = oauth2::sqlite_token_store::open(db, key);
        test::run(io, [&]() -> asio::awaitable<void> {
            CHECK((co_await store->list()).size() == static_cast<std::size_t>(users)); // no duplicate, none lost
            for (int u = 1; u <= users; ++u) {
                snowflake user(static_cast<std::uint64_t>(u));
                auto g = co_await store->load(user);
                REQUIRE(g);
                refreshes_seen += static_cast<int>(g->version);
                if (g->refresh_in_flight) {
                    ++in_window; // killed between recording the refresh and recording its answer
                    continue;
                }
                bool usable = !g->needs_reauthorization && g->token.refresh_token
                    && discord.is_current(g->token.refresh_token->reveal());
                if (!usable) {
                    ++violations;
                    FAIL_CHECK("user " << u << ": a grant that is neither usable nor in flight after kill " << kill);
                }
            }
        }());
        // Grants caught in flight are lost for real at Discord's side maybe: authorize them again,
        // as a bot would ask its user, so that every round starts with usable grants.
        std::vector<snowflake> caught;
        test::run(io, [&]() -> asio::awaitable<void> {
            for (int u = 1; u <= users; ++u) {
                snowflake user(static_cast<std::uint64_t>(u));
                if ((*co_await store->load(user)).refresh_in_flight)
                    caught.push_back(user);
            }
        }());
        for (auto user : caught)
            authorize(io, base, *store, user);
    }
    MESSAGE(kills << " kills; " << in_window << " grants caught with a refresh in flight (the window of one "
                  << "local commit); " << violations << " broken");
    CHECK(violations == 0);
    CHECK(refreshes_seen > users * kills); // the children did refresh between kills
    std::filesystem::remove_all(dir);
}
