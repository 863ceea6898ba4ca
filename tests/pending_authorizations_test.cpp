// The web server's registry of authorizations: a callback's outcome reaches every waiter and
// every replay once, deadlines end waiters in order with one timer that never keeps the
// io_context alive on its own, cancellation, the cap on pending states, closing, and many
// threads settling and waiting at once.
#include "web/pending_authorizations.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

namespace oauth2 = discord::oauth2;
namespace web = discord::oauth2::web;
using oauth2::authorization_outcome;
using oauth2::authorization_result;
using oauth2::errc;
using namespace std::chrono_literals;

namespace {

oauth2::state_claims claims_for(std::uint64_t user, std::string nonce,
                                std::chrono::system_clock::duration lifetime = std::chrono::minutes(10))
{
    oauth2::state_claims c;
    c.user_id = oauth2::snowflake(user);
    c.nonce = std::move(nonce);
    c.issued_at = std::chrono::system_clock::now();
    c.expires_at = c.issued_at + lifetime;
    return c;
}

// What a waiter was answered with, and how often.
struct answered {
    std::atomic<int> times{0};
    std::exception_ptr failure;
    authorization_result result;
};

web::result_receiver_ptr receiver_into(answered& into, const asio::any_io_executor& ex)
{
    auto handler = [&into](std::exception_ptr failure, authorization_result r) {
        into.failure = failure;
        into.result = std::move(r);
        ++into.times;
    };
    return std::make_unique<oauth2::detail::result_receiver_for<authorization_result, decltype(handler)>>(
        std::move(handler), ex);
}

authorization_result authorized_as(std::uint64_t user)
{
    authorization_result r;
    r.outcome = authorization_outcome::authorized;
    r.grant = std::make_shared<const oauth2::authorized_grant>(
        oauth2::authorized_grant{oauth2::snowflake(user), oauth2::access_token{}});
    return r;
}

const web::answer success_page{200, web::page_kind::success, "Authorized", "done"};

errc code_of(const std::exception_ptr& failure)
{
    try {
        std::rethrow_exception(failure);
    } catch (const oauth2::error& e) {
        return static_cast<errc>(e.code().value());
    }
}

} // namespace

TEST_CASE("settle wakes every waiter of the state and answers its replays, once; later waiters get the result at once")
{
    asio::io_context io;
    auto registry = web::pending_authorizations::create(io.get_executor(), 100);
    auto mine = claims_for(1, "nonce-a");
    auto other = claims_for(2, "nonce-b");
    registry->open(mine);
    registry->open(other);
    registry->open(mine); // again: still one record
    CHECK(registry->pending() == 2);

    answered first, second, unrelated;
    auto r1 = receiver_into(first, io.get_executor());
    auto r2 = receiver_into(second, io.get_executor());
    auto r3 = receiver_into(unrelated, io.get_executor());
    CHECK_FALSE(registry->wait(mine, 1h, r1, {}));
    CHECK_FALSE(registry->wait(mine, 1h, r2, {}));
    CHECK_FALSE(registry->wait(other, 1h, r3, {}));
    CHECK(registry->waiting() == 3);

    auto replay = registry->follow(mine, false, io.get_executor());
    REQUIRE(replay.follower);
    CHECK_FALSE(replay.settled);
    CHECK(registry->unsettled_user("nonce-a") == oauth2::snowflake(1));

    registry->settle("nonce-a", success_page, authorized_as(1), "sealed message");
    registry->settle("nonce-a", success_page, authorized_as(1)); // a second settle wakes nobody twice
    while (first.times == 0 || second.times == 0)
        io.run_one();
    io.poll();
    CHECK(first.times == 1);
    CHECK(second.times == 1);
    CHECK(first.result.outcome == authorization_outcome::authorized);
    CHECK(second.result.grant->user_id == oauth2::snowflake(1));
    CHECK(unrelated.times == 0);
    CHECK(registry->waiting() == 1);
    CHECK(registry->pending() == 1);

    web::answer page;
    CHECK(replay.follower->try_receive([&](std::error_code ec, web::answer a) {
        CHECK_FALSE(ec);
        page = std::move(a);
    }));
    CHECK(page.title == "Authorized");

    // Kept for the state's lifetime: replays and late waiters get the same, nothing is enrolled.
    auto late_replay = registry->follow(mine, true, io.get_executor());
    REQUIRE(late_replay.settled);
    CHECK(late_replay.settled->title == "Authorized");
    answered late;
    auto r4 = receiver_into(late, io.get_executor());
    auto now = registry->wait(mine, 1h, r4, {});
    REQUIRE(now);
    CHECK(now->outcome == authorization_outcome::authorized);
    CHECK(r4); // not taken
    CHECK_FALSE(registry->unsettled_user("nonce-a"));
    CHECK(registry->unsettled_nonces() == std::vector<std::string>{"nonce-b"});
    CHECK(registry->take_unshared("nonce-a") == "sealed message");
    CHECK(registry->take_unshared("nonce-a").empty());
}

TEST_CASE("deadlines end waiters in order with a timed_out result; the timer never keeps run() going alone")
{
    asio::io_context io;
    auto registry = web::pending_authorizations::create(io.get_executor(), 100);
    auto c = claims_for(1, "n");
    answered quick, slower, patient;
    auto r1 = receiver_into(quick, io.get_executor());
    auto r2 = receiver_into(slower, io.get_executor());
    auto r3 = receiver_into(patient, io.get_executor());
    CHECK_FALSE(registry->wait(c, 10min, r2, {}));
    CHECK_FALSE(registry->wait(c, 20ms, r1, {})); // registered later, due first
    CHECK_FALSE(registry->wait(c, 1h, r3, {}));

    while (quick.times == 0)
        io.run_one();
    CHECK(quick.result.outcome == authorization_outcome::timed_out);
    CHECK(quick.result.code == errc::timeout);
    CHECK(slower.times == 0);
    CHECK(patient.times == 0);
    CHECK(registry->waiting() == 2);

    // The others are answered; with nobody waiting, the timer is disarmed and the io_context
    // runs out of work instead of waiting out the hour.
    registry->settle("n", success_page, authorized_as(1));
    io.restart();
    io.run_for(10min);
    CHECK(io.stopped());
    CHECK(slower.times == 1);
    CHECK(patient.times == 1);
    CHECK(patient.result.outcome == authorization_outcome::authorized);
    CHECK(quick.times == 1);
}

TEST_CASE("a cancelled wait gets `cancelled`, leaves the others waiting, and cancelling twice is harmless")
{
    asio::io_context io;
    auto registry = web::pending_authorizations::create(io.get_executor(), 100);
    auto c = claims_for(1, "n");
    asio::cancellation_signal cancel;
    answered cancelled, kept;
    auto r1 = receiver_into(cancelled, io.get_executor());
    auto r2 = receiver_into(kept, io.get_executor());
    CHECK_FALSE(registry->wait(c, 1h, r1, cancel.slot()));
    CHECK_FALSE(registry->wait(c, 1h, r2, {}));
    cancel.emit(asio::cancellation_type::terminal);
    while (cancelled.times == 0)
        io.run_one();
    cancel.emit(asio::cancellation_type::terminal); // answered already: nothing happens
    REQUIRE(cancelled.failure);
    CHECK(code_of(cancelled.failure) == errc::cancelled);
    CHECK(kept.times == 0);
    CHECK(registry->waiting() == 1);
    registry->settle("n", success_page, authorized_as(1));
    io.restart();
    io.run_for(10min);
    CHECK(io.stopped());
    CHECK(kept.times == 1);
    CHECK(cancelled.times == 1);
}

TEST_CASE("at the cap: links are refused with too_many_pending, callbacks are served unremembered, expired states make room")
{
    asio::io_context io;
    auto registry = web::pending_authorizations::create(io.get_executor(), 2);
    registry->open(claims_for(1, "a"));
    registry->open(claims_for(2, "b", -1s)); // expired already
    CHECK(registry->pending() == 2);
    // The expired one goes to make room.
    registry->open(claims_for(3, "c"));
    CHECK(registry->pending() == 2);
    try {
        registry->open(claims_for(4, "d"));
        FAIL("a third pending state was accepted");
    } catch (const oauth2::error& e) {
        CHECK(e.code() == errc::too_many_pending);
    }
    CHECK_FALSE(registry->begin_callback(claims_for(5, "e")));
    CHECK(registry->begin_callback(claims_for(1, "a"))); // known already
    answered full;
    auto r = receiver_into(full, io.get_executor());
    auto now = registry->wait(claims_for(6, "f"), 1h, r, {});
    REQUIRE(now);
    CHECK(now->outcome == authorization_outcome::failed);
    CHECK(now->code == errc::too_many_pending);
    // A settled state no longer counts as pending.
    registry->settle("a", success_page, authorized_as(1));
    CHECK(registry->pending() == 1);
    registry->open(claims_for(7, "g"));
    CHECK(registry->pending() == 2);
}

TEST_CASE("close: no more links, unsettled waits answer `stopped`, and end_waiters stops the waiting ones")
{
    asio::io_context io;
    auto registry = web::pending_authorizations::create(io.get_executor(), 100);
    auto settled = claims_for(1, "s");
    auto open = claims_for(2, "o");
    registry->open(settled);
    registry->settle("s", success_page, authorized_as(1));
    answered waiting;
    auto r1 = receiver_into(waiting, io.get_executor());
    CHECK_FALSE(registry->wait(open, 1h, r1, {}));

    CHECK(registry->close());
    CHECK_FALSE(registry->close());
    try {
        registry->open(claims_for(3, "new"));
        FAIL("a link was registered after close()");
    } catch (const oauth2::error& e) {
        CHECK(e.code() == errc::stopped);
    }
    answered after;
    auto r2 = receiver_into(after, io.get_executor());
    auto now = registry->wait(open, 1h, r2, {});
    REQUIRE(now);
    CHECK(now->outcome == authorization_outcome::stopped);
    auto result = registry->wait(settled, 1h, r2, {}); // a result known before still answers
    REQUIRE(result);
    CHECK(result->outcome == authorization_outcome::authorized);

    r2.reset(); // never registered: it holds the io_context's work until dropped
    registry->end_waiters();
    io.run();
    CHECK(waiting.times == 1);
    CHECK(waiting.result.outcome == authorization_outcome::stopped);
    CHECK(waiting.result.code == errc::stopped);
    CHECK(registry->waiting() == 0);
}

TEST_CASE("replays: unknown states are followed only when asked, and a follower that gives up is forgotten")
{
    asio::io_context io;
    auto registry = web::pending_authorizations::create(io.get_executor(), 100);
    auto c = claims_for(1, "n");
    auto unknown = registry->follow(c, false, io.get_executor());
    CHECK_FALSE(unknown.settled);
    CHECK_FALSE(unknown.follower);
    CHECK(registry->pending() == 0);

    auto enrolled = registry->follow(c, true, io.get_executor()); // another instance may have it
    REQUIRE(enrolled.follower);
    CHECK(registry->pending() == 1);
    auto stays = registry->follow(c, false, io.get_executor());
    REQUIRE(stays.follower);
    registry->unfollow("n", enrolled.follower);
    registry->settle("n", success_page, std::nullopt); // a page without a result: replays only
    CHECK_FALSE(enrolled.follower->ready());
    CHECK(stays.follower->ready());
    CHECK(registry->unsettled_user("n") == oauth2::snowflake(1));
}

TEST_CASE("many threads open, wait and settle at once: every waiter is answered exactly once")
{
    constexpr int states = 500;
    constexpr int waiters_per_state = 3;
    asio::thread_pool pool(4);
    auto registry = web::pending_authorizations::create(pool.get_executor(), states);
    std::vector<answered> answers(states * waiters_per_state);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = t; i < states; i += 4) {
                auto c = claims_for(i + 1, "nonce-" + std::to_string(i));
                registry->open(c);
                for (int w = 0; w < waiters_per_state; ++w) {
                    auto r = receiver_into(answers[i * waiters_per_state + w], pool.get_executor());
                    asio::cancellation_slot none;
                    if (auto now = registry->wait(c, 1h, r, none))
                        r->deliver(nullptr, *now);
                }
            }
        });
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 50; ++round)
                for (int i = t; i < states; i += 2)
                    registry->settle("nonce-" + std::to_string(i), success_page, authorized_as(i + 1));
        });
    for (auto& t : threads)
        t.join();
    for (int i = 0; i < states; ++i)
        registry->settle("nonce-" + std::to_string(i), success_page, authorized_as(i + 1));
    pool.join();
    int wrong = 0;
    for (int i = 0; i < states * waiters_per_state; ++i)
        if (answers[i].times != 1 || answers[i].result.grant->user_id != oauth2::snowflake(i / waiters_per_state + 1))
            ++wrong;
    CHECK(wrong == 0);
    CHECK(registry->waiting() == 0);
    CHECK(registry->pending() == 0);
}
