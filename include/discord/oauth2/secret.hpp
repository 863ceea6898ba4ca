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
    secret() = default;
    explicit secret(std::string value) : value_(std::move(value)) {}
    secret(const secret&) = default;
    secret(secret&& other) noexcept;
    secret& operator=(const secret& other);
    secret& operator=(secret&& other) noexcept;
    ~secret();

    /// The value itself, for the one place that must send it.
    [[nodiscard]] const std::string& reveal() const noexcept { return value_; }
    [[nodiscard]] bool empty() const noexcept { return value_.empty(); }

    /// Constant-time comparison of the values.
    friend bool operator==(const secret& a, const secret& b) noexcept;

    friend std::ostream& operator<<(std::ostream& out, const secret&) { return out << "[redacted]"; }

private:
    void wipe() noexcept;
    std::string value_;
};

} // namespace discord::oauth2
