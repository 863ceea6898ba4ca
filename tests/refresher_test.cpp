// The refresher against the emulator in-process: single flight, commit before use, lost
// grants (invalid_grant, an answer lost after the refresh took effect), transient retries,
// recovery after a crash, and the background loop.
#include "emulator.hpp"
#include "http/client.hpp"
#include "support/authorize.hpp"
#include "support/run.hpp"


#include <discord/oauth2/error.hpp>
#include <discord/oauth2/memory_token_store.hpp>
#include <discord/oauth2/refresher.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <doctest/doctest.h>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using oauth2::secret;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake nelly(80351110224678912ULL);

struct fixture {
    asio::io_context io;
    em::emulator discord;
    oauth2::client client;
    http::client browser;
    std::shared_ptr<oauth2::memory_token_store> store = std::make_shared<oauth2::memory_token_store>();

    explicit fixture(std::chrono::seconds token_ttl = 604800s)
        : discord(io.get_executor(), options(token_ttl)), client(io.get_executor(), (discord.start(), config())),
          browser(io.get_executor())
    {
    }

    static em::options options(std::chrono::seconds token_ttl)
    {
        em::options o;
        o.auto_approve = true;
        o.rate_limits.enabled = false;
        o.token_ttl = token_ttl;
        return o;
    }

    oauth2::client_config config()
    {
        oauth2::client_config c;
        c.client_id = snowflake(159799960412356608ULL);
        c.client_secret = secret("emulator-airhorn-client-secret-0123456789");
        c.redirect_uri = "http://127.0.0.1:53134/callback";
        c.endpoints = oauth2::endpoints::under(discord.url());
        return c;
    }

    // A stored grant for `user` (any number: the emulator signs in its first user; the store
    // only needs distinct keys).
    asio::awaitable<void> authorize(snowflake user)
    {
        oauth2::stored_grant g;
        g.user_id = user;
        g.token = co_await test::obtain_token(client, browser);
        co_await store->save(std::move(g));
    }

    std::uint64_t token_calls() const { return discord.calls("POST /api/v10/oauth2/token"); }

    // Whether `refresh` is a live grant's current refresh token at the emulator.
    bool current(const std::string& refresh) const
    {
        for (const auto& [id, g] : discord.grants().grants())
            if (g.refresh_token == refresh)
                return true;
        return false;
    }
};

std::vector<snowflake> ten_users()
{
    std::vector<snowflake> users;
    for (std::uint64_t i = 1; i <= 10; ++i)
        users.emplace_back(i);
    return users;
}

} // namespace

TEST_CASE("1,000 concurrent fresh_access_token calls for 10 users cause exactly 10 refreshes, each committed first")
{
    fixture f;
    oauth2::refresher_config config;
    config.margin = std::chrono::hours(24 * 365); // every token is due
    oauth2::refresher keeper(f.io.get_executor(), f.client, f.store, config);
    const auto users = ten_users();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        for (auto u : users)
            co_await f.authorize(u);
        std::map<snowflake, std::uint64_t> before;
        for (auto u : users)
            before[u] = (*co_await f.store->load(u)).version;
        auto calls = f.token_calls();
        int done = 0;
        int matching = 0;
        for (int i = 0; i < 1000; ++i) {
            auto user = users[static_cast<std::size_t>(i) % users.size()];
            asio::co_spawn(f.io, [&, user]() -> asio::awaitable<void> {
                auto token = co_await keeper.fresh_access_token(user);
                // Whoever gets a token finds it already in the store.
                matching += (*co_await f.store->load(user)).token.token == token.token;
                ++done;
            }, asio::detached);
        }
        while (done < 1000)
            co_await test::sleep(5ms);
        CHECK(f.token_calls() - calls == 10);
        CHECK(keeper.refreshes_sent() == 10);
        CHECK(matching == 1000);
        for (auto u : users) {
            auto g = *co_await f.store->load(u);
            CHECK(g.version == before[u] + 2); // in flight, then rotated
            CHECK_FALSE(g.refresh_in_flight);
        }
    }());
}

TEST_CASE("a token with time left is handed out without a request")
{
    fixture f;
    oauth2::refresher keeper(f.io.get_executor(), f.client, f.store); // margin 1 h, tokens live 7 days
    test::run(f.io, [&]() -> asio::awaitable<void> {
        co_await f.authorize(nelly);
        auto calls = f.token_calls();
        auto token = co_await keeper.fresh_access_token(nelly);
        CHECK(token.token == (*co_await f.store->load(nelly)).token.token);
        CHECK(f.token_calls() == calls);
        auto none = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await keeper.fresh_access_token(snowflake(999));
        });
        CHECK(none.code() == oauth2::errc::no_grant);
    }());
}

TEST_CASE("lost grants: invalid_grant and an answer lost after the refresh took effect are flagged, reported, never retried")
{
    fixture f;
    oauth2::refresher keeper(f.io.get_executor(), f.client, f.store);
    std::vector<oauth2::grant_lost> lost;
    keeper.on_grant_lost = [&](const oauth2::grant_lost& g) { lost.push_back(g); };
    test::run(f.io, [&]() -> asio::awaitable<void> {
        co_await f.authorize(snowflake(1));
        co_await f.authorize(snowflake(2));
        // Revoked at Discord behind our back.
        co_await f.client.revoke((*co_await f.store->load(snowflake(1))).token.token);
        auto dead = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await keeper.refresh(snowflake(1)); });
        CHECK(dead.code() == oauth2::errc::invalid_grant);
        auto g1 = *co_await f.store->load(snowflake(1));
        CHECK(g1.needs_reauthorization);
        CHECK_FALSE(g1.refresh_in_flight);
        auto calls = f.token_calls();
        auto again = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await keeper.refresh(snowflake(1)); });
        CHECK(again.code() == oauth2::errc::invalid_grant);
        CHECK(f.token_calls() == calls); // never retried

        // The emulator rotates the token, then drops the connection before answering.
        f.discord.add_fault(em::fault::parse("POST /oauth2/token reset-after"));
        auto unknown = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await keeper.refresh(snowflake(2)); });
        f.discord.clear_faults();
        CHECK(unknown.code() == oauth2::errc::outcome_unknown);
        auto g2 = *co_await f.store->load(snowflake(2));
        CHECK(g2.needs_reauthorization); // flagged, never kept with a dead token
        CHECK_FALSE(g2.refresh_in_flight);

        REQUIRE(lost.size() == 2);
        CHECK(lost[0].user_id == snowflake(1));
        CHECK(lost[0].code == oauth2::errc::invalid_grant);
        CHECK(lost[1].user_id == snowflake(2));
        CHECK(lost[1].code == oauth2::errc::outcome_unknown);
    }());
}

TEST_CASE("transient failures are retried with backoff; a crash's refresh in flight is probed, not given up")
{
    fixture f;
    oauth2::refresher_config config;
    config.retry_backoff = 10ms;
    oauth2::refresher keeper(f.io.get_executor(), f.client, f.store, config);
    std::vector<oauth2::grant_lost> lost;
    keeper.on_grant_lost = [&](const oauth2::grant_lost& g) { lost.push_back(g); };
    test::run(f.io, [&]() -> asio::awaitable<void> {
        co_await f.authorize(snowflake(1));
        // Every second token request fails: one harmless request first, so the refresh gets a 503.
        f.discord.add_fault(em::fault::parse("POST /oauth2/token status=503 every=2"));
        std::vector<std::string> identify{"identify"};
        (void)co_await f.client.client_credentials(identify);
        auto calls = f.token_calls();
        auto renewed = co_await keeper.refresh(snowflake(1)); // 503 (not rotated), then success
        f.discord.clear_faults();
        CHECK(f.token_calls() == calls + 2);
        CHECK((*co_await f.store->load(snowflake(1))).token.token == renewed.token);

        // A process died between recording a refresh and sending it: Discord never rotated.
        co_await f.authorize(snowflake(2));
        auto g = *co_await f.store->load(snowflake(2));
        g.refresh_in_flight = true;
        CHECK(co_await f.store->compare_and_swap(g));
        // Another died after Discord rotated: its stored refresh token is dead.
        co_await f.authorize(snowflake(3));
        auto h = *co_await f.store->load(snowflake(3));
        (void)co_await f.client.refresh(*h.token.refresh_token); // the answer the dead process never stored
        h.refresh_in_flight = true;
        CHECK(co_await f.store->compare_and_swap(h));
        auto recovered = co_await keeper.recover();
        REQUIRE(recovered.size() == 1);
        CHECK(recovered[0] == snowflake(3));
        auto two = *co_await f.store->load(snowflake(2));
        CHECK_FALSE(two.refresh_in_flight);
        CHECK_FALSE(two.needs_reauthorization);
        CHECK(two.token.token != g.token.token); // probed: the new pair is committed
        CHECK(f.current(two.token.refresh_token->reveal()));
        CHECK((*co_await f.store->load(snowflake(3))).needs_reauthorization);
        REQUIRE(lost.size() == 1);
        CHECK(lost[0].user_id == snowflake(3));
        CHECK(lost[0].code == oauth2::errc::invalid_grant);

        // A third is probed while Discord fails: nothing is learnt, it stays in flight, not lost.
        co_await f.authorize(snowflake(4));
        auto k = *co_await f.store->load(snowflake(4));
        k.refresh_in_flight = true;
        CHECK(co_await f.store->compare_and_swap(k));
        f.discord.add_fault(em::fault::parse("POST /oauth2/token status=503"));
        CHECK((co_await keeper.recover()).empty());
        f.discord.clear_faults();
        auto four = *co_await f.store->load(snowflake(4));
        CHECK(four.refresh_in_flight);
        CHECK_FALSE(four.needs_reauthorization);
        CHECK((co_await keeper.recover()).empty());
        auto four_after = *co_await f.store->load(snowflake(4));
        CHECK_FALSE(four_after.refresh_in_flight);
        CHECK_FALSE(four_after.needs_reauthorization);
        CHECK(lost.size() == 1);
    }());
}

TEST_CASE("the background loop refreshes what is due, a few at a time, and stops")
{
    fixture f(std::chrono::seconds(1800)); // tokens live 30 minutes: inside the 1 h margin
    oauth2::refresher_config config;
    config.max_in_flight = 2;
    config.scan_interval = 3600s;
    oauth2::refresher keeper(f.io.get_executor(), f.client, f.store, config);
    const auto users = ten_users();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        for (auto u : users)
            co_await f.authorize(u);
        auto calls = f.token_calls();
        keeper.start();
        for (int i = 0; i < 200 && f.token_calls() < calls + 10; ++i)
            co_await test::sleep(10ms);
        CHECK(f.token_calls() == calls + 10);
        co_await keeper.stop();
        for (auto u : users)
            CHECK((*co_await f.store->load(u)).version == 3);
    }());
}
