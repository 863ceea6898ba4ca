#include "server/response.hpp"
#include "server/server.hpp"
#include "support/raw_client.hpp"
#include "support/request_table.hpp"
#include "support/run.hpp"
#include "support/test_routes.hpp"
#include "tls/self_signed_certificate.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/write.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

namespace srv = discord::oauth2::server;
namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;
using asio::ip::tcp;

namespace {

asio::awaitable<void> write(test::connection& c, std::string_view bytes)
{
    co_await asio::async_write(c.socket, asio::buffer(bytes), asio::use_awaitable);
}

} // namespace

TEST_CASE("a response's head: its fields, its length, and no field that could split the block")
{
    auto page = srv::response::page(200, "<p>hi</p>");
    auto head = srv::serialize_head(page, true);
    CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(head.find("Content-Length: 9\r\n") != std::string::npos);
    CHECK(head.find("Connection: close") == std::string::npos);
    CHECK(head.ends_with("\r\n\r\n"));
    CHECK(srv::serialize_head(page, false).find("Connection: close\r\n") != std::string::npos);
    // A caller's own Content-Length or Connection never reaches the wire beside ours.
    auto own = srv::response::plain(200);
    own.fields.add("content-length", "999");
    own.fields.add("Connection", "upgrade");
    auto own_head = srv::serialize_head(own, true);
    CHECK(own_head.find("999") == std::string::npos);
    CHECK(own_head.find("upgrade") == std::string::npos);

    // Values made from request data: every byte that would end a line, or a name's colon, anywhere.
    const std::string_view breaks[] = {"\r", "\n", std::string_view("\0", 1)};
    for (auto bad : breaks)
        for (std::size_t at : {0, 3, 6}) {
            std::string value = "abcdef";
            value.insert(at, bad);
            auto r = srv::response::plain(200);
            r.fields.add("X-Echo", value);
            CHECK_THROWS_AS((void)srv::serialize_head(r, true), std::invalid_argument);
        }
    for (std::string_view name : {"X-A:b", "X-A\r", "\nX-A"}) {
        auto r = srv::response::plain(200);
        r.fields.add(name, "fine");
        CHECK_THROWS_AS((void)srv::serialize_head(r, true), std::invalid_argument);
    }
    auto colon_in_value = srv::response::plain(200);
    colon_in_value.fields.add("Location", "https://example.com:8443/a?b=c");
    CHECK(srv::serialize_head(colon_in_value, true).find("Location: https://example.com:8443/a?b=c\r\n")
          != std::string::npos);
}

TEST_CASE("every request of the table gets its status over a real socket, and errors close")
{
    asio::io_context io;
    srv::server server(io.get_executor(), test::test_routes());
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        for (const auto& c : test::request_table()) {
            CAPTURE(c.name);
            auto r = co_await test::exchange(server.port(), c.bytes);
            CHECK(r.status == c.status);
            if (c.status >= 400 && c.status != 404 && c.status != 405)
                CHECK(r.closed);
            if (c.status == 405)
                CHECK_FALSE(test::header_value(r.head, "allow").empty());
        }
        // Nothing of the request is echoed back in an error.
        auto r = co_await test::exchange(server.port(), "GET /%zz<script> HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(r.body.find("script") == std::string::npos);
    }());
}

TEST_CASE("keep-alive serves several requests on one connection, pipelined too")
{
    asio::io_context io;
    srv::server server(io.get_executor(), test::test_routes());
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto s = co_await test::connect(server.port());
        co_await write(s, "GET /items/1 HTTP/1.1\r\nHost: a\r\n\r\n");
        auto first = co_await test::read_response(s);
        CHECK(first.status == 200);
        CHECK(first.body == "1");
        CHECK_FALSE(first.closed);
        // Two requests in one write: both are answered, in order.
        co_await write(s, "GET /items/2 HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\n"
                          "Content-Length: 3\r\n\r\nabc");
        auto second = co_await test::read_response(s);
        auto third = co_await test::read_response(s);
        CHECK(second.body == "2");
        CHECK(third.body == "abc");
        // HTTP/1.0 closes after its answer.
        co_await write(s, "GET / HTTP/1.0\r\n\r\n");
        auto last = co_await test::read_response(s);
        CHECK(last.status == 200);
        CHECK(last.closed);
        CHECK(co_await test::wait_closed(s, 2000ms));
        CHECK(server.stats().accepted == 1);
        CHECK(server.stats().requests == 4);
    }());
}

TEST_CASE("Expect: 100-continue gets an interim answer before the body is sent")
{
    asio::io_context io;
    srv::server server(io.get_executor(), test::test_routes());
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto s = co_await test::connect(server.port());
        co_await write(s, "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        auto interim = co_await test::read_response(s);
        CHECK(interim.head == "HTTP/1.1 100 Continue");
        co_await write(s, "data");
        auto final = co_await test::read_response(s);
        CHECK(final.status == 200);
        CHECK(final.body == "data");
    }());
}

TEST_CASE("a client sending one byte at a time is dropped at the read timeout while others are served")
{
    asio::io_context io;
    srv::server_options options;
    options.limits.read_timeout = 1000ms;
    srv::server server(io.get_executor(), test::test_routes(), options);
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        const std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaaaaaa\r\n\r\n";
        auto slow = co_await test::connect(server.port());
        std::size_t sent = 0;
        bool stop_writing = false;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            for (char c : request) {
                if (stop_writing)
                    co_return;
                auto [ec, n] = co_await asio::async_write(
                    slow.socket, asio::buffer(&c, 1), asio::experimental::as_tuple(asio::use_awaitable));
                if (ec)
                    co_return;
                ++sent;
                co_await test::sleep(200ms);
            }
        }, asio::detached);

        // Meanwhile a normal client gets every answer.
        for (int i = 0; i < 10; ++i) {
            auto r = co_await test::exchange(server.port(), "GET /items/" + std::to_string(i)
                                                                  + " HTTP/1.1\r\nHost: a\r\n\r\n");
            CHECK(r.status == 200);
            CHECK(r.body == std::to_string(i));
            co_await test::sleep(50ms);
        }
        bool closed = co_await test::wait_closed(slow, 10s);
        stop_writing = true;
        CHECK(closed);
        CHECK(sent < request.size()); // dropped before its request could finish
    }());
}

TEST_CASE("a connection that says nothing is closed at the first-byte timeout, a kept-alive one at the idle timeout")
{
    asio::io_context io;
    srv::server_options options;
    options.limits.first_byte_timeout = 300ms;
    options.limits.idle_timeout = 600ms;
    srv::server server(io.get_executor(), test::test_routes(), options);
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto s = co_await test::connect(server.port());
        auto r = co_await test::read_response(s, 5000ms);
        CHECK(r.status == 0);
        CHECK(r.head.empty());
        CHECK(r.closed);
        CHECK(server.stats().active == 0);

        // After an answer the idle timeout applies: the connection is still open past the first-byte one.
        auto kept = co_await test::connect(server.port());
        co_await write(kept, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK((co_await test::read_response(kept)).status == 200);
        co_await test::sleep(400ms);
        co_await write(kept, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK((co_await test::read_response(kept)).status == 200);
        CHECK(co_await test::wait_closed(kept, 5000ms));
    }());
}

TEST_CASE("one peer address holds at most its share of connections; another peer and a trusted proxy are not held up")
{
    asio::io_context io;
    srv::server_options options;
    options.limits.max_connections_per_peer = 3;
    srv::server server(io.get_executor(), test::test_routes(), options);
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        std::vector<test::connection> held;
        for (int i = 0; i < 3; ++i)
            held.push_back(co_await test::connect(server.port()));
        co_await write(held[0], "GET / HTTP/1.1\r\nHost: a\r\n\r\n"); // all three accepted by now
        CHECK((co_await test::read_response(held[0])).status == 200);
        auto fourth = co_await test::connect(server.port());
        co_await write(fourth, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        auto over = co_await test::read_response(fourth);
        CHECK(over.status == 503);
        CHECK(server.stats().rejected_per_peer == 1);
        auto other = co_await test::connect_from("127.0.0.2", server.port());
        co_await write(other, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK((co_await test::read_response(other)).status == 200);
        // Room frees up when one of the three closes (the refused one, closed too, counted until then).
        held.pop_back();
        fourth.socket.close();
        co_await test::sleep(50ms);
        auto again = co_await test::connect(server.port());
        co_await write(again, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK((co_await test::read_response(again)).status == 200);
    }());

    srv::server_options proxied;
    proxied.limits.max_connections_per_peer = 2;
    proxied.limits.trusted_proxies = {"127.0.0.1"};
    srv::server behind(io.get_executor(), test::test_routes(), proxied);
    behind.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        std::vector<test::connection> many;
        for (int i = 0; i < 5; ++i) {
            many.push_back(co_await test::connect(behind.port()));
            co_await write(many.back(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            CHECK((co_await test::read_response(many.back())).status == 200);
        }
        CHECK(behind.stats().rejected == 0);
    }());
    srv::server_options bad;
    bad.limits.trusted_proxies = {"proxy.example"};
    srv::server refused(io.get_executor(), test::test_routes(), bad);
    CHECK_THROWS_AS(refused.start(), discord::oauth2::error);
}

TEST_CASE("a request's peer: the TCP peer, or behind a trusted proxy the client its X-Forwarded-For names")
{
    asio::io_context io;
    auto echo_peer = [] {
        srv::router r;
        r.add("GET", "/peer", [](srv::request& req) -> asio::awaitable<srv::response> {
            co_return srv::response::with_body(200, "text/plain", req.peer.to_string());
        });
        return r;
    };
    srv::server_options proxied;
    proxied.limits.trusted_proxies = {"127.0.0.1", "::1"};
    srv::server server(io.get_executor(), echo_peer(), proxied);
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto peer_of = [&](std::string from, std::string forwarded) -> asio::awaitable<std::string> {
            auto c = co_await test::connect_from(from, server.port());
            std::string request = "GET /peer HTTP/1.1\r\nHost: a\r\n";
            // One field, or several when separated by a newline (as a proxy adds its own).
            for (std::size_t at = 0; !forwarded.empty() && at != std::string::npos;) {
                auto nl = forwarded.find('\n', at);
                request += "X-Forwarded-For: " + forwarded.substr(at, nl == std::string::npos ? nl : nl - at) + "\r\n";
                at = nl == std::string::npos ? nl : nl + 1;
            }
            co_await write(c, request + "\r\n");
            auto r = co_await test::read_response(c);
            co_return r.body;
        };
        // A client that is no proxy says what it likes: its own address counts.
        auto p1 = co_await peer_of("127.0.0.2", "203.0.113.7");
        CHECK(p1 == "127.0.0.2");
        // The trusted proxy: the last entry that is not a trusted proxy; what the client wrote
        // before it does not count.
        auto p2 = co_await peer_of("127.0.0.1", "");
        CHECK(p2 == "127.0.0.1");
        auto p3 = co_await peer_of("127.0.0.1", "6.6.6.6, 203.0.113.7");
        CHECK(p3 == "203.0.113.7");
        auto p4 = co_await peer_of("127.0.0.1", "203.0.113.7,127.0.0.1");
        CHECK(p4 == "203.0.113.7");
        auto p5 = co_await peer_of("127.0.0.1", "not-an-address, 2001:db8::7");
        CHECK(p5 == "2001:db8::7");
        // Something the proxy did not write at the end: the proxy itself, not a guess.
        auto p6 = co_await peer_of("127.0.0.1", "203.0.113.7, garbage");
        CHECK(p6 == "127.0.0.1");
        auto p7 = co_await peer_of("127.0.0.1", ", ");
        CHECK(p7 == "127.0.0.1");
        // The client's own field first, the proxy's added after it: the proxy's counts.
        auto p8 = co_await peer_of("127.0.0.1", "6.6.6.6\n203.0.113.9");
        CHECK(p8 == "203.0.113.9");
        auto p9 = co_await peer_of("127.0.0.1", "6.6.6.6, 203.0.113.9\n127.0.0.1");
        CHECK(p9 == "203.0.113.9");
        // The unspecified address is nobody: the proxy counts, rather than no limit at all.
        auto p10 = co_await peer_of("127.0.0.1", "0.0.0.0");
        CHECK(p10 == "127.0.0.1");
        auto p11 = co_await peer_of("127.0.0.1", "::");
        CHECK(p11 == "127.0.0.1");
    }());
}

TEST_CASE("connections over the cap are answered 503 and closed; room frees up again")
{
    asio::io_context io;
    srv::server_options options;
    options.limits.max_connections = 2;
    srv::server server(io.get_executor(), test::test_routes(), options);
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto a = co_await test::connect(server.port());
        auto b = co_await test::connect(server.port());
        co_await write(a, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"); // make sure both are accepted
        CHECK((co_await test::read_response(a)).status == 200);
        auto over = co_await test::exchange(server.port(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(over.status == 503);
        CHECK(over.closed);
        CHECK(server.stats().rejected == 1);

        b.socket.close();
        for (int i = 0; i < 50 && server.stats().active > 1; ++i)
            co_await test::sleep(20ms);
        auto again = co_await test::exchange(server.port(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(again.status == 200);
    }());
}

TEST_CASE("listens on IPv4 and IPv6 on the same ephemeral port")
{
    asio::io_context io;
    srv::server_options options;
    options.addresses = {"127.0.0.1", "::1"};
    srv::server server(io.get_executor(), test::test_routes(), options);
    server.start();
    REQUIRE(server.port() != 0);
    auto endpoints = server.local_endpoints();
    REQUIRE(endpoints.size() == 2);
    CHECK(endpoints[0].port() == endpoints[1].port());
    CHECK(endpoints[1].address().is_v6());
    test::run(io, [&]() -> asio::awaitable<void> {
        auto v4 = co_await test::connect(server.port(), "127.0.0.1");
        auto v6 = co_await test::connect(server.port(), "::1");
        co_await write(v4, "GET /items/4 HTTP/1.1\r\nHost: a\r\n\r\n");
        co_await write(v6, "GET /items/6 HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK((co_await test::read_response(v4)).body == "4");
        CHECK((co_await test::read_response(v6)).body == "6");
    }());
}

TEST_CASE("a failing route answers 500 without its exception text; header injection is refused")
{
    asio::io_context io;
    srv::server server(io.get_executor(), test::test_routes());
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto boom = co_await test::exchange(server.port(), "GET /boom HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(boom.status == 500);
        CHECK(boom.body.find("secret") == std::string::npos);
        auto inject = co_await test::exchange(server.port(), "GET /inject HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(inject.status == 500);
        CHECK(inject.head.find("evil") == std::string::npos);
    }());
}

TEST_CASE("stop closes the listener and every connection")
{
    asio::io_context io;
    srv::server server(io.get_executor(), test::test_routes());
    server.start();
    auto port = server.port();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto s = co_await test::connect(port);
        co_await write(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK((co_await test::read_response(s)).status == 200);
        server.stop();
        CHECK(co_await test::wait_closed(s, 2000ms));
        tcp::socket again(io);
        auto [ec] = co_await again.async_connect({asio::ip::make_address("127.0.0.1"), port},
                                                 asio::experimental::as_tuple(asio::use_awaitable));
        CHECK(ec == asio::error::connection_refused);
    }());
}

TEST_CASE("start reports unusable addresses, busy ports and bad TLS files clearly")
{
    asio::io_context io;
    {
        srv::server_options options;
        options.addresses = {"not-an-ip"};
        srv::server server(io.get_executor(), test::test_routes(), options);
        CHECK_THROWS_AS(server.start(), oauth2::error);
        try {
            server.start();
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::invalid_argument);
            CHECK(std::string(e.what()).find("not-an-ip") != std::string::npos);
        }
    }
    srv::server first(io.get_executor(), test::test_routes());
    first.start();
    {
        srv::server_options options;
        options.port = first.port();
        srv::server second(io.get_executor(), test::test_routes(), options);
        try {
            second.start();
            FAIL("a busy port was bound twice");
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::address_in_use);
            CHECK(e.code() == std::errc::address_in_use);
        }
    }
    {
        srv::server_options options;
        options.tls = srv::tls_files{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
        srv::server tls(io.get_executor(), test::test_routes(), options);
        try {
            tls.start();
            FAIL("missing certificate files were accepted");
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::invalid_argument);
            CHECK(std::string(e.what()).find("/nonexistent/cert.pem") != std::string::npos);
        }
    }
}

TEST_CASE("a server on a multi-threaded io_context serves concurrent clients")
{
    asio::io_context pool(4);
    srv::server_options options;
    options.limits.max_connections_per_peer = 0; // 200 clients on one address
    srv::server server(pool.get_executor(), test::test_routes(), options);
    server.start();
    auto guard = asio::make_work_guard(pool);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] { pool.run(); });

    asio::io_context io;
    int correct = 0;
    int finished = 0;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < 200; ++i)
            asio::co_spawn(ex, [&, i]() -> asio::awaitable<void> {
                auto id = std::to_string(i);
                auto r = co_await test::exchange(server.port(), "GET /items/" + id + " HTTP/1.1\r\nHost: a\r\n\r\n");
                if (r.status == 200 && r.body == id)
                    ++correct;
                ++finished;
            }, asio::detached);
        while (finished < 200)
            co_await test::sleep(5ms);
    }());
    server.stop();
    guard.reset();
    for (auto& t : threads)
        t.join();
    CHECK(correct == 200);
}

TEST_CASE("the connection cap holds for a burst of connections accepted together")
{
    asio::io_context io;
    srv::server_options options;
    options.limits.max_connections = 4;
    srv::server server(io.get_executor(), test::test_routes(), options);
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        std::vector<test::connection> burst;
        for (int i = 0; i < 20; ++i)
            burst.push_back(co_await test::connect(server.port()));
        int served = 0;
        int refused = 0;
        for (auto& c : burst) {
            co_await write(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            auto r = co_await test::read_response(c);
            served += r.status == 200;
            refused += r.status == 503;
        }
        CHECK(served == 4);
        CHECK(refused == 16);
    }());
}

TEST_CASE("a client that stops reading is dropped at the write timeout")
{
    asio::io_context io;
    srv::server_options options;
    options.limits.write_timeout = 300ms;
    srv::server server(io.get_executor(), test::test_routes(), options);
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto c = co_await test::connect(server.port());
        // 64 MB cannot fit in the socket buffers: the server's write blocks until the deadline.
        co_await write(c, "GET /big?bytes=64000000 HTTP/1.1\r\nHost: a\r\n\r\n");
        for (int i = 0; i < 50 && server.stats().active == 0; ++i)
            co_await test::sleep(10ms);
        CHECK(server.stats().active == 1);
        for (int i = 0; i < 500 && server.stats().active > 0; ++i)
            co_await test::sleep(10ms);
        CHECK(server.stats().active == 0);
    }());
}

TEST_CASE("simulated network failures: a reset without an answer, a truncated body")
{
    asio::io_context io;
    srv::server server(io.get_executor(), test::test_routes());
    server.start();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto reset = co_await test::exchange(server.port(), "GET /reset HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(reset.status == 0);
        CHECK(reset.head.empty());
        CHECK(reset.closed);
        auto truncated = co_await test::exchange(server.port(), "GET /truncate HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(truncated.status == 200);
        CHECK(test::header_value(truncated.head, "content-length") == "100");
        CHECK(truncated.body.size() == 50);
    }());
}
