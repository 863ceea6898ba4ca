#include "server/free_port.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

namespace discord::oauth2::server {

std::uint16_t free_port()
{
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

} // namespace discord::oauth2::server
