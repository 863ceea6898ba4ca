// An ordered list of HTTP header fields with case-insensitive lookup by name.
// Shared by outgoing (lib/http) and incoming (lib/server) messages.
//
// Names and values live back to back in one buffer, each field behind its two sizes: a
// response's ten headers cost one allocation, not twenty, which shows at tens of thousands of
// requests/s.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace discord::oauth2::http {

/// ASCII case-insensitive equality, as HTTP field names compare.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

/// RFC 9110's tchar, the characters of methods and field names, as a table: parsers test it once
/// per byte (a search through the punctuation per byte showed in profiles).
inline constexpr std::array<bool, 256> token_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[static_cast<std::size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    return t;
}();

[[nodiscard]] inline bool is_token_char(unsigned char c) noexcept
{
    return token_chars[c];
}

/// Whether `s` is a token (a method or a field name): not empty, tchar only.
[[nodiscard]] inline bool is_token(std::string_view s) noexcept
{
    if (s.empty())
        return false;
    for (unsigned char c : s)
        if (!is_token_char(c))
            return false;
    return true;
}

/// Whether `value` holds CR, LF or NUL: put into a request line or a field, it would end the
/// line and smuggle another field or request. Three memchr passes (glibc's are vectorised):
/// find_first_of with three characters runs one memchr per character of the value, and a loop
/// over the bytes costs three compares a byte; the HTTP client checks every header it sends.
[[nodiscard]] inline bool breaks_line(std::string_view value) noexcept
{
    if (value.empty()) // memchr's pointer must not be null, even for no bytes
        return false;
    return std::memchr(value.data(), '\n', value.size()) || std::memchr(value.data(), '\r', value.size())
        || std::memchr(value.data(), '\0', value.size());
}

/// `s` without the optional whitespace (spaces and tabs) HTTP allows around a field value or a
/// list element.
[[nodiscard]] inline std::string_view trim_ows(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

class headers {
public:
    /// A field as a (name, value) pair of views into the list; valid until the list changes.
    using field = std::pair<std::string_view, std::string_view>;

    class const_iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = field;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = field;

        const_iterator() = default;
        field operator*() const noexcept { return owner_->field_at(offset_); }
        const_iterator& operator++() noexcept
        {
            offset_ = owner_->next_offset(offset_);
            return *this;
        }
        const_iterator operator++(int) noexcept
        {
            auto copy = *this;
            ++*this;
            return copy;
        }
        bool operator==(const const_iterator& other) const noexcept { return offset_ == other.offset_; }

    private:
        friend class headers;
        const_iterator(const headers* owner, std::size_t offset) : owner_(owner), offset_(offset) {}
        const headers* owner_ = nullptr;
        std::size_t offset_ = 0;
    };

    headers() = default;
    headers(const headers&) = default;
    headers& operator=(const headers&) = default;
    /// A list moved from is empty.
    headers(headers&& other) noexcept : bytes_(std::move(other.bytes_)), count_(std::exchange(other.count_, 0))
    {
        other.bytes_.clear();
    }
    headers& operator=(headers&& other) noexcept
    {
        bytes_ = std::move(other.bytes_);
        other.bytes_.clear();
        count_ = std::exchange(other.count_, 0);
        return *this;
    }

    void add(std::string_view name, std::string_view value);
    /// Replaces every field called `name` by one with `value`.
    void set(std::string_view name, std::string_view value);
    void clear() noexcept
    {
        bytes_.clear();
        count_ = 0;
    }
    /// Overwrites every name and value (core::wipe), then clears: for fields that carried a
    /// credential (Authorization).
    void wipe() noexcept;

    /// Room for `fields` fields of `bytes` bytes of names and values in all.
    void reserve(std::size_t fields, std::size_t bytes = 0);

    /// The first field called `name`, compared case-insensitively.
    [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const noexcept;
    [[nodiscard]] std::size_t count(std::string_view name) const noexcept;
    [[nodiscard]] bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

    /// The `i`th field; walks the fields before it (lists are a dozen fields long).
    [[nodiscard]] field at(std::size_t i) const noexcept
    {
        std::size_t offset = 0;
        while (i--)
            offset = next_offset(offset);
        return field_at(offset);
    }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    const_iterator begin() const noexcept { return {this, 0}; }
    const_iterator end() const noexcept { return {this, bytes_.size()}; }

private:
    // Each field is its name's and its value's sizes (4 bytes each, native order), then the
    // name, then the value, back to back in one buffer: a list is one allocation however many
    // fields it holds, and a response's dozen fields are read in one pass.
    static constexpr std::size_t prefix = 8;

    [[nodiscard]] std::pair<std::uint32_t, std::uint32_t> sizes_at(std::size_t offset) const noexcept
    {
        std::uint32_t sizes[2];
        std::memcpy(sizes, bytes_.data() + offset, sizeof sizes);
        return {sizes[0], sizes[1]};
    }
    [[nodiscard]] field field_at(std::size_t offset) const noexcept
    {
        auto [n, v] = sizes_at(offset);
        const char* name = bytes_.data() + offset + prefix;
        return {std::string_view(name, n), std::string_view(name + n, v)};
    }
    [[nodiscard]] std::size_t next_offset(std::size_t offset) const noexcept
    {
        auto [n, v] = sizes_at(offset);
        return offset + prefix + n + v;
    }

    std::string bytes_;
    std::size_t count_ = 0;
};

} // namespace discord::oauth2::http
