#include "raw_client.hpp"

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cctype>

namespace test {
namespace {
using asio::ip::tcp;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// One read with a deadline: the timer closes the socket, which fails the read.
asio::awaitable<std::size_t> read_some(tcp::socket& s, char* data, std::size_t size,
                                       std::chrono::steady_clock::time_point deadline, bool& failed)
{
    asio::steady_timer timer(s.get_executor(), deadline);
    timer.async_wait([&s](std::error_code ec) {
        if (!ec) {
            std::error_code ignored;
            s.close(ignored);
        }
    });
    auto [ec, n] = co_await s.async_read_some(asio::buffer(data, size), use_tuple);
    timer.cancel();
    failed = static_cast<bool>(ec);
    co_return n;
}

} // namespace

asio::awaitable<connection> connect(std::uint16_t port, std::string_view host)
{
    tcp::socket s(co_await asio::this_coro::executor);
    co_await s.async_connect({asio::ip::make_address(host), port}, asio::use_awaitable);
    co_return connection{std::move(s), {}};
}

asio::awaitable<connection> connect_from(std::string_view local, std::uint16_t port, std::string_view host)
{
    tcp::endpoint server{asio::ip::make_address(host), port};
    tcp::socket s(co_await asio::this_coro::executor, tcp::endpoint(asio::ip::make_address(local), 0));
    co_await s.async_connect(server, asio::use_awaitable);
    co_return connection{std::move(s), {}};
}

asio::awaitable<raw_response> read_response(connection& c, std::chrono::milliseconds limit)
{
    auto& s = c.socket;
    auto deadline = std::chrono::steady_clock::now() + limit;
    raw_response r;
    std::string data = std::move(c.pending);
    c.pending.clear();
    char buf[4096];
    bool failed = false;
    std::size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
        auto n = co_await read_some(s, buf, sizeof buf, deadline, failed);
        if (failed) {
            r.closed = true;
            r.head = data;
            co_return r;
        }
        data.append(buf, n);
    }
    r.head = data.substr(0, head_end);
    data.erase(0, head_end + 4);
    if (r.head.size() > 12 && r.head.starts_with("HTTP/1.1 "))
        r.status = std::stoi(r.head.substr(9, 3));
    auto length_text = header_value(r.head, "content-length");
    std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
    while (data.size() < length) {
        auto n = co_await read_some(s, buf, sizeof buf, deadline, failed);
        if (failed)
            break;
        data.append(buf, n);
    }
    r.body = data.substr(0, std::min(length, data.size()));
    if (data.size() > length)
        c.pending = data.substr(length);
    r.closed = header_value(r.head, "connection") == "close";
    co_return r;
}

asio::awaitable<raw_response> exchange(std::uint16_t port, std::string_view bytes)
{
    auto c = co_await connect(port);
    co_await asio::async_write(c.socket, asio::buffer(bytes), asio::use_awaitable);
    co_return co_await read_response(c);
}

asio::awaitable<bool> wait_closed(connection& c, std::chrono::milliseconds limit)
{
    auto& s = c.socket;
    auto deadline = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    for (;;) {
        if (std::chrono::steady_clock::now() >= deadline)
            co_return false;
        bool failed = false;
        co_await read_some(s, buf, sizeof buf, deadline, failed);
        if (failed)
            co_return std::chrono::steady_clock::now() < deadline;
    }
}

std::string header_value(const std::string& head, std::string_view name)
{
    std::size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string::npos) {
        pos += 2;
        auto end = head.find("\r\n", pos);
        auto line = std::string_view(head).substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        auto colon = line.find(':');
        if (colon != std::string_view::npos && colon == name.size()
            && std::equal(name.begin(), name.end(), line.begin(),
                          [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
            auto value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.remove_prefix(1);
            return std::string(value);
        }
    }
    return {};
}

} // namespace test
