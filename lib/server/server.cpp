#include "server/server.hpp"

#include "core/serial_executor.hpp"
#include "server/peer_network.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <unordered_map>

namespace discord::oauth2::server {
namespace {

using asio::ip::tcp;
using clock = std::chrono::steady_clock;
using strand_type = asio::any_io_executor; // serial: see core/serial_executor.hpp
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// After an error answer, how long and how much we keep reading so that closing does not turn
// into a reset that destroys the answer before the client has read it.
constexpr std::chrono::milliseconds linger_time{1000};
constexpr std::size_t linger_bytes = 256 * 1024;

struct connection_base {
    virtual ~connection_base() = default;
    virtual void close() noexcept = 0;

    // Checked by the server's sweeper, which closes the socket once it has passed; closing fails
    // the pending read or write. One coarse timer for all connections instead of one timer
    // operation per request phase, each of which would cost a timerfd syscall.
    clock::time_point deadline = clock::time_point::max();
    bool open = true;
    asio::ip::address remote;   // the TCP peer
    bool from_proxy = false;    // a trusted proxy: its requests say whom they carry

    void set_deadline(std::chrono::milliseconds timeout) { deadline = clock::now() + timeout; }
    void clear_deadline() { deadline = clock::time_point::max(); }
};

template <class Stream>
struct connection final : connection_base {
    template <class... Args>
    explicit connection(Args&&... args) : stream(std::forward<Args>(args)...)
    {
    }

    tcp::socket& socket() noexcept
    {
        if constexpr (std::is_same_v<Stream, tcp::socket>)
            return stream;
        else
            return stream.next_layer();
    }

    void close() noexcept override
    {
        if (!open)
            return;
        open = false;
        std::error_code ignored;
        socket().close(ignored);
    }

    Stream stream;
};

// The client a trusted proxy forwarded for: the last X-Forwarded-For entry that is not itself a
// trusted proxy (the entries before it are the client's to write). Several fields count as one
// list in their order (HAProxy adds a field of its own after the client's). Nothing usable (an
// entry that is not an address, or the unspecified one): nullopt, and the proxy counts.
std::optional<asio::ip::address> forwarded_client(const http::headers& fields,
                                                  const std::vector<asio::ip::address>& trusted)
{
    std::vector<std::string_view> lists;
    for (const auto& [name, value] : fields)
        if (http::iequals(name, "x-forwarded-for"))
            lists.push_back(value);
    for (auto list = lists.rbegin(); list != lists.rend(); ++list) {
        std::string_view rest = *list;
        while (!rest.empty()) {
            auto comma = rest.rfind(',');
            auto entry = http::trim_ows(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
            std::error_code ec;
            auto address = asio::ip::make_address(std::string(entry), ec);
            if (ec || address.is_unspecified())
                return std::nullopt;
            if (std::find(trusted.begin(), trusted.end(), address) == trusted.end())
                return address;
        }
    }
    return std::nullopt;
}

} // namespace

struct server::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor executor, router r, server_options o)
        : strand(core::serial_executor(executor)), routes(std::move(r)), options(std::move(o))
    {
    }

    strand_type strand;
    router routes;
    server_options options;
    std::optional<asio::ssl::context> tls;
    std::vector<tcp::acceptor> acceptors;
    std::vector<tcp::endpoint> endpoints;
    // Every open connection, served or being turned away, for the sweeper and for stop().
    std::unordered_map<std::uint64_t, std::weak_ptr<connection_base>> connections;
    std::uint64_t next_id = 0;
    std::size_t serving = 0;
    std::size_t rejecting = 0;
    // Connections open per peer address (served or turned away), and the addresses not counted.
    std::unordered_map<asio::ip::address, std::size_t> per_peer;
    std::vector<asio::ip::address> trusted;
    std::optional<asio::steady_timer> sweep_timer;
    statistics stats;
    bool stopped = false;

    // The server's own answer for `status`: server_options::error_answer, else plain text.
    response error_answer(int status, std::string_view detail) const
    {
        return options.error_answer ? options.error_answer(status, detail) : response::plain(status, detail);
    }

    void load_tls();
    void listen();
    asio::awaitable<void> accept_loop(tcp::acceptor& acceptor);
    asio::awaitable<void> sweep();
    std::chrono::milliseconds sweep_interval() const;
    template <class Stream>
    asio::awaitable<void> run(std::shared_ptr<connection<Stream>> c, bool over_capacity,
                              std::optional<asio::ip::address> peer);
    template <class Stream>
    asio::awaitable<void> serve(connection<Stream>& c);
    template <class Stream>
    asio::awaitable<bool> write(connection<Stream>& c, const response& r, bool keep_alive, bool head_only);
    template <class Stream>
    asio::awaitable<void> close_after_error(connection<Stream>& c);
    asio::awaitable<response> dispatch(request& req);
    void close_all();
};

void server::impl::load_tls()
{
    if (!options.tls)
        return;
    tls.emplace(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2
                     | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1
                     | asio::ssl::context::single_dh_use);
    std::error_code ec;
    tls->use_certificate_chain_file(options.tls->certificate_chain_file, ec);
    if (ec)
        throw error(errc::invalid_argument,
                    fmt::format("cannot load the TLS certificate chain from '{}': {}; give a PEM file, leaf first",
                                options.tls->certificate_chain_file, ec.message()));
    tls->use_private_key_file(options.tls->private_key_file, asio::ssl::context::pem, ec);
    if (ec)
        throw error(errc::invalid_argument,
                    fmt::format("cannot load the TLS private key from '{}': {}; give an unencrypted PEM key that "
                                "matches the certificate",
                                options.tls->private_key_file, ec.message()));
}

void server::impl::listen()
{
    if (options.addresses.empty())
        throw error(errc::invalid_argument, "the server has no address to listen on");
    std::vector<asio::ip::address> addresses;
    bool has_v4 = false;
    for (const auto& text : options.addresses) {
        std::error_code ec;
        auto a = asio::ip::make_address(text, ec);
        if (ec)
            throw error(errc::invalid_argument,
                        fmt::format("listen address '{}' is not an IP address; use e.g. 127.0.0.1 or ::1", text));
        has_v4 = has_v4 || a.is_v4();
        addresses.push_back(a);
    }

    // With port 0 the first listener picks the port and the others must get the same one; a
    // clash on a later address is retried with a fresh port.
    for (int attempt = 0;; ++attempt) {
        acceptors.clear();
        endpoints.clear();
        std::uint16_t port = options.port;
        std::error_code ec;
        tcp::endpoint failed;
        for (const auto& address : addresses) {
            tcp::endpoint ep(address, port);
            tcp::acceptor a(strand);
            a.open(ep.protocol(), ec);
            if (!ec)
                a.set_option(asio::socket_base::reuse_address(true), ec);
            if (!ec && address.is_v6() && has_v4)
                a.set_option(asio::ip::v6_only(true), ec);
            if (!ec)
                a.bind(ep, ec);
            if (!ec)
                a.listen(asio::socket_base::max_listen_connections, ec);
            if (ec) {
                failed = ep;
                break;
            }
            auto local = a.local_endpoint();
            port = local.port();
            endpoints.push_back(local);
            acceptors.push_back(std::move(a));
        }
        if (!ec)
            return;
        if (options.port == 0 && !acceptors.empty() && attempt < 8)
            continue;
        acceptors.clear();
        throw error(ec == asio::error::address_in_use ? errc::address_in_use : errc::invalid_argument,
                    fmt::format("cannot listen on {}: {}; choose another address or port, or stop the program that "
                                "holds it",
                                failed.address().is_v6()
                                    ? fmt::format("[{}]:{}", failed.address().to_string(), failed.port())
                                    : fmt::format("{}:{}", failed.address().to_string(), failed.port()),
                                ec.message()));
    }
}

asio::awaitable<void> server::impl::accept_loop(tcp::acceptor& acceptor)
{
    auto self = shared_from_this();
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
        if (stopped || !acceptor.is_open())
            co_return;
        if (ec) {
            // Out of descriptors or a connection reset before accept: pause instead of spinning.
            asio::steady_timer pause(strand, std::chrono::milliseconds(20));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        ++stats.accepted;
        const auto& limits = options.limits;
        // Counted per peer address unless it is a trusted proxy's (which limits its own clients).
        std::error_code peer_ec;
        auto remote = socket.remote_endpoint(peer_ec).address();
        bool from_proxy = !peer_ec && std::find(trusted.begin(), trusted.end(), remote) != trusted.end();
        std::optional<asio::ip::address> peer;
        if (limits.max_connections_per_peer > 0 && !peer_ec && !from_proxy)
            peer = peer_network(remote, limits.ipv6_peer_prefix);
        bool over_peer = peer && per_peer[*peer] >= limits.max_connections_per_peer;
        bool over = over_peer || serving >= limits.max_connections;
        if (over) {
            ++stats.rejected;
            stats.rejected_per_peer += over_peer;
            // Answering 503 costs little, but not nothing: past a small budget just close.
            if (rejecting >= 16 + limits.max_connections / 8) {
                if (peer && per_peer[*peer] == 0)
                    per_peer.erase(*peer);
                std::error_code ignored;
                socket.close(ignored);
                continue;
            }
        }
        // Counted now, not when the connection's coroutine first runs: a burst of accepts must
        // not all see room under the cap.
        ++(over ? rejecting : serving);
        if (peer)
            ++per_peer[*peer];
        std::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (tls) {
            using stream = asio::ssl::stream<tcp::socket>;
            auto c = std::make_shared<connection<stream>>(std::move(socket), *tls);
            c->remote = remote;
            c->from_proxy = from_proxy;
            asio::co_spawn(strand, run(std::move(c), over, peer), asio::detached);
        } else {
            auto c = std::make_shared<connection<tcp::socket>>(std::move(socket));
            c->remote = remote;
            c->from_proxy = from_proxy;
            asio::co_spawn(strand, run(std::move(c), over, peer), asio::detached);
        }
    }
}

template <class Stream>
asio::awaitable<void> server::impl::run(std::shared_ptr<connection<Stream>> c, bool over_capacity,
                                        std::optional<asio::ip::address> peer)
{
    auto self = shared_from_this();
    auto id = next_id++;
    connections.emplace(id, c);
    struct unregister {
        impl& s;
        std::uint64_t id;
        bool over;
        std::optional<asio::ip::address> peer;
        connection<Stream>& c;
        ~unregister()
        {
            c.close();
            --(over ? s.rejecting : s.serving);
            if (peer)
                if (auto it = s.per_peer.find(*peer); it != s.per_peer.end() && --it->second == 0)
                    s.per_peer.erase(it);
            s.connections.erase(id);
        }
    } guard{*this, id, over_capacity, std::move(peer), *c};

    if (stopped)
        co_return;
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
        c->set_deadline(options.limits.first_byte_timeout);
        auto [ec] = co_await c->stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
        if (ec)
            co_return;
    }
    if (over_capacity) {
        ++stats.requests;
        c->set_deadline(options.limits.write_timeout);
        if (co_await write(*c, error_answer(503, "the server is at its connection limit; retry shortly"), false,
                           false))
            co_await close_after_error(*c);
        co_return;
    }
    co_await serve(*c);
}

asio::awaitable<response> server::impl::dispatch(request& req)
{
    auto m = routes.find(req);
    if (!m.target)
        co_return router::no_route(m, [this](int status, std::string_view detail) { return error_answer(status, detail); });
    try {
        co_return co_await (*m.target)(req);
    } catch (const std::exception&) {
        // The exception's text may hold anything; the client learns only that we failed.
    }
    co_return error_answer(500, {});
}

template <class Stream>
asio::awaitable<void> server::impl::serve(connection<Stream>& c)
{
    std::array<char, 16 * 1024> buffer;
    std::size_t begin = 0;
    std::size_t end = 0;
    const auto& limits = options.limits;
    request_parser parser(parser_limits_of(limits));
    bool continue_sent = false;
    // A connection that says nothing is closed soon: it would hold a place under the caps.
    c.set_deadline(limits.first_byte_timeout);

    for (;;) {
        std::size_t consumed = 0;
        auto result = parser.feed({buffer.data() + begin, end - begin}, consumed);
        begin += consumed;

        if (result == request_parser::result::need_more) {
            if (parser.awaiting_continue() && !continue_sent) {
                continue_sent = true;
                static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
                auto [ec, n] = co_await asio::async_write(c.stream, asio::buffer(interim), use_tuple);
                if (ec)
                    co_return;
            }
            bool was_started = parser.started();
            auto [ec, n] = co_await c.stream.async_read_some(asio::buffer(buffer), use_tuple);
            if (ec || stopped)
                co_return;
            begin = 0;
            end = n;
            if (!was_started)
                c.set_deadline(limits.read_timeout);
            continue;
        }

        ++stats.requests;
        if (result == request_parser::result::error) {
            c.set_deadline(limits.write_timeout);
            if (co_await write(c, error_answer(parser.error_status(), parser.error_reason()), false, false))
                co_await close_after_error(c);
            co_return;
        }

        request& req = parser.get();
        req.peer = c.from_proxy ? forwarded_client(req.fields, trusted).value_or(c.remote) : c.remote;
        c.clear_deadline(); // the route's own operations carry their timeouts
        auto resp = co_await dispatch(req);
        if (!c.open)
            co_return;
        bool keep_alive = req.keep_alive && !stopped;
        c.set_deadline(limits.write_timeout);
        if (!co_await write(c, resp, keep_alive, req.method == "HEAD") || !keep_alive)
            co_return;

        parser.reset();
        continue_sent = false;
        // Bytes after the request (pipelining) start the next one at once.
        c.set_deadline(begin < end ? limits.read_timeout : limits.idle_timeout);
    }
}

template <class Stream>
asio::awaitable<bool> server::impl::write(connection<Stream>& c, const response& r, bool keep_alive, bool head_only)
{
    if (r.how == response::delivery::reset) {
        std::error_code ignored;
        c.socket().set_option(asio::socket_base::linger(true, 0), ignored); // close() sends RST
        c.close();
        co_return false;
    }
    std::string head;
    const response* out = &r;
    response failure;
    try {
        head = serialize_head(r, keep_alive);
    } catch (const std::invalid_argument&) {
        failure = error_answer(500, {});
        keep_alive = false;
        out = &failure;
        head = serialize_head(failure, false);
    }
    // Over TLS, every answer tells the browser to use https only for this host from now on: a
    // network attacker cannot then downgrade a later visit to plain http.
    if constexpr (!std::is_same_v<Stream, tcp::socket>)
        if (!out->fields.contains("strict-transport-security"))
            head.insert(head.size() - 2, "Strict-Transport-Security: max-age=31536000\r\n");
    auto body = head_only ? asio::const_buffer() : asio::buffer(out->body);
    bool truncated = out->how == response::delivery::truncate;
    if (truncated)
        body = asio::buffer(out->body.data(), out->body.size() / 2);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head), body};
    auto [ec, n] = co_await asio::async_write(c.stream, buffers, use_tuple);
    if (truncated) {
        c.close();
        co_return false;
    }
    co_return !ec && c.open;
}

template <class Stream>
asio::awaitable<void> server::impl::close_after_error(connection<Stream>& c)
{
    std::error_code ignored;
    c.socket().shutdown(tcp::socket::shutdown_send, ignored);
    c.set_deadline(linger_time);
    std::array<char, 4096> sink;
    std::size_t drained = 0;
    while (c.open && drained < linger_bytes) {
        auto [ec, n] = co_await c.socket().async_read_some(asio::buffer(sink), use_tuple);
        if (ec)
            break;
        drained += n;
    }
    c.close();
}

std::chrono::milliseconds server::impl::sweep_interval() const
{
    // A quarter of the shortest timeout: deadlines are kept to within 25%, 250 ms at most.
    const auto& l = options.limits;
    auto shortest = std::min({l.first_byte_timeout, l.read_timeout, l.idle_timeout, l.write_timeout, linger_time});
    return std::clamp(shortest / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(250));
}

asio::awaitable<void> server::impl::sweep()
{
    auto self = shared_from_this();
    auto interval = sweep_interval();
    while (!stopped) {
        sweep_timer->expires_after(interval);
        co_await sweep_timer->async_wait(use_tuple);
        auto now = clock::now();
        for (auto& [id, weak] : connections)
            if (auto c = weak.lock(); c && c->deadline <= now)
                c->close(); // the connection's coroutine unregisters when it resumes
    }
}

void server::impl::close_all()
{
    stopped = true;
    for (auto& a : acceptors) {
        std::error_code ignored;
        a.close(ignored);
    }
    if (sweep_timer)
        sweep_timer->cancel();
    for (auto& [id, weak] : connections)
        if (auto c = weak.lock())
            c->close();
}

server::server(asio::any_io_executor executor, router routes, server_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(routes), std::move(options)))
{
}

server::~server()
{
    stop();
}

parser_limits parser_limits_of(const server_limits& limits) noexcept
{
    parser_limits p;
    p.max_request_line = limits.max_request_line;
    p.max_header_bytes = limits.max_header_bytes;
    p.max_headers = limits.max_headers;
    p.max_body = limits.max_body;
    return p;
}

void server::start()
{
    if (!impl_->acceptors.empty())
        throw error(errc::invalid_argument, "the server is already started");
    impl_->trusted.clear();
    for (const auto& text : impl_->options.limits.trusted_proxies) {
        std::error_code ec;
        auto address = asio::ip::make_address(text, ec);
        if (ec)
            throw error(errc::invalid_argument,
                        fmt::format("trusted proxy '{}' is not an IP address (names are not resolved)", text));
        impl_->trusted.push_back(address);
    }
    impl_->load_tls();
    impl_->listen();
    for (auto& a : impl_->acceptors)
        asio::co_spawn(impl_->strand, impl_->accept_loop(a), asio::detached);
    impl_->sweep_timer.emplace(impl_->strand);
    asio::co_spawn(impl_->strand, impl_->sweep(), asio::detached);
}

void server::stop_accepting()
{
    asio::dispatch(impl_->strand, [self = impl_] {
        for (auto& a : self->acceptors) {
            std::error_code ignored;
            a.close(ignored);
        }
    });
}

void server::stop()
{
    asio::dispatch(impl_->strand, [self = impl_] { self->close_all(); });
}

std::uint16_t server::port() const noexcept
{
    return impl_->endpoints.empty() ? 0 : impl_->endpoints.front().port();
}

std::vector<asio::ip::tcp::endpoint> server::local_endpoints() const
{
    return impl_->endpoints;
}

server::statistics server::stats() const noexcept
{
    auto s = impl_->stats;
    s.active = impl_->serving;
    return s;
}

} // namespace discord::oauth2::server
