// The glue between one CURLM and an Asio executor that runs one handler at a time (a strand,
// see core/serial_executor.hpp), following these rules:
// - every socket curl reports gets per-socket state that outlives its pending waits, and a
//   stream_descriptor that is released (never closed: curl owns the fd) on CURL_POLL_REMOVE;
// - curl's timer is an Asio timer, and a 0 timeout is run from the event loop, never from
//   inside curl's callback;
// - after each curl_multi_socket_action the finished transfers are drained and handed to
//   `on_done` outside any curl callback.
// Sockets that curl opens for connections go through our open and close callbacks, so we know
// when an fd really closes: while a connection waits in curl's cache its descriptor stays
// registered with the reactor, which saves two epoll_ctl calls per reused connection.
#pragma once

#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/any_io_executor.hpp>

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <optional>
#include <vector>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace discord::oauth2::http {

class multi_driver : public std::enable_shared_from_this<multi_driver> {
public:
    using strand_type = asio::any_io_executor; // serial: see core/serial_executor.hpp
    using done_handler = std::function<void(CURL*, CURLcode)>;

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
    /// Cancels every wait and the timer, so the io_context can finish.
    void shutdown();

private:
    struct socket_state {
        socket_state(const strand_type& strand, curl_socket_t fd) : descriptor(strand), fd(fd) {}
        asio::posix::stream_descriptor descriptor;
        curl_socket_t fd;
        int wanted = 0; // CURL_POLL_IN / OUT / INOUT
        bool reading = false;
        bool writing = false;
        // Bumped when waits are cancelled, so a cancelled wait's late handler changes nothing.
        unsigned read_generation = 0;
        unsigned write_generation = 0;

        void cancel_waits() noexcept
        {
            reading = writing = false;
            ++read_generation;
            ++write_generation;
            std::error_code ignored;
            descriptor.cancel(ignored);
        }
        bool removed = false; // released: the fd is no longer ours to watch
        bool parked = false;  // curl stopped watching, but the connection is still open
    };

    static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket);
    static int on_timer(CURLM* multi, long timeout_ms, void* self);
    static curl_socket_t on_open(void* self, curlsocktype purpose, curl_sockaddr* address);
    static int on_close(void* self, curl_socket_t fd);

    void watch(const std::shared_ptr<socket_state>& s);
    void arm_timer(std::chrono::steady_clock::time_point when);
    void on_timer_expired();
    void forget(socket_state& s);
    void act(curl_socket_t fd, int events);
    void drain();

    strand_type strand_;
    CURLM* multi_;
    asio::steady_timer timer_;
    done_handler on_done_;
    std::unordered_map<curl_socket_t, std::shared_ptr<socket_state>> sockets_;
    std::unordered_set<curl_socket_t> opened_; // connection sockets we opened for curl
    std::vector<std::pair<CURL*, CURLcode>> finished_;
    // curl moves its timeout on nearly every state change. Re-arming the Asio timer each time
    // costs a timerfd_settime syscall, so the timer is only moved earlier, and a wake-up that
    // comes before curl's time re-arms instead of calling curl.
    std::optional<std::chrono::steady_clock::time_point> curl_deadline_;
    std::optional<std::chrono::steady_clock::time_point> timer_armed_for_;
    bool timeout_posted_ = false;
    bool shut_down_ = false;
};

} // namespace discord::oauth2::http
