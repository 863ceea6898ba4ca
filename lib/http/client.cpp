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
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/use_awaitable.hpp>

#include <curl/curl.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <vector>

namespace discord::oauth2::http {
namespace {

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

// The request's header lines as curl reads them (CURLOPT_HTTPHEADER): a curl_slist whose nodes
// and text live in the transfer itself, not one node and one copy per line from
// curl_slist_append. curl only reads the list, and keeps no pointer into it once the handle is
// reset (client::impl::complete); the text held an Authorization field, so it is wiped.
class header_lines {
public:
    header_lines() = default;
    header_lines(const header_lines&) = delete;
    header_lines& operator=(const header_lines&) = delete;
    ~header_lines() { core::wipe(text_, used_); }

    void build(const request& req)
    {
        // "Expect:" keeps curl from waiting for "100 Continue" before sending larger bodies
        // (past 1 MiB in the libcurl we build on, past 1 KiB in older ones). Smaller bodies (every
        // token form) go without the line: curl looks for a dozen names in every line it is given.
        bool no_expect = req.body.size() >= 1024 && !req.fields.contains("expect");
        std::size_t lines = req.fields.size() + (no_expect ? 1 : 0);
        std::size_t bytes = no_expect ? sizeof "Expect:" : 0;
        for (const auto& [name, value] : req.fields)
            bytes += name.size() + 2 + value.size() + 1;
        nodes_ = inline_nodes_;
        text_ = inline_text_;
        if (lines > std::size(inline_nodes_)) {
            more_nodes_ = std::make_unique<curl_slist[]>(lines);
            nodes_ = more_nodes_.get();
        }
        if (bytes > sizeof inline_text_) {
            more_text_ = std::make_unique_for_overwrite<char[]>(bytes);
            text_ = more_text_.get();
        }
        std::size_t n = 0;
        auto line = [&](std::string_view a, std::string_view b, std::string_view c) {
            char* start = text_ + used_;
            for (auto part : {a, b, c}) {
                if (part.empty())
                    continue; // memcpy's source must not be null, even for no bytes
                std::memcpy(text_ + used_, part.data(), part.size());
                used_ += part.size();
            }
            text_[used_++] = '\0';
            nodes_[n].data = start;
            nodes_[n].next = nullptr;
            if (n > 0)
                nodes_[n - 1].next = &nodes_[n];
            ++n;
        };
        for (const auto& [name, value] : req.fields)
            line(name, ": ", value);
        if (no_expect)
            line("Expect:", {}, {});
        head_ = n ? nodes_ : nullptr;
    }

    [[nodiscard]] curl_slist* list() const noexcept { return head_; }

private:
    // Room for what the client sends (a content type, a Basic or Bearer credential, "Expect:")
    // while the whole transfer stays within glibc's per-thread cache of small blocks (1,032
    // bytes): a larger block takes malloc's slow path and consolidates its free lists.
    curl_slist inline_nodes_[4];
    char inline_text_[200];
    std::unique_ptr<curl_slist[]> more_nodes_;
    std::unique_ptr<char[]> more_text_;
    curl_slist* nodes_ = nullptr;
    char* text_ = inline_text_;
    std::size_t used_ = 0;
    curl_slist* head_ = nullptr;
};

// One request in flight: what curl writes into, what it reads from, and (in transfer_op) the
// waiting coroutine's handler, in one allocation.
struct transfer {
    transfer() = default;
    transfer(const transfer&) = delete;
    transfer& operator=(const transfer&) = delete;

    // Every request may carry a credential (an Authorization field, a form with a code or a
    // refresh token): what this transfer holds of it is wiped before it is freed (header_lines
    // wipes its own). curl's own copies (the request it builds to send, TLS records) are
    // libcurl's and OpenSSL's to free.
    virtual ~transfer() { wipe(owned); }

    /// Hands the outcome (`resp`, or `failure`) to the waiting coroutine through its own
    /// executor, never from inside curl; `self` is this transfer, freed before the handler runs.
    /// `at_once`: the coroutine may resume inside this call when its executor is the one running
    /// here (an answer from the network, handed over by the driver's round: a request the
    /// coroutine sends then is started and, if it fails at once, handed over by the same round's
    /// loop, never by a nested call); otherwise (a cancellation, a destroyed client) it is
    /// posted, so that a caller that sends again at once cannot recurse.
    virtual void complete(std::unique_ptr<transfer> self, std::exception_ptr failure, bool at_once) = 0;

    std::uint64_t serial = 0;
    std::uint32_t slot = 0; // index in client::impl::slots while active
    CURL* easy = nullptr;
    header_lines lines;
    request owned;                        // what send(request&&) took over
    std::shared_ptr<const request> shared; // or what send(shared_ptr) shares with its caller
    const request* req = nullptr;         // whichever of the two this transfer sends
    response resp;
    std::size_t limit = 0;
    std::size_t header_bytes = 0;
    bool too_large = false;
    char errbuf[CURL_ERROR_SIZE] = {};
    asio::cancellation_slot cancel_slot;

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

namespace {

// Whether `ex` is an io_context's executor (of type `Executor`) running on this thread: dispatch
// would then call the function at once, but only after wrapping it for the type-erased executor
// (an allocation and two indirect calls, twice a request).
template <class Executor>
bool runs_here(const asio::any_io_executor& ex) noexcept
{
    const auto* target = core::target_as<Executor>(ex);
    return target && target->running_in_this_thread();
}

template <class Handler>
struct transfer_op final : transfer {
    transfer_op(Handler h, const asio::any_io_executor& fallback)
        : handler(std::move(h)),
          work(asio::prefer(asio::get_associated_executor(handler, fallback), asio::execution::outstanding_work.tracked))
    {
    }

    // The function carries only the transfer's address: a small function fits Asio's recycled
    // handler memory, a response-sized one would not. Dispatched, the coroutine resumes here
    // when it runs on this thread's io_context: no trip through the scheduler's queue (and the
    // extra poll of the reactor a queued handler costs) for every answer.
    void complete(std::unique_ptr<transfer> self, std::exception_ptr f, bool at_once) override
    {
        failure = std::move(f);
        auto executor = std::move(work);
        auto deliver = [self = std::move(self)]() mutable {
            auto& op = static_cast<transfer_op&>(*self);
            auto h = std::move(op.handler);
            auto f = std::move(op.failure);
            auto result = std::move(op.resp);
            self.reset(); // the request's credentials are wiped before the caller goes on
            std::move(h)(std::move(f), std::move(result));
        };
        if (!at_once) {
            asio::post(executor, std::move(deliver));
            return;
        }
        using tracked_io = decltype(asio::prefer(std::declval<asio::io_context::executor_type>(),
                                                 asio::execution::outstanding_work.tracked));
        // Run as dispatch would run it, with one difference: an exception from the handler goes
        // through the driver's round (which hands the rest of the round over posted and rethrows
        // it to run()'s caller) instead of being kept by the io_context until the handler ends.
        if (runs_here<tracked_io>(executor))
            deliver();
        else
            asio::dispatch(executor, std::move(deliver));
    }

    Handler handler;
    asio::any_io_executor work; // keeps the handler's io_context running until we complete
    std::exception_ptr failure;
};

} // namespace

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

    // The transfer is made here, with the handler inside it: one allocation a request.
    template <class Handler, class Source>
    void initiate(Handler handler, Source source)
    {
        auto t = std::make_unique<transfer_op<Handler>>(std::move(handler), executor);
        if constexpr (std::is_same_v<Source, wiped_request>) {
            t->owned = std::move(static_cast<request&>(source));
            t->req = &t->owned;
        } else {
            t->shared = std::move(source);
            t->req = t->shared.get();
        }
        t->limit = options.max_response_bytes;
        t->lines.build(*t->req);
        t->serial = ++serials;
        auto slot = asio::get_associated_cancellation_slot(t->handler);
        if (slot.is_connected()) {
            slot.assign([weak = weak_from_this(), serial = t->serial](asio::cancellation_type type) {
                if (type == asio::cancellation_type::none)
                    return;
                if (auto self = weak.lock())
                    asio::dispatch(self->strand, [self, serial] { self->cancel(serial); });
            });
            t->cancel_slot = slot;
        }
        if (runs_here<asio::io_context::executor_type>(strand)) { // an io_context(1) of this thread
            start(std::move(t)); // as dispatch would (start completes the transfer with its own failures)
            return;
        }
        asio::dispatch(strand, [self = shared_from_this(), t = std::unique_ptr<transfer>(std::move(t))]() mutable {
            self->start(std::move(t));
        });
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
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.lines.list());
    }

    void start(std::unique_ptr<transfer> t)
    {
        if (closed) {
            complete(std::move(t), std::make_exception_ptr(error(errc::cancelled, "the HTTP client was destroyed")));
            return;
        }
        try {
            t->easy = acquire();
            // Room first, so that placing the transfer below cannot fail halfway.
            slots.reserve(slots.size() + 1);
            slot_serials.reserve(slots.size() + 1);
            free_slots.reserve(slots.size() + 1);
        } catch (...) {
            complete(std::move(t), std::current_exception());
            return;
        }
        configure(*t);
        auto* easy = t->easy;
        if (free_slots.empty()) {
            t->slot = static_cast<std::uint32_t>(slots.size());
            slot_serials.push_back(t->serial);
            slots.push_back(std::move(t));
        } else {
            t->slot = free_slots.back();
            free_slots.pop_back();
            slot_serials[t->slot] = t->serial;
            slots[t->slot] = std::move(t);
        }
        if (++active_count > peak_active) {
            peak_active = active_count;
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

    // Takes an active transfer out of its slot (the slot is free for the next request).
    std::unique_ptr<transfer> release(std::uint32_t slot)
    {
        auto t = std::move(slots[slot]);
        slot_serials[slot] = 0;
        free_slots.push_back(slot);
        --active_count;
        return t;
    }

    void finish(CURL* easy, CURLcode code)
    {
        transfer* raw = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
        if (!raw || raw->slot >= slots.size() || slots[raw->slot].get() != raw)
            return;
        auto t = release(raw->slot);
        driver->remove_finished(easy);

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
        complete(std::move(t), failure, driver->resume_at_once());
    }

    void cancel(std::uint64_t serial)
    {
        // Searched for only on cancellation (a scan of one number per request in flight); a
        // finished transfer's slot holds another request or none.
        for (std::uint32_t slot = 0; slot < slot_serials.size(); ++slot) {
            if (slot_serials[slot] == serial) {
                auto t = release(slot);
                driver->remove(t->easy);
                complete(std::move(t), std::make_exception_ptr(error(errc::cancelled, "the HTTP request was cancelled")));
                return;
            }
        }
        // already finished: the completion is on its way
    }

    void complete(std::unique_ptr<transfer> t, std::exception_ptr failure, bool at_once = false)
    {
        if (t->cancel_slot.is_connected())
            t->cancel_slot.clear();
        if (failure)
            wipe(t->resp); // a part of an answer (a token answer cut off) is not handed over
        if (t->easy) {
            // The handle must not keep pointers into the transfer we are about to free.
            curl_easy_setopt(t->easy, CURLOPT_PRIVATE, nullptr);
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
            t->easy = nullptr;
        }
        auto* raw = t.get();
        raw->complete(std::move(t), failure, at_once);
    }

    void close()
    {
        closed = true;
        auto pending = std::move(slots);
        slots.clear();
        slot_serials.clear();
        free_slots.clear();
        active_count = 0;
        for (auto& t : pending) {
            if (!t)
                continue;
            driver->remove(t->easy);
            complete(std::move(t), std::make_exception_ptr(error(errc::cancelled, "the HTTP client was destroyed")));
        }
        driver->shutdown();
    }

    asio::any_io_executor executor;
    multi_driver::strand_type strand;
    client_options options;
    std::shared_ptr<multi_driver> driver;
    // Active transfers by slot, and the free slots: a steady load reuses them without allocating.
    std::vector<std::unique_ptr<transfer>> slots;
    std::vector<std::uint64_t> slot_serials; // each slot's request, 0 when free: what cancel() scans
    std::vector<std::uint32_t> free_slots;
    std::size_t active_count = 0;
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

template <class Source>
asio::awaitable<response> client::start(Source source)
{
    return asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, response)>(
        [self = impl_](auto handler, Source source) { self->initiate(std::move(handler), std::move(source)); },
        asio::use_awaitable, std::move(source));
}

// Not a coroutine, and the request is taken by reference: it is moved into the operation before
// send() returns. g++ 12 copies a by-value aggregate argument built in a coroutine's
// `co_await f({...})` bitwise, leaving its strings pointing into the caller's frame.
asio::awaitable<response> client::send(request&& req)
{
    validate(req);
    return start(wiped_request(std::move(req))); // wiped if the operation never starts
}

asio::awaitable<response> client::send(const std::shared_ptr<const request>& req)
{
    if (!req)
        throw error(errc::invalid_argument, "no request to send");
    validate(*req);
    return start(req);
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
