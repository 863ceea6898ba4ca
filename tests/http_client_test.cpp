#include "http/client.hpp"
#include "server/server.hpp"
#include "support/run.hpp"
#include "support/test_routes.hpp"
#include "tls/self_signed_certificate.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

namespace http = discord::oauth2::http;
namespace srv = discord::oauth2::server;
namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;
using asio::ip::tcp;

namespace {

struct fixture {
    asio::io_context io;
    srv::server server;
    std::string base;

    // A hint of 1 promises one thread, and the client and server then run without a strand.
    explicit fixture(srv::server_options options = {}, int concurrency_hint = ASIO_CONCURRENCY_HINT_DEFAULT)
        : io(concurrency_hint), server(io.get_executor(), test::test_routes(), one_peer(std::move(options)))
    {
        server.start();
        base = "http://127.0.0.1:" + std::to_string(server.port());
    }

    // Every client here is one peer (127.0.0.1) opening many connections: no per-peer cap.
    static srv::server_options one_peer(srv::server_options o)
    {
        o.limits.max_connections_per_peer = 0;
        return o;
    }
};

http::request get(std::string url)
{
    http::request r;
    r.url = std::move(url);
    return r;
}


// A port nothing listens on: bound, then released.
std::uint16_t closed_port()
{
    asio::io_context io;
    tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

} // namespace

TEST_CASE("GET, POST and other methods return status, headers and a padded body")
{
    fixture f;
    http::client client(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto root = co_await client.send(get(f.base + "/"));
        CHECK(root.status == 200);
        CHECK(root.version == 11);
        CHECK(root.body.view() == "root");
        CHECK(root.fields.find("CONTENT-TYPE") == "text/plain");
        CHECK(root.fields.find("content-length") == "4");
        // simdjson may read past the end: the padding is there and zeroed.
        CHECK(root.body.capacity() >= root.body.size() + http::padded_buffer::padding);
        for (std::size_t i = 0; i < http::padded_buffer::padding; ++i)
            CHECK(root.body.data()[root.body.size() + i] == '\0');

        http::request echo;
        echo.method = "POST";
        echo.url = f.base + "/echo";
        echo.fields.add("Content-Type", "application/x-www-form-urlencoded");
        echo.body = "grant_type=authorization_code&code=abc";
        auto posted = co_await client.send(std::move(echo));
        CHECK(posted.status == 200);
        CHECK(posted.body.view() == "grant_type=authorization_code&code=abc");
        CHECK(posted.fields.find("content-type") == "application/x-www-form-urlencoded");

        for (const char* method : {"PUT", "DELETE", "PATCH"}) {
            http::request r;
            r.method = method;
            r.url = f.base + "/method";
            r.body = method == std::string("DELETE") ? "" : "{}";
            auto expected = std::string(method) + ":" + r.body;
            auto resp = co_await client.send(std::move(r));
            CHECK(resp.status == 200);
            CHECK(resp.body.view() == expected);
        }

        http::request head;
        head.method = "HEAD";
        head.url = f.base + "/";
        auto headed = co_await client.send(std::move(head));
        CHECK(headed.status == 200);
        CHECK(headed.body.empty());

        http::request with_header = get(f.base + "/headers");
        with_header.fields.add("X-Test", "value 1");
        auto echoed = co_await client.send(std::move(with_header));
        CHECK(echoed.fields.find("x-echo") == "value 1");
        CHECK(echoed.fields.find("x-mixed-case") == "yes");
        CHECK(echoed.fields.count("X-TWICE") == 2);

        auto missing = co_await client.send(get(f.base + "/nope"));
        CHECK(missing.status == 404);
        http::request wrong;
        wrong.method = "DELETE";
        wrong.url = f.base + "/";
        auto not_allowed = co_await client.send(std::move(wrong));
        CHECK(not_allowed.status == 405);
        CHECK(not_allowed.fields.find("allow") == "GET, HEAD");
    }());
}

TEST_CASE("a shared request is sent again without a copy and stays as it was")
{
    fixture f;
    http::client client(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto echo = std::make_shared<http::request>();
        echo->method = "POST";
        echo->url = f.base + "/echo";
        echo->fields.add("Content-Type", "application/x-www-form-urlencoded");
        echo->body = "token=abc";
        std::shared_ptr<const http::request> shared = echo;
        for (int attempt = 0; attempt < 3; ++attempt) {
            auto posted = co_await client.send(shared);
            CHECK(posted.status == 200);
            CHECK(posted.body.view() == "token=abc");
        }
        CHECK(shared->body == "token=abc");
        CHECK(shared->fields.find("content-type") == "application/x-www-form-urlencoded");
        CHECK(shared.use_count() == 2); // the transfers let go of it once complete

        std::shared_ptr<const http::request> none;
        auto e = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await client.send(none); });
        CHECK(e.code() == oauth2::errc::invalid_argument);
    }());
}

TEST_CASE("every header field is sent, as many and as long as there are")
{
    // The transfer keeps a few short lines in place and the rest on the heap: both are sent.
    fixture f;
    http::client client(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        for (int count : {1, 4, 5, 12}) {
            for (std::size_t length : {std::size_t{3}, std::size_t{150}, std::size_t{1000}}) {
                for (bool post : {false, true}) {
                    http::request r = get(f.base + "/fields");
                    std::string expected;
                    for (int i = 0; i < count; ++i) {
                        auto name = "X-Field-" + std::to_string(i);
                        auto value = std::string(length, static_cast<char>('a' + i));
                        r.fields.add(name, value);
                        expected += name + ": " + value + "\n";
                    }
                    if (post) {
                        r.method = "POST";
                        r.body = "a=1";
                    }
                    auto answer = co_await client.send(std::move(r));
                    CHECK(answer.status == 200);
                    CHECK(answer.body.view() == expected);
                }
            }
        }
    }());
}

TEST_CASE("no Expect: 100-continue wait, for small bodies and for bodies past curl's threshold")
{
    srv::server_options options;
    options.limits.max_body = 2 * 1024 * 1024;
    fixture f(options);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        http::client client(f.io.get_executor());
        // A token form's size, under the 1 KiB where the client leaves the header list alone,
        // and one past libcurl's 1 MiB, where it adds "Expect:" to keep curl from asking.
        for (std::size_t size : {std::size_t{200}, std::size_t{1024}, std::size_t{1536 * 1024}}) {
            http::request post;
            post.method = "POST";
            post.url = f.base + "/echo";
            post.body.assign(size, 'x');
            auto echoed = co_await client.send(std::move(post));
            CHECK(echoed.status == 200);
            CHECK(echoed.body.size() == size);
            CHECK_FALSE(echoed.fields.find("x-expect"));
        }
        // A caller's own Expect field is sent as it is.
        http::request asking;
        asking.method = "POST";
        asking.url = f.base + "/echo";
        asking.body.assign(2000, 'y');
        asking.fields.add("Expect", "100-continue");
        auto answered = co_await client.send(std::move(asking));
        CHECK(answered.status == 200);
        CHECK(answered.fields.find("x-expect") == "100-continue");
    }());
}

TEST_CASE("connections are reused across sequential requests")
{
    fixture f;
    http::client client(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 25; ++i) {
            auto r = co_await client.send(get(f.base + "/items/" + std::to_string(i)));
            CHECK(r.body.view() == std::to_string(i));
        }
        CHECK(f.server.stats().accepted == 1);
        CHECK(client.connections_opened() == 1);
    }());
}

TEST_CASE("1,000 concurrent requests complete on one thread, each with its own answer")
{
    srv::server_options options;
    options.limits.max_connections = 2000;
    options.limits.max_connections_per_peer = 0;
    fixture f(options, 1);
    http::client client(f.io.get_executor());
    constexpr int count = 1000;
    int correct = 0;
    int finished = 0;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < count; ++i)
            asio::co_spawn(ex, [&, i]() -> asio::awaitable<void> {
                auto r = co_await client.send(get(f.base + "/search?q=" + std::to_string(i)));
                if (r.status == 200 && r.body.view() == std::to_string(i))
                    ++correct;
                ++finished;
            }, asio::detached);
        while (finished < count)
            co_await test::sleep(10ms);
    }());
    CHECK(correct == count);
    CHECK(f.server.stats().requests == count);
}

TEST_CASE("a request can be cancelled mid-transfer through its cancellation slot")
{
    fixture f;
    http::client client(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::cancellation_signal signal;
        std::exception_ptr outcome;
        bool done = false;
        asio::co_spawn(ex, client.send(get(f.base + "/slow?ms=5000")),
                       asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, http::response) {
                           outcome = e;
                           done = true;
                       }));
        co_await test::sleep(200ms);
        CHECK_FALSE(done);
        signal.emit(asio::cancellation_type::terminal);
        for (int i = 0; i < 100 && !done; ++i)
            co_await test::sleep(5ms);
        REQUIRE(done); // long before the server's 5 s answer
        REQUIRE(outcome);
        try {
            std::rethrow_exception(outcome);
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::cancelled);
            CHECK(e.code() == std::errc::operation_canceled);
        }
        // The client is still usable, and `||` cancels the loser the same way.
        using namespace asio::experimental::awaitable_operators;
        asio::steady_timer timer(ex, 100ms);
        auto winner = co_await (client.send(get(f.base + "/slow?ms=5000")) || timer.async_wait(asio::use_awaitable));
        CHECK(winner.index() == 1);
        auto after = co_await client.send(get(f.base + "/"));
        CHECK(after.status == 200);
    }());
}

TEST_CASE("a request that outlives its timeout fails with timeout")
{
    fixture f;
    http::client client(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto e = co_await test::expect_error([&]() -> asio::awaitable<void> {
            auto r = get(f.base + "/slow?ms=3000");
            r.timeout = 200ms;
            co_await client.send(std::move(r));
        });
        CHECK(e.code() == oauth2::errc::timeout);
        CHECK(e.code() == std::errc::timed_out);
        CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
        CHECK(std::string(e.what()).find("/slow") == std::string::npos); // no path: it may hold secrets
    }());
}

TEST_CASE("responses over the size limit fail instead of being truncated")
{
    fixture f;
    http::client_options options;
    options.max_response_bytes = 1000;
    http::client client(f.io.get_executor(), options);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto fits = co_await client.send(get(f.base + "/big?bytes=1000"));
        CHECK(fits.body.size() == 1000);
        auto e = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await client.send(get(f.base + "/big?bytes=5000"));
        });
        CHECK(e.code() == oauth2::errc::response_too_large);
        CHECK(std::string(e.what()).find("1000") != std::string::npos);

        // Without Content-Length the limit is enforced while the body streams in.
        tcp::acceptor raw(f.io, {asio::ip::make_address("127.0.0.1"), 0});
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            auto s = co_await raw.async_accept(asio::use_awaitable);
            char buf[4096];
            co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
            std::string answer = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(5000, 'y');
            co_await asio::async_write(s, asio::buffer(answer), asio::use_awaitable);
        }, asio::detached);
        auto streamed = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await client.send(get("http://127.0.0.1:" + std::to_string(raw.local_endpoint().port()) + "/"));
        });
        CHECK(streamed.code() == oauth2::errc::response_too_large);
    }());
}

TEST_CASE("refused connections, bad URLs and bad headers fail with their own codes")
{
    fixture f;
    http::client client(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto refused = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await client.send(get("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
        });
        CHECK(refused.code() == oauth2::errc::connection_refused);
        CHECK(refused.code() == std::errc::connection_refused);

        auto scheme = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await client.send(get("ftp://127.0.0.1/file"));
        });
        CHECK(scheme.code() == oauth2::errc::invalid_url);

        auto injected = co_await test::expect_error([&]() -> asio::awaitable<void> {
            auto r = get(f.base + "/");
            r.fields.add("X-Evil", "a\r\nHost: other");
            co_await client.send(std::move(r));
        });
        CHECK(injected.code() == oauth2::errc::invalid_argument);

        auto bad_name = co_await test::expect_error([&]() -> asio::awaitable<void> {
            auto r = get(f.base + "/");
            r.fields.add("Bad Name", "x");
            co_await client.send(std::move(r));
        });
        CHECK(bad_name.code() == oauth2::errc::invalid_argument);

        // A lone CR, a lone LF or a NUL anywhere in a value; a byte outside a token in a name or
        // the method: each refused before anything is sent.
        for (std::string value : {std::string("a\nb"), std::string("a\rb"), std::string("a\0b", 3), std::string("\n")}) {
            auto e = co_await test::expect_error([&]() -> asio::awaitable<void> {
                auto r = get(f.base + "/");
                r.fields.add("X-Value", value);
                co_await client.send(std::move(r));
            });
            CHECK(e.code() == oauth2::errc::invalid_argument);
        }
        for (std::string name : {std::string("X-\xC3\xA9"), std::string("X:Y"), std::string("")}) {
            auto e = co_await test::expect_error([&]() -> asio::awaitable<void> {
                auto r = get(f.base + "/");
                r.fields.add(name, "v");
                co_await client.send(std::move(r));
            });
            CHECK(e.code() == oauth2::errc::invalid_argument);
        }
        auto bad_method = co_await test::expect_error([&]() -> asio::awaitable<void> {
            auto r = get(f.base + "/");
            r.method = "G ET";
            co_await client.send(std::move(r));
        });
        CHECK(bad_method.code() == oauth2::errc::invalid_argument);
        auto fine = get(f.base + "/");
        fine.fields.add("X-Ok_1.~!#$%&'*+^`|", "any text\tat all");
        CHECK((co_await client.send(std::move(fine))).status == 200);

        // User info never reaches a message.
        auto secret = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await client.send(get("http://user:hunter2@127.0.0.1:" + std::to_string(closed_port()) + "/"));
        });
        CHECK(std::string(secret.what()).find("hunter2") == std::string::npos);
    }());
}

TEST_CASE("TLS: verified with the CA file, refused without it")
{
    auto dir = std::filesystem::temp_directory_path() / ("discord-oauth2-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto cert = discord::oauth2::tls::write_self_signed_certificate(dir.string());
    srv::server_options options;
    options.tls = srv::tls_files{cert.certificate_file, cert.private_key_file};
    fixture f(options);
    auto base = "https://127.0.0.1:" + std::to_string(f.server.port());
    auto by_name = "https://localhost:" + std::to_string(f.server.port());

    http::client_options trusted_options;
    trusted_options.ca_file = cert.certificate_file;
    http::client trusted(f.io.get_executor(), trusted_options);
    http::client untrusted(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto r = co_await trusted.send(get(base + "/items/7"));
        CHECK(r.status == 200);
        CHECK(r.body.view() == "7");
        auto again = co_await trusted.send(get(by_name + "/items/8"));
        CHECK(again.body.view() == "8");
        for (int i = 0; i < 5; ++i)
            CHECK((co_await trusted.send(get(base + "/"))).status == 200);
        CHECK(trusted.connections_opened() == 2); // one per host name, then reused

        auto e = co_await test::expect_error([&]() -> asio::awaitable<void> { co_await untrusted.send(get(base + "/")); });
        CHECK(e.code() == oauth2::errc::tls_error);
        CHECK(std::string(e.what()).find("CA file") != std::string::npos);
        // Verification can be turned off, for throwaway local setups only.
        http::client_options insecure_options;
        insecure_options.verify_tls = false;
        http::client insecure(f.io.get_executor(), insecure_options);
        CHECK((co_await insecure.send(get(base + "/items/9"))).body.view() == "9");
    }());
    std::filesystem::remove_all(dir);
}

TEST_CASE("a client on a multi-threaded io_context keeps its state on its strand")
{
    fixture f;
    asio::io_context pool(4);
    auto guard = asio::make_work_guard(pool);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] { pool.run(); });
    std::thread server_thread([&] { f.io.run(); });

    std::atomic<int> correct{0};
    std::atomic<int> finished{0};
    {
        http::client client(pool.get_executor());
        for (int i = 0; i < 400; ++i)
            asio::co_spawn(pool, [&, i]() -> asio::awaitable<void> {
                auto r = co_await client.send(get(f.base + "/search?q=" + std::to_string(i)));
                if (r.body.view() == std::to_string(i))
                    ++correct;
                ++finished;
            }, asio::detached);
        for (int i = 0; i < 3000 && finished < 400; ++i)
            std::this_thread::sleep_for(10ms);
    }
    guard.reset();
    for (auto& t : threads)
        t.join();
    f.server.stop();
    f.io.stop();
    server_thread.join();
    CHECK(finished == 400);
    CHECK(correct == 400);
}

TEST_CASE("destroying the client fails its pending requests with cancelled")
{
    fixture f;
    auto client = std::make_unique<http::client>(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        std::exception_ptr outcome;
        bool done = false;
        asio::co_spawn(ex, client->send(get(f.base + "/slow?ms=5000")), [&](std::exception_ptr e, http::response) {
            outcome = e;
            done = true;
        });
        co_await test::sleep(100ms);
        client.reset();
        for (int i = 0; i < 200 && !done; ++i)
            co_await test::sleep(5ms);
        REQUIRE(done);
        REQUIRE(outcome);
        try {
            std::rethrow_exception(outcome);
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::cancelled);
        }
    }());
}

TEST_CASE("a coroutine that destroys the client when its answer arrives leaves the others' answers safe")
{
    // Answers resume their coroutines inside the client's round: the first to resume destroys
    // the client while the same round holds other finished requests (ASan sees any use after).
    fixture f;
    auto client = std::make_unique<http::client>(f.io.get_executor());
    int answered = 0, cancelled = 0, other = 0;
    for (int i = 0; i < 64; ++i)
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            try {
                (void)co_await client->send(get(f.base + "/"));
                ++answered;
                client.reset();
            } catch (const oauth2::error& e) {
                ++(e.code() == oauth2::errc::cancelled ? cancelled : other);
            }
        }, asio::detached);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (answered + cancelled + other < 64 && std::chrono::steady_clock::now() < deadline)
        f.io.run_one_for(100ms);
    CHECK(answered >= 1);
    CHECK(answered + cancelled == 64);
    CHECK(other == 0);
}

// After handlers threw out of run(): the same client still sends and gets answers.
void answers_again(fixture& f, http::client& client)
{
    f.io.restart();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            auto r = co_await client.send(get(f.base + "/"));
            CHECK(r.status == 200);
        }
    }());
}

TEST_CASE("a coroutine that cancels another request of the same round never gets that request's answer")
{
    // Each answer's coroutine, resumed inside the client's round, cancels the next request (whose
    // answer may be finished later in the same round) and sends a new one at once (which may get
    // the cancelled request's handle): every answer must still be its own request's.
    fixture f;
    http::client client(f.io.get_executor());
    constexpr int n = 128;
    std::vector<asio::cancellation_signal> signals(n);
    int own = 0, foreign = 0, cancelled = 0, finished = 0;
    for (int i = 0; i < n; ++i)
        asio::co_spawn(f.io, [&, i]() -> asio::awaitable<void> {
            try {
                auto ex = co_await asio::this_coro::executor;
                auto op = client.send(get(f.base + "/items/" + std::to_string(i)));
                auto bound = asio::bind_cancellation_slot(signals[i].slot(), asio::use_awaitable);
                auto first = co_await asio::co_spawn(ex, std::move(op), bound);
                ++(first.body.view() == std::to_string(i) ? own : foreign);
                signals[(i + 1) % n].emit(asio::cancellation_type::terminal);
                auto again = co_await client.send(get(f.base + "/items/" + std::to_string(i + 1000)));
                ++(again.body.view() == std::to_string(i + 1000) ? own : foreign);
            } catch (const oauth2::error& e) {
                cancelled += e.code() == oauth2::errc::cancelled;
            }
            ++finished;
        }, asio::detached);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (finished < n && std::chrono::steady_clock::now() < deadline)
        f.io.run_one_for(100ms);
    CHECK(finished == n);
    CHECK(foreign == 0);
    CHECK(own + cancelled >= n);
}

TEST_CASE("completion handlers that throw in one round all run, and the client goes on")
{
    fixture f;
    http::client client(f.io.get_executor());
    constexpr int n = 32;
    int handled = 0, thrown = 0;
    for (int i = 0; i < n; ++i)
        asio::co_spawn(f.io, client.send(get(f.base + "/")), [&](std::exception_ptr, http::response) {
            ++handled;
            throw std::runtime_error("the caller's handler failed");
        });
    // Out of run() they come one by one, or, for handlers resumed in one handler of Asio's,
    // together as asio::multiple_exceptions (as Asio reports any handlers that throw there).
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (handled < n && std::chrono::steady_clock::now() < deadline) {
        try {
            f.io.run_one_for(100ms);
        } catch (const std::exception&) {
            ++thrown;
        }
    }
    CHECK(handled == n);
    CHECK(thrown >= 1);
    answers_again(f, client);
}

TEST_CASE("a completion handler that throws leaves the client working")
{
    fixture f;
    http::client client(f.io.get_executor());
    asio::co_spawn(f.io, client.send(get(f.base + "/")), [](std::exception_ptr, http::response) {
        throw std::runtime_error("the caller's handler failed");
    });
    bool thrown = false;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!thrown && std::chrono::steady_clock::now() < deadline) {
        try {
            f.io.run_one_for(100ms);
        } catch (const std::runtime_error&) {
            thrown = true;
        }
    }
    CHECK(thrown);
    answers_again(f, client);
}

TEST_CASE("a reused handle carries nothing over from the previous request's method")
{
    fixture f;
    http::client client(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            http::request head;
            head.method = "HEAD";
            head.url = f.base + "/items/5";
            CHECK((co_await client.send(std::move(head))).body.empty());
            auto after_head = co_await client.send(get(f.base + "/items/5"));
            CHECK(after_head.body.view() == "5"); // not a HEAD any more

            http::request post;
            post.method = "POST";
            post.url = f.base + "/echo";
            post.body = "x=1";
            CHECK((co_await client.send(std::move(post))).body.view() == "x=1");
            auto after_post = co_await client.send(get(f.base + "/items/6"));
            CHECK(after_post.status == 200); // a GET, without the previous body (that would be 400)
            CHECK(after_post.body.view() == "6");

            http::request put;
            put.method = "PUT";
            put.url = f.base + "/method";
            put.body = "{}";
            CHECK((co_await client.send(std::move(put))).body.view() == "PUT:{}");
            CHECK((co_await client.send(get(f.base + "/items/7"))).body.view() == "7");
        }
    }());
}

TEST_CASE("a kept-alive connection the server closed meanwhile is replaced transparently")
{
    srv::server_options options;
    options.limits.idle_timeout = 200ms;
    options.limits.first_byte_timeout = 200ms;
    fixture f(options);
    http::client client(f.io.get_executor());
    test::run(f.io, [&]() -> asio::awaitable<void> {
        CHECK((co_await client.send(get(f.base + "/items/1"))).body.view() == "1");
        co_await test::sleep(800ms); // the server drops the idle connection
        CHECK(f.server.stats().active == 0);
        CHECK((co_await client.send(get(f.base + "/items/2"))).body.view() == "2");
        CHECK((co_await client.send(get(f.base + "/items/3"))).body.view() == "3");
        CHECK(client.connections_opened() == 2);
        CHECK(f.server.stats().accepted == 2);
    }());
}

namespace {

// nghttpd (Debian's nghttp2-server) serving `docroot` over TLS with HTTP/2 only.
struct h2_server {
    pid_t pid = -1;
    std::uint16_t port = 0;

    h2_server(const std::string& docroot, const discord::oauth2::tls::certificate_files& cert)
    {
        port = closed_port();
        auto port_text = std::to_string(port);
        pid = ::fork();
        if (pid == 0) {
            ::execlp("nghttpd", "nghttpd", "-a", "127.0.0.1", "-d", docroot.c_str(), port_text.c_str(),
                     cert.private_key_file.c_str(), cert.certificate_file.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Ready when it accepts connections.
        for (int i = 0; i < 200; ++i) {
            asio::io_context io;
            tcp::socket s(io);
            std::error_code ec;
            s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
            if (!ec)
                return;
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid)
                throw std::runtime_error("nghttpd did not start; install Debian's nghttp2-server");
            std::this_thread::sleep_for(25ms);
        }
        throw std::runtime_error("nghttpd does not accept connections");
    }

    ~h2_server()
    {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
    }
};

} // namespace

TEST_CASE("HTTP/2 is negotiated and multiplexed when the server offers it")
{
    auto dir = std::filesystem::temp_directory_path() / ("discord-oauth2-h2-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "docroot");
    auto cert = discord::oauth2::tls::write_self_signed_certificate(dir.string());
    for (int i = 0; i < 20; ++i) {
        std::ofstream file(dir / "docroot" / ("item" + std::to_string(i)));
        file << "item " << i;
    }
    h2_server server((dir / "docroot").string(), cert);

    asio::io_context io;
    http::client_options options;
    options.ca_file = cert.certificate_file;
    http::client client(io.get_executor(), options);
    int correct = 0;
    int finished = 0;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto base = "https://127.0.0.1:" + std::to_string(server.port);
        auto first = co_await client.send(get(base + "/item0"));
        CHECK(first.version == 20);
        CHECK(first.body.view() == "item 0");
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < 20; ++i)
            asio::co_spawn(ex, [&, i]() -> asio::awaitable<void> {
                auto r = co_await client.send(get(base + "/item" + std::to_string(i)));
                if (r.version == 20 && r.body.view() == "item " + std::to_string(i))
                    ++correct;
                ++finished;
            }, asio::detached);
        while (finished < 20)
            co_await test::sleep(5ms);
    }());
    CHECK(correct == 20);
    CHECK(client.connections_opened() == 1); // all 21 requests shared one connection
    std::filesystem::remove_all(dir);
}

TEST_CASE("requests go through the configured proxy, and only then")
{
    asio::io_context io;
    tcp::acceptor proxy(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::string seen_request_line;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto s = co_await proxy.async_accept(asio::use_awaitable);
        std::string head;
        char buf[4096];
        while (head.find("\r\n\r\n") == std::string::npos) {
            auto n = co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
            head.append(buf, n);
        }
        seen_request_line = head.substr(0, head.find("\r\n"));
        std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nproxied";
        co_await asio::async_write(s, asio::buffer(answer), asio::use_awaitable);
    }, asio::detached);

    // Nothing listens at the target: only the proxy can answer.
    auto target = "http://127.0.0.1:" + std::to_string(closed_port()) + "/through?x=1";
    http::client_options options;
    options.proxy = "http://127.0.0.1:" + std::to_string(proxy.local_endpoint().port());
    http::client via_proxy(io.get_executor(), options);
    http::client direct(io.get_executor());
    test::run(io, [&]() -> asio::awaitable<void> {
        auto r = co_await via_proxy.send(get(target));
        CHECK(r.status == 200);
        CHECK(r.body.view() == "proxied");
        CHECK(seen_request_line == "GET " + target + " HTTP/1.1"); // absolute-form, as to a proxy
        auto e = co_await test::expect_error([&]() -> asio::awaitable<void> { co_await direct.send(get(target)); });
        CHECK(e.code() == oauth2::errc::connection_refused);
    }());
}

TEST_CASE("io_context::run() returns once the client's requests are done, while it keeps idle connections")
{
    fixture f;
    std::thread server_thread([&] {
        auto guard = asio::make_work_guard(f.io);
        f.io.run();
    });
    asio::io_context io;
    http::client client(io.get_executor());
    int answered = 0;
    for (int i = 0; i < 64; ++i)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            for (int j = 0; j < 50; ++j)
                answered += (co_await client.send(get(f.base + "/"))).status == 200;
        }, asio::detached);
    // Nothing is left to do after the last answer: curl's timers (connect timeout, happy
    // eyeballs) and the idle connections must not keep run() going. A run() still busy when the
    // watchdog fires stops it, and the test fails.
    std::atomic<bool> returned{false};
    std::atomic<bool> fired{false};
    std::thread watchdog([&] {
        for (int i = 0; i < 500 && !returned; ++i)
            std::this_thread::sleep_for(10ms);
        if (!returned) {
            fired = true;
            io.stop();
        }
    });
    io.run();
    returned = true;
    watchdog.join();
    CHECK(answered == 64 * 50);
    CHECK_FALSE(fired);
    asio::post(f.io, [&] { f.server.stop(); f.io.stop(); });
    server_thread.join();
}
