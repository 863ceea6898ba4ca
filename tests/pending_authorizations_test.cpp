// The web server's registry of authorizations: a callback's outcome reaches every waiter and
// every replay once, deadlines end waiters in order and links expire with one timer that never
// keeps the io_context alive once closed, a settled record keeps no token, cancellation, the
// caps on links and on callback-only states, closing, and many threads settling and waiting at
// once.
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
    CHECK(registry->wait(mine, 1h, r1, {}).registered());
    CHECK(registry->wait(mine, 1h, r2, {}).registered());
    CHECK(registry->wait(other, 1h, r3, {}).registered());
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
    CHECK_FALSE(now.now);
    CHECK(now.grant_of == oauth2::snowflake(1)); // the grant is the store's: the record kept none
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
    CHECK(registry->wait(c, 10min, r2, {}).registered());
    CHECK(registry->wait(c, 20ms, r1, {}).registered()); // registered later, due first
    CHECK(registry->wait(c, 1h, r3, {}).registered());

    while (quick.times == 0)
        io.run_one();
    CHECK(quick.result.outcome == authorization_outcome::timed_out);
    CHECK(quick.result.code == errc::timeout);
    CHECK(slower.times == 0);
    CHECK(patient.times == 0);
    CHECK(registry->waiting() == 2);

    // The others are answered; with nobody waiting and the registry closed (the link's expiry no
    // longer counts), the timer is disarmed and the io_context runs out of work instead of
    // waiting out the hour.
    registry->settle("n", success_page, authorized_as(1));
    registry->close();
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
    CHECK(registry->wait(c, 1h, r1, cancel.slot()).registered());
    CHECK(registry->wait(c, 1h, r2, {}).registered());
    cancel.emit(asio::cancellation_type::terminal);
    while (cancelled.times == 0)
        io.run_one();
    cancel.emit(asio::cancellation_type::terminal); // answered already: nothing happens
    REQUIRE(cancelled.failure);
    CHECK(code_of(cancelled.failure) == errc::cancelled);
    CHECK(kept.times == 0);
    CHECK(registry->waiting() == 1);
    registry->settle("n", success_page, authorized_as(1));
    registry->close();
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
    registry->open(claims_for(1, "a", 100ms));
    registry->open(claims_for(2, "b", -1s)); // expired already
    CHECK(registry->pending() == 2);
    // The expired one goes to make room.
    registry->open(claims_for(3, "c"));
    CHECK(registry->pending() == 2);
    try {
        registry->open(claims_for(4, "d"));
        FAIL("a third link was accepted");
    } catch (const oauth2::error& e) {
        CHECK(e.code() == errc::too_many_pending);
    }
    // States only a callback brought have a cap of their own: they never take the links' room.
    CHECK(registry->begin_callback(claims_for(5, "e")));
    CHECK(registry->begin_callback(claims_for(5, "e2"), true));
    CHECK_FALSE(registry->begin_callback(claims_for(5, "e3")));
    CHECK(registry->begin_callback(claims_for(1, "a"))); // known already
    CHECK(registry->records() == 4);
    answered full;
    auto r = receiver_into(full, io.get_executor());
    auto now = registry->wait(claims_for(6, "f"), 1h, r, {});
    REQUIRE(now.now);
    CHECK(now.now->outcome == authorization_outcome::failed);
    CHECK(now.now->code == errc::too_many_pending);
    // A settled link no longer counts as pending, but it is remembered (and counted) until its
    // link expires: then it makes room.
    registry->settle("a", success_page, authorized_as(1));
    CHECK(registry->pending() == 3);
    CHECK_THROWS_AS(registry->open(claims_for(7, "g")), oauth2::error);
    io.run_for(150ms);
    registry->open(claims_for(7, "g"));
    CHECK(registry->records() == 4);
}

TEST_CASE("records leave when their link expires: waiters learn why, replays are let go, later links stay")
{
    asio::io_context io;
    auto registry = web::pending_authorizations::create(io.get_executor(), 100'000);
    // The settled one first: it expires no later than the other, whose waiter the test waits for.
    registry->open(claims_for(2, "settled", 1s)); // longer than the later links take to make, sanitizers included
    registry->settle("settled", success_page, authorized_as(2));
    auto short_lived = claims_for(1, "short", 1s);
    registry->open(short_lived);
    answered waiting;
    auto r = receiver_into(waiting, io.get_executor());
    CHECK(registry->wait(short_lived, 1h, r, {}).registered());
    auto replay = registry->follow(short_lived, false, io.get_executor());
    REQUIRE(replay.follower);
    for (int i = 0; i < 5'000; ++i) // later links: the first ones' expiry leaves them alone
        registry->open(claims_for(3, "later-" + std::to_string(i)));
    CHECK(registry->records() == 5'002);
    while (waiting.times == 0)
        io.run_one();
    CHECK(waiting.result.outcome == authorization_outcome::timed_out);
    CHECK(waiting.result.code == errc::state_expired);
    CHECK(replay.follower->ready());
    CHECK(registry->records() == 5'000);
    CHECK(registry->pending() == 5'000);
    CHECK(registry->waiting() == 0);
}

TEST_CASE("a record whose callback is under way outlives its link until it settles, within a bound")
{
    asio::io_context io;
    auto registry = web::pending_authorizations::create(io.get_executor(), 100);
    auto c = claims_for(1, "n", 30ms);
    registry->open(c);
    answered waiting;
    auto r = receiver_into(waiting, io.get_executor());
    CHECK(registry->wait(c, 1h, r, {}).registered());
    CHECK(registry->begin_callback(c)); // the exchange is under way
    io.run_for(100ms);                 // past the link's lifetime
    CHECK(waiting.times == 0);
    CHECK(registry->records() == 1);
    registry->settle("n", success_page, authorized_as(1));
    while (waiting.times == 0)
        io.run_one();
    CHECK(waiting.result.outcome == authorization_outcome::authorized);
}

TEST_CASE("a settled record keeps no token: the waiters present get the grant, nothing holds it after")
{
    asio::io_context io;
    auto registry = web::pending_authorizations::create(io.get_executor(), 100);
    auto c = claims_for(1, "n");
    registry->open(c);
    answered waiting;
    auto r = receiver_into(waiting, io.get_executor());
    CHECK(registry->wait(c, 1h, r, {}).registered());
    std::weak_ptr<const oauth2::authorized_grant> grant;
    {
        auto result = authorized_as(1);
        grant = result.grant;
        registry->settle("n", success_page, std::move(result), "sealed");
    }
    while (waiting.times == 0)
        io.run_one();
    CHECK(waiting.result.grant->user_id == oauth2::snowflake(1));
    CHECK_FALSE(grant.expired());
    waiting.result = authorization_result{};
    CHECK(grant.expired()); // the registry kept none
    // A replay-only record (a linked roles state) keeps its page for replays, no result.
    auto linked = claims_for(0, "linked");
    CHECK(registry->begin_callback(linked, true));
    registry->settle("linked", success_page, authorized_as(5));
    auto replay = registry->follow(linked, false, io.get_executor());
    REQUIRE(replay.settled);
    CHECK(replay.settled->title == "Authorized");
    CHECK_FALSE(registry->unsettled_user("linked"));
    CHECK(registry->unsettled_nonces().empty());
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
    CHECK(registry->wait(open, 1h, r1, {}).registered());

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
    REQUIRE(now.now);
    CHECK(now.now->outcome == authorization_outcome::stopped);
    auto result = registry->wait(settled, 1h, r2, {}); // a result known before still answers
    CHECK(result.grant_of == oauth2::snowflake(1));

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
                    auto found = registry->wait(c, 1h, r, none);
                    if (found.now)
                        r->deliver(nullptr, *found.now);
                    else if (found.grant_of)
                        r->deliver(nullptr, authorized_as(found.grant_of->value()));
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
    registry->close(); // the links' expiry would keep the pool's timer for ten minutes
    pool.join();
    int wrong = 0;
    for (int i = 0; i < states * waiters_per_state; ++i)
        if (answers[i].times != 1 || answers[i].result.grant->user_id != oauth2::snowflake(i / waiters_per_state + 1))
            ++wrong;
    CHECK(wrong == 0);
    CHECK(registry->waiting() == 0);
    CHECK(registry->pending() == 0);
}
