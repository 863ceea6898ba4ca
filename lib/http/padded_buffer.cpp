#include "http/padded_buffer.hpp"

#include "core/wipe.hpp"

#include <algorithm>
#include <cstring>

namespace discord::oauth2::http {

void padded_buffer::reserve(std::size_t n)
{
    if (n + padding <= capacity_)
        return;
    // The first block is what was asked for (a response's Content-Length, usually): a 1 KiB
    // minimum put Discord's few-hundred-byte answers past glibc's small-block cache, where
    // every allocation consolidates malloc's free lists.
    std::size_t cap = std::max<std::size_t>(n + padding, capacity_ ? capacity_ * 2 : 256);
    auto bigger = std::make_unique_for_overwrite<char[]>(cap);
    if (size_) {
        std::memcpy(bigger.get(), data_.get(), size_);
        core::wipe(data_.get(), size_); // a token answer's first part must not stay in freed memory
    }
    data_ = std::move(bigger);
    capacity_ = cap;
}

void padded_buffer::wipe() noexcept
{
    if (data_)
        core::wipe(data_.get(), size_);
    size_ = 0;
}

void padded_buffer::append(const char* data, std::size_t n)
{
    reserve(size_ + n);
    std::memcpy(data_.get() + size_, data, n);
    size_ += n;
    // Only the padding right after the contents must be zero for the parser.
    std::memset(data_.get() + size_, 0, padding);
}

} // namespace discord::oauth2::http
