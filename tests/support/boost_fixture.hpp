// What the Boost.Asio adapter's tests share: the emulator, the client and the web server on the
// library's io_context, run by a boost_bridge's own thread, while the test's thread runs the
// application's Boost io_context. Include after <discord/oauth2/boost.hpp>.
#pragma once

#include "emulator.hpp"
#include "http/client.hpp"
#include "server/free_port.hpp"
#include "support/web_flow.hpp"

#include <discord/oauth2.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <asio/post.hpp>
#include <asio/use_future.hpp>

#include <doctest/doctest.h>

#include <exception>
#include <string>

namespace test {

struct boost_fixture {
    std::uint16_t port = discord::oauth2::server::free_port();
    std::string redirect = "http://127.0.0.1:" + std::to_string(port) + "/discord/callback";
    discord::oauth2::boost_bridge on_io;
    discord::oauth2::emulator::emulator discord;
    discord::oauth2::client client;
    discord::oauth2::web_server web;
    discord::oauth2::http::client browser;
    boost::asio::io_context app;

    /// With `listen` false the web server does not listen: the test's own server on `port`
    /// hands it the callback.
    explicit boost_fixture(bool listen = true)
        : discord(on_io.get_executor(), flow_emulator_options(redirect)),
          client(on_io.get_executor(), (start_on_io([this] { discord.start(); }), flow_client_config(discord.url(), redirect))),
          web(on_io.get_executor(), client, web_config(listen)), browser(on_io.get_executor())
    {
        start_on_io([this] { web.start(); });
    }

    ~boost_fixture() { web.async_stop(std::chrono::seconds(10), asio::use_future).get(); }

    /// Runs `f` on the library's io thread (servers start on the thread that runs them).
    template <class F>
    void start_on_io(F f)
    {
        asio::post(on_io.get_executor(), asio::use_future(std::move(f))).get();
    }

    static discord::oauth2::web_server_config web_config(bool listen)
    {
        discord::oauth2::web_server_config c;
        c.listen = listen;
        c.key = discord::oauth2::state_key::generate();
        return c;
    }

    /// Runs `coroutine` on the application's io_context, on this thread, until it has no more work.
    void run(boost::asio::awaitable<void> coroutine)
    {
        std::exception_ptr failure;
        bool ended = false;
        boost::asio::co_spawn(app, std::move(coroutine), [&](std::exception_ptr e) {
            failure = e;
            ended = true;
        });
        app.run();
        REQUIRE(ended);
        if (failure)
            std::rethrow_exception(failure);
    }
};

} // namespace test
