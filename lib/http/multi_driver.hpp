// The glue between one CURLM and an Asio strand, following DESIGN.md's rules:
// - every socket curl reports gets per-socket state that outlives its pending waits, and a
//   stream_descriptor that is released (never closed: curl owns the fd) on CURL_POLL_REMOVE;
// - curl's timer is an Asio timer, and a 0 timeout is run from the event loop, never from
//   inside curl's callback;
// - after each curl_multi_socket_action the finished transfers are drained and handed to
//   `on_done` outside any curl callback.
#pragma once

#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <unordered_map>

namespace discord::oauth2::http {

class multi_driver : public std::enable_shared_from_this<multi_driver> {
public:
    using strand_type = asio::strand<asio::any_io_executor>;
    using done_handler = std::function<void(CURL*, CURLcode)>;

    multi_driver(strand_type strand, done_handler on_done);
    ~multi_driver();
    multi_driver(const multi_driver&) = delete;
    multi_driver& operator=(const multi_driver&) = delete;

    [[nodiscard]] CURLM* handle() const noexcept { return multi_; }

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
        bool removed = false;
    };

    static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket);
    static int on_timer(CURLM* multi, long timeout_ms, void* self);

    void watch(const std::shared_ptr<socket_state>& s);
    void forget(socket_state& s);
    void act(curl_socket_t fd, int events);
    void drain();

    strand_type strand_;
    CURLM* multi_;
    asio::steady_timer timer_;
    done_handler on_done_;
    std::unordered_map<curl_socket_t, std::shared_ptr<socket_state>> sockets_;
    bool shut_down_ = false;
};

} // namespace discord::oauth2::http
