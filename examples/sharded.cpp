// Several shards of one bot share one callback server. Each shard is its own coroutine (in a
// real bot: its own gateway connection) that asks its users to authorize and awaits them; the
// sealed state, not the port, sends each callback to the right waiter. The shards could as well
// run on several threads of the io_context: the server's state is safe to share.
//
//   sharded USER_ID...        (one shard per user, for the example)
#include "example_config.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <iostream>
#include <mutex>
#include <thread>

namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

// Shards print from two threads: one whole line at a time.
void say(const std::string& line)
{
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::cout << line << std::endl;
}

asio::awaitable<void> shard(int number, oauth2::web_server& web, oauth2::snowflake user)
{
    const std::vector<std::string_view> scopes{oauth2::scope::identify};
    oauth2::authorization_options options;
    options.flow = "shard-" + std::to_string(number); // sealed into the state, seen in events
    auto url = web.authorization_url(user, scopes, options);
    say("open " + user.to_string() + " " + url);
    auto result = co_await web.wait_for_access_token(user, url, 2min);
    say("shard " + std::to_string(number) + ": "
        + (result ? "authorized " + result->user_id.to_string() : "no grant: " + result.description));
}

int main(int argc, char** argv)
{
    try {
        if (argc < 2)
            throw std::runtime_error("usage: sharded USER_ID...");
        asio::io_context io(2);
        oauth2::client discord(io.get_executor(), example::config_from_environment());
        oauth2::web_server web(io.get_executor(), discord);
        web.start();

        int remaining = argc - 1;
        std::mutex done;
        for (int i = 1; i < argc; ++i)
            asio::co_spawn(io, shard(i - 1, web, oauth2::snowflake(std::stoull(argv[i]))), [&](std::exception_ptr e) {
                if (e)
                    std::rethrow_exception(e);
                std::lock_guard lock(done);
                if (--remaining == 0)
                    asio::co_spawn(io, web.stop(), asio::detached);
            });
        // Two threads run the shards and the server.
        std::thread second([&] { io.run(); });
        io.run();
        second.join();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "sharded: " << e.what() << "\n";
        return 1;
    }
}
