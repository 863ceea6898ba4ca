#include "event_deliveries.hpp"

#include "http/client.hpp"
#include "json/writer.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>

namespace discord::oauth2::emulator {

std::string webhook_event_body(snowflake application_id, std::string_view type, clock::time_point at,
                               std::string_view data_json)
{
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count() % 1000000;
    json::writer w;
    w.begin_object()
        .field("version", 1)
        .field("application_id", std::to_string(application_id))
        .field("type", 1)
        .key("event")
        .begin_object()
        .field("type", type)
        .field("timestamp", fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}", std::chrono::floor<std::chrono::seconds>(at), micros))
        .key("data")
        .raw(data_json)
        .end_object()
        .end_object();
    return w.take();
}

struct event_deliveries::state {
    state(asio::any_io_executor ex, delivery_options o)
        : executor(ex), options(std::move(o)), http(std::make_unique<http::client>(ex, client_options(options)))
    {
    }

    static http::client_options client_options(const delivery_options& o)
    {
        http::client_options c;
        c.timeout = o.timeout;
        c.connect_timeout = std::min(o.timeout, std::chrono::milliseconds(3000));
        c.ca_file = o.ca_file;
        c.max_response_bytes = 64 * 1024;
        c.user_agent = "Discord-Webhook-Events (discord-oauth2 emulator)";
        return c;
    }

    asio::any_io_executor executor;
    delivery_options options;
    // Owned here but destroyed by ~event_deliveries: a send in flight holds its coroutine, which
    // holds this state, which would hold the client (a cycle that outlives the io_context).
    std::unique_ptr<http::client> http;
    ed25519::signing_key stranger; // signs the bad PINGs: a key of no application
    std::mt19937_64 random{std::random_device{}()};
    std::atomic<bool> stopped{false};
    std::map<std::uint64_t, asio::cancellation_signal> running; // on the executor

    mutable std::mutex records_mutex; // records() may be read from a test's thread
    std::vector<delivery_record> records;

    std::uint64_t add_record(const application& app, std::string kind, const std::string& url)
    {
        std::lock_guard lock(records_mutex);
        delivery_record r;
        r.id = records.size() + 1;
        r.application_id = app.id;
        r.kind = std::move(kind);
        r.url = url;
        records.push_back(std::move(r));
        return records.back().id;
    }

    template <class F>
    void update(std::uint64_t id, F&& change)
    {
        std::lock_guard lock(records_mutex);
        change(records.at(id - 1));
    }

    // One POST; the status, or 0 when no answer came (refused, reset, timed out, cancelled).
    asio::awaitable<int> attempt(const ed25519::signing_key& key, const std::string& url, const std::string& body)
    {
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(clock::now().time_since_epoch()).count();
        auto timestamp = std::to_string(seconds);
        http::request r;
        r.method = "POST";
        r.url = url;
        r.fields.add("Content-Type", "application/json");
        r.fields.add("X-Signature-Ed25519", key.sign_hex(timestamp + body));
        r.fields.add("X-Signature-Timestamp", timestamp);
        r.body = body;
        if (stopped || !http)
            co_return 0;
        try {
            auto answer = co_await http->send(std::move(r));
            co_return answer.status;
        } catch (const error&) {
            co_return 0;
        }
    }
};

namespace {

// Delivers until a 2xx answer, stop(), or `retry_for` after the event.
asio::awaitable<void> deliver(std::shared_ptr<event_deliveries::state> s, std::uint64_t id,
                              std::shared_ptr<const ed25519::signing_key> key, std::string url, std::string body)
{
    auto give_up_at = std::chrono::steady_clock::now() + s->options.retry_for;
    auto delay = s->options.first_retry;
    for (;;) {
        int status = co_await s->attempt(*key, url, body);
        bool delivered = status >= 200 && status < 300;
        s->update(id, [&](delivery_record& r) {
            ++r.attempts;
            r.last_status = status;
            if (delivered)
                r.outcome = "delivered";
        });
        if (delivered || s->stopped)
            co_return;
        if (std::chrono::steady_clock::now() + delay > give_up_at) {
            s->update(id, [](delivery_record& r) { r.outcome = "failed"; });
            co_return;
        }
        asio::steady_timer wait(s->executor, delay);
        std::error_code ec;
        co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec || s->stopped)
            co_return;
        delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::minutes(1));
    }
}

// Runs `work` on the executor, cancelled by stop().
template <class Work>
void launch(const std::shared_ptr<event_deliveries::state>& s, std::uint64_t id, Work work)
{
    asio::post(s->executor, [s, id, work = std::move(work)]() mutable {
        if (s->stopped)
            return;
        auto& signal = s->running[id];
        asio::co_spawn(s->executor, std::move(work),
                       asio::bind_cancellation_slot(signal.slot(), [s, id](std::exception_ptr) { s->running.erase(id); }));
    });
}

} // namespace

event_deliveries::event_deliveries(asio::any_io_executor executor, delivery_options options)
    : state_(std::make_shared<state>(std::move(executor), std::move(options)))
{
}

event_deliveries::~event_deliveries()
{
    stop();
    // Sends still in flight complete with `cancelled` and their coroutines end without touching
    // the client again (they check `stopped` first).
    state_->http.reset();
}

void event_deliveries::publish(const application& app, std::string_view type, std::string data_json)
{
    if (state_->stopped || app.event_webhooks_status != 2 || !app.event_webhooks_url || !app.signing_key)
        return;
    const auto& types = app.event_webhooks_types;
    if (std::find(types.begin(), types.end(), type) == types.end())
        return;
    auto s = state_;
    auto url = *app.event_webhooks_url;
    auto key = app.signing_key;
    auto body = webhook_event_body(app.id, type, clock::now(), data_json);
    bool bad_ping = s->options.bad_ping_probability > 0
                    && std::uniform_real_distribution<double>(0, 1)(s->random) < s->options.bad_ping_probability;
    if (bad_ping) {
        auto ping_id = s->add_record(app, "PING (bad signature)", url);
        auto ping_body = fmt::format(R"({{"version":1,"application_id":"{}","type":0}})", app.id);
        launch(s, ping_id, [s, ping_id, url, ping_body]() -> asio::awaitable<void> {
            int status = co_await s->attempt(s->stranger, url, ping_body);
            s->update(ping_id, [&](delivery_record& r) {
                r.attempts = 1;
                r.last_status = status;
                r.outcome = status == 401 ? "ok" : "wrong answer";
            });
        });
    }
    auto id = s->add_record(app, std::string(type), url);
    launch(s, id, [s, id, key, url, body = std::move(body)]() { return deliver(s, id, key, url, body); });
}

asio::awaitable<int> event_deliveries::ping(const application& app, std::string url, bool bad_signature)
{
    auto s = state_;
    auto key = app.signing_key;
    auto id = s->add_record(app, bad_signature ? "PING (bad signature)" : "PING", url);
    auto body = fmt::format(R"({{"version":1,"application_id":"{}","type":0}})", app.id);
    int status = co_await s->attempt(bad_signature || !key ? s->stranger : *key, url, body);
    bool right = bad_signature ? status == 401 : status >= 200 && status < 300;
    s->update(id, [&](delivery_record& r) {
        r.attempts = 1;
        r.last_status = status;
        r.outcome = right ? "ok" : "wrong answer";
    });
    co_return status;
}

std::vector<delivery_record> event_deliveries::records() const
{
    std::lock_guard lock(state_->records_mutex);
    return state_->records;
}

void event_deliveries::stop()
{
    auto s = state_;
    if (s->stopped.exchange(true))
        return;
    asio::post(s->executor, [s] {
        for (auto& [id, signal] : s->running)
            signal.emit(asio::cancellation_type::terminal);
    });
}

} // namespace discord::oauth2::emulator
