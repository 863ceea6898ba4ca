// dpp_bridge (dpp.hpp): the library's operations awaited from D++'s own coroutine types, resumed
// on D++'s own thread pool (a real dpp::cluster, never connected), against the emulator.
#include "support/dpp_fixture.hpp"

#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <mutex>
#include <optional>

using namespace test::dpp_support;
using oauth2::errc;

namespace {

// The README's three lines, in a dpp::task.
dpp::task<std::size_t> connections_of(fixture& f, snowflake user)
{
    auto url = f.web.authorization_url(user, identify_connections);
    f.consent_later(url, user);
    auto result = co_await f.on_io(f.web.wait_for_access_token(user, url, 1min));
    f.where.here();
    REQUIRE(result);
    CHECK(result->user_id == user);
    auto connections = co_await f.on_io(f.client.get_connections(result->token));
    f.where.here();
    co_await f.on_io(f.web.revoke_access_token(user));
    f.where.here();
    co_return connections.size();
}

} // namespace

TEST_CASE("the README's three lines in a dpp::task: each co_await resumes on a D++ worker, never the io thread")
{
    fixture f;
    std::promise<void> finished;
    std::size_t count = 0;
    f.on_pool([&] {
        [](fixture& f, std::size_t& count, std::promise<void>& finished) -> dpp::job {
            try {
                count = co_await connections_of(f, nelly);
                finished.set_value();
            } catch (...) {
                finished.set_exception(std::current_exception());
            }
        }(f, count, finished);
    }, finished.get_future());
    CHECK(count == 5); // Nelly's connections in the emulator's default world
    CHECK(f.where.on_worker == 3);
    CHECK(f.where.elsewhere == 0);
    CHECK(f.where.on_io == 0);
    CHECK(f.on_io.running() == 0);
}

TEST_CASE("errors reach the dpp::task as the library's exceptions, with Discord's details")
{
    fixture f;
    std::promise<void> finished;
    std::optional<oauth2::error> caught;
    f.on_pool([&] {
        [](fixture& f, std::optional<oauth2::error>& caught, std::promise<void>& finished) -> dpp::job {
            auto forged = test::forged_token();
            try {
                co_await f.on_io(f.client.get_current_user(forged));
            } catch (const oauth2::error& e) {
                caught = e;
            }
            f.where.here();
            finished.set_value();
        }(f, caught, finished);
    }, finished.get_future());
    REQUIRE(caught);
    CHECK(caught->code() == errc::unauthorized);
    CHECK(f.where.on_worker == 1);
}

TEST_CASE("on_io.result: the value or the error with its details, never thrown, resumed on a D++ worker")
{
    fixture f;
    std::promise<void> finished;
    std::optional<oauth2::result<oauth2::user>> refused;
    std::optional<oauth2::result<oauth2::user>> read;
    std::optional<oauth2::result<void>> revoked;
    f.on_pool([&] {
        [](fixture& f, auto& refused, auto& read, auto& revoked, std::promise<void>& finished) -> dpp::job {
            auto forged = test::forged_token();
            // No try: the D++ way, a value to test, then a reply (which a catch block could not co_await).
            refused.emplace(co_await f.on_io.result(f.client.get_current_user(forged)));
            f.where.here();
            auto grant = co_await f.on_io(f.client.client_credentials({"identify"}));
            read.emplace(co_await f.on_io.result(f.client.get_current_user(grant)));
            revoked.emplace(co_await f.on_io.result(f.client.revoke(grant.token)));
            finished.set_value();
        }(f, refused, read, revoked, finished);
    }, finished.get_future());
    REQUIRE(refused);
    REQUIRE_FALSE(*refused);
    CHECK(refused->error().code() == errc::unauthorized);
    CHECK(refused->error().http_status() == 401);
    CHECK(std::string(refused->error().what()).find("GET /users/@me") != std::string::npos);
    CHECK_THROWS_AS((void)refused->value(), oauth2::error);
    REQUIRE(read);
    REQUIRE(*read);
    CHECK((*read)->username.size() > 0);
    REQUIRE(revoked);
    CHECK(*revoked);
    CHECK(f.where.on_worker >= 1);
    CHECK(f.where.on_io == 0);
}

TEST_CASE("dpp::when_any: the first operation to end wins, the other is cancelled and nothing dangles")
{
    fixture f;
    std::promise<void> finished;
    std::size_t winner = 99;
    std::string outcome;
    f.on_pool([&] {
        [](fixture& f, std::size_t& winner, std::string& outcome, std::promise<void>& finished) -> dpp::job {
            auto long_url = f.web.authorization_url(nelly, identify_connections);
            auto short_url = f.web.authorization_url(xiao, identify_connections);
            {
                auto first = co_await dpp::when_any(f.on_io(f.web.wait_for_access_token(nelly, long_url, 10min)),
                                                    f.on_io(f.web.wait_for_access_token(xiao, short_url, 100ms)));
                winner = first.index();
                if (winner == 1)
                    outcome = oauth2::to_string(first.get<1>().outcome);
            } // when_any's end cancels the ten-minute wait
            f.where.here();
            finished.set_value();
        }(f, winner, outcome, finished);
    }, finished.get_future());
    CHECK(winner == 1);
    CHECK(outcome == "timed_out");
    // The ten-minute wait was cancelled, not left to run: the bridge lets it go.
    for (int i = 0; i < 600 && f.on_io.running() != 0; ++i)
        std::this_thread::sleep_for(50ms);
    CHECK(f.on_io.running() == 0);
}

TEST_CASE("cancel(): before the operation starts it never runs; while it runs it ends, and the awaiter throws")
{
    fixture f;
    std::promise<void> finished;
    std::atomic<int> cancelled_exceptions = 0;
    std::atomic<bool> waiting = false;
    std::optional<oauth2::dpp_awaitable<oauth2::authorization_result>> running;
    std::mutex running_mutex;
    std::promise<void> cancel_sent;
    auto cancel_sent_done = cancel_sent.get_future();
    f.on_pool([&] {
        [](fixture& f, std::atomic<int>& cancelled_exceptions, std::atomic<bool>& waiting,
           std::optional<oauth2::dpp_awaitable<oauth2::authorization_result>>& running, std::mutex& running_mutex,
           std::promise<void>& finished) -> dpp::job {
            auto url = f.web.authorization_url(nelly, identify_connections);
            auto never = f.on_io(f.web.wait_for_access_token(nelly, url, 10min));
            never.cancel();
            try {
                co_await never;
            } catch (const dpp::task_cancelled_exception&) {
                ++cancelled_exceptions;
            }
            {
                std::lock_guard lock(running_mutex);
                running.emplace(f.on_io(f.web.wait_for_access_token(nelly, url, 10min)));
            }
            waiting = true;
            try {
                co_await *running;
            } catch (const dpp::task_cancelled_exception&) {
                ++cancelled_exceptions;
            }
            f.where.here();
            finished.set_value();
        }(f, cancelled_exceptions, waiting, running, running_mutex, finished);
        // Cancelled from another thread (this D++ worker) once the wait is under way.
        while (!waiting || f.on_io.running() == 0)
            std::this_thread::sleep_for(5ms);
        {
            std::lock_guard lock(running_mutex);
            running->cancel();
        }
        cancel_sent.set_value();
    }, finished.get_future());
    // The job can end before this worker is out of cancel(): `running` must outlive both.
    REQUIRE(cancel_sent_done.wait_for(30s) == std::future_status::ready);
    CHECK(cancelled_exceptions == 2);
    CHECK(f.where.on_worker == 1);
    CHECK(f.on_io.running() == 0);
}

TEST_CASE("a dpp::task cancelled while it waits has its operation cancelled and throws task_cancelled_exception")
{
    fixture f;
    std::promise<void> finished;
    std::atomic<bool> threw_cancelled = false;
    f.on_pool([&] {
        [](fixture& f, std::atomic<bool>& threw_cancelled, std::promise<void>& finished) -> dpp::job {
            auto url = f.web.authorization_url(nelly, identify_connections);
            auto waiting = [](fixture& f, std::string url) -> dpp::task<oauth2::authorization_result> {
                auto r = co_await f.on_io(f.web.wait_for_access_token(nelly, url, 10min));
                co_return r;
            }(f, url);
            // The task is suspended on the bridge now; D++'s cancel() only sets a flag.
            while (f.on_io.running() == 0)
                std::this_thread::sleep_for(5ms);
            waiting.cancel();
            try {
                co_await waiting;
            } catch (const dpp::task_cancelled_exception&) {
                threw_cancelled = true;
            }
            f.where.here();
            finished.set_value();
        }(f, threw_cancelled, finished);
    }, finished.get_future());
    CHECK(threw_cancelled);
    CHECK(f.on_io.running() == 0);
}

TEST_CASE("1,000 concurrent flows from dpp::tasks: every one gets its own user's grant on a D++ worker")
{
    fixture f;
    constexpr int flows = 1000;
    std::atomic<int> authorized = 0;
    std::atomic<int> ended = 0;
    std::promise<void> all_done;
    for (int i = 0; i < flows; ++i) {
        const snowflake user = i % 2 ? nelly : xiao;
        f.bot.queue_work(0, [&, user] {
            [](fixture& f, snowflake user, std::atomic<int>& authorized, std::atomic<int>& ended,
               std::promise<void>& all_done) -> dpp::job {
                try {
                    auto flow = [](fixture& f, snowflake user) -> dpp::task<bool> {
                        auto url = f.web.authorization_url(user, identify_connections);
                        f.consent_later(url, user);
                        auto result = co_await f.on_io(f.web.wait_for_access_token(user, url, 2min));
                        f.where.here();
                        if (!result)
                            co_return false;
                        auto me = co_await f.on_io(f.client.get_current_user(result->token));
                        f.where.here();
                        co_return me.id == user && result->user_id == user;
                    }(f, user);
                    authorized += co_await flow;
                } catch (...) {
                }
                if (++ended == flows)
                    all_done.set_value();
            }(f, user, authorized, ended, all_done);
        });
    }
    REQUIRE(all_done.get_future().wait_for(180s) == std::future_status::ready);
    CHECK(authorized == flows);
    CHECK(f.where.on_worker == 2 * flows);
    CHECK(f.where.elsewhere == 0);
    CHECK(f.where.on_io == 0);
    CHECK(f.on_io.running() == 0);
}

TEST_CASE("a bridge with its own io thread: operations run there, and destroying it cancels what is in flight")
{
    dpp::cluster& bot = process_bot();
    asio::io_context emulator_io;
    em::options o;
    o.rate_limits.enabled = false;
    em::emulator discord(emulator_io.get_executor(), o);
    discord.start();
    io_thread emulator_thread{emulator_io};
    emulator_thread.start();

    std::promise<void> first_done;
    std::atomic<bool> threw_cancelled = false;
    std::promise<void> second_done;
    {
        oauth2::dpp_bridge on_io(bot);
        oauth2::client_config c;
        c.client_id = snowflake(159799960412356608ULL);
        c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
        c.redirect_uri = "http://127.0.0.1:53134/callback";
        c.endpoints = oauth2::endpoints::under(discord.url());
        oauth2::client client(on_io.get_executor(), c);

        std::optional<oauth2::access_token> token;
        bot.queue_work(0, [&] {
            [](oauth2::dpp_bridge& on_io, oauth2::client& client, std::optional<oauth2::access_token>& token,
               std::promise<void>& done) -> dpp::job {
                std::vector<std::string> scopes{"identify"};
                token = co_await on_io(client.client_credentials(scopes));
                done.set_value();
            }(on_io, client, token, first_done);
        });
        REQUIRE(first_done.get_future().wait_for(30s) == std::future_status::ready);
        REQUIRE(token);
        CHECK(token->has_scope("identify"));

        // An operation that would outlive the bridge: an asio timer of an hour, through the bridge.
        bot.queue_work(0, [&] {
            [](oauth2::dpp_bridge& on_io, std::atomic<bool>& threw_cancelled, std::promise<void>& done) -> dpp::job {
                try {
                    co_await on_io([]() -> asio::awaitable<void> {
                        asio::steady_timer hour(co_await asio::this_coro::executor, 1h);
                        co_await hour.async_wait(asio::use_awaitable);
                    }());
                } catch (const dpp::task_cancelled_exception&) {
                    threw_cancelled = true;
                }
                done.set_value();
            }(on_io, threw_cancelled, second_done);
        });
        while (on_io.running() == 0)
            std::this_thread::sleep_for(5ms);
    } // ~dpp_bridge: cancels the hour, hands the coroutine to D++'s pool, joins its io thread
    REQUIRE(second_done.get_future().wait_for(30s) == std::future_status::ready);
    CHECK(threw_cancelled);
}
