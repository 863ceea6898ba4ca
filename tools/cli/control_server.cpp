#include "control_server.hpp"

#include "core/key_file.hpp"
#include "core/replaceable.hpp"

#include "json/writer.hpp"
#include "server/request_parser.hpp"
#include "server/response.hpp"
#include "server/server.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/experimental/as_tuple.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/address.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace cli {
namespace {

namespace server = oauth2::server;
using local = asio::local::stream_protocol;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
using oauth2::errc;
using oauth2::error;

// Whether one of `keys` is the bearer key of `req`'s Authorization header, each compared in
// constant time (every key is compared: how many there are is no secret, which one matched is).
bool bears(const server::request& req, const std::vector<oauth2::secret>& keys)
{
    auto header = req.fields.find("authorization");
    if (!header || !header->starts_with("Bearer "))
        return false;
    auto given = header->substr(7);
    bool found = false;
    for (const auto& key : keys) {
        const auto& expected = key.reveal();
        found |= given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
    }
    return found;
}

// The control interface answers in JSON, its own mistakes included: {"error": "not_found",
// "message": "..."}, the error a slug of the status's reason phrase.
server::response json_problem(int status, std::string_view detail)
{
    std::string slug;
    for (char c : server::reason_phrase(status))
        slug += c == ' ' || c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    oauth2::json::writer w;
    w.begin_object()
        .field("error", slug)
        .field("message", detail.empty() ? std::string(server::reason_phrase(status)) : std::string(detail))
        .end_object();
    return server::response::json(status, w.take());
}

server::response unauthorized()
{
    auto r = server::response::with_body(401, "application/json", R"({"error":"unauthorized"})");
    r.fields.add("WWW-Authenticate", "Bearer");
    return r;
}

// A Unix socket at `path`: a stale one (nothing accepts on it) is replaced, a live one or any
// other kind of file is refused. Created with mode 0600 from the start (umask), not chmod-ed after.
local::acceptor bind_unix(const asio::any_io_executor& executor, const std::string& path)
{
    if (path.size() >= sizeof(sockaddr_un::sun_path))
        throw error(errc::invalid_argument, fmt::format("the control socket path is too long: {}", path));
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            throw error(errc::invalid_argument, fmt::format("{} exists and is not a socket: not replaced", path));
        local::socket probe(executor);
        std::error_code ec;
        probe.connect(local::endpoint(path), ec);
        if (!ec)
            throw error(errc::address_in_use, fmt::format("another program serves the control socket {}", path));
        if (st.st_uid != ::geteuid())
            throw error(errc::invalid_argument, fmt::format("{} belongs to another user: not replaced", path));
        ::unlink(path.c_str());
    }
    local::acceptor acceptor(executor);
    acceptor.open(local::endpoint().protocol());
    auto old_mask = ::umask(0177);
    std::error_code ec;
    acceptor.bind(local::endpoint(path), ec);
    ::umask(old_mask);
    if (ec)
        throw error(errc::address_in_use, fmt::format("cannot bind the control socket {}: {}", path, ec.message()));
    ::chmod(path.c_str(), 0600);
    acceptor.listen(64);
    return acceptor;
}

} // namespace

struct control_server::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, std::vector<control_route> r, control_options o)
        : strand(asio::make_strand(ex)), table(std::move(r)), options(std::move(o)),
          keys(std::make_shared<oauth2::core::replaceable<std::vector<oauth2::secret>>>(options.bearer_keys))
    {
        for (const auto& route : table)
            routes.add(route.method, route.pattern, route.handler);
    }

    asio::strand<asio::any_io_executor> strand;
    std::vector<control_route> table;
    server::router routes;
    control_options options;
    // A SIGHUP may replace them; shared with the guarded routes, which the TCP server may keep
    // past this object.
    std::shared_ptr<oauth2::core::replaceable<std::vector<oauth2::secret>>> keys;
    std::optional<local::acceptor> unix_acceptor;
    std::optional<server::server> tcp;
    std::set<std::shared_ptr<local::socket>> open_sockets;
    bool stopped = false;

    asio::awaitable<server::response> dispatch(server::request& req)
    {
        auto found = routes.find(req);
        if (!found.target)
            co_return server::router::no_route(found, json_problem);
        try {
            co_return co_await (*found.target)(req);
        } catch (const std::exception&) {
            // Its text may hold anything; the bot learns that we failed, as over TCP.
        }
        co_return json_problem(500, {});
    }

    static asio::awaitable<void> accept_loop(std::shared_ptr<impl> self)
    {
        while (!self->stopped) {
            auto [ec, socket] = co_await self->unix_acceptor->async_accept(use_tuple);
            if (ec) {
                if (self->stopped || ec == asio::error::operation_aborted)
                    co_return;
                continue;
            }
            if (self->open_sockets.size() >= 64)
                continue; // closed as it goes out of scope: the bot has too many requests open
            auto shared = std::make_shared<local::socket>(std::move(socket));
            self->open_sockets.insert(shared);
            asio::co_spawn(self->strand, serve_one(self, shared), asio::detached);
        }
    }

    // One request, one answer, then the connection closes. A client that is too slow (10 s for
    // the request) is cut off.
    static asio::awaitable<void> serve_one(std::shared_ptr<impl> self, std::shared_ptr<local::socket> socket)
    {
        asio::steady_timer deadline(self->strand, std::chrono::seconds(10));
        deadline.async_wait([socket](std::error_code ec) {
            if (!ec) {
                std::error_code ignored;
                socket->close(ignored);
            }
        });
        oauth2::server_limits limits;
        server::request_parser parser(server::parser_limits_of(limits));
        std::array<char, 8192> buffer;
        server::response answer;
        bool answered = false;
        while (!answered) {
            auto [ec, n] = co_await socket->async_read_some(asio::buffer(buffer), use_tuple);
            if (ec)
                break;
            std::size_t consumed = 0;
            auto result = parser.feed({buffer.data(), n}, consumed);
            if (result == server::request_parser::result::error) {
                answer = json_problem(parser.error_status(), parser.error_reason());
                answered = true;
            } else if (result == server::request_parser::result::complete) {
                deadline.expires_after(std::chrono::minutes(2)); // the operation has its own timeouts
                deadline.async_wait([socket](std::error_code ec) {
                    if (!ec) {
                        std::error_code ignored;
                        socket->close(ignored);
                    }
                });
                answer = co_await self->dispatch(parser.get());
                answered = true;
            }
        }
        if (answered && socket->is_open()) {
            auto head = server::serialize_head(answer, false);
            std::array<asio::const_buffer, 2> parts{asio::buffer(head), asio::buffer(answer.body)};
            (void)co_await asio::async_write(*socket, parts, use_tuple);
        }
        deadline.cancel();
        std::error_code ignored;
        socket->shutdown(local::socket::shutdown_both, ignored);
        socket->close(ignored);
        self->open_sockets.erase(socket);
    }
};

control_server::control_server(asio::any_io_executor executor, std::vector<control_route> routes, control_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(routes), std::move(options)))
{
}

control_server::~control_server()
{
    stop();
}

void control_server::start()
{
    auto& i = *impl_;
    if (!i.options.unix_path.empty()) {
        i.unix_acceptor.emplace(bind_unix(i.strand, i.options.unix_path));
        asio::co_spawn(i.strand, impl::accept_loop(impl_), asio::detached);
        return;
    }
    std::error_code ec;
    auto address = asio::ip::make_address(i.options.tcp_address, ec);
    if (ec || !address.is_loopback())
        throw error(errc::invalid_argument,
                    fmt::format("the control port must be on loopback (127.0.0.1 or ::1), not {}", i.options.tcp_address));
    if (i.options.bearer_keys.empty())
        throw error(errc::invalid_argument, "a control port needs a bearer key (--control-key-file)");
    // Every route behind the keys: each handler wrapped.
    server::router guarded;
    for (const auto& route : i.table)
        guarded.add(route.method, route.pattern,
                    [keys = i.keys, h = route.handler](server::request& req) -> asio::awaitable<server::response> {
                        if (!bears(req, *keys->get()))
                            co_return unauthorized();
                        co_return co_await h(req);
                    });
    server::server_options o;
    o.error_answer = json_problem;
    o.addresses = {i.options.tcp_address};
    o.port = i.options.tcp_port;
    i.tcp.emplace(i.strand, std::move(guarded), std::move(o));
    i.tcp->start();
}

void control_server::set_keys(std::vector<oauth2::secret> keys)
{
    if (keys.empty())
        throw error(errc::invalid_argument, "a control port needs a bearer key");
    impl_->keys->set(std::move(keys));
}

void control_server::stop()
{
    auto& i = *impl_;
    if (i.stopped)
        return;
    i.stopped = true;
    if (i.tcp)
        i.tcp->stop();
    if (i.unix_acceptor) {
        std::error_code ignored;
        i.unix_acceptor->close(ignored);
        ::unlink(i.options.unix_path.c_str());
        asio::post(i.strand, [self = impl_] {
            for (const auto& s : self->open_sockets) {
                std::error_code ignored_too;
                s->close(ignored_too);
            }
        });
    }
}

std::string control_server::where() const
{
    const auto& i = *impl_;
    if (!i.options.unix_path.empty())
        return "unix:" + i.options.unix_path;
    auto host = i.options.tcp_address.find(':') != std::string::npos ? "[" + i.options.tcp_address + "]"
                                                                     : i.options.tcp_address;
    return fmt::format("http://{}:{}", host, i.tcp ? i.tcp->port() : 0);
}

std::vector<oauth2::secret> read_control_keys(const std::string& file)
{
    auto content = oauth2::core::read_key_file(file, "control key");
    std::vector<oauth2::secret> keys;
    oauth2::core::for_each_key_line(content.reveal(), [&](std::size_t line_number, std::string_view line) {
        // Its length is checked once it is a secret: checked before, g++ 12 at -O2 concludes that
        // the move into the secret copies 32 to 48 bytes out of a short string's buffer and warns
        // (-Warray-bounds, wrongly: a string that long is never in the short buffer).
        oauth2::secret key{std::string(line)};
        if (key.reveal().size() < 32)
            throw error(errc::invalid_argument,
                        fmt::format("the control key on line {} of {} must be at least 32 characters (openssl rand -hex 32)",
                                    line_number, file));
        // A note is not a key: every line is accepted as a bearer key, so one with spaces in it
        // (a note left without its #) is refused rather than made a credential.
        if (key.reveal().find_first_of(" \t") != std::string::npos)
            throw error(errc::invalid_argument,
                        fmt::format("line {} of the control key file {} holds a space: a key has none (start a note with #)",
                                    line_number, file));
        keys.push_back(std::move(key));
    });
    if (keys.empty())
        throw error(errc::invalid_argument,
                    fmt::format("the control key file {} holds no key (at least 32 characters; openssl rand -hex 32)", file));
    return keys;
}

} // namespace cli
