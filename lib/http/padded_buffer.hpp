// A growable byte buffer that always keeps `padding` spare bytes after its contents, so
// simdjson's On-Demand parser can read the body in place without copying it.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace discord::oauth2::http {

class padded_buffer {
public:
    /// simdjson::SIMDJSON_PADDING; lib/json checks the two agree at compile time.
    static constexpr std::size_t padding = 64;

    padded_buffer() = default;
    padded_buffer(padded_buffer&&) noexcept = default;
    padded_buffer& operator=(padded_buffer&&) noexcept = default;

    void append(const char* data, std::size_t n);
    void reserve(std::size_t n);
    void clear() noexcept { size_ = 0; }
    /// Overwrites the contents (core::wipe), then clears: for a body that carried tokens.
    void wipe() noexcept;

    [[nodiscard]] const char* data() const noexcept { return data_ ? data_.get() : empty_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    /// Bytes readable from data(): size() + padding. The padding bytes are zero.
    [[nodiscard]] std::size_t capacity() const noexcept { return data_ ? capacity_ : padding; }
    [[nodiscard]] std::string_view view() const noexcept { return {data(), size_}; }

private:
    static constexpr char empty_[padding] = {};
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0; // includes the padding
};

} // namespace discord::oauth2::http
