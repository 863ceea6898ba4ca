// libFuzzer target for the server core's connection loop: the fuzzed bytes are what a client
// sends on one connection (pipelined requests, Expect: 100-continue, oversized parts), then it
// closes its side. The server answers each complete request in order, never crashes, never
// answers anything but a well-formed status line, and closes after an error.
#include "fuzz_check.hpp"
#include "server/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace srv = discord::oauth2::server;
using fuzz::check;
using asio::ip::tcp;

namespace {

struct world {
    asio::io_context io{1};
    std::unique_ptr<srv::server> server;

    world()
    {
        srv::router routes;
        routes.add("GET", "/", [](srv::request&) -> asio::awaitable<srv::response> {
            co_return srv::response::with_body(200, "text/plain", "ok");
        });
        routes.add("POST", "/echo", [](srv::request& r) -> asio::awaitable<srv::response> {
            co_return srv::response::with_body(200, "application/octet-stream", r.body);
        });
        routes.add("GET", "/items/{id}", [](srv::request& r) -> asio::awaitable<srv::response> {
            co_return srv::response::with_body(200, "text/plain", std::string(r.path_param("id").value_or("")));
        });
        srv::server_options o;
        o.limits.max_body = 1024;
        o.limits.max_header_bytes = 2048;
        o.limits.max_request_line = 512;
        o.limits.first_byte_timeout = std::chrono::milliseconds(500);
        o.limits.read_timeout = std::chrono::milliseconds(500);
        server = std::make_unique<srv::server>(io.get_executor(), std::move(routes), o);
        server->start();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static world w;
    std::string sent(reinterpret_cast<const char*>(data), size);
    std::string received;
    bool done = false;
    asio::co_spawn(w.io, [&]() -> asio::awaitable<void> {
        constexpr auto tuple = asio::experimental::as_tuple(asio::use_awaitable);
        tcp::socket s(w.io);
        auto [ec] = co_await s.async_connect({asio::ip::make_address("127.0.0.1"), w.server->port()}, tuple);
        check(!ec);
        (void)co_await asio::async_write(s, asio::buffer(sent), tuple);
        std::error_code ignored;
        s.shutdown(tcp::socket::shutdown_send, ignored); // the client is done: the server must finish
        char buf[4096];
        for (;;) {
            auto [rec, n] = co_await s.async_read_some(asio::buffer(buf), tuple);
            received.append(buf, n);
            if (rec)
                break;
        }
        done = true;
    }, [](std::exception_ptr e) {
        check(!e);
        w.io.stop();
    });
    w.io.restart();
    w.io.run_for(std::chrono::seconds(5));
    check(done); // the server closed the connection after the client's end
    // What comes back is our answers, each starting with a status line of ours.
    check(received.empty() || received.starts_with("HTTP/1.1 "));
    return 0;
}
