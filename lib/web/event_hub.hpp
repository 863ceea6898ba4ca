// Fan-out of web server events to subscribers, each with a bounded queue and a doorbell that
// wakes its waiting next() on the subscriber's own executor. Publishing never waits.
#pragma once

#include <discord/oauth2/events.hpp>

#include <asio/experimental/concurrent_channel.hpp>

#include <deque>
#include <mutex>
#include <system_error>
#include <vector>

namespace discord::oauth2::detail {

struct subscription {
    subscription(asio::any_io_executor executor, std::size_t capacity, event_filter filter);

    /// Queues `e` when the filter lets it through, or counts it as missed when the queue is full.
    void push(const event& e);
    /// No more events: next() returns nullopt once the queue is drained.
    void end();
    /// The next queued event or events_missed report, if any (held: mutex).
    std::optional<event> take();

    event_filter filter;
    std::mutex mutex;
    std::deque<event> queue;
    std::size_t capacity;
    std::uint64_t missed = 0;
    bool ended = false;
    // Capacity 1: a ring while one is pending changes nothing. (The bool is there because Asio
    // 1.22's channel_traits cannot tell void(std::error_code) apart from its other forms.)
    asio::experimental::concurrent_channel<void(std::error_code, bool)> bell;
};

} // namespace discord::oauth2::detail

namespace discord::oauth2::web {

class event_hub {
public:
    /// A new stream of every event published from now on, woken on `executor`, holding at most
    /// `capacity` events before it counts the rest as missed.
    [[nodiscard]] event_stream subscribe(asio::any_io_executor executor, std::size_t capacity,
                                         event_filter filter = {});
    void publish(const event& e);
    /// Ends every stream, and those subscribed later at once.
    void end_all();

private:
    std::mutex mutex_;
    std::vector<std::weak_ptr<detail::subscription>> subscribers_;
    bool ended_ = false;
};

} // namespace discord::oauth2::web
