// An ordered list of HTTP header fields with case-insensitive lookup by name.
// Shared by outgoing (lib/http) and incoming (lib/server) messages.
//
// Names and values live back to back in one buffer, indexed by offsets: a response's ten
// headers cost two allocations, not twenty, which shows at tens of thousands of requests/s.
#pragma once

#include <array>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
/// line and smuggle another field or request. One pass (find_first_of with three characters runs
/// one memchr per character of the value: the HTTP client checks every header of every request).
[[nodiscard]] inline bool breaks_line(std::string_view value) noexcept
{
    for (char c : value)
        if (c == '\r' || c == '\n' || c == '\0')
            return true;
    return false;
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
    struct entry {
        std::uint32_t name_offset;
        std::uint32_t name_size;
        std::uint32_t value_offset;
        std::uint32_t value_size;
    };

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
        field operator*() const noexcept { return owner_->at(index_); }
        const_iterator& operator++() noexcept
        {
            ++index_;
            return *this;
        }
        const_iterator operator++(int) noexcept
        {
            auto copy = *this;
            ++index_;
            return copy;
        }
        bool operator==(const const_iterator& other) const noexcept { return index_ == other.index_; }

    private:
        friend class headers;
        const_iterator(const headers* owner, std::size_t index) : owner_(owner), index_(index) {}
        const headers* owner_ = nullptr;
        std::size_t index_ = 0;
    };

    void add(std::string_view name, std::string_view value);
    /// Replaces every field called `name` by one with `value`.
    void set(std::string_view name, std::string_view value);
    void clear() noexcept
    {
        bytes_.clear();
        entries_.clear();
    }
    /// Overwrites every name and value (core::wipe), then clears: for fields that carried a
    /// credential (Authorization).
    void wipe() noexcept;

    /// Room for `fields` fields of `bytes` bytes in all.
    void reserve(std::size_t fields, std::size_t bytes = 0);

    /// The first field called `name`, compared case-insensitively.
    [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const noexcept;
    [[nodiscard]] std::size_t count(std::string_view name) const noexcept;
    [[nodiscard]] bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

    [[nodiscard]] field at(std::size_t i) const noexcept
    {
        const auto& e = entries_[i];
        return {std::string_view(bytes_).substr(e.name_offset, e.name_size),
                std::string_view(bytes_).substr(e.value_offset, e.value_size)};
    }
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
    const_iterator begin() const noexcept { return {this, 0}; }
    const_iterator end() const noexcept { return {this, entries_.size()}; }

private:
    std::string bytes_;
    std::vector<entry> entries_;
};

} // namespace discord::oauth2::http
