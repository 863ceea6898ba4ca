#include "http/client.hpp"

#include "core/serial_executor.hpp"
#include "core/wipe.hpp"
#include "http/curl_failure.hpp"
#include "http/multi_driver.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/use_awaitable.hpp>

#include <curl/curl.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace discord::oauth2::http {
namespace {

// The waiting coroutine, type-erased; resumed through its own executor, never from inside curl.
struct completion {
    virtual ~completion() = default;
    /// Consumes the completion: it deletes itself once the handler has run.
    virtual void complete(std::exception_ptr failure, response&& result) = 0;
};

template <class Handler>
struct completion_for final : completion {
    completion_for(Handler h, const asio::any_io_executor& fallback)
        : handler(std::move(h)),
          work(asio::prefer(asio::get_associated_executor(handler, fallback), asio::execution::outstanding_work.tracked))
    {
    }

    // The outcome is parked here and the posted function carries only this object's address:
    // a small function fits Asio's recycled handler memory, a response-sized one would not.
    void complete(std::exception_ptr f, response&& r) override
    {
        failure = std::move(f);
        result = std::move(r);
        auto executor = std::move(work);
        asio::post(executor, [self = std::unique_ptr<completion_for>(this)]() mutable {
            std::move(self->handler)(std::move(self->failure), std::move(self->result));
        });
    }

    Handler handler;
    asio::any_io_executor work; // keeps the handler's io_context running until we complete
    std::exception_ptr failure;
    response result;
};

// Headers built from data must not smuggle a second header or request.
void validate(const request& req)
{
    if (!is_token(req.method))
        throw error(errc::invalid_argument, "the HTTP method must be a token such as GET or POST");
    if (req.url.empty())
        throw error(errc::invalid_url, "the request has no URL");
    for (const auto& [name, value] : req.fields) {
        if (!is_token(name))
            throw error(errc::invalid_argument, "an HTTP header name is empty or has characters outside a token");
        if (breaks_line(value))
            throw error(errc::invalid_argument, "an HTTP header value contains a line break or NUL");
    }
    if (req.timeout && req.timeout->count() <= 0)
        throw error(errc::invalid_argument, "the request timeout must be positive");
}

// Responses larger than this in headers alone are hostile.
constexpr std::size_t max_header_bytes = 256 * 1024;

} // namespace

struct transfer {
    std::uint64_t serial = 0;
    CURL* easy = nullptr;
    curl_slist* header_list = nullptr;
    request owned;                        // what send(request&&) took over
    std::shared_ptr<const request> shared; // or what send(shared_ptr) shares with its caller
    const request* req = nullptr;         // whichever of the two this transfer sends
    response resp;
    std::size_t limit = 0;
    std::size_t header_bytes = 0;
    bool too_large = false;
    char errbuf[CURL_ERROR_SIZE] = {};
    std::unique_ptr<completion> done;
    asio::cancellation_slot slot;

    // Every request may carry a credential (an Authorization field, a form with a code or a
    // refresh token): what this transfer holds of it is wiped before it is freed. curl's own
    // copies (the request it builds to send, TLS records) are libcurl's and OpenSSL's to free.
    ~transfer()
    {
        for (auto* line = header_list; line; line = line->next)
            core::wipe(line->data, std::strlen(line->data));
        curl_slist_free_all(header_list);
        wipe(owned);
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self)
    {
        auto& t = *static_cast<transfer*>(self);
        std::size_t n = size * count;
        if (t.resp.body.size() + n > t.limit) {
            t.too_large = true;
            return 0; // CURLE_WRITE_ERROR, reported as response_too_large
        }
        t.resp.body.append(data, n);
        return n;
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self)
    {
        auto& t = *static_cast<transfer*>(self);
        std::size_t n = size * count;
        t.header_bytes += n;
        if (t.header_bytes > max_header_bytes) {
            t.too_large = true;
            return 0;
        }
        std::string_view line(data, n);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.remove_suffix(1);
        if (line.starts_with("HTTP/")) { // a new response (after 100 Continue): start over
            t.resp.fields.clear();
            return n;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return n;
        auto value = trim_ows(line.substr(colon + 1));
        auto name = line.substr(0, colon);
        if (iequals(name, "content-length")) {
            std::size_t length = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
            if (ec == std::errc() && length <= t.limit)
                t.resp.body.reserve(length);
        }
        if (t.resp.fields.empty())
            t.resp.fields.reserve(12, 512); // Discord sends about ten; saves regrowing
        t.resp.fields.add(name, value);
        return n;
    }
};

struct client::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, client_options o)
        : executor(std::move(ex)), strand(core::serial_executor(executor)), options(std::move(o))
    {
        if (options.timeout.count() <= 0 || options.connect_timeout.count() <= 0)
            throw error(errc::invalid_argument, "client timeouts must be positive");
        if (options.max_response_bytes == 0)
            throw error(errc::invalid_argument, "max_response_bytes must be positive");
    }

    ~impl()
    {
        for (CURL* e : spare)
            curl_easy_cleanup(e);
    }

    void init()
    {
        driver = std::make_shared<multi_driver>(strand, [weak = weak_from_this()](CURL* easy, CURLcode code) {
            if (auto self = weak.lock())
                self->finish(easy, code);
        });
        if (options.max_idle_connections)
            curl_multi_setopt(driver->handle(), CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_idle_connections));
    }

    template <class Handler>
    void initiate(Handler handler, std::unique_ptr<transfer> t)
    {
        t->serial = ++serials;
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected()) {
            slot.assign([weak = weak_from_this(), serial = t->serial](asio::cancellation_type type) {
                if (type == asio::cancellation_type::none)
                    return;
                if (auto self = weak.lock())
                    asio::dispatch(self->strand, [self, serial] { self->cancel(serial); });
            });
            t->slot = slot;
        }
        t->done = std::make_unique<completion_for<Handler>>(std::move(handler), executor);
        asio::dispatch(strand, [self = shared_from_this(), t = std::move(t)]() mutable { self->start(std::move(t)); });
    }

    // Easy handles are kept and reused. Options that are the same for every request of this
    // client are set once when a handle is made; `configure` sets every option that varies, so
    // nothing of a previous request survives (curl_easy_reset would cost a microsecond each time).
    CURL* acquire()
    {
        if (!spare.empty()) {
            CURL* e = spare.back();
            spare.pop_back();
            return e;
        }
        CURL* e = curl_easy_init();
        if (!e)
            throw std::bad_alloc();
        driver->prepare(e);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &transfer::on_body);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &transfer::on_header);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        curl_easy_setopt(e, CURLOPT_PROXY, options.proxy.c_str()); // "" also ignores *_proxy variables
        if (!options.ca_file.empty())
            curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_file.c_str());
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_response_bytes));
        curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
        return e;
    }

    void configure(transfer& t)
    {
        CURL* e = t.easy;
        const auto& req = *t.req;
        curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
        curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.value_or(options.timeout).count()));
        // Over TLS, wait for a connection that may multiplex instead of opening a new one.
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, req.url.starts_with("https:") ? 1L : 0L);

        // HTTPGET also clears NOBODY and a previous POST; CUSTOMREQUEST is cleared by hand.
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, nullptr);
        if (req.method == "GET" && req.body.empty()) {
            // done
        } else if (req.method == "HEAD") {
            curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        } else {
            if (req.method != "POST")
                curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.c_str());
        }
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
    }

    void start(std::unique_ptr<transfer> t)
    {
        if (closed) {
            complete(std::move(t), std::make_exception_ptr(error(errc::cancelled, "the HTTP client was destroyed")));
            return;
        }
        t->easy = acquire();
        configure(*t);
        auto serial = t->serial;
        auto* easy = t->easy;
        active.emplace(serial, std::move(t));
        if (active.size() > peak_active) {
            peak_active = active.size();
            // curl sizes its cache by the handles added at the moment a connection is returned,
            // which drops whenever finished requests are handed back before their coroutines send
            // again: it would then close connections the next requests need. Size it by the
            // busiest moment instead (doubling steps, to set the option rarely).
            if (!options.max_idle_connections && peak_active * 4 > cache_size) {
                cache_size = std::max<std::size_t>(16, peak_active * 8);
                curl_multi_setopt(driver->handle(), CURLMOPT_MAXCONNECTS, static_cast<long>(cache_size));
            }
        }
        driver->add(easy);
    }

    void finish(CURL* easy, CURLcode code)
    {
        transfer* raw = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
        auto it = raw ? active.find(raw->serial) : active.end();
        if (it == active.end())
            return;
        auto t = std::move(it->second);
        active.erase(it);
        driver->remove(easy);

        long connects = 0;
        curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
        connections += static_cast<std::uint64_t>(connects);

        std::exception_ptr failure;
        if (code == CURLE_OK) {
            long status = 0;
            long version = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
            t->resp.status = static_cast<int>(status);
            t->resp.version = version == CURL_HTTP_VERSION_1_0 ? 10
                : version == CURL_HTTP_VERSION_2_0            ? 20
                : version == CURL_HTTP_VERSION_3              ? 30
                                                              : 11;
        } else {
            failure = std::make_exception_ptr(describe_curl_failure(
                {easy, code, t->too_large, t->errbuf, t->req->url, t->limit, !options.proxy.empty()}));
        }
        complete(std::move(t), failure);
    }

    void cancel(std::uint64_t serial)
    {
        auto it = active.find(serial);
        if (it == active.end())
            return; // already finished: the completion is on its way
        auto t = std::move(it->second);
        active.erase(it);
        driver->remove(t->easy);
        complete(std::move(t), std::make_exception_ptr(error(errc::cancelled, "the HTTP request was cancelled")));
    }

    void complete(std::unique_ptr<transfer> t, std::exception_ptr failure)
    {
        if (t->slot.is_connected())
            t->slot.clear();
        auto* done = t->done.release();
        auto result = std::move(t->resp);
        if (t->easy) {
            // The handle must not keep pointers into the transfer we are about to free.
            curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, nullptr);
            curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, nullptr);
            curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, nullptr);
            curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST, nullptr);
            // Keep as many as were ever in flight at once: a steady load then never pays for
            // curl_easy_init (and its buffers) again.
            if (spare.size() < peak_active && !closed)
                spare.push_back(t->easy);
            else
                curl_easy_cleanup(t->easy);
        }
        t.reset();
        done->complete(failure, std::move(result));
    }

    void close()
    {
        closed = true;
        auto pending = std::move(active);
        active.clear();
        for (auto& [serial, t] : pending) {
            driver->remove(t->easy);
            complete(std::move(t), std::make_exception_ptr(error(errc::cancelled, "the HTTP client was destroyed")));
        }
        driver->shutdown();
    }

    asio::any_io_executor executor;
    multi_driver::strand_type strand;
    client_options options;
    std::shared_ptr<multi_driver> driver;
    std::unordered_map<std::uint64_t, std::unique_ptr<transfer>> active;
    std::vector<CURL*> spare;
    std::size_t peak_active = 0;
    std::size_t cache_size = 0; // CURLMOPT_MAXCONNECTS as we set it
    std::atomic<std::uint64_t> serials{0};
    std::atomic<std::uint64_t> connections{0};
    bool closed = false;
};

client::client(executor_type executor, client_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options)))
{
    impl_->init();
}

client::~client()
{
    asio::dispatch(impl_->strand, [self = impl_] { self->close(); });
}

asio::awaitable<response> client::send(const request& req)
{
    return send(request(req));
}

namespace {

// The transfer's header list, built from the request's fields.
std::unique_ptr<transfer> transfer_for(const request& req, std::size_t limit)
{
    validate(req);
    auto t = std::make_unique<transfer>();
    t->limit = limit;
    // One buffer for every line: curl copies each. It held an Authorization field last time.
    struct wiped_line {
        std::string text;
        ~wiped_line() { core::wipe(text); }
    } line;
    for (const auto& [name, value] : req.fields) {
        line.text.assign(name).append(": ").append(value);
        auto* grown = curl_slist_append(t->header_list, line.text.c_str());
        if (!grown)
            throw std::bad_alloc();
        t->header_list = grown;
    }
    // curl would otherwise wait for "100 Continue" before sending larger bodies.
    if (!req.body.empty() && !req.fields.contains("expect")) {
        auto* grown = curl_slist_append(t->header_list, "Expect:");
        if (!grown)
            throw std::bad_alloc();
        t->header_list = grown;
    }
    return t;
}

} // namespace

void wipe(request& r) noexcept
{
    core::wipe(r.body);
    r.fields.wipe();
}

void wipe(response& r) noexcept
{
    r.body.wipe();
    r.fields.wipe();
}

asio::awaitable<response> client::start(std::unique_ptr<transfer> t)
{
    return asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, response)>(
        [self = impl_](auto handler, std::unique_ptr<transfer> t) { self->initiate(std::move(handler), std::move(t)); },
        asio::use_awaitable, std::move(t));
}

// Not a coroutine, and the request is taken by reference: it is moved onto the heap before
// send() returns. g++ 12 copies a by-value aggregate argument built in a coroutine's
// `co_await f({...})` bitwise, leaving its strings pointing into the caller's frame.
asio::awaitable<response> client::send(request&& req)
{
    auto t = transfer_for(req, impl_->options.max_response_bytes);
    t->owned = std::move(req);
    t->req = &t->owned;
    return start(std::move(t));
}

asio::awaitable<response> client::send(const std::shared_ptr<const request>& req)
{
    if (!req)
        throw error(errc::invalid_argument, "no request to send");
    auto t = transfer_for(*req, impl_->options.max_response_bytes);
    t->shared = req;
    t->req = t->shared.get();
    return start(std::move(t));
}

client::executor_type client::get_executor() const noexcept
{
    return impl_->executor;
}

std::uint64_t client::connections_opened() const noexcept
{
    return impl_->connections.load();
}

} // namespace discord::oauth2::http
