#include "server/free_port.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <fstream>
#include <random>

namespace discord::oauth2::server {
namespace {

// The first port of the kernel's ephemeral range (Linux's default when it cannot be read).
int ephemeral_start()
{
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    int first = 0;
    int last = 0;
    if (range >> first >> last && first > 1024)
        return first;
    return 32768;
}

bool can_listen(asio::io_context& io, std::uint16_t port)
{
    asio::ip::tcp::acceptor a(io);
    std::error_code ec;
    a.open(asio::ip::tcp::v4(), ec);
    if (!ec)
        a.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        a.bind({asio::ip::make_address("127.0.0.1"), port}, ec);
    return !ec;
}

} // namespace

std::uint16_t free_port()
{
    asio::io_context io;
    // Below the ephemeral range: a port the kernel hands to `bind(0)` or to an outgoing
    // connection could be taken again by another listener or by a connection of the very
    // program that is to listen on it (seen as "address already in use" in the example tests).
    const int high = ephemeral_start();
    const int low = high > 12000 ? 10000 : 1025;
    thread_local std::mt19937 pick{std::random_device{}()};
    std::uniform_int_distribution<int> port(low, high - 1);
    for (int tries = 0; tries < 200; ++tries) {
        auto candidate = static_cast<std::uint16_t>(port(pick));
        if (can_listen(io, candidate))
            return candidate;
    }
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

} // namespace discord::oauth2::server
