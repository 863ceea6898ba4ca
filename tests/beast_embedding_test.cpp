// The callback served by a Boost.Beast server the bot already runs on its Boost io_context
// (web_server_config::listen false, web_server::handle_request through the Boost adapter), as
// docs/web-server.md shows it, against the emulator: the browser is redirected to Beast's port,
// Beast hands the request over, the bot's waiter gets the token.
#include <discord/oauth2/boost.hpp> // first: before any other Boost.Asio header

#include "support/authorize.hpp"
#include "support/boost_fixture.hpp"

#include <discord/oauth2.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>

#include <doctest/doctest.h>

#include <future>
#include <memory>
#include <string>

namespace oauth2 = discord::oauth2;
namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

const oauth2::snowflake nelly{80351110224678912ULL}; // the emulator's first user

// What the bot's Beast server does with a request on one of the library's paths: hand it over
// as it came, send back what the library answers.
boost::asio::awaitable<beast::http::response<beast::http::string_body>>
to_library(oauth2::boost_bridge& on_io, oauth2::web_server& web, const beast::http::request<beast::http::string_body>& req)
{
    oauth2::incoming_request in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    for (const auto& field : req)
        in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    in.body = req.body();
    auto out = co_await on_io(web.handle_request(std::move(in)));
    beast::http::response<beast::http::string_body> res{static_cast<beast::http::status>(out.status), req.version()};
    for (const auto& [name, value] : out.headers)
        res.insert(name, value);
    res.body() = std::move(out.body);
    res.prepare_payload();
    co_return res;
}

// The bot's HTTP server: its own routes, and the library's paths handed over. One request a
// connection, so that the test's io_context runs out of work once the acceptor closes.
boost::asio::awaitable<void> serve_one(oauth2::boost_bridge& on_io, oauth2::web_server& web, tcp::socket socket)
{
    beast::flat_buffer buffer;
    beast::http::request<beast::http::string_body> req;
    beast::error_code ec;
    co_await beast::http::async_read(socket, buffer, req, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec)
        co_return;
    beast::http::response<beast::http::string_body> res;
    if (web.handles(std::string(req.method_string()), std::string(req.target()))) {
        res = co_await to_library(on_io, web, req);
    } else {
        res = {beast::http::status::ok, req.version()};
        res.set(beast::http::field::content_type, "text/plain");
        res.body() = "the bot's own page";
        res.prepare_payload();
    }
    res.keep_alive(false);
    co_await beast::http::async_write(socket, res, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

boost::asio::awaitable<void> accept_loop(oauth2::boost_bridge& on_io, oauth2::web_server& web, tcp::acceptor& acceptor)
{
    for (;;) {
        beast::error_code ec;
        auto socket = co_await acceptor.async_accept(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (ec)
            co_return;
        boost::asio::co_spawn(acceptor.get_executor(), serve_one(on_io, web, std::move(socket)), boost::asio::detached);
    }
}

} // namespace

TEST_CASE("behind Boost.Beast: the browser reaches Beast, Beast hands the callback over, the bot gets the token")
{
    test::boost_fixture f(false); // Beast listens, on the redirect URI's port
    CHECK(f.web.port() == 0);
    tcp::acceptor acceptor(f.app, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), f.port));
    std::size_t count = 0;
    int page_status = 0;
    f.run([&]() -> boost::asio::awaitable<void> {
        boost::asio::co_spawn(f.app, accept_loop(f.on_io, f.web, acceptor), boost::asio::detached);
        auto url = f.web.authorization_url(nelly, {oauth2::scope::identify, oauth2::scope::connections});
        // The person's browser, on the library's io thread: the emulator's consent, then the
        // redirect to Beast's port.
        auto browsing = std::make_shared<std::future<int>>(
            asio::co_spawn(f.on_io.get_executor(), test::consent_as(f.browser, url, nelly), asio::use_future));
        auto result = co_await f.on_io(f.web.wait_for_access_token(nelly, url, 1min));
        REQUIRE(result);
        auto connections = co_await f.on_io(f.client.get_connections(result->token));
        count = connections.size();
        // The page reaches the browser after the waiter woke: wait for it without blocking Beast.
        boost::asio::steady_timer tick(f.app);
        for (int i = 0; i < 1000 && browsing->wait_for(std::chrono::seconds(0)) != std::future_status::ready; ++i) {
            tick.expires_after(std::chrono::milliseconds(10));
            co_await tick.async_wait(boost::asio::use_awaitable);
        }
        page_status = browsing->get();
        acceptor.close(); // the accept loop ends: the application's io_context runs out of work
    }());
    CHECK(page_status == 200);
    CHECK(count == 5);
}
