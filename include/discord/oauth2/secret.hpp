// A value that must never reach a log, an exception message or a page: client secrets, bot
// tokens, access and refresh tokens, codes, PKCE verifiers. Printing it (operator<<, and the fmt
// formatter in <discord/oauth2/fmt.hpp>) shows only "[redacted]"; `reveal()` is the one way in.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace discord::oauth2 {

/// Its bytes are wiped (OPENSSL_cleanse) when it is destroyed, assigned over or moved from.
class secret {
public:
    /// Empty.
    secret() = default;
    /// Takes `value` (moved in, so no copy of it is left behind).
    explicit secret(std::string value) : value_(std::move(value)) {}
    /// A copy; both are wiped when they go.
    secret(const secret&) = default;
    /// Takes the value; `other` is wiped and left empty.
    secret(secret&& other) noexcept;
    /// Wipes this value, then copies `other`'s.
    secret& operator=(const secret& other);
    /// Wipes this value, then takes `other`'s; `other` is left empty.
    secret& operator=(secret&& other) noexcept;
    /// Wipes the value.
    ~secret();

    /// The value itself, for the one place that must send it.
    [[nodiscard]] const std::string& reveal() const noexcept { return value_; }
    /// Whether it holds nothing.
    [[nodiscard]] bool empty() const noexcept { return value_.empty(); }

    /// Constant-time comparison of the values.
    friend bool operator==(const secret& a, const secret& b) noexcept;

    /// Writes "[redacted]", never the value.
    friend std::ostream& operator<<(std::ostream& out, const secret&) { return out << "[redacted]"; }

private:
    void wipe() noexcept;
    std::string value_;
};

} // namespace discord::oauth2
