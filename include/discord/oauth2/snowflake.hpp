// Discord's 64-bit ids. JSON carries them as decimal strings; the high bits are a timestamp.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <ostream>
#include <optional>
#include <string>
#include <string_view>

namespace discord::oauth2 {

class snowflake {
public:
    /// Milliseconds since the Unix epoch at 2015-01-01T00:00:00Z, Discord's epoch.
    static constexpr std::uint64_t discord_epoch_ms = 1420070400000ULL;

    constexpr snowflake() noexcept = default;
    constexpr explicit snowflake(std::uint64_t value) noexcept : value_(value) {}

    /// "175928847299117063" -> snowflake; nullopt for anything but a canonical decimal number.
    [[nodiscard]] static std::optional<snowflake> parse(std::string_view text) noexcept;

    [[nodiscard]] constexpr std::uint64_t value() const noexcept { return value_; }
    [[nodiscard]] std::string to_string() const { return std::to_string(value_); }

    /// When the id was made.
    [[nodiscard]] std::chrono::system_clock::time_point timestamp() const noexcept
    {
        return std::chrono::system_clock::time_point(std::chrono::milliseconds((value_ >> 22) + discord_epoch_ms));
    }
    [[nodiscard]] constexpr unsigned worker() const noexcept { return static_cast<unsigned>((value_ & 0x3E0000) >> 17); }
    [[nodiscard]] constexpr unsigned process() const noexcept { return static_cast<unsigned>((value_ & 0x1F000) >> 12); }
    [[nodiscard]] constexpr unsigned increment() const noexcept { return static_cast<unsigned>(value_ & 0xFFF); }

    constexpr auto operator<=>(const snowflake&) const noexcept = default;

    /// Prints the id in decimal, as Discord writes it.
    friend std::ostream& operator<<(std::ostream& out, snowflake s) { return out << s.value_; }

private:
    std::uint64_t value_ = 0;
};

} // namespace discord::oauth2
