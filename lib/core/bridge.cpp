#include <discord/oauth2/async.hpp>
#include <discord/oauth2/detail/bridge.hpp>
#include <discord/oauth2/error.hpp>

#include <asio/post.hpp>

#include <vector>

namespace discord::oauth2::detail {

bridge::bridge()
    : own_io_(std::make_unique<asio::io_context>(1)), executor_(own_io_->get_executor()),
      strand_(asio::make_strand(executor_)), poll_timer_(strand_), work_(asio::make_work_guard(*own_io_)),
      thread_([io = own_io_.get()] { io->run(); })
{
}

bridge::bridge(asio::any_io_executor executor)
    : executor_(std::move(executor)), strand_(asio::make_strand(executor_)), poll_timer_(strand_)
{
}

bridge::~bridge()
{
    std::unordered_set<std::shared_ptr<bridged_operation>> running;
    {
        std::lock_guard lock(mutex_);
        running = running_;
    }
    for (const auto& op : running)
        request_cancel(op);
    {
        std::unique_lock lock(mutex_);
        idle_.wait(lock, [&] { return running_.empty() && !polling_; });
    }
    if (own_io_) {
        work_.reset();
        own_io_->stop();
        thread_.join();
    }
}

std::size_t bridge::running() const
{
    std::lock_guard lock(mutex_);
    return running_.size();
}

void bridge::track(std::shared_ptr<bridged_operation> op, bool polled)
{
    std::lock_guard lock(mutex_);
    running_.insert(std::move(op));
    if (polled && !polling_) {
        polling_ = true;
        asio::post(strand_, [this] { arm_poll(); });
    }
}

void bridge::end(const std::shared_ptr<bridged_operation>& op, std::exception_ptr failure)
{
    std::lock_guard lock(op->mutex);
    op->failure = failure;
    op->finished = true;
    std::lock_guard bridge_lock(mutex_);
    // No poll reads the flag from here on: its owner is about to be resumed.
    op->cancel_flag = nullptr;
    running_.erase(op);
    idle_.notify_all();
}

void bridge::request_cancel(const std::shared_ptr<bridged_operation>& op)
{
    {
        std::lock_guard lock(op->mutex);
        if (op->finished || op->cancel_requested)
            return;
        op->cancel_requested = true;
        if (!op->started)
            return;
    }
    asio::post(strand_, [op] {
        // On the strand, so the operation cannot end between the check and the emit: an ended
        // operation has no slot left to emit to.
        bool finished = false;
        {
            std::lock_guard lock(op->mutex);
            finished = op->finished;
        }
        if (!finished)
            op->signal.emit(asio::cancellation_type::terminal);
    });
}

bool bridge::ended_by_cancel(bridged_operation& op)
{
    std::lock_guard lock(op.mutex);
    return op.cancel_requested &&
           (!op.started || (op.failure && error_code_of(op.failure, nullptr, nullptr) == errc::cancelled));
}

void bridge::arm_poll()
{
    poll_timer_.expires_after(poll_period);
    poll_timer_.async_wait([this](std::error_code ec) { poll(ec); });
}

// Every poll_period while operations with a cancellation flag run: cancels those whose flag is
// set, and stops when none is left.
void bridge::poll(std::error_code ec)
{
    std::vector<std::shared_ptr<bridged_operation>> cancelled;
    bool watching = false;
    {
        std::lock_guard lock(mutex_);
        for (const auto& op : running_) {
            // Read under mutex_: end() clears cancel_flag under it before the owner resumes.
            if (op->cancel_flag) {
                watching = true;
                if (op->cancel_flag->load(std::memory_order_relaxed))
                    cancelled.push_back(op);
            }
        }
        if (ec || !watching) {
            polling_ = false;
            idle_.notify_all();
        }
    }
    for (const auto& op : cancelled)
        request_cancel(op);
    if (!ec && watching)
        arm_poll();
}

} // namespace discord::oauth2::detail
