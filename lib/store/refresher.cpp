#include <discord/oauth2/refresher.hpp>

#include "core/attempt.hpp"
#include "core/work_counter.hpp"

#include <discord/oauth2/detail/result_receiver.hpp>
#include <discord/oauth2/error.hpp>
#include <discord/oauth2/fmt.hpp>

#include <asio/async_result.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <atomic>
#include <map>
#include <mutex>

namespace discord::oauth2 {
namespace {

using receiver_ptr = std::unique_ptr<detail::result_receiver<access_token>>;

} // namespace

struct refresher::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, client& c, std::shared_ptr<token_store> s, refresher_config cfg)
        : executor(std::move(ex)), discord(c), store(std::move(s)), config(cfg)
    {
        if (!store)
            throw error(errc::invalid_argument, "the refresher needs a token store");
        if (config.max_in_flight == 0 || config.max_attempts < 1)
            throw error(errc::invalid_argument, "max_in_flight and max_attempts must be at least 1");
    }

    asio::any_io_executor executor;
    client& discord;
    std::shared_ptr<token_store> store;
    refresher_config config;
    std::function<void(const grant_lost&)>* on_lost = nullptr;                 // the owner's members
    std::function<void(snowflake, const access_token&)>* on_refreshed = nullptr;

    std::mutex mutex;
    std::map<snowflake, std::vector<receiver_ptr>> flights; // one refresh per grant at a time
    std::atomic<std::uint64_t> sent{0};
    std::atomic<bool> running{false};
    core::work_counter loop_running; // the scan loop has not returned yet: stop() waits for it
    std::optional<asio::steady_timer> scan_timer;

    void count(refresh_outcome outcome) const noexcept
    {
        if (const auto& observer = discord.config().metrics)
            observer->refresh_finished(outcome);
    }

    // A refresh that ended in an exception, counted: every failure but what is not a refresh
    // that failed (no grant; a grant lost, counted where it was found lost, or flagged before).
    void count_failure(std::exception_ptr e) const noexcept
    {
        try {
            std::rethrow_exception(e);
        } catch (const error& failure) {
            auto code = failure.code();
            if (code == errc::no_grant || code == errc::invalid_grant || code == errc::outcome_unknown)
                return;
            count(refresh_outcome::failed);
        } catch (...) {
            count(refresh_outcome::failed); // the store's, or memory
        }
    }

    void lost(snowflake user, std::error_code code, std::string reason)
    {
        if (on_lost && *on_lost)
            (*on_lost)(grant_lost{user, code, std::move(reason)});
    }

    // Joins the user's flight, or starts one; every member gets the leader's outcome.
    void join(snowflake user, bool force, receiver_ptr receiver)
    {
        bool leader = false;
        {
            std::lock_guard lock(mutex);
            auto& waiting = flights[user];
            leader = waiting.empty();
            waiting.push_back(std::move(receiver));
        }
        if (!leader)
            return;
        asio::co_spawn(executor, run(user, force),
                       [self = shared_from_this(), user](std::exception_ptr e, access_token token) {
                           if (e)
                               self->count_failure(e);
                           std::vector<receiver_ptr> waiting;
                           {
                               std::lock_guard lock(self->mutex);
                               waiting.swap(self->flights[user]);
                               self->flights.erase(user);
                           }
                           for (auto& w : waiting)
                               w->deliver(e, token);
                       });
    }

    asio::awaitable<access_token> shared(snowflake user, bool force)
    {
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, access_token)>(
            [self = shared_from_this(), user, force](auto handler) {
                using receiver = detail::result_receiver_for<access_token, decltype(handler)>;
                self->join(user, force, std::make_unique<receiver>(std::move(handler), self->executor));
            },
            asio::use_awaitable);
    }

    // A grant as stored; nullopt when there is none, or when it fails to open (`unreadable`):
    // a tampered row stays as it is, it is not ours to fix.
    asio::awaitable<std::optional<stored_grant>> load_readable(snowflake user, bool& unreadable)
    {
        unreadable = false;
        std::optional<stored_grant> grant;
        try {
            grant = co_await store->load(user);
        } catch (const error&) {
            unreadable = true;
        }
        co_return grant;
    }

    asio::awaitable<void> sleep(std::chrono::milliseconds d)
    {
        asio::steady_timer t(executor, d);
        co_await t.async_wait(asio::use_awaitable);
    }

    // The refresh protocol. Every step that matters is committed before the next one:
    // in flight -> sent -> rotated grant (or the grant flagged as lost).
    asio::awaitable<access_token> run(snowflake user, bool force)
    {
        auto self = shared_from_this();
        // Against other processes sharing the store; held until the outcome is committed, so
        // that the next holder reads it (a fresh grant it need not refresh again). Found in
        // flight under the lock, a grant was left so by a process that died.
        auto held = co_await store->lock_grant(user);
        for (int tries = 1;; ++tries) {
            auto found = co_await store->load(user);
            if (!found)
                throw error(errc::no_grant, fmt::format("no grant is stored for user {}", user));
            auto grant = std::move(*found);
            if (grant.needs_reauthorization)
                throw error(errc::invalid_grant,
                            fmt::format("the grant of user {} is lost: the user must authorize again", user));
            // In flight, yet nobody in this process is refreshing it (that would be our flight,
            // and we hold the lock): a process died between recording the refresh and recording
            // its answer. Most such deaths come before Discord rotated anything, so the stored
            // refresh token is probed rather than given up: a refresh with it either succeeds
            // (it was never rotated: the new pair is committed, nothing is lost) or fails with
            // invalid_grant (it was: the grant is flagged). A rotated token can do nothing
            // more, so the probe is safe either way. It stays marked in flight while it runs.
            bool probe = grant.refresh_in_flight;
            if (!grant.token.refresh_token)
                throw error(errc::no_grant, fmt::format("the grant of user {} has no refresh token", user));
            auto marked = grant;
            if (!probe) {
                auto now = std::chrono::system_clock::now();
                if (!force && grant.token.expires_at - now > config.margin)
                    co_return grant.token;
                marked.refresh_in_flight = true;
                auto version = co_await store->compare_and_swap(marked);
                if (!version)
                    continue; // written meanwhile: look again
                marked.version = *version;
            }

            ++sent;
            auto refreshed = co_await core::attempt(discord.refresh(*grant.token.refresh_token));
            const auto& failure = refreshed.failure;
            if (!failure) {
                const auto& renewed = *refreshed.value;
                auto rotated = marked;
                rotated.token = renewed;
                rotated.refresh_in_flight = false;
                // Committed before anyone sees the new token: if this fails, nobody uses it.
                if (!co_await store->compare_and_swap(rotated))
                    throw error(errc::store_failed,
                                fmt::format("the grant of user {} changed while it was being refreshed", user));
                count(refresh_outcome::refreshed);
                if (on_refreshed && *on_refreshed)
                    (*on_refreshed)(user, renewed);
                co_return renewed;
            }
            bool dead = failure->needs_reauthorization();
            bool unknown = failure->code() == errc::outcome_unknown;
            auto settled = marked;
            settled.refresh_in_flight = false;
            settled.needs_reauthorization = dead || unknown;
            // A probe that met a transient failure learnt nothing: the grant stays in flight.
            if (dead || unknown || !probe)
                (void)co_await store->compare_and_swap(settled);
            if (dead || unknown) {
                count(refresh_outcome::lost);
                lost(user, failure->code(), failure->what());
                throw *failure;
            }
            // Transient: Discord answered without rotating, or nothing reached it.
            auto wait = config.retry_backoff * (1 << std::min(tries - 1, 10));
            if (tries >= config.max_attempts || std::chrono::system_clock::now() + wait >= grant.token.expires_at)
                throw *failure;
            co_await sleep(wait);
        }
    }

    asio::awaitable<void> scan_loop()
    {
        auto self = shared_from_this();
        core::work_counter::scope_guard leaving(loop_running, std::adopt_lock); // entered by start()
        const auto& observer = discord.config().metrics;
        while (running) {
            // A store that does not answer (PostgreSQL restarting) skips this scan, not every
            // scan after it: the loop waits and asks again.
            auto listed = co_await core::attempt(
                store->list_expiring_before(std::chrono::system_clock::now() + config.margin));
            std::vector<snowflake> due;
            if (listed.value)
                due = std::move(*listed.value);
            if (observer) {
                observer->store_reachable(!listed.failure);
                if (!listed.failure) {
                    auto counted = co_await core::attempt(store->count());
                    if (counted.value)
                        observer->grants_counted(*counted.value);
                    else
                        observer->store_reachable(false);
                }
            }
            std::size_t next = 0;
            core::work_counter active;
            // At most max_in_flight refreshes at once, each through the user's flight.
            auto worker = [self, &due, &next, &active]() -> asio::awaitable<void> {
                while (self->running && next < due.size()) {
                    auto user = due[next++];
                    // Lost grants are reported through on_grant_lost; the loop goes on.
                    (void)co_await core::attempt(self->shared(user, false));
                }
                active.leave();
            };
            for (std::size_t i = 0; i < config.max_in_flight && i < due.size(); ++i) {
                active.enter();
                asio::co_spawn(executor, worker(), asio::detached);
            }
            (void)co_await active.wait_idle();
            if (!running)
                break;
            scan_timer.emplace(executor, config.scan_interval);
            std::error_code ec;
            try {
                co_await scan_timer->async_wait(asio::use_awaitable);
            } catch (const std::system_error& e) {
                ec = e.code();
            }
            if (ec)
                break;
        }
    }
};

refresher::refresher(asio::any_io_executor executor, client& discord, std::shared_ptr<token_store> store,
                     refresher_config config)
    : impl_(std::make_shared<impl>(std::move(executor), discord, std::move(store), config))
{
    impl_->on_lost = &on_grant_lost;
    impl_->on_refreshed = &on_refreshed;
}

refresher::refresher(asio::any_io_executor executor, client& discord, std::shared_ptr<token_store> store)
    : refresher(std::move(executor), discord, std::move(store), refresher_config{})
{
}

refresher::~refresher()
{
    impl_->running = false;
    impl_->on_lost = nullptr;
    impl_->on_refreshed = nullptr;
    if (impl_->scan_timer)
        impl_->scan_timer->cancel();
}

asio::awaitable<access_token> refresher::fresh_access_token(snowflake user)
{
    return impl_->shared(user, false);
}

asio::awaitable<access_token> refresher::refresh(snowflake user)
{
    return impl_->shared(user, true);
}

asio::awaitable<std::vector<snowflake>> refresher::recover()
{
    auto self = impl_;
    std::vector<snowflake> lost;
    auto users = co_await self->store->list();
    for (auto user : users) {
        bool unreadable = false;
        auto grant = co_await self->load_readable(user, unreadable);
        if (!grant || !grant->refresh_in_flight)
            continue;
        // Probed through the user's flight and under its lock (run() does the probing): a live
        // process still refreshing it holds the lock, and its commit ends the flight first.
        auto probed = co_await core::attempt(self->shared(user, true));
        if (!probed.failure)
            continue;
        grant = co_await self->load_readable(user, unreadable);
        if (grant && grant->needs_reauthorization)
            lost.push_back(user);
    }
    co_return lost;
}

asio::awaitable<std::vector<snowflake>> refresher::needing_reauthorization()
{
    auto self = impl_;
    std::vector<snowflake> out;
    auto users = co_await self->store->list();
    for (auto user : users) {
        bool unreadable = false;
        auto grant = co_await self->load_readable(user, unreadable);
        if (unreadable || (grant && grant->needs_reauthorization))
            out.push_back(user); // an unreadable grant is as lost as a dead one
    }
    co_return out;
}

void refresher::start()
{
    if (impl_->running)
        return;
    impl_->running = true;
    impl_->loop_running.enter(); // left by the loop when it returns
    asio::co_spawn(impl_->executor, impl_->scan_loop(), asio::detached);
}

asio::awaitable<void> refresher::stop()
{
    auto self = impl_;
    self->running = false;
    if (self->scan_timer)
        self->scan_timer->cancel();
    // The refreshes under way finish (a refresh is never cut in half: its outcome is committed),
    // then the loop returns; nothing of it is left behind when stop() completes.
    (void)co_await self->loop_running.wait_idle();
}

std::uint64_t refresher::refreshes_sent() const noexcept
{
    return impl_->sent.load();
}

} // namespace discord::oauth2
