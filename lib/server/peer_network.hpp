// The network a client address stands for when peers are counted: an IPv4 address is one
// client (an IPv4-mapped IPv6 address too, as its IPv4 one), an IPv6 address its first
// `ipv6_prefix` bits (a /64 is what one subscriber gets), so that one host cannot take every
// slot or every bucket by using many addresses of its network.
#pragma once

#include <asio/ip/address.hpp>

#include <algorithm>
#include <cstddef>

namespace discord::oauth2::server {

/// `peer` with its host bits cleared: the key peers are counted by.
[[nodiscard]] inline asio::ip::address peer_network(const asio::ip::address& peer, std::size_t ipv6_prefix = 64)
{
    if (peer.is_v4())
        return peer;
    auto v6 = peer.to_v6();
    if (v6.is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
    auto bytes = v6.to_bytes();
    auto prefix = std::min<std::size_t>(ipv6_prefix, 128);
    for (std::size_t bit = prefix; bit < 128; ++bit)
        bytes[bit / 8] = static_cast<unsigned char>(bytes[bit / 8] & ~(0x80u >> (bit % 8)));
    return asio::ip::address_v6(bytes);
}

} // namespace discord::oauth2::server
