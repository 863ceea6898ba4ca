// boost_bridge (boost.hpp): the library's operations from Boost.Asio coroutines and completion
// tokens (Debian's Boost 1.74), completed on the caller's Boost executor, against the emulator.
#include <discord/oauth2/boost.hpp> // first: before any other Boost.Asio header

#include "support/authorize.hpp"
#include "support/boost_fixture.hpp"

#include <discord/oauth2.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using oauth2::errc;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake nelly{80351110224678912ULL}; // the emulator's first user
const std::vector<std::string_view> identify_connections{oauth2::scope::identify, oauth2::scope::connections};

using fixture = test::boost_fixture;

} // namespace

TEST_CASE("the README's three lines in a boost::asio::awaitable, resumed on the application's thread")
{
    fixture f;
    const auto app_thread = std::this_thread::get_id();
    int on_app_thread = 0;
    std::size_t count = 0;
    f.run([&]() -> boost::asio::awaitable<void> {
        auto url = f.web.authorization_url(nelly, identify_connections);
        asio::co_spawn(f.on_io.get_executor(), test::consent_as(f.browser, url, nelly), asio::detached);
        auto result = co_await f.on_io(f.web.wait_for_access_token(nelly, url, 1min));
        on_app_thread += std::this_thread::get_id() == app_thread;
        REQUIRE(result);
        auto connections = co_await f.on_io(f.client.get_connections(result->token));
        on_app_thread += std::this_thread::get_id() == app_thread;
        count = connections.size();
        auto revocation = co_await f.on_io(f.web.revoke_access_token(nelly));
        on_app_thread += std::this_thread::get_id() == app_thread;
        CHECK(revocation == oauth2::revocation::revoked);
    }());
    CHECK(count == 5);
    CHECK(on_app_thread == 3);
    CHECK(f.on_io.running() == 0);
}

TEST_CASE("errors are the library's exceptions, rethrown by use_awaitable with Discord's details")
{
    fixture f;
    std::optional<oauth2::error> caught;
    f.run([&]() -> boost::asio::awaitable<void> {
        auto forged = test::forged_token();
        try {
            co_await f.on_io(f.client.get_current_user(forged));
        } catch (const oauth2::error& e) {
            caught = e;
        }
    }());
    REQUIRE(caught);
    CHECK(caught->code() == errc::unauthorized);
}

TEST_CASE("any Boost completion token: a callback on the application's io_context, and use_future")
{
    fixture f;
    std::vector<std::string> scopes{"identify"};
    const auto app_thread = std::this_thread::get_id();
    bool called_on_app_thread = false;
    std::optional<oauth2::access_token> token;
    f.on_io(f.client.client_credentials(scopes), boost::asio::bind_executor(f.app, [&](std::exception_ptr e, oauth2::access_token t) {
        REQUIRE_FALSE(e);
        called_on_app_thread = std::this_thread::get_id() == app_thread;
        token = std::move(t);
    }));
    f.app.run(); // returns once the callback has run: the operation kept the io_context busy
    CHECK(called_on_app_thread);
    REQUIRE(token);
    CHECK(token->has_scope("identify"));

    // use_future: the completion runs wherever the (system) executor likes; get() waits for it.
    auto me = f.on_io(f.client.get_current_user(*token), boost::asio::use_future);
    CHECK(me.get().username.size() > 0);
}

TEST_CASE("destroying the bridge cancels what is in flight: the completion says cancelled")
{
    asio::io_context emulator_io; // unused by the operation below; the bridge owns its own
    std::exception_ptr failure;
    bool completed = false;
    boost::asio::io_context app;
    {
        oauth2::boost_bridge on_io;
        on_io([]() -> asio::awaitable<void> {
            asio::steady_timer hour(co_await asio::this_coro::executor, 1h);
            co_await hour.async_wait(asio::use_awaitable);
        }(), boost::asio::bind_executor(app, [&](std::exception_ptr e) {
            failure = e;
            completed = true;
        }));
        while (on_io.running() == 0)
            std::this_thread::sleep_for(5ms);
    } // ~boost_bridge: the hour is cancelled and its completion posted to `app`
    app.run();
    REQUIRE(completed);
    REQUIRE(failure);
    CHECK(oauth2::detail::error_code_of(failure, nullptr, nullptr) == errc::cancelled);
}
