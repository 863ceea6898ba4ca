#include "http/multi_driver.hpp"

#include "http/curl_global.hpp"

#include <asio/post.hpp>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <system_error>

namespace discord::oauth2::http {
namespace {

int make_epoll_set()
{
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "the HTTP client could not create its epoll set");
    return fd;
}

unsigned epoll_events_for(int what) noexcept
{
    return ((what & CURL_POLL_IN) ? unsigned{EPOLLIN} : 0U) | ((what & CURL_POLL_OUT) ? unsigned{EPOLLOUT} : 0U);
}

} // namespace

multi_driver::multi_driver(strand_type strand, done_handler on_done)
    : strand_(std::move(strand)), multi_((ensure_curl_global(), curl_multi_init())), events_(strand_, make_epoll_set()),
      timer_(strand_), on_done_(std::move(on_done))
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
    // Closes the cached connections through on_close, which still finds the epoll set open.
    curl_multi_cleanup(multi_);
}

void multi_driver::prepare(CURL* easy)
{
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &multi_driver::on_open);
    curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &multi_driver::on_close);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
}

multi_driver::watched& multi_driver::entry(curl_socket_t fd)
{
    auto index = static_cast<std::size_t>(fd);
    if (index >= fds_.size())
        fds_.resize(std::max(index + 1, fds_.size() * 2));
    return fds_[index];
}

curl_socket_t multi_driver::on_open(void* self_ptr, curlsocktype, curl_sockaddr* address)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    curl_socket_t fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd == CURL_SOCKET_BAD)
        return CURL_SOCKET_BAD;
    // What we knew of this number belongs to an fd curl closed without our callback (a resolver's
    // socket): closing it dropped its registration from the set.
    auto& w = self.entry(fd);
    self.set_wanted(w, 0);
    w.registered = 0;
    w.ours = true;
    return fd;
}

int multi_driver::on_close(void* self_ptr, curl_socket_t fd)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    auto& w = self.entry(fd);
    if (w.registered)
        self.unregister(fd, w); // before the number can be reused
    self.set_wanted(w, 0);
    w.ours = false;
    return ::close(fd);
}

void multi_driver::add(CURL* easy)
{
    if (curl_multi_add_handle(multi_, easy) == CURLM_OK)
        ++transfers_;
}

void multi_driver::remove(CURL* easy)
{
    remove_finished(easy);
    // A transfer cancelled by a coroutine resumed earlier in this round: its handle may be
    // reused at once, so its finished entry must not be handed over.
    for (auto& entry : finished_)
        if (entry.first == easy)
            entry.first = nullptr;
}

void multi_driver::remove_finished(CURL* easy)
{
    if (curl_multi_remove_handle(multi_, easy) == CURLM_OK && transfers_ > 0)
        --transfers_;
    if (!in_round_)
        settle_timer();
}

void multi_driver::shutdown()
{
    shut_down_ = true;
    timer_.cancel();
    cancel_wait();
}

void multi_driver::cancel_wait() noexcept
{
    if (!waiting_)
        return;
    waiting_ = false;
    std::error_code ignored;
    events_.cancel(ignored);
}

bool multi_driver::register_events(curl_socket_t fd, watched& w, unsigned events)
{
    epoll_event change{};
    change.events = events;
    change.data.fd = fd;
    int op = w.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (::epoll_ctl(events_.native_handle(), op, fd, &change) != 0) {
        // Our record and the kernel's disagree only for an fd closed and reused behind our back.
        if (!((op == EPOLL_CTL_MOD && errno == ENOENT) || (op == EPOLL_CTL_ADD && errno == EEXIST)))
            return false;
        op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (::epoll_ctl(events_.native_handle(), op, fd, &change) != 0)
            return false;
    }
    w.registered = events;
    return true;
}

void multi_driver::unregister(curl_socket_t fd, watched& w)
{
    ::epoll_ctl(events_.native_handle(), EPOLL_CTL_DEL, fd, nullptr); // fails only if already gone
    w.registered = 0;
}

void multi_driver::set_wanted(watched& w, int what)
{
    if (!w.wanted && what)
        ++wanted_count_;
    else if (w.wanted && !what && --wanted_count_ == 0) {
        // Nothing left to watch: a wait left armed would keep io_context::run() from returning.
        cancel_wait();
    }
    w.wanted = what;
}

int multi_driver::on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void*)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    auto& w = self.entry(fd);
    if (what == CURL_POLL_REMOVE) {
        self.set_wanted(w, 0);
        // A connection idle in curl's cache keeps its registration until on_close (or until it
        // reports something while idle); any other fd may be closed without telling us.
        if (!w.ours && w.registered)
            self.unregister(fd, w);
        return 0;
    }
    auto events = epoll_events_for(what);
    if (w.registered != events && !self.register_events(fd, w, events))
        return -1; // curl fails the transfer
    self.set_wanted(w, what);
    self.await_events();
    return 0;
}

void multi_driver::await_events()
{
    if (waiting_ || shut_down_ || wanted_count_ == 0)
        return;
    waiting_ = true;
    events_.async_wait(asio::posix::descriptor_base::wait_read,
                       [weak = weak_from_this(), armed = ++wait_generation_](std::error_code ec) {
                           auto self = weak.lock();
                           if (!self || self->wait_generation_ != armed)
                               return; // cancelled (and maybe re-armed) since, or the driver is gone
                           self->waiting_ = false;
                           if (ec || self->shut_down_)
                               return;
                           self->on_events();
                       });
}

void multi_driver::on_events()
{
    round_guard round{*this};
    epoll_event ready[64];
    int count = ::epoll_wait(events_.native_handle(), ready, 64, 0);
    for (int i = 0; i < count; ++i) {
        auto fd = static_cast<curl_socket_t>(ready[i].data.fd);
        auto& w = entry(fd);
        if (!w.registered)
            continue; // closed by an earlier action of this round
        if (!w.wanted) {
            // Idle in curl's cache and readable or hung up: the peer closed it. curl finds out
            // when it next picks the connection; until then a level-triggered report would repeat.
            unregister(fd, w);
            continue;
        }
        unsigned events = ready[i].events;
        int select = 0;
        if (events & EPOLLERR)
            select |= CURL_CSELECT_ERR;
        if ((events & (EPOLLIN | EPOLLHUP)) && (w.wanted & CURL_POLL_IN))
            select |= CURL_CSELECT_IN;
        if ((events & (EPOLLOUT | EPOLLHUP)) && (w.wanted & CURL_POLL_OUT))
            select |= CURL_CSELECT_OUT;
        if (select == 0)
            continue; // no longer wanted since the round began; level-triggered, so not lost
        int running = 0;
        curl_multi_socket_action(multi_, fd, select, &running);
        if (shut_down_)
            return;
    }
    try {
        drain();
    } catch (...) {
        await_events(); // a handler's exception goes on to run()'s caller; the client keeps going
        throw;
    }
    await_events(); // more may be ready than one round takes: the set's fd is still readable then
}

int multi_driver::on_timer(CURLM*, long timeout_ms, void* self_ptr)
{
    auto& self = *static_cast<multi_driver*>(self_ptr);
    if (timeout_ms < 0) {
        // Nothing for curl to time. Inside a round the timer is settled when the round ends: a
        // transfer that finished is mostly followed by the next one its caller sends at once,
        // whose deadline comes later than the one armed, which may then stay armed.
        self.curl_deadline_.reset();
        if (!self.in_round_)
            self.settle_timer();
        return 0;
    }
    if (timeout_ms == 0) {
        // Run from the event loop, never from inside curl's callback; coalesced. Asked for inside
        // a round (a caller resumed there sent its next request), it runs once the round's
        // answers are handed over, without a trip through the scheduler.
        self.curl_deadline_.reset();
        if (self.in_round_) {
            self.timeout_due_ = true;
            return 0;
        }
        self.post_timeout();
        return 0;
    }
    auto when = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    self.curl_deadline_ = when;
    if (!self.timer_armed_for_ || *self.timer_armed_for_ > when)
        self.arm_timer(when);
    return 0;
}

void multi_driver::post_timeout()
{
    if (timeout_posted_)
        return;
    timeout_posted_ = true;
    asio::post(strand_, [weak = weak_from_this()] {
        auto driver = weak.lock();
        if (!driver)
            return;
        driver->timeout_posted_ = false;
        if (!driver->shut_down_)
            driver->act(CURL_SOCKET_TIMEOUT, 0);
    });
}

multi_driver::round_guard::~round_guard()
{
    if (!outermost)
        return;
    driver.in_round_ = false;
    if (driver.shut_down_)
        return;
    try {
        if (driver.timeout_due_) { // left by a round cut short by a handler's exception
            driver.timeout_due_ = false;
            driver.post_timeout();
        }
        driver.settle_timer();
    } catch (...) {
        // Out of memory posting a handler, or a timer that cannot be cancelled: curl's own
        // deadline (the request timeout) still ends its transfers.
    }
}

void multi_driver::settle_timer()
{
    // With no transfer left and nothing for curl to time, a wait left armed would keep
    // io_context::run() from returning until it expired (up to the request timeout).
    if (curl_deadline_ || transfers_ > 0 || !timer_armed_for_ || shut_down_)
        return;
    timer_armed_for_.reset();
    timer_.cancel();
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
    round_guard round{*this};
    int running = 0;
    curl_multi_socket_action(multi_, fd, events, &running);
    drain();
}

void multi_driver::drain()
{
    if (!finished_.empty())
        return; // re-entered from on_done_: the outer drain picks the new messages up
    // on_done_ may resume the caller's coroutine here, which may cancel another transfer of
    // this round (remove() forgets its entry), destroy the client (shutting this driver down and
    // freeing the other handles: nothing more is handed over), or throw out of its handler: the
    // rest of the round is then handed over posted (no second throw can come through here) and
    // the first exception goes on once the round is done. The list is emptied on every way out.
    struct emptied {
        std::vector<std::pair<CURL*, CURLcode>>& list;
        bool& at_once;
        ~emptied()
        {
            list.clear();
            at_once = true;
        }
    } guard{finished_, resume_at_once_};
    std::exception_ptr thrown;
    bool inline_timeout_run = false;
    int queued = 0;
    for (;;) {
        while (CURLMsg* msg = curl_multi_info_read(multi_, &queued))
            if (msg->msg == CURLMSG_DONE)
                finished_.emplace_back(msg->easy_handle, msg->data.result);
        if (finished_.empty()) {
            // A timeout curl asked for during the round: once a round, so that callers that keep
            // sending requests which fail at once still let the loop's other handlers run.
            if (!timeout_due_ || shut_down_)
                break;
            timeout_due_ = false;
            if (inline_timeout_run) {
                post_timeout();
                break;
            }
            inline_timeout_run = true;
            int running = 0;
            curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
            continue;
        }
        // Handed over only now: `on_done` removes handles, which must not happen while the
        // message queue is being read.
        for (std::size_t i = 0; i < finished_.size() && !shut_down_; ++i) {
            if (!finished_[i].first)
                continue;
            try {
                on_done_(finished_[i].first, finished_[i].second);
            } catch (...) {
                if (!thrown)
                    thrown = std::current_exception();
                resume_at_once_ = false;
            }
        }
        finished_.clear();
        if (shut_down_)
            break;
    }
    if (thrown)
        std::rethrow_exception(thrown);
}

} // namespace discord::oauth2::http
