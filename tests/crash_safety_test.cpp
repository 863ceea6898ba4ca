// Grants survive SIGKILL: a child process refreshes grants in a loop over the SQLite store and
// is killed at random moments. After every kill each grant is either usable (its stored refresh
// token is the one the emulator holds as current) or, only when a refresh was in flight,
// recognisably so; never silently broken. Recovery then probes the grants caught in flight and
// loses none that could be saved: a grant whose stored refresh token was still live at the
// emulator comes out usable, never flagged; only one whose token was rotated away is flagged.
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

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <future>
#include <map>
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
    int in_window_live = 0; // caught in flight, their stored refresh token still live
    int refreshes_seen = 0;
    int violations = 0;
    int flagged_live = 0; // flagged by recovery although their refresh token was live: must stay 0
    oauth2::client_config cc;
    cc.client_id = snowflake(159799960412356608ULL);
    cc.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
    cc.redirect_uri = "http://127.0.0.1:53134/callback";
    cc.endpoints = oauth2::endpoints::under(base);
    oauth2::client client(io.get_executor(), cc);
    for (int kill = 0; kill < kills; ++kill) {
        auto child = test::spawn(CRASH_CHILD, {db, key.to_hex().reveal(), base});
        REQUIRE(test::read_line(child.out) == "ready");
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
        ::kill(child.pid, SIGKILL);
        CHECK(test::wait_exit(child) == 128 + SIGKILL);

        auto store = oauth2::sqlite_token_store::open(db, key);
        std::map<std::uint64_t, bool> caught_live; // in flight: was the stored refresh token live?
        test::run(io, [&]() -> asio::awaitable<void> {
            CHECK((co_await store->list()).size() == static_cast<std::size_t>(users)); // no duplicate, none lost
            for (int u = 1; u <= users; ++u) {
                snowflake user(static_cast<std::uint64_t>(u));
                auto g = co_await store->load(user);
                REQUIRE(g);
                refreshes_seen += static_cast<int>(g->version);
                bool live = g->token.refresh_token && discord.is_current(g->token.refresh_token->reveal());
                if (g->refresh_in_flight) {
                    ++in_window; // killed between recording the refresh and recording its answer
                    in_window_live += live;
                    caught_live[static_cast<std::uint64_t>(u)] = live;
                    continue;
                }
                if (g->needs_reauthorization || !live) {
                    ++violations;
                    FAIL_CHECK("user " << u << ": a grant that is neither usable nor in flight after kill " << kill);
                }
            }
            // What the next process does first: probe what was caught in flight.
            oauth2::refresher keeper(io.get_executor(), client, store);
            auto lost = co_await keeper.recover();
            for (auto [u, live] : caught_live) {
                auto g = co_await store->load(snowflake(u));
                REQUIRE(g);
                bool usable = !g->needs_reauthorization && !g->refresh_in_flight && g->token.refresh_token
                    && discord.is_current(g->token.refresh_token->reveal());
                if (live && !usable) {
                    ++flagged_live;
                    FAIL_CHECK("user " << u << ": its refresh token was live, yet recovery did not save it after kill "
                                       << kill);
                }
                if (!live && !g->needs_reauthorization) {
                    ++violations;
                    FAIL_CHECK("user " << u << ": its refresh token was rotated away, yet it is not flagged");
                }
                CHECK((std::find(lost.begin(), lost.end(), snowflake(u)) != lost.end()) == !live);
            }
        }());
        // Grants that were lost for real: authorize them again, as a bot would ask its user, so
        // that every round starts with usable grants.
        for (auto [u, live] : caught_live)
            if (!live)
                authorize(io, base, *store, snowflake(u));
    }
    MESSAGE(kills << " kills; " << in_window << " grants caught with a refresh in flight (the window of one "
                  << "local commit), " << in_window_live << " of them still live and saved by the probe; "
                  << violations << " broken; " << flagged_live << " flagged although live");
    CHECK(violations == 0);
    CHECK(flagged_live == 0);
    CHECK(refreshes_seen > users * kills); // the children did refresh between kills
    std::filesystem::remove_all(dir);
}
