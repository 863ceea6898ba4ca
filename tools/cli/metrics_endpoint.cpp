#include "metrics_endpoint.hpp"

#include "arguments.hpp" // usage_error

#include "json/writer.hpp"
#include "server/router.hpp"
#include "server/server.hpp"

#include <asio/ip/address.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <optional>

namespace cli {

namespace oauth2 = discord::oauth2;
namespace server = oauth2::server;

metrics_endpoint_options metrics_address(std::string_view text)
{
    metrics_endpoint_options o;
    std::string_view port = text;
    if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
        auto host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        std::error_code ec;
        (void)asio::ip::make_address(std::string(host), ec);
        if (host.empty() || ec)
            throw usage_error(fmt::format("--metrics takes PORT or ADDRESS:PORT with a literal IP address "
                                          "(127.0.0.1:9464, [::1]:9464), not '{}'",
                                          text));
        o.address = std::string(host);
    }
    unsigned n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n > 65535)
        throw usage_error("--metrics needs a port from 0 to 65535 (e.g. 127.0.0.1:9464)");
    o.port = static_cast<std::uint16_t>(n);
    return o;
}

struct metrics_endpoint::impl {
    impl(asio::any_io_executor ex, metrics_endpoint_options o)
        : strand(asio::make_strand(ex)), options(std::move(o))
    {
    }

    asio::strand<asio::any_io_executor> strand;
    metrics_endpoint_options options;
    std::atomic<bool> stopping{false};
    std::optional<server::server> http;
    // One check at a time, and its result reused for a second: however many scrapes and probes
    // arrive, the store is asked at most one query a second (one at a time while it hangs), and
    // the callback listener gets one connection. Touched only on the strand.
    std::optional<readiness> last;
    std::chrono::steady_clock::time_point checked_at;
    std::shared_ptr<asio::steady_timer> under_way; // cancelled when the check under way ends

    // Holds the endpoint while it runs: the endpoint may stop meanwhile.
    static asio::awaitable<readiness> check(std::shared_ptr<impl> self)
    {
        if (auto running = self->under_way) {
            std::error_code ignored;
            co_await running->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
            co_await asio::post(self->strand, asio::use_awaitable);
            readiness unknown{false, "the check did not end"};
            co_return self->last.value_or(unknown);
        }
        if (self->last && std::chrono::steady_clock::now() - self->checked_at < std::chrono::seconds(1))
            co_return *self->last;
        auto running = std::make_shared<asio::steady_timer>(self->strand, asio::steady_timer::time_point::max());
        self->under_way = running;
        // The waiters are released however the check ends.
        struct release {
            impl& self;
            ~release()
            {
                self.under_way.reset();
                timer->cancel();
            }
            std::shared_ptr<asio::steady_timer> timer;
        } released{*self, running};
        auto check = self->options.check;
        auto state = co_await check();
        co_await asio::post(self->strand, asio::use_awaitable); // back on the strand, whatever the check ran on
        self->last = state;
        self->checked_at = std::chrono::steady_clock::now();
        co_return state;
    }
};

namespace {

server::response liveness(bool alive)
{
    return server::response::json(alive ? 200 : 503, alive ? R"({"status":"ok"})" : R"({"status":"stopping"})");
}

server::response json_status(int status, bool ready, std::string_view reason)
{
    oauth2::json::writer w;
    w.begin_object().field("ready", ready);
    if (!reason.empty())
        w.field("reason", reason);
    w.end_object();
    return server::response::json(status, w.take());
}

} // namespace

metrics_endpoint::metrics_endpoint(asio::any_io_executor executor, metrics_endpoint_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options)))
{
}

metrics_endpoint::~metrics_endpoint()
{
    stop();
}

void metrics_endpoint::start()
{
    auto& i = *impl_;
    server::router routes;
    std::weak_ptr<impl> weak = impl_;
    routes.add("GET", "/healthz", [weak](server::request&) -> asio::awaitable<server::response> {
        auto self = weak.lock();
        co_return liveness(self && !self->stopping);
    });
    routes.add("GET", "/readyz", [weak](server::request&) -> asio::awaitable<server::response> {
        auto self = weak.lock();
        if (!self || self->stopping)
            co_return json_status(503, false, "stopping");
        auto state = co_await impl::check(self);
        co_return state.ready ? json_status(200, true, {}) : json_status(503, false, state.reason);
    });
    routes.add("GET", "/metrics", [weak](server::request&) -> asio::awaitable<server::response> {
        auto self = weak.lock();
        if (!self)
            co_return server::response::plain(503);
        auto exposition = self->options.exposition;
        (void)co_await impl::check(self); // the store's gauges, as of this scrape (or the last second)
        co_return server::response::uncached(200, "text/plain; version=0.0.4; charset=utf-8", exposition());
    });
    server::server_options o;
    o.addresses = {i.options.address};
    o.port = i.options.port;
    i.http.emplace(i.strand, std::move(routes), std::move(o));
    i.http->start();
}

void metrics_endpoint::stopping()
{
    impl_->stopping = true;
}

void metrics_endpoint::stop()
{
    impl_->stopping = true;
    if (impl_->http)
        impl_->http->stop();
}

std::string metrics_endpoint::where() const
{
    const auto& i = *impl_;
    auto host = i.options.address.find(':') != std::string::npos ? "[" + i.options.address + "]" : i.options.address;
    return fmt::format("http://{}:{}", host, i.http ? i.http->port() : i.options.port);
}

} // namespace cli
