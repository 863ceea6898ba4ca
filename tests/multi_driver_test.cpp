// The glue between curl's multi interface and Asio, driven directly with easy handles against a
// loopback peer on its own thread: concurrent transfers each finish once, kept-alive connections
// are reused (their sockets stay registered while parked), a peer that closes a parked connection
// does not make the loop spin, one that refuses a connection is handled, curl's timer ends a transfer the peer never answers, and shutdown()
// lets the io_context finish. The driver also runs on a strand of a thread pool. Requests sent
// from inside a round (by a done handler, as a resumed coroutine sends its next one) start
// without waiting for another turn of the loop, and run() still returns after the last.
#include "http/curl_global.hpp"
#include "http/multi_driver.hpp"

#include "core/serial_executor.hpp"
#include "server/free_port.hpp"

#include <asio/buffer.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/write.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <string>
#include <thread>

namespace http = discord::oauth2::http;
using namespace std::chrono_literals;

namespace {

// What the peer does with each request it reads.
enum class behaviour {
    answer_and_keep,  // 200, keep-alive
    answer_and_close, // 200, then closes the connection
    never_answer,     // reads the request and stays silent
    answer_late,      // 200 after 300 ms, keep-alive
};

// A loopback HTTP/1.1 peer on its own thread, counting the connections it accepts.
class peer {
public:
    explicit peer(behaviour b) : behaviour_(b), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0})
    {
        accept();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~peer()
    {
        io_.stop();
        thread_.join();
    }
    [[nodiscard]] std::string url() const
    {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/";
    }
    [[nodiscard]] int connections() const { return accepted_; }
    /// Closes every connection the peer holds, as a server ends idle keep-alive connections.
    void close_all()
    {
        std::promise<void> closed;
        asio::post(io_, [&] {
            for (auto& weak : open_)
                if (auto s = weak.lock()) {
                    std::error_code ignored;
                    s->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                    s->close(ignored);
                }
            open_.clear();
            closed.set_value();
        });
        closed.get_future().wait();
    }

private:
    void accept()
    {
        acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket s) {
            if (ec)
                return;
            ++accepted_;
            auto held = std::make_shared<asio::ip::tcp::socket>(std::move(s));
            open_.push_back(held);
            serve(held, std::make_shared<std::string>());
            accept();
        });
    }
    void serve(std::shared_ptr<asio::ip::tcp::socket> s, std::shared_ptr<std::string> buffer)
    {
        asio::async_read_until(*s, asio::dynamic_buffer(*buffer), "\r\n\r\n", [this, s, buffer](std::error_code ec, std::size_t n) {
            if (ec)
                return;
            buffer->erase(0, n);
            if (behaviour_ == behaviour::never_answer) {
                serve(s, buffer); // keeps reading: the connection stays open, silent
                return;
            }
            if (behaviour_ == behaviour::answer_late) {
                auto later = std::make_shared<asio::steady_timer>(io_, 300ms);
                later->async_wait([this, s, buffer, later](std::error_code) { answer(s, buffer); });
                return;
            }
            answer(s, buffer);
        });
    }
    void answer(std::shared_ptr<asio::ip::tcp::socket> s, std::shared_ptr<std::string> buffer)
    {
        bool close = behaviour_ == behaviour::answer_and_close;
        auto reply = std::make_shared<std::string>(std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n")
                                                   + (close ? "Connection: close\r\n" : "") + "\r\nok");
        asio::async_write(*s, asio::buffer(*reply), [this, s, buffer, reply, close](std::error_code ec, std::size_t) {
            if (ec)
                return;
            if (close) {
                std::error_code ignored;
                s->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
                s->close(ignored);
                return;
            }
            serve(s, buffer);
        });
    }

    behaviour behaviour_;
    asio::io_context io_;
    asio::ip::tcp::acceptor acceptor_;
    std::atomic<int> accepted_{0};
    std::vector<std::weak_ptr<asio::ip::tcp::socket>> open_; // on io_'s thread only
    std::thread thread_;
};

std::size_t collect(char* data, std::size_t size, std::size_t n, void* into)
{
    static_cast<std::string*>(into)->append(data, size * n);
    return size * n;
}

// One easy handle and what it received.
struct transfer {
    CURL* easy = nullptr;
    std::string body;
    std::optional<CURLcode> result;
    int finished = 0;

    transfer(http::multi_driver& driver, const std::string& url, long timeout_ms = 10'000)
    {
        easy = curl_easy_init();
        REQUIRE(easy);
        driver.prepare(easy);
        curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_PROXY, "");
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &collect);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
    }
    ~transfer() { curl_easy_cleanup(easy); }
    transfer(const transfer&) = delete;
    transfer& operator=(const transfer&) = delete;

    [[nodiscard]] long new_connections() const
    {
        long n = -1;
        curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &n);
        return n;
    }
};

// A driver on `strand` whose finished transfers are recorded (and removed from curl) in order.
std::shared_ptr<http::multi_driver> make_driver(http::multi_driver::strand_type strand, std::atomic<int>& done)
{
    http::ensure_curl_global();
    auto holder = std::make_shared<std::weak_ptr<http::multi_driver>>();
    auto driver = std::make_shared<http::multi_driver>(std::move(strand), [holder, &done](CURL* easy, CURLcode code) {
        transfer* t = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
        t->result = code;
        ++t->finished;
        if (auto d = holder->lock())
            d->remove(easy);
        ++done;
    });
    *holder = driver;
    return driver;
}

void run_until(asio::io_context& io, const std::atomic<int>& done, int expected)
{
    io.restart();
    while (done < expected)
        io.run_one_for(30s);
}

} // namespace

TEST_CASE("concurrent transfers each finish exactly once; kept-alive connections are reused")
{
    peer server(behaviour::answer_and_keep);
    asio::io_context io;
    std::atomic<int> done{0};
    auto driver = make_driver(io.get_executor(), done);

    constexpr int n = 40;
    std::vector<std::unique_ptr<transfer>> batch;
    for (int i = 0; i < n; ++i)
        batch.push_back(std::make_unique<transfer>(*driver, server.url()));
    for (auto& t : batch)
        driver->add(t->easy);
    run_until(io, done, n);
    for (auto& t : batch) {
        CHECK(t->finished == 1);
        CHECK(t->result == CURLE_OK);
        CHECK(t->body == "ok");
    }
    auto opened = server.connections();
    CHECK(opened >= 1);
    CHECK(opened <= n);

    // A second round, one at a time: every transfer goes over a parked connection.
    for (int i = 0; i < 10; ++i) {
        transfer again(*driver, server.url());
        driver->add(again.easy);
        run_until(io, done, n + i + 1);
        CHECK(again.result == CURLE_OK);
        CHECK(again.new_connections() == 0);
    }
    CHECK(server.connections() == opened);
    driver->shutdown();
}

TEST_CASE("a peer that closes each connection after answering: the next transfer connects anew")
{
    peer server(behaviour::answer_and_close);
    asio::io_context io;
    std::atomic<int> done{0};
    auto driver = make_driver(io.get_executor(), done);
    for (int i = 0; i < 5; ++i) {
        transfer t(*driver, server.url());
        driver->add(t.easy);
        run_until(io, done, i + 1);
        CHECK(t.result == CURLE_OK);
        CHECK(t.body == "ok");
        CHECK(t.new_connections() == 1);
    }
    CHECK(server.connections() == 5);
    driver->shutdown();
}

TEST_CASE("a parked connection the peer closes is dropped from the watch, not reported again and again")
{
    peer server(behaviour::answer_and_keep);
    peer silent(behaviour::never_answer);
    asio::io_context io;
    std::atomic<int> done{0};
    auto driver = make_driver(io.get_executor(), done);

    transfer first(*driver, server.url());
    driver->add(first.easy);
    run_until(io, done, 1);
    REQUIRE(first.result == CURLE_OK); // its connection now waits in curl's cache

    // Another transfer keeps the driver watching while the parked connection turns readable.
    transfer waiting(*driver, silent.url(), 60'000);
    driver->add(waiting.easy);
    while (silent.connections() == 0)
        io.run_one_for(100ms);
    server.close_all();
    // A registration left in place would wake the loop for the closed socket over and over.
    auto handlers = io.run_for(300ms);
    CHECK(handlers < 50);
    CHECK(done == 1);

    transfer next(*driver, server.url());
    driver->add(next.easy);
    run_until(io, done, 2);
    CHECK(next.result == CURLE_OK);
    CHECK(next.new_connections() == 1); // curl found the cached connection dead
    driver->remove(waiting.easy);
    driver->shutdown();
}

TEST_CASE("a refused connection and a silent peer end with curl's errors, through curl's timer")
{
    asio::io_context io;
    std::atomic<int> done{0};
    auto driver = make_driver(io.get_executor(), done);

    auto closed_port = discord::oauth2::server::free_port();
    transfer refused(*driver, "http://127.0.0.1:" + std::to_string(closed_port) + "/");
    peer silent(behaviour::never_answer);
    transfer unanswered(*driver, silent.url(), 300);
    driver->add(refused.easy);
    driver->add(unanswered.easy);
    run_until(io, done, 2);
    CHECK(refused.result == CURLE_COULDNT_CONNECT);
    CHECK(unanswered.result == CURLE_OPERATION_TIMEDOUT);
    CHECK(unanswered.finished == 1);
    driver->shutdown();
}

TEST_CASE("shutdown() lets the io_context finish while a transfer is still open")
{
    peer silent(behaviour::never_answer);
    asio::io_context io;
    std::atomic<int> done{0};
    auto driver = make_driver(io.get_executor(), done);
    transfer pending(*driver, silent.url(), 60'000);
    driver->add(pending.easy);
    // Until the peer has the request, the transfer is connected and waiting.
    while (silent.connections() == 0)
        io.run_one_for(100ms);
    io.run_for(50ms);
    driver->remove(pending.easy);
    driver->shutdown();
    io.restart();
    io.run_for(30s);
    CHECK(io.stopped()); // nothing of the driver keeps it running
    CHECK(pending.finished == 0);
}

// A driver whose done handler hands each finished transfer to `next`, inside the round, as a
// coroutine resumed at once sends its next request.
std::shared_ptr<http::multi_driver> make_chaining_driver(asio::io_context& io, std::function<void(http::multi_driver&, CURL*, CURLcode)> next)
{
    http::ensure_curl_global();
    auto holder = std::make_shared<std::weak_ptr<http::multi_driver>>();
    auto driver = std::make_shared<http::multi_driver>(io.get_executor(), [holder, next = std::move(next)](CURL* easy, CURLcode code) {
        if (auto d = holder->lock()) {
            d->remove_finished(easy);
            next(*d, easy, code);
        }
    });
    *holder = driver;
    return driver;
}

// Whether io.run() returns by itself within `limit`; if not, it is stopped, so that the failure
// is reported instead of waiting out a transfer's timeout.
bool runs_out_within(asio::io_context& io, std::chrono::seconds limit)
{
    auto ran = std::async(std::launch::async, [&] { io.run(); });
    if (ran.wait_for(limit) == std::future_status::ready)
        return true;
    io.stop();
    return false;
}

TEST_CASE("requests sent from inside a round are started, and run() returns once the last one is done")
{
    // Answered late: curl arms its request timeout while each one waits.
    peer server(behaviour::answer_late);
    asio::io_context io;
    constexpr int n = 4;
    int finished = 0;
    std::string* body = nullptr;
    auto driver = make_chaining_driver(io, [&](http::multi_driver& d, CURL* easy, CURLcode code) {
        CHECK(code == CURLE_OK);
        CHECK(*body == "ok");
        if (++finished < n) {
            body->clear();
            d.add(easy); // the next request, from inside the round
        }
    });
    // The request timeout is far beyond the wait below: if the driver's timer stayed armed for
    // it after the last transfer, run() would not return in time.
    transfer t(*driver, server.url(), 600'000);
    body = &t.body;
    driver->add(t.easy);
    REQUIRE(runs_out_within(io, 60s));
    CHECK(finished == n);
    CHECK(server.connections() == 1);
}

TEST_CASE("requests that fail at once, sent again and again from inside the round, let other handlers run")
{
    asio::io_context io;
    bool stop = false;
    int failed = 0;
    // Bounded, so that a driver that never yields fails the check below instead of spinning.
    constexpr int give_up = 1000;
    auto driver = make_chaining_driver(io, [&](http::multi_driver& d, CURL* easy, CURLcode code) {
        CHECK(code == CURLE_UNSUPPORTED_PROTOCOL);
        ++failed;
        if (!stop && failed < give_up)
            d.add(easy);
    });
    transfer t(*driver, "nosuchscheme://127.0.0.1/");
    driver->add(t.easy);
    // Runs only if the driver yields to the loop between the failures.
    asio::post(io, [&] { stop = true; });
    REQUIRE(runs_out_within(io, 60s));
    CHECK(stop);
    CHECK(failed >= 1);
    CHECK(failed < give_up);
}

TEST_CASE("a request sent from a done handler is started in the same handler, not a posted one")
{
    peer server(behaviour::answer_and_keep);
    asio::io_context io;
    constexpr int n = 60;
    int finished = 0;
    std::string* body = nullptr;
    auto driver = make_chaining_driver(io, [&](http::multi_driver& d, CURL* easy, CURLcode code) {
        CHECK(code == CURLE_OK);
        if (++finished < n) {
            body->clear();
            d.add(easy);
        }
    });
    transfer t(*driver, server.url());
    body = &t.body;
    driver->add(t.easy);
    // Each answer is one handler (the wait on the driver's set); a posted start for the next
    // request would be a second one per request.
    int handlers = 0;
    while (finished < n && handlers < 10 * n && io.run_one_for(30s) > 0)
        ++handlers;
    REQUIRE(finished == n);
    INFO("handlers: " << handlers);
    CHECK(handlers < n + n / 2);
}

TEST_CASE("on a strand of a thread pool: many transfers from other threads, each finished once")
{
    peer server(behaviour::answer_and_keep);
    asio::thread_pool pool(4);
    auto strand = discord::oauth2::core::serial_executor(pool.get_executor());
    std::atomic<int> done{0};
    auto driver = make_driver(strand, done);
    constexpr int n = 200;
    std::vector<std::unique_ptr<transfer>> all;
    for (int i = 0; i < n; ++i)
        all.push_back(std::make_unique<transfer>(*driver, server.url()));
    // Added from four threads, always through the strand, as the HTTP client does.
    std::vector<std::thread> adders;
    for (int t = 0; t < 4; ++t)
        adders.emplace_back([&, t] {
            for (int i = t; i < n; i += 4)
                asio::post(strand, [&, i] { driver->add(all[i]->easy); });
        });
    for (auto& a : adders)
        a.join();
    for (int waited = 0; done < n && waited < 3000; ++waited)
        std::this_thread::sleep_for(10ms);
    REQUIRE(done == n);
    std::promise<void> stopped;
    asio::post(strand, [&] {
        driver->shutdown();
        stopped.set_value();
    });
    stopped.get_future().wait();
    int wrong = 0;
    for (auto& t : all)
        if (t->finished != 1 || t->result != CURLE_OK || t->body != "ok")
            ++wrong;
    CHECK(wrong == 0);
    pool.join();
}
