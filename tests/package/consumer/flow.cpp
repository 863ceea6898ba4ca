// Built against an installed discord-oauth2 by tests/package/check.sh, as a bot author would
// write it: the seed document's flow against the emulator (started by check.sh with
// --auto-approve), through the installed headers and libraries alone. A link is made, a
// "browser" (a plain socket here) opens it and follows Discord's redirect to the callback, the
// bot awaits the token, reads the connections and revokes the grant.
//
//   consumer_flow EMULATOR_URL CALLBACK_PORT
//
// Prints "consumer flow: N connections, revoked" on success; anything else exits non-zero.
#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <exception>
#include <iostream>
#include <istream>
#include <stdexcept>
#include <string>

namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

namespace {

// The emulator's default seed: the application "airhorn" and its first user.
constexpr std::uint64_t client_id = 159799960412356608ULL;
constexpr const char* client_secret = "emulator-airhorn-client-secret-0123456789";
constexpr std::uint64_t user_id = 80351110224678912ULL;

struct answer {
    std::string status_line;
    std::string location; // empty when there is none
};

// GET `url` (http://host:port/path?query) as a browser does, and read the head of the answer.
asio::awaitable<answer> browser_get(std::string url)
{
    auto rest = url.substr(url.find("//") + 2);
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    auto colon = authority.rfind(':');
    auto executor = co_await asio::this_coro::executor;
    asio::ip::tcp::resolver resolver(executor);
    asio::ip::tcp::socket socket(executor);
    auto endpoints = co_await resolver.async_resolve(authority.substr(0, colon), authority.substr(colon + 1),
                                                     asio::use_awaitable);
    co_await asio::async_connect(socket, endpoints, asio::use_awaitable);
    std::string request = "GET " + rest.substr(slash) + " HTTP/1.1\r\nHost: " + authority + "\r\nConnection: close\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
    asio::streambuf head;
    co_await asio::async_read_until(socket, head, "\r\n\r\n", asio::use_awaitable);
    std::istream lines(&head);
    answer a;
    std::getline(lines, a.status_line);
    for (std::string line; std::getline(lines, line) && line != "\r";)
        if (line.rfind("Location: ", 0) == 0 || line.rfind("location: ", 0) == 0)
            a.location = line.substr(10, line.size() - 11);
    co_return a;
}

// The person: opens the link (the emulator approves at once and redirects to the callback),
// then the callback, as their browser does.
asio::awaitable<void> open_in_browser(std::string link)
{
    auto consent = co_await browser_get(link);
    if (consent.location.empty())
        throw std::runtime_error("the link did not redirect: " + consent.status_line);
    (void)co_await browser_get(consent.location);
}

asio::awaitable<void> seed_flow(oauth2::web_server& web, oauth2::client& discord)
{
    oauth2::snowflake user(user_id);
    auto url = web.authorization_url(user, {oauth2::scope::identify, oauth2::scope::connections});
    asio::co_spawn(co_await asio::this_coro::executor, open_in_browser(url), asio::detached);
    auto result = co_await web.wait_for_access_token(user, url, 30s);
    if (!result)
        throw std::runtime_error("not authorized: " + result.description);
    auto connections = co_await discord.get_connections(result->token);
    // Many operations in flight at once, as a bot has: Asio's frame allocator then frees what
    // the other side allocated (under ASan a disagreement between the two is a mismatch).
    constexpr int in_flight = 64;
    int ended = 0;
    int failed = 0;
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer all_ended(executor, asio::steady_timer::time_point::max());
    for (int i = 0; i < in_flight; ++i)
        asio::co_spawn(executor, discord.get_current_user(result->token), [&](std::exception_ptr e, oauth2::user) {
            failed += e != nullptr;
            if (++ended == in_flight)
                all_ended.cancel();
        });
    std::error_code ignored;
    co_await all_ended.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (failed)
        throw std::runtime_error(std::to_string(failed) + " of the reads in flight failed");
    co_await web.revoke_access_token(user);
    std::cout << "consumer flow: " << connections.size() << " connections, revoked" << std::endl;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::cerr << "usage: consumer_flow EMULATOR_URL CALLBACK_PORT\n";
        return 2;
    }
    try {
        asio::io_context io;
        oauth2::client_config config;
        config.client_id = oauth2::snowflake(client_id);
        config.client_secret = oauth2::secret(client_secret);
        config.redirect_uri = std::string("http://127.0.0.1:") + argv[2] + "/callback";
        config.endpoints = oauth2::endpoints::under(argv[1]);
        oauth2::client discord(io.get_executor(), config);
        oauth2::web_server web(io.get_executor(), discord);
        web.start();
        std::exception_ptr failure;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            try {
                co_await seed_flow(web, discord);
            } catch (...) {
                failure = std::current_exception();
            }
            co_await web.stop();
        }, asio::detached);
        io.run();
        if (failure)
            std::rethrow_exception(failure);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "consumer flow: " << e.what() << "\n";
        return 1;
    }
}
