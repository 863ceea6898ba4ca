#include "pg/pool.hpp"

#include "core/attempt.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/async_result.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <vector>

namespace discord::oauth2::pg {

asio::awaitable<std::unique_ptr<connection>> connect_with_backoff(asio::any_io_executor executor, const std::string& url,
                                                                const pool_options& options,
                                                                std::chrono::milliseconds timeout)
{
    auto until = std::chrono::steady_clock::now() + timeout;
    auto wait = options.backoff;
    for (;;) {
        auto connected = co_await core::attempt(connection::connect(executor, url));
        if (connected.value)
            co_return std::move(*connected.value);
        const auto& failure = connected.failure;
        // A malformed URL stays malformed; anything else (refused, starting up, shutting down)
        // may pass once the server is back.
        if (failure->code() == errc::invalid_argument || std::chrono::steady_clock::now() + wait > until)
            throw error(errc::store_failed,
                        fmt::format("PostgreSQL stayed unreachable for {} ms: {}", timeout.count(), failure->what()));
        asio::steady_timer t(executor, wait);
        co_await t.async_wait(asio::use_awaitable);
        wait = std::min(wait * 2, options.max_backoff);
    }
}

// A statement waiting for its answer.
struct job {
    statement st;
    int attempts = 0;
    std::function<void(std::exception_ptr, result)> done;
};

struct pool::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, std::string u, pool_options o) : executor(std::move(ex)), url(std::move(u)), options(o)
    {
        if (options.size == 0)
            throw error(errc::invalid_argument, "a PostgreSQL pool needs at least one connection");
        slots.resize(options.size);
        working.resize(options.size, false);
    }

    asio::any_io_executor executor;
    std::string url;
    pool_options options;
    std::atomic<std::uint64_t> broken{0};
    std::atomic<std::uint64_t> round_trips{0};

    std::mutex mutex;
    std::vector<std::unique_ptr<connection>> slots; // used by their worker only
    std::vector<bool> working;
    std::deque<std::shared_ptr<job>> queue;

    // Queues the job, and starts a worker for an idle slot if there is one.
    void submit(std::shared_ptr<job> j, bool first)
    {
        std::optional<std::size_t> idle;
        {
            std::lock_guard lock(mutex);
            if (first)
                queue.push_front(std::move(j));
            else
                queue.push_back(std::move(j));
            for (std::size_t i = 0; i < working.size(); ++i)
                if (!working[i]) {
                    working[i] = true;
                    idle = i;
                    break;
                }
        }
        if (idle)
            asio::co_spawn(executor, work(shared_from_this(), *idle), asio::detached);
    }

    // A slot's worker: takes what has queued up, sends it as one pipeline, hands out the
    // outcomes; ends when the queue is empty. Statements that met a broken connection go back to
    // the front of the queue once.
    static asio::awaitable<void> work(std::shared_ptr<impl> self, std::size_t slot)
    {
        for (;;) {
            std::vector<std::shared_ptr<job>> batch;
            {
                std::lock_guard lock(self->mutex);
                while (!self->queue.empty() && batch.size() < max_batch) {
                    batch.push_back(std::move(self->queue.front()));
                    self->queue.pop_front();
                }
                if (batch.empty()) {
                    self->working[slot] = false;
                    co_return;
                }
            }
            std::vector<statement> statements;
            statements.reserve(batch.size());
            for (const auto& j : batch)
                statements.push_back(j->st);
            auto sent = co_await core::attempt(self->send_pipeline(slot, statements));
            if (sent.failure) {
                auto& c = self->slots[slot];
                bool met_broken = c && !c->healthy();
                if (met_broken)
                    ++self->broken;
                // Whatever the pipeline left unread would answer the next one: a new connection.
                c.reset();
                // A statement that met a broken connection gets one more try on a new one.
                for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
                    if (met_broken && (*it)->attempts++ == 0) {
                        std::lock_guard lock(self->mutex);
                        self->queue.push_front(*it);
                    } else {
                        (*it)->done(std::make_exception_ptr(*sent.failure), result{});
                    }
                }
                continue;
            }
            auto& outcomes = *sent.value;
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (outcomes[i].rows)
                    batch[i]->done(nullptr, std::move(*outcomes[i].rows));
                else
                    batch[i]->done(std::make_exception_ptr(error(errc::store_failed, outcomes[i].failure)), result{});
            }
        }
    }

    // One round trip on the slot's connection (made first when it has none).
    asio::awaitable<std::vector<outcome>> send_pipeline(std::size_t slot, const std::vector<statement>& statements)
    {
        auto* c = co_await ready(slot);
        ++round_trips;
        co_return co_await c->pipeline(statements,
                                        options.group_commit ? connection::commit::together : connection::commit::each);
    }

    // The slot's connection, made anew when it is missing or broken.
    asio::awaitable<connection*> ready(std::size_t slot)
    {
        auto& c = slots[slot];
        if (c && !c->healthy()) {
            c.reset();
            ++broken;
        }
        if (!c)
            c = co_await connect_with_backoff(executor, url, options, options.reconnect_timeout);
        co_return c.get();
    }

    // The answer of one statement, through the queue. Not a coroutine: the closure handed to
    // async_initiate inside a co_await would be destroyed twice by g++ 12 (docs/compilers.md).
    asio::awaitable<result> enqueue(std::shared_ptr<job> j)
    {
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, result)>(
            [self = shared_from_this(), j](auto handler) {
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                j->done = [shared](std::exception_ptr e, result r) {
                    auto ex = asio::get_associated_executor(*shared);
                    asio::post(ex, [shared, e, r = std::move(r)]() mutable { std::move(*shared)(e, std::move(r)); });
                };
                self->submit(j, false);
            },
            asio::use_awaitable);
    }

    static constexpr std::size_t max_batch = 64;
};

pool::pool(asio::any_io_executor executor, std::string url, pool_options options, std::unique_ptr<connection> first)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(url), options))
{
    impl_->slots[0] = std::move(first);
}

pool::~pool() = default;

std::uint64_t pool::broken_connections() const noexcept
{
    return impl_->broken.load();
}

std::uint64_t pool::round_trips() const noexcept
{
    return impl_->round_trips.load();
}

asio::awaitable<result> pool::run(std::string_view sql, const parameters& params)
{
    auto j = std::make_shared<job>();
    j->st.sql = std::string(sql); // copied before the first suspension
    j->st.params = params;
    return impl_->enqueue(std::move(j));
}

} // namespace discord::oauth2::pg
