// Built against an installed discord-oauth2 by tests/package/check.sh.
#include <discord/oauth2.hpp>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <iostream>

int main()
{
    asio::io_context io;
    asio::co_spawn(io, []() -> asio::awaitable<void> {
        try {
            throw discord::oauth2::error(discord::oauth2::errc::timeout, "installed headers and library work");
        } catch (const discord::oauth2::error& e) {
            if (e.code() == std::errc::timed_out)
                std::cout << "consumer: " << e.code().category().name() << " error caught: " << e.what() << "\n";
        }
        co_return;
    }, asio::detached);
    io.run();
}
