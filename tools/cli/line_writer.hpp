// serve's standard output, never a reason for the sidecar to stall: lines go to a bounded queue
// that a thread of its own writes out. When the bot stops reading, the pipe and then the queue
// fill; further lines are dropped and counted, and once there is room again an `events_missed`
// line says how many, as the event hub tells a slow subscriber. The I/O thread only ever takes
// a lock for a moment.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace cli {

class line_writer {
public:
    /// The line that says how many lines were dropped (without its newline).
    using loss_notice = std::function<std::string(std::uint64_t dropped)>;
    /// Writes to `fd`, holding at most `max_bytes` of lines not yet written; after a loss,
    /// `notice` says how many (serve's events_missed line when empty).
    explicit line_writer(int fd, std::size_t max_bytes = 256 * 1024, loss_notice notice = {});
    /// Writes what is queued (for up to `drain` seconds, if the reader still reads), then stops.
    ~line_writer();
    line_writer(const line_writer&) = delete;
    line_writer& operator=(const line_writer&) = delete;

    /// Queues `line` (without its newline); drops it when the queue is full. Never blocks.
    void write(std::string line);
    /// Lines dropped so far.
    [[nodiscard]] std::uint64_t dropped();

private:
    // Shared with the thread: one that is left blocked in write() at exit must not outlive it.
    struct state {
        int fd;
        std::size_t max_bytes;
        std::mutex mutex;
        std::condition_variable wake;
        std::condition_variable drained;
        std::deque<std::string> lines;
        std::size_t bytes = 0;
        std::uint64_t missed = 0;  // dropped since the last events_missed line
        std::uint64_t dropped = 0; // dropped in all
        bool stopping = false;
        bool finished = false;
        loss_notice notice;
    };
    static void run(std::shared_ptr<state> s);

    std::shared_ptr<state> state_;
    std::thread thread_;
};

} // namespace cli
