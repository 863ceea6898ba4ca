#include "line_writer.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace cli {
namespace {

// All of `text`, unless the reader has gone (EPIPE) or the descriptor fails: false then.
bool write_all(int fd, const std::string& text)
{
    std::size_t done = 0;
    while (done < text.size()) {
        auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

line_writer::line_writer(int fd, std::size_t max_bytes, loss_notice notice) : state_(std::make_shared<state>())
{
    state_->fd = fd;
    state_->max_bytes = max_bytes;
    state_->notice = std::move(notice);
    thread_ = std::thread(run, state_);
}

line_writer::~line_writer()
{
    std::unique_lock lock(state_->mutex);
    state_->stopping = true;
    state_->wake.notify_one();
    // The last lines go out if the reader still reads; a reader that stopped cannot hold the
    // exit: the thread, blocked in write(), keeps its own share of the state and ends with the
    // process.
    if (state_->drained.wait_for(lock, std::chrono::seconds(5), [this] { return state_->finished; })) {
        lock.unlock();
        thread_.join();
    } else {
        lock.unlock();
        thread_.detach();
    }
}

void line_writer::write(std::string line)
{
    auto& s = *state_;
    std::lock_guard lock(s.mutex);
    if (s.bytes + line.size() + 1 > s.max_bytes) {
        ++s.missed;
        ++s.dropped;
        return;
    }
    if (s.missed > 0) {
        // Room again after a loss: the reader learns how many lines it did not get, first.
        auto notice = (s.notice ? s.notice(s.missed) : fmt::format(R"({{"event":"events_missed","missed":{}}})", s.missed))
            + '\n';
        s.bytes += notice.size();
        s.lines.push_back(std::move(notice));
        s.missed = 0;
    }
    line += '\n';
    s.bytes += line.size();
    s.lines.push_back(std::move(line));
    s.wake.notify_one();
}

std::uint64_t line_writer::dropped()
{
    std::lock_guard lock(state_->mutex);
    return state_->dropped;
}

void line_writer::run(std::shared_ptr<state> s)
{
    bool reader_gone = false;
    std::unique_lock lock(s->mutex);
    for (;;) {
        s->wake.wait(lock, [&] { return s->stopping || !s->lines.empty(); });
        if (s->lines.empty())
            break; // stopping, and everything is out
        auto line = std::move(s->lines.front());
        s->lines.pop_front();
        lock.unlock();
        if (!reader_gone)
            reader_gone = !write_all(s->fd, line); // then the rest is dropped: nobody reads it
        lock.lock();
        s->bytes -= line.size();
    }
    s->finished = true;
    s->drained.notify_all();
}

} // namespace cli
