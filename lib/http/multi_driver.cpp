#include "http/multi_driver.hpp"

#include "http/curl_global.hpp"

#include <vector>

namespace discord::oauth2::http {

multi_driver::multi_driver(strand_type strand, done_handler on_done)
    : strand_(std::move(strand)), multi_((ensure_curl_global(), curl_multi_init())), timer_(strand_),
      on_done_(std::move(on_done))
{
    if (!multi_)
        throw std::bad_alloc();
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &multi_driver::on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &multi_driver::on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

multi_driver::~multi_driver()
{
    shut_down_ = true;
    // curl_multi_cleanup may still report sockets as removed; on_socket copes with that.
    curl_multi_cleanup(multi_);
    for (auto& [fd, s] : sockets_)
        forget(*s);
}

void multi_driver::add(CURL* easy)
{
    curl_multi_add_handle(multi_, easy);
}

void multi_driver::remove(CURL* easy)
{
    curl_multi_remove_handle(multi_, easy);
}

void multi_driver::shutdown()
{
    shut_down_ = true;
    timer_.cancel();
    for (auto& [fd, s] : sockets_) {
        std::error_code ignored;
        s->descriptor.cancel(ignored);
    }
}

int multi_driver::on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void* socket_ptr)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    auto* known = static_cast<socket_state*>(socket_ptr);

    if (what == CURL_POLL_REMOVE) {
        if (known) {
            self.forget(*known);
            self.sockets_.erase(fd);
        }
        return 0;
    }

    std::shared_ptr<socket_state> s;
    if (known) {
        s = self.sockets_.at(fd);
    } else {
        // A stale entry means curl closed an fd without telling us and the number was reused:
        // release the old registration before the new one takes the fd.
        if (auto old = self.sockets_.find(fd); old != self.sockets_.end()) {
            self.forget(*old->second);
            self.sockets_.erase(old);
        }
        s = std::make_shared<socket_state>(self.strand_, fd);
        std::error_code ec;
        s->descriptor.assign(fd, ec);
        if (ec)
            return -1; // curl fails the transfer with CURLE_ABORTED_BY_CALLBACK
        self.sockets_.emplace(fd, s);
        curl_multi_assign(self.multi_, fd, s.get());
    }
    s->wanted = what;
    if (!self.shut_down_)
        self.watch(s);
    return 0;
}

void multi_driver::forget(socket_state& s)
{
    s.removed = true;
    std::error_code ignored;
    s.descriptor.cancel(ignored);
    s.descriptor.release();
}

void multi_driver::watch(const std::shared_ptr<socket_state>& s)
{
    if (s->removed)
        return;
    // Waits hold the state and the driver alive; a wait that completes after the socket was
    // removed sees `removed` and does nothing.
    auto arm = [&](asio::posix::descriptor_base::wait_type type, bool& pending, int cselect) {
        pending = true;
        s->descriptor.async_wait(type, [self = shared_from_this(), s, &pending, cselect](std::error_code ec) {
            pending = false;
            if (s->removed || self->shut_down_ || ec == asio::error::operation_aborted)
                return;
            self->act(s->fd, ec ? CURL_CSELECT_ERR : cselect);
            self->watch(s);
        });
    };
    if ((s->wanted & CURL_POLL_IN) && !s->reading)
        arm(asio::posix::descriptor_base::wait_read, s->reading, CURL_CSELECT_IN);
    if ((s->wanted & CURL_POLL_OUT) && !s->writing)
        arm(asio::posix::descriptor_base::wait_write, s->writing, CURL_CSELECT_OUT);
}

int multi_driver::on_timer(CURLM*, long timeout_ms, void* self_ptr)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    if (timeout_ms < 0) {
        self.timer_.cancel();
        return 0;
    }
    // Even a 0 timeout goes through the timer, so curl is never re-entered from its callback.
    self.timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    self.timer_.async_wait([weak = self.weak_from_this()](std::error_code ec) {
        auto driver = weak.lock();
        if (ec || !driver || driver->shut_down_)
            return;
        driver->act(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
}

void multi_driver::act(curl_socket_t fd, int events)
{
    int running = 0;
    curl_multi_socket_action(multi_, fd, events, &running);
    drain();
}

void multi_driver::drain()
{
    std::vector<std::pair<CURL*, CURLcode>> finished;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &queued))
        if (msg->msg == CURLMSG_DONE)
            finished.emplace_back(msg->easy_handle, msg->data.result);
    // Handed over only now: `on_done` removes handles, which must not happen while the
    // message queue is being read.
    for (auto [easy, code] : finished)
        on_done_(easy, code);
}

} // namespace discord::oauth2::http
