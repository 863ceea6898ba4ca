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

/// A Discord id: 64 bits whose high 42 are milliseconds since Discord's epoch. Compared and
/// ordered by value; 0 (the default) means "none".
class snowflake {
public:
    /// Milliseconds since the Unix epoch at 2015-01-01T00:00:00Z, Discord's epoch.
    static constexpr std::uint64_t discord_epoch_ms = 1420070400000ULL;

    /// 0: no id.
    constexpr snowflake() noexcept = default;
    /// The id with this value.
    constexpr explicit snowflake(std::uint64_t value) noexcept : value_(value) {}

    /// "175928847299117063" -> snowflake; nullopt for anything but a canonical decimal number.
    [[nodiscard]] static std::optional<snowflake> parse(std::string_view text) noexcept;

    /// The 64-bit value.
    [[nodiscard]] constexpr std::uint64_t value() const noexcept { return value_; }
    /// The value in decimal, as Discord's JSON carries it.
    [[nodiscard]] std::string to_string() const { return std::to_string(value_); }

    /// When the id was made.
    [[nodiscard]] std::chrono::system_clock::time_point timestamp() const noexcept
    {
        return std::chrono::system_clock::time_point(std::chrono::milliseconds((value_ >> 22) + discord_epoch_ms));
    }
    /// The internal worker that made the id (bits 17 to 21).
    [[nodiscard]] constexpr unsigned worker() const noexcept { return static_cast<unsigned>((value_ & 0x3E0000) >> 17); }
    /// The internal process that made the id (bits 12 to 16).
    [[nodiscard]] constexpr unsigned process() const noexcept { return static_cast<unsigned>((value_ & 0x1F000) >> 12); }
    /// The ids made before it in the same millisecond by that process (bits 0 to 11).
    [[nodiscard]] constexpr unsigned increment() const noexcept { return static_cast<unsigned>(value_ & 0xFFF); }

    /// By value (and so, for ids, by creation time).
    constexpr auto operator<=>(const snowflake&) const noexcept = default;

    /// Prints the id in decimal, as Discord writes it.
    friend std::ostream& operator<<(std::ostream& out, snowflake s) { return out << s.value_; }

private:
    std::uint64_t value_ = 0;
};

} // namespace discord::oauth2
