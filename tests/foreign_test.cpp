// oauth2::on(): the library's operations awaited from another framework's coroutine type.
#include "emulator.hpp"

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/error.hpp>
#include <discord/oauth2/foreign.hpp>

#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
using oauth2::secret;
using oauth2::snowflake;

namespace foreign {

// A minimal task type of "another framework": eager, it knows nothing of Asio.
template <class T>
struct task {
    struct promise_type {
        std::optional<T> value;
        std::exception_ptr failure;
        bool done = false;

        task get_return_object() { return task{std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept
        {
            done = true;
            return {};
        }
        void return_value(T v) { value.emplace(std::move(v)); }
        void unhandled_exception() { failure = std::current_exception(); }
    };

    explicit task(std::coroutine_handle<promise_type> h) : handle(h) {}
    task(task&& other) noexcept : handle(std::exchange(other.handle, {})) {}
    ~task()
    {
        if (handle)
            handle.destroy();
    }

    bool done() const { return handle.promise().done; }
    T result()
    {
        if (handle.promise().failure)
            std::rethrow_exception(handle.promise().failure);
        return std::move(*handle.promise().value);
    }

    std::coroutine_handle<promise_type> handle;
};

// The other framework's scheduler: a queue of coroutines resumed by whoever calls run().
struct scheduler {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::coroutine_handle<>> queue;

    void post(std::coroutine_handle<> h)
    {
        std::lock_guard lock(mutex);
        queue.push_back(h);
        ready.notify_one();
    }
    template <class Done>
    void run_until(Done done)
    {
        while (!done()) {
            std::unique_lock lock(mutex);
            ready.wait(lock, [&] { return !queue.empty(); });
            auto h = queue.front();
            queue.pop_front();
            lock.unlock();
            h.resume();
        }
    }
};

} // namespace foreign

namespace {

const snowflake app_id{159799960412356608ULL};
const std::string app_secret = "emulator-airhorn-client-secret-0123456789";

oauth2::client_config config_for(const em::emulator& discord)
{
    oauth2::client_config c;
    c.client_id = app_id;
    c.client_secret = secret(app_secret);
    c.redirect_uri = "http://127.0.0.1:53134/callback";
    c.endpoints = oauth2::endpoints::under(discord.url());
    return c;
}

} // namespace

TEST_CASE("a foreign coroutine awaits operations, values and errors, resuming on the Asio thread")
{
    asio::io_context io;
    em::emulator discord(io.get_executor());
    discord.start();
    oauth2::client client(io.get_executor(), config_for(discord));
    auto ex = io.get_executor();
    std::thread::id resumed_on;

    auto body = [&]() -> foreign::task<std::string> {
        std::vector<std::string> scopes{"identify", "connections"};
        auto token = co_await oauth2::on(ex, client.client_credentials(scopes));
        resumed_on = std::this_thread::get_id();
        auto me = co_await oauth2::on(ex, client.get_current_user(token));
        co_await oauth2::on(ex, client.revoke(token.token)); // a void operation
        std::string outcome = me.username;
        try {
            co_await oauth2::on(ex, client.get_current_user(token)); // revoked: 401
            outcome += " then no error";
        } catch (const oauth2::error& e) {
            outcome += e.code() == oauth2::errc::unauthorized ? " then unauthorized" : " then another error";
        }
        io.stop();
        co_return outcome;
    };
    auto t = body(); // runs until its first co_await, then waits for the io_context
    CHECK_FALSE(t.done());
    io.run_for(std::chrono::seconds(30));
    REQUIRE(t.done());
    CHECK(t.result() == "discord then unauthorized");
    CHECK(resumed_on == std::this_thread::get_id()); // io ran on this thread
}

TEST_CASE("with a resume function the foreign coroutine goes back to its own scheduler's thread")
{
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    em::emulator discord(io.get_executor());
    discord.start();
    oauth2::client client(io.get_executor(), config_for(discord));
    std::thread asio_thread([&] { io.run(); });

    foreign::scheduler scheduler;
    auto to_scheduler = [&](std::coroutine_handle<> h) { scheduler.post(h); };
    auto ex = io.get_executor();
    const auto main_thread = std::this_thread::get_id();
    int resumed_elsewhere = 0;

    auto flow = [&](int n) -> foreign::task<int> {
        std::vector<std::string> scopes{"identify"};
        int users = 0;
        for (int i = 0; i < n; ++i) {
            auto token = co_await oauth2::on(ex, client.client_credentials(scopes), to_scheduler);
            resumed_elsewhere += std::this_thread::get_id() != main_thread;
            auto me = co_await oauth2::on(ex, client.get_current_user(token), to_scheduler);
            resumed_elsewhere += std::this_thread::get_id() != main_thread;
            users += me.username == "discord";
        }
        co_return users;
    };
    std::vector<foreign::task<int>> tasks;
    for (int i = 0; i < 20; ++i)
        tasks.push_back(flow(5));
    scheduler.run_until([&] {
        for (auto& t : tasks)
            if (!t.done())
                return false;
        return true;
    });
    int users = 0;
    for (auto& t : tasks)
        users += t.result();
    CHECK(users == 100);
    CHECK(resumed_elsewhere == 0);

    asio::post(io, [&] { discord.stop(); });
    work.reset();
    io.stop();
    asio_thread.join();
}
