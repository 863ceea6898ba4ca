// The client's operations as Asio asynchronous operations (async.hpp), against the emulator:
// any completion token (a callback, use_future, deferred, use_awaitable with as_tuple), errors
// as error codes with Discord's details through with_details, cancellation through the
// token's slot, and completion on the handler's own executor.
#include "emulator.hpp"
#include "support/run.hpp"

#include <discord/oauth2/async.hpp>
#include <discord/oauth2/client.hpp>
#include <discord/oauth2/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_future.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <thread>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
using oauth2::errc;
using oauth2::secret;
using namespace std::chrono_literals;

namespace {

struct fixture {
    asio::io_context io;
    em::emulator discord;
    oauth2::client client;

    fixture() : discord(io.get_executor(), options()), client(io.get_executor(), (discord.start(), config())) {}

    static em::options options()
    {
        em::options o;
        o.auto_approve = true;
        return o;
    }

    oauth2::client_config config()
    {
        oauth2::client_config c;
        c.client_id = oauth2::snowflake(159799960412356608ULL);
        c.client_secret = secret("emulator-airhorn-client-secret-0123456789");
        c.redirect_uri = "http://127.0.0.1:53134/callback";
        c.endpoints = oauth2::endpoints::under(discord.url());
        return c;
    }

    // The application owner's token (client credentials), through the callback form.
    oauth2::access_token owner_token()
    {
        std::optional<oauth2::access_token> got;
        std::vector<std::string> scopes{"identify"};
        client.async_client_credentials(scopes, [&](std::error_code ec, oauth2::access_token t) {
            REQUIRE_FALSE(ec);
            got = std::move(t);
        });
        io.restart();
        while (!got)
            io.run_one_for(10s);
        return *got;
    }

    // Runs the io_context until `done`.
    void run_until(const std::atomic<bool>& done)
    {
        io.restart();
        for (int i = 0; i < 3000 && !done; ++i)
            io.run_one_for(10ms);
        REQUIRE(done);
    }
};

} // namespace

TEST_CASE("a plain callback: the value with an empty error code, once")
{
    fixture f;
    auto token = f.owner_token();
    CHECK(token.has_scope("identify"));
    std::atomic<bool> done = false;
    int calls = 0;
    f.client.async_get_current_user(token, [&](std::error_code ec, oauth2::user me) {
        ++calls;
        CHECK_FALSE(ec);
        CHECK(me.username == "discord");
        done = true;
    });
    f.run_until(done);
    f.io.poll();
    CHECK(calls == 1);
}

TEST_CASE("use_future from another thread while the io_context runs elsewhere")
{
    fixture f;
    auto token = f.owner_token();
    auto guard = asio::make_work_guard(f.io);
    f.io.restart();
    std::thread runner([&] { f.io.run(); });
    auto me = f.client.async_get_current_user(token, asio::use_future);
    CHECK(me.get().username == "discord");
    // A failure arrives as the future's exception: a system_error carrying the errc.
    oauth2::access_token broken = token;
    broken.token = secret("not-a-token");
    auto refused = f.client.async_get_current_user(broken, asio::use_future);
    try {
        (void)refused.get();
        FAIL("a bad token was accepted");
    } catch (const std::system_error& e) {
        CHECK(e.code() == errc::unauthorized);
    }
    guard.reset();
    f.io.stop();
    runner.join();
}

TEST_CASE("deferred and as_tuple(use_awaitable); a local refusal is an error code too")
{
    fixture f;
    auto token = f.owner_token();
    // Deferred: nothing starts until the deferred operation is given a handler.
    auto lazy = f.client.async_get_connections(token, asio::experimental::deferred);
    std::atomic<bool> done = false;
    std::move(lazy)([&](std::error_code ec, std::vector<oauth2::connection> connections) {
        CHECK(ec == errc::missing_scope); // client credentials with identify only
        CHECK(connections.empty());
        done = true;
    });
    f.run_until(done);

    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto [ec, me] = co_await f.client.async_get_current_user(token, asio::experimental::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        CHECK(me.username == "discord");
        // A void operation: void(std::error_code).
        auto [revoked] = co_await f.client.async_revoke(token.token, oauth2::token_type_hint::access_token,
                                                        asio::experimental::as_tuple(asio::use_awaitable));
        CHECK_FALSE(revoked);
        auto [gone, nobody] = co_await f.client.async_get_current_user(token,
                                                                       asio::experimental::as_tuple(asio::use_awaitable));
        CHECK(gone == errc::unauthorized);
    }());
}

TEST_CASE("bad arguments fail when the operation is awaited or run, never when it is made")
{
    fixture f;
    // exchange_code and refresh are not coroutines themselves: their checks must still come
    // out of co_await, and reach an async form's handler instead of its caller.
    std::optional<asio::awaitable<oauth2::access_token>> no_code, no_token;
    CHECK_NOTHROW(no_code.emplace(f.client.exchange_code("")));
    CHECK_NOTHROW(no_token.emplace(f.client.refresh(secret())));
    std::atomic<int> done = 0;
    auto refused = [&](std::exception_ptr e, oauth2::access_token) {
        REQUIRE(e);
        try {
            std::rethrow_exception(e);
        } catch (const oauth2::error& failure) {
            CHECK(failure.code() == errc::invalid_argument);
        }
        ++done;
    };
    asio::co_spawn(f.io, std::move(*no_code), refused);
    asio::co_spawn(f.io, std::move(*no_token), refused);
    std::error_code exchanged, refreshed;
    CHECK_NOTHROW(f.client.async_exchange_code("", std::nullopt, [&](std::error_code ec, oauth2::access_token) {
        exchanged = ec;
        ++done;
    }));
    CHECK_NOTHROW(f.client.async_refresh(secret(), [&](std::error_code ec, oauth2::access_token) {
        refreshed = ec;
        ++done;
    }));
    f.io.restart();
    for (int i = 0; i < 3000 && done < 4; ++i)
        f.io.run_one_for(10ms);
    REQUIRE(done == 4);
    CHECK(exchanged == errc::invalid_argument);
    CHECK(refreshed == errc::invalid_argument);
}

TEST_CASE("with_details: Discord's description and the sentence for people, never the secret")
{
    fixture f;
    oauth2::error_details details;
    std::string message;
    std::atomic<bool> done = false;
    const std::string bogus = "bogus-refresh-token-that-must-not-leak";
    f.client.async_refresh(secret(bogus), oauth2::with_details(details, [&](std::error_code ec, oauth2::access_token t) {
        CHECK(ec == errc::invalid_grant);
        CHECK(t.token.empty());
        done = true;
    }, &message));
    f.run_until(done);
    CHECK_FALSE(details.description.empty());
    CHECK_FALSE(message.empty());
    CHECK(message.find(bogus) == std::string::npos);
    CHECK(details.description.find(bogus) == std::string::npos);

    // Success leaves them alone.
    oauth2::error_details untouched;
    untouched.description = "as it was";
    auto token = f.owner_token();
    done = false;
    f.client.async_get_current_user(token, oauth2::with_details(untouched, [&](std::error_code ec, oauth2::user) {
        CHECK_FALSE(ec);
        done = true;
    }));
    f.run_until(done);
    CHECK(untouched.description == "as it was");
}

TEST_CASE("the token's cancellation slot cancels the request: errc::cancelled, and the client goes on")
{
    fixture f;
    auto token = f.owner_token();
    f.discord.add_fault(em::fault::parse("GET /users/@me latency=5000"));
    asio::cancellation_signal signal;
    std::atomic<bool> done = false;
    std::error_code outcome;
    f.client.async_get_current_user(token, asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, oauth2::user) {
        outcome = ec;
        done = true;
    }));
    f.io.restart();
    f.io.run_for(100ms);
    CHECK_FALSE(done);
    signal.emit(asio::cancellation_type::terminal);
    f.run_until(done);
    CHECK(outcome == errc::cancelled);
    f.discord.clear_faults();
    done = false;
    f.client.async_get_current_user(token, [&](std::error_code ec, oauth2::user me) {
        CHECK_FALSE(ec);
        CHECK(me.username == "discord");
        done = true;
    });
    f.run_until(done);
}

TEST_CASE("get_all_guilds' stream with completion tokens: every guild, then nullopt")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify", "guilds"}; // named: see docs/compilers.md
        auto token = co_await f.client.client_credentials(scopes);
        oauth2::guild_page first_page;
        auto direct = co_await f.client.get_guilds(token, first_page);
        auto stream = f.client.get_all_guilds(token);
        std::size_t seen = 0;
        for (;;) {
            auto [ec, guild] = co_await stream.async_next(asio::experimental::as_tuple(asio::use_awaitable));
            CHECK_FALSE(ec);
            if (!guild)
                break;
            ++seen;
        }
        CHECK(seen == direct.size());
        CHECK(seen > 0);
        auto [ec, rest] = co_await stream.async_next_page(asio::experimental::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        CHECK(rest.empty());
    }());
}

TEST_CASE("the handler runs on its own executor, never on the client's thread")
{
    fixture f;
    auto token = f.owner_token();
    asio::thread_pool elsewhere(1);
    auto strand = asio::make_strand(elsewhere);
    std::atomic<bool> done = false;
    std::atomic<bool> on_strand = false;
    std::atomic<bool> on_io_thread = true;
    auto io_thread = std::this_thread::get_id();
    f.client.async_get_current_user(token, asio::bind_executor(strand, [&](std::error_code ec, oauth2::user) {
        CHECK_FALSE(ec);
        on_strand = strand.running_in_this_thread();
        on_io_thread = std::this_thread::get_id() == io_thread;
        done = true;
    }));
    f.run_until(done);
    elsewhere.join();
    CHECK(on_strand);
    CHECK_FALSE(on_io_thread);
}
