#include "http/multi_driver.hpp"

#include "http/curl_global.hpp"

#include <asio/post.hpp>

#include <sys/socket.h>
#include <unistd.h>

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

void multi_driver::prepare(CURL* easy)
{
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &multi_driver::on_open);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &multi_driver::on_close);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
}

curl_socket_t multi_driver::on_open(void* self_ptr, curlsocktype, curl_sockaddr* address)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    curl_socket_t fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd == CURL_SOCKET_BAD)
        return CURL_SOCKET_BAD;
    // A stale entry for this number belongs to a closed fd: it must not be mistaken for this one.
    if (auto old = self.sockets_.find(fd); old != self.sockets_.end()) {
        self.forget(*old->second);
        self.sockets_.erase(old);
    }
    self.opened_.insert(fd);
    return fd;
}

int multi_driver::on_close(void* self_ptr, curl_socket_t fd)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    // Deregister before the fd number can be reused.
    if (auto it = self.sockets_.find(fd); it != self.sockets_.end()) {
        self.forget(*it->second);
        self.sockets_.erase(it);
    }
    self.opened_.erase(fd);
    return ::close(fd);
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
    for (auto& [fd, s] : sockets_)
        s->cancel_waits();
}

int multi_driver::on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void* socket_ptr)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    auto* known = static_cast<socket_state*>(socket_ptr);

    if (what == CURL_POLL_REMOVE) {
        if (known) {
            if (self.opened_.contains(fd)) {
                // Still open (idle in curl's cache, most likely): keep the registration until
                // on_close. Pending waits are cancelled so curl is not called for it meanwhile.
                known->parked = true;
                known->wanted = 0;
                known->cancel_waits();
            } else {
                self.forget(*known);
                self.sockets_.erase(fd);
            }
        }
        return 0;
    }

    std::shared_ptr<socket_state> s;
    if (known) {
        s = self.sockets_.at(fd);
    } else if (auto parked = self.sockets_.find(fd);
               parked != self.sockets_.end() && parked->second->parked && self.opened_.contains(fd)) {
        s = parked->second; // curl watches a cached connection again
        s->parked = false;
        curl_multi_assign(self.multi_, fd, s.get());
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
    s.cancel_waits();
    s.descriptor.release();
}

void multi_driver::watch(const std::shared_ptr<socket_state>& s)
{
    if (s->removed || s->parked)
        return;
    // Waits hold the state and the driver alive; a wait that completes after the socket was
    // removed sees `removed` and does nothing.
    auto arm = [&](asio::posix::descriptor_base::wait_type type, bool& pending, unsigned& generation, int cselect) {
        pending = true;
        s->descriptor.async_wait(type, [self = shared_from_this(), s, &pending, &generation, armed = ++generation,
                                        cselect](std::error_code ec) {
            if (generation != armed)
                return; // cancelled and possibly re-armed since
            pending = false;
            if (s->removed || s->parked || self->shut_down_ || ec == asio::error::operation_aborted)
                return;
            self->act(s->fd, ec ? CURL_CSELECT_ERR : cselect);
            self->watch(s);
        });
    };
    if ((s->wanted & CURL_POLL_IN) && !s->reading)
        arm(asio::posix::descriptor_base::wait_read, s->reading, s->read_generation, CURL_CSELECT_IN);
    if ((s->wanted & CURL_POLL_OUT) && !s->writing)
        arm(asio::posix::descriptor_base::wait_write, s->writing, s->write_generation, CURL_CSELECT_OUT);
}

int multi_driver::on_timer(CURLM*, long timeout_ms, void* self_ptr)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    if (timeout_ms < 0) {
        // Nothing for curl to time: a wait left armed would keep io_context::run() from
        // returning until it expired (up to the connect or request timeout of a finished transfer).
        self.curl_deadline_.reset();
        if (self.timer_armed_for_) {
            self.timer_armed_for_.reset();
            self.timer_.cancel();
        }
        return 0;
    }
    if (timeout_ms == 0) {
        // Run from the event loop, never from inside curl's callback; coalesced.
        self.curl_deadline_.reset();
        if (!self.timeout_posted_) {
            self.timeout_posted_ = true;
            asio::post(self.strand_, [weak = self.weak_from_this()] {
                auto driver = weak.lock();
                if (!driver)
                    return;
                driver->timeout_posted_ = false;
                if (!driver->shut_down_)
                    driver->act(CURL_SOCKET_TIMEOUT, 0);
            });
        }
        return 0;
    }
    auto when = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    self.curl_deadline_ = when;
    if (!self.timer_armed_for_ || *self.timer_armed_for_ > when)
        self.arm_timer(when);
    return 0;
}

void multi_driver::arm_timer(std::chrono::steady_clock::time_point when)
{
    timer_armed_for_ = when;
    timer_.expires_at(when);
    timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
        auto driver = weak.lock();
        if (ec == asio::error::operation_aborted || !driver || driver->shut_down_)
            return; // re-armed (a newer wait exists) or shut down
        driver->timer_armed_for_.reset();
        driver->on_timer_expired();
    });
}

void multi_driver::on_timer_expired()
{
    if (!curl_deadline_)
        return;
    if (std::chrono::steady_clock::now() < *curl_deadline_) {
        arm_timer(*curl_deadline_); // curl moved its timeout later since we armed
        return;
    }
    curl_deadline_.reset();
    act(CURL_SOCKET_TIMEOUT, 0);
}

void multi_driver::act(curl_socket_t fd, int events)
{
    int running = 0;
    curl_multi_socket_action(multi_, fd, events, &running);
    drain();
}

void multi_driver::drain()
{
    if (!finished_.empty())
        return; // re-entered from on_done_: the outer drain picks the new messages up
    int queued = 0;
    for (;;) {
        while (CURLMsg* msg = curl_multi_info_read(multi_, &queued))
            if (msg->msg == CURLMSG_DONE)
                finished_.emplace_back(msg->easy_handle, msg->data.result);
        if (finished_.empty())
            return;
        // Handed over only now: `on_done` removes handles, which must not happen while the
        // message queue is being read.
        for (std::size_t i = 0; i < finished_.size(); ++i)
            on_done_(finished_[i].first, finished_[i].second);
        finished_.clear();
    }
}

} // namespace discord::oauth2::http
