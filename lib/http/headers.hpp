// An ordered list of HTTP header fields with case-insensitive lookup by name.
// Shared by outgoing (lib/http) and incoming (lib/server) messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace discord::oauth2::http {

/// ASCII case-insensitive equality, as HTTP field names compare.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

class headers {
public:
    using field = std::pair<std::string, std::string>;

    void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
    /// Replaces every field called `name` by one with `value`.
    void set(std::string_view name, std::string value);
    void clear() noexcept { fields_.clear(); }
    void reserve(std::size_t n) { fields_.reserve(n); }

    /// The first field called `name`, compared case-insensitively.
    [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const noexcept;
    [[nodiscard]] std::size_t count(std::string_view name) const noexcept;
    [[nodiscard]] bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

    [[nodiscard]] const std::vector<field>& fields() const noexcept { return fields_; }
    [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
    [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
    auto begin() const noexcept { return fields_.begin(); }
    auto end() const noexcept { return fields_.end(); }

private:
    std::vector<field> fields_;
};

} // namespace discord::oauth2::http
