// What the D++ suites share (dpp_bridge_test, dpp_bot_test): a real dpp::cluster that never
// connects (its thread pool and coroutine types are what is tested), the emulator, a client and a
// web server on one io_context run by a thread of the test's own, and a bridge to it.
#pragma once

#include "emulator.hpp"
#include "http/client.hpp"
#include "server/free_port.hpp"
#include "support/authorize.hpp"
#include "support/web_flow.hpp"

#include <discord/oauth2.hpp>
#include <discord/oauth2/dpp.hpp>

#include <dpp/dpp.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include <doctest/doctest.h>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace test::dpp_support {

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using oauth2::snowflake;
using namespace std::chrono_literals;


inline const snowflake nelly{80351110224678912ULL}; // the emulator's first user
inline const snowflake xiao{613425648685547541ULL}; // another user of the default world
inline const std::vector<std::string_view> identify_connections{oauth2::scope::identify, oauth2::scope::connections};

// D++ names its pool's threads "pool/exec/N".
inline bool on_dpp_worker()
{
    char name[32] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    return std::string_view(name).starts_with("pool/exec/");
}

// Where a coroutine found itself after each co_await.
struct resumed {
    std::atomic<int> on_worker = 0;
    std::atomic<int> elsewhere = 0;
    std::atomic<int> on_io = 0;
    std::thread::id io_thread;

    void here()
    {
        ++(on_dpp_worker() ? on_worker : elsewhere);
        on_io += std::this_thread::get_id() == io_thread;
    }
};

// The process's one cluster with two pool threads, as a bot has one for its lifetime. Never
// destroyed: D++ 10.1.5 destroys its event routers before it joins its pool, so work still
// queued then (a when_any's loser, resumed late) would run against a half-destroyed cluster.
inline dpp::cluster& process_bot()
{
    static auto* bot = new dpp::cluster("no-token", dpp::i_default_intents, 0, 0, 1, true,
                                        dpp::cache_policy::cpol_default, 2);
    return *bot;
}

// Runs an io_context on a thread of its own from start() until destroyed.
struct io_thread {
    asio::io_context& io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread;

    void start() { thread = std::thread([this] { io.run(); }); }
    ~io_thread()
    {
        work.reset();
        io.stop();
        if (thread.joinable())
            thread.join();
    }
};

// The emulator, the client and the web server on one io_context that the test runs on a thread
// of its own; the bridge uses that io_context (the bot-given form) and, declared after the
// thread, is destroyed while it still runs.
struct fixture {
    dpp::cluster& bot = process_bot();
    asio::io_context io;
    std::string redirect = "http://127.0.0.1:" + std::to_string(oauth2::server::free_port()) + "/discord/callback";
    em::emulator discord;
    oauth2::client client;
    oauth2::web_server web;
    http::client browser;
    io_thread runner{io};
    oauth2::dpp_bridge on_io;
    resumed where;

    fixture()
        : discord(io.get_executor(), test::flow_emulator_options(redirect)),
          client(io.get_executor(), (discord.start(), test::flow_client_config(discord.url(), redirect))),
          web(io.get_executor(), client, web_config()), browser(io.get_executor()), on_io(bot, io.get_executor())
    {
        web.start();
        runner.start();
        where.io_thread = runner.thread.get_id();
    }

    ~fixture() { web.async_stop(std::chrono::seconds(10), asio::use_future).get(); }

    static oauth2::web_server_config web_config()
    {
        oauth2::web_server_config c;
        c.key = oauth2::state_key::generate();
        c.limits.max_connections_per_peer = 0; // a thousand browsers on one address
        c.exchanges_per_minute_per_client = 0;  // ... each with a code to exchange, at once
        c.exchanges_per_second = 0;
        return c;
    }

    // The person who clicks Authorize, on the io thread.
    void consent_later(std::string link, snowflake user)
    {
        asio::co_spawn(io, test::consent_as(browser, std::move(link), user), asio::detached);
    }

    // Runs `job` (which makes a dpp::job) on D++'s pool and waits for `done` up to `limit`.
    template <class Job>
    void on_pool(Job job, std::future<void> done, std::chrono::seconds limit = 60s)
    {
        bot.queue_work(0, std::move(job));
        REQUIRE(done.wait_for(limit) == std::future_status::ready);
        done.get();
    }
};

} // namespace test::dpp_support
