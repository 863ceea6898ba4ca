// The demo, for now: the HTTP client talking to the server core over loopback, plain and TLS.
// The web-server issue turns it into the seed document's whole OAuth2 scenario.
#include "http/client.hpp"
#include "server/server.hpp"
#include "tls/self_signed_certificate.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

namespace http = discord::oauth2::http;
namespace srv = discord::oauth2::server;

namespace {

srv::router demo_routes()
{
    srv::router routes;
    routes.add("GET", "/hello", [](srv::request& req) -> asio::awaitable<srv::response> {
        auto name = req.query_param("name").value_or("world");
        co_return srv::response::with_body(200, "application/json", fmt::format(R"({{"hello":"{}"}})", name));
    });
    routes.add("POST", "/echo", [](srv::request& req) -> asio::awaitable<srv::response> {
        co_return srv::response::with_body(200, "text/plain", req.body);
    });
    return routes;
}

asio::awaitable<void> talk(http::client& client, const std::string& base, int& failures)
{
    auto show = [](const char* what, const http::response& r) {
        auto body = r.body.view();
        while (!body.empty() && body.back() == '\n')
            body.remove_suffix(1);
        fmt::print("  {:<28} -> {} (HTTP/{}.{}) {}\n", what, r.status, r.version / 10, r.version % 10, body);
    };
    // Requests are named variables: g++ 12 miscompiles brace-initialised temporaries inside a
    // co_await expression (see docs/compilers.md).
    http::request hello{.method = "GET", .url = base + "/hello?name=bot"};
    show("GET /hello?name=bot", co_await client.send(std::move(hello)));
    http::request echo{.method = "POST", .url = base + "/echo", .body = "ping"};
    show("POST /echo", co_await client.send(std::move(echo)));
    http::request missing{.method = "GET", .url = base + "/missing"};
    show("GET /missing", co_await client.send(std::move(missing)));
    http::request wrong_method{.method = "DELETE", .url = base + "/hello"};
    auto bad = co_await client.send(std::move(wrong_method));
    fmt::print("  {:<28} -> {} Allow: {}\n", "DELETE /hello", bad.status, bad.fields.find("allow").value_or("?"));
    if (bad.status != 405)
        ++failures;
}

} // namespace

int main()
{
    try {
        asio::io_context io(1);
        int failures = 0;

        srv::server plain(io.get_executor(), demo_routes());
        plain.start();

        auto dir = std::filesystem::temp_directory_path() / fmt::format("discord-oauth2-demo-{}", ::getpid());
        std::filesystem::create_directories(dir);
        auto cert = discord::oauth2::tls::write_self_signed_certificate(dir.string());
        srv::server_options tls_options;
        tls_options.tls = srv::tls_files{cert.certificate_file, cert.private_key_file};
        srv::server secure(io.get_executor(), demo_routes(), tls_options);
        secure.start();

        http::client_options client_options{.ca_file = cert.certificate_file};
        http::client client(io.get_executor(), client_options);
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            fmt::print("server core on http://127.0.0.1:{}\n", plain.port());
            co_await talk(client, fmt::format("http://127.0.0.1:{}", plain.port()), failures);
            fmt::print("server core on https://127.0.0.1:{} (self-signed, trusted through the CA file)\n",
                       secure.port());
            co_await talk(client, fmt::format("https://127.0.0.1:{}", secure.port()), failures);
            fmt::print("connections opened by the client: {}\n", client.connections_opened());
            plain.stop();
            secure.stop();
        }, [&](std::exception_ptr e) {
            if (e)
                std::rethrow_exception(e);
        });
        io.run();
        std::filesystem::remove_all(dir);
        return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    } catch (const std::exception& e) {
        fmt::print(stderr, "demo failed: {}\n", e.what());
        return EXIT_FAILURE;
    }
}
