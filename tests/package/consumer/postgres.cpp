// Built against an installed discord-oauth2-postgres by tests/package/check.sh: the store's code
// links and runs (a server that is not there is a clear store_failed).
#include <discord/oauth2/postgres_token_store.hpp>
#include <discord/oauth2/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <iostream>

int main()
{
    asio::io_context io;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        namespace oauth2 = discord::oauth2;
        try {
            auto url = std::string("postgres://consumer@127.0.0.1:1/none"); // nothing listens on port 1
            (void)co_await oauth2::postgres_token_store::open(io.get_executor(), url, oauth2::store_key::generate());
        } catch (const oauth2::error& e) {
            if (e.code() == oauth2::errc::store_failed)
                std::cout << "consumer: postgres store_failed caught\n";
        }
    }, asio::detached);
    io.run();
}
