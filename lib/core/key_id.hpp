// A key's id as sealed data carries it: 4 bytes, big-endian (basic_key::id() in key.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace discord::oauth2::core {

/// The 4 bytes that name key `id` in sealed data.
[[nodiscard]] inline std::string key_id_bytes(std::uint32_t id)
{
    std::string out;
    for (int i = 3; i >= 0; --i)
        out.push_back(static_cast<char>((id >> (i * 8)) & 0xFF));
    return out;
}

/// The id in the first 4 bytes of `bytes` (the caller checks there are 4).
[[nodiscard]] inline std::uint32_t key_id_from(std::string_view bytes) noexcept
{
    std::uint32_t id = 0;
    for (std::size_t i = 0; i < 4; ++i)
        id = (id << 8) | static_cast<unsigned char>(bytes[i]);
    return id;
}

} // namespace discord::oauth2::core
