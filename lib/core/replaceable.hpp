// A value that readers on any thread use while another thread may replace it (key rings that a
// SIGHUP reloads): each reader holds the version it took until it is done with it.
#pragma once

#include <memory>
#include <mutex>
#include <utility>

namespace discord::oauth2::core {

template <class T>
class replaceable {
public:
    explicit replaceable(T value) : value_(std::make_shared<const T>(std::move(value))) {}

    /// The value now; it stays valid for as long as the pointer is held.
    [[nodiscard]] std::shared_ptr<const T> get() const
    {
        std::lock_guard lock(mutex_);
        return value_;
    }

    void set(T value)
    {
        auto next = std::make_shared<const T>(std::move(value));
        std::lock_guard lock(mutex_);
        value_.swap(next); // the old value is released outside the lock, with `next`
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const T> value_;
};

} // namespace discord::oauth2::core
