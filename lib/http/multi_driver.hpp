// The glue between one CURLM and an Asio executor that runs one handler at a time (a strand,
// see core/serial_executor.hpp), following these rules:
// - the sockets curl asks us to watch go into an epoll set of the driver's own, and Asio watches
//   only that set's descriptor: one wait and one wake-up serve every socket that became ready
//   together, with no per-socket Asio state, operation or allocation;
// - curl's timer is an Asio timer, and a 0 timeout is run from the event loop, never from
//   inside curl's callback;
// - after each round of curl_multi_socket_action the finished transfers are drained and handed
//   to `on_done` outside any curl callback.
// Sockets that curl opens for connections go through our open and close callbacks, so we know
// when an fd really closes: while a connection waits in curl's cache its registration stays in
// the set (no epoll_ctl per reused connection), and is dropped only if the idle socket reports
// something (the peer closed it), so a closed idle connection cannot make the loop spin.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace discord::oauth2::http {

class multi_driver : public std::enable_shared_from_this<multi_driver> {
public:
    using strand_type = asio::any_io_executor; // serial: see core/serial_executor.hpp
    using done_handler = std::function<void(CURL*, CURLcode)>;

    /// Throws std::system_error if the epoll set cannot be made (out of descriptors).
    multi_driver(strand_type strand, done_handler on_done);
    ~multi_driver();
    multi_driver(const multi_driver&) = delete;
    multi_driver& operator=(const multi_driver&) = delete;

    [[nodiscard]] CURLM* handle() const noexcept { return multi_; }

    /// Sets the socket open/close callbacks on an easy handle; before every `add`.
    void prepare(CURL* easy);
    /// Both run on the strand. Adding arms curl's timer, which starts the transfer.
    void add(CURL* easy);
    void remove(CURL* easy);
    /// The same for the transfer being handed over by on_done: its own entry is the only one of
    /// the round (remove() would search the round for it: quadratic in the transfers a round).
    void remove_finished(CURL* easy);
    /// Cancels the wait and the timer, so the io_context can finish.
    void shutdown();
    /// Whether a finished transfer handed over now may resume its caller inside this round:
    /// false for the rest of a round in which a resumed caller's handler threw.
    [[nodiscard]] bool resume_at_once() const noexcept { return resume_at_once_; }

private:
    // What we know of one fd number; indexed by the number.
    struct watched {
        unsigned registered = 0; // the epoll events the fd is registered for in our set (0: not in it)
        int wanted = 0;          // what curl wants: CURL_POLL_IN / OUT / INOUT, 0 once removed
        bool ours = false;       // a connection socket we opened for curl and have not closed yet
    };

    static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket);
    static int on_timer(CURLM* multi, long timeout_ms, void* self);
    static curl_socket_t on_open(void* self, curlsocktype purpose, curl_sockaddr* address);
    static int on_close(void* self, curl_socket_t fd);

    // A round: one curl_multi_socket_action and the hand-over of what finished in it. While one
    // runs, a timeout curl asks for waits for the round's end, and the timer is settled then.
    struct round_guard {
        multi_driver& driver;
        bool outermost;
        explicit round_guard(multi_driver& d) noexcept : driver(d), outermost(!d.in_round_) { d.in_round_ = true; }
        ~round_guard();
        round_guard(const round_guard&) = delete;
        round_guard& operator=(const round_guard&) = delete;
    };

    watched& entry(curl_socket_t fd);
    bool register_events(curl_socket_t fd, watched& w, unsigned events);
    void unregister(curl_socket_t fd, watched& w);
    void set_wanted(watched& w, int what);
    void await_events();
    void cancel_wait() noexcept;
    void on_events();
    void arm_timer(std::chrono::steady_clock::time_point when);
    void post_timeout();
    void settle_timer();
    void on_timer_expired();
    void act(curl_socket_t fd, int events);
    void drain();

    strand_type strand_;
    CURLM* multi_;
    asio::posix::stream_descriptor events_; // our epoll set, watched by Asio
    asio::steady_timer timer_;
    done_handler on_done_;
    std::vector<watched> fds_;
    std::size_t wanted_count_ = 0; // fds curl currently wants watched: the wait is armed while > 0
    bool waiting_ = false;
    unsigned wait_generation_ = 0; // a cancelled wait's late handler sees a newer number
    std::vector<std::pair<CURL*, CURLcode>> finished_;
    // curl moves its timeout on nearly every state change. Re-arming the Asio timer each time
    // costs a timerfd_settime syscall, so the timer is only moved earlier, and a wake-up that
    // comes before curl's time re-arms instead of calling curl.
    std::optional<std::chrono::steady_clock::time_point> curl_deadline_;
    std::optional<std::chrono::steady_clock::time_point> timer_armed_for_;
    bool timeout_posted_ = false;
    bool timeout_due_ = false;     // curl asked for a 0 timeout during the round under way
    bool in_round_ = false;
    std::size_t transfers_ = 0;    // easy handles in the multi handle
    bool shut_down_ = false;
    bool resume_at_once_ = true;
};

} // namespace discord::oauth2::http
