// The callback web server's state, shared by web_server.cpp (callbacks, waiters, grants) and
// web_server_cluster.cpp (what it shares with the other instances of a bot).
#pragma once

#include <discord/oauth2/web_server.hpp>

#include "core/url_parts.hpp"
#include "core/work_counter.hpp"
#include "server/server.hpp"
#include "web/cluster_messages.hpp"
#include "web/event_hub.hpp"
#include "web/pages.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/memory_replay_guard.hpp>
#include <discord/oauth2/memory_token_store.hpp>

#include <asio/experimental/concurrent_channel.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>

namespace discord::oauth2 {
namespace web_detail {

using answer_channel = asio::experimental::concurrent_channel<void(std::error_code, web::answer)>;
using receiver_ptr = std::unique_ptr<detail::result_receiver<authorization_result>>;
using steady = std::chrono::steady_clock;

// What a callback ended with, kept until the state expires so that a replayed callback gets the
// same answer and a late waiter the same result. Allocated only then: a pending record stays small.
struct settled {
    web::answer answer;
    std::optional<authorization_result> result;
    std::string unshared; // for the cluster, until the callback records it (share_outcome)
};

// One authorization, from its URL to its callback's answer.
struct record {
    snowflake user;
    std::chrono::system_clock::time_point expires_at;
    bool callback_started = false;
    std::unique_ptr<settled> outcome;
    std::vector<std::uint64_t> waiters;                     // ids in web_server::impl::waiters
    std::vector<std::shared_ptr<answer_channel>> followers; // replays while the first is in flight
};

struct waiter {
    receiver_ptr receiver;
    std::string nonce;
    std::multimap<steady::time_point, std::uint64_t>::iterator deadline;
};

} // namespace web_detail

struct web_server::impl : std::enable_shared_from_this<impl> {
    using answer_channel = web_detail::answer_channel;
    using receiver_ptr = web_detail::receiver_ptr;
    using steady = web_detail::steady;
    using settled = web_detail::settled;
    using record = web_detail::record;
    using waiter = web_detail::waiter;

    impl(asio::any_io_executor ex, client& c, web_server_config cfg)
        : executor(std::move(ex)), discord(c), config(std::move(cfg)), key(config.key ? *config.key : state_key::generate()),
          cluster_key(key)
    {
        if (!config.store)
            config.store = std::make_shared<memory_token_store>();
        auto redirect = url::split(discord.config().redirect_uri);
        if (!redirect)
            throw error(errc::invalid_argument, "the client's redirect URI must be an absolute http or https URL");
        if (!config.public_base_url.empty() && !discord.config().redirect_uri.starts_with(config.public_base_url))
            throw error(errc::invalid_argument, "the client's redirect URI does not start with public_base_url");
        if (config.state_lifetime.count() <= 0)
            throw error(errc::invalid_argument, "state_lifetime must be positive");
        path = redirect->path;
        redirect_parts = *redirect;
        keeper.emplace(executor, discord, config.store, config.auto_refresh.value_or(refresher_config{}));
        keeper->on_grant_lost = [this](const grant_lost& lost) {
            event e;
            e.kind = event_kind::grant_lost;
            e.user_id = lost.user_id;
            e.code = lost.code;
            e.message = lost.reason;
            publish(std::move(e));
        };
        keeper->on_refreshed = [this](snowflake user, const access_token& token) {
            event e;
            e.kind = event_kind::access_token_refreshed;
            e.user_id = user;
            e.token = token;
            publish(std::move(e));
        };
    }

    asio::any_io_executor executor;
    client& discord;
    web_server_config config;
    state_key key;
    web::message_key cluster_key;     // signs what the instances tell each other
    web::message_replays cluster_replays;
    std::atomic<std::uint64_t> cluster_dropped{0}; // messages refused: no valid tag, replayed, malformed
    std::string path;
    url::parts redirect_parts;
    std::optional<server::server> http;
    detail::event_hub hub;
    std::optional<refresher> keeper;
    memory_replay_guard replays;

    std::mutex mutex;
    std::unordered_map<std::string, record> records; // by state nonce
    std::size_t pending = 0;                          // records without an answer
    bool stopped = false;
    work_counter callbacks_in_flight; // stop() waits for them, up to its grace period

    // Published here, and to the other instances unless it came from one of them.
    void publish(event e, bool share = true)
    {
        if (share && config.cluster)
            asio::co_spawn(executor,
                           broadcast(shared_from_this(),
                                     cluster_key.seal(web::encode_message(e), std::chrono::system_clock::now())),
                           asio::detached);
        hub.publish(e);
    }

    void publish_error(std::string where, const std::error_code& code, std::string message, snowflake user = {},
                       bool share = true)
    {
        event e;
        e.kind = event_kind::error;
        e.where = std::move(where);
        e.code = code;
        e.message = std::move(message);
        e.user_id = user;
        publish(std::move(e), share);
    }

    // Drops records whose state has expired. Called with the mutex held.
    void purge(std::chrono::system_clock::time_point now)
    {
        for (auto it = records.begin(); it != records.end();) {
            if (it->second.expires_at <= now && it->second.waiters.empty() && it->second.followers.empty()) {
                if (!it->second.outcome)
                    --pending;
                it = records.erase(it);
            } else {
                ++it;
            }
        }
    }

    // The record of this state while it still waits for its outcome, else null (held: mutex).
    record* unsettled(const std::string& nonce)
    {
        auto it = records.find(nonce);
        if (it == records.end() || (it->second.outcome && it->second.outcome->result))
            return nullptr;
        return &it->second;
    }

    // Registers a state (held: mutex). Throws too_many_pending at the cap.
    record& enrol(const state_claims& claims)
    {
        if (auto it = records.find(claims.nonce); it != records.end())
            return it->second;
        auto now = std::chrono::system_clock::now();
        if (records.size() >= config.max_pending)
            purge(now);
        if (pending >= config.max_pending)
            throw error(errc::too_many_pending,
                        fmt::format("{} authorizations are pending, the configured maximum; try again later",
                                    config.max_pending));
        auto& r = records[claims.nonce];
        r.user = claims.user_id;
        r.expires_at = claims.expires_at;
        ++pending;
        return r;
    }

    // The callback's outcome: remembered, waiters woken, followers answered; and, when it is this
    // instance's own, recorded in the cluster for the other instances.
    void settle(const std::string& nonce, const web::answer& a, std::optional<authorization_result> result,
                bool share = true)
    {
        std::string unshared;
        if (share && config.cluster && result) {
            web::settled_message m;
            m.nonce = web::cluster_nonce(nonce);
            m.outcome = result->outcome;
            m.user = result->grant ? result->grant->user_id : snowflake{};
            m.code = result->code;
            m.description = result->description;
            m.page = a;
            unshared = cluster_key.seal(web::encode_message(m), std::chrono::system_clock::now());
        }
        std::vector<receiver_ptr> woken;
        std::vector<std::shared_ptr<answer_channel>> followers;
        {
            std::lock_guard lock(mutex);
            auto it = records.find(nonce);
            if (it == records.end())
                return;
            auto& r = it->second;
            if (!r.outcome) {
                --pending;
                r.outcome = std::make_unique<settled>();
            }
            r.outcome->answer = a;
            if (result)
                r.outcome->result = result;
            if (!unshared.empty())
                r.outcome->unshared = std::move(unshared);
            woken = take_waiters(r);
            followers.swap(r.followers);
        }
        for (auto& w : woken)
            w->deliver(nullptr, result ? *result : authorization_result{});
        for (auto& f : followers)
            f->try_send(std::error_code{}, a);
    }

    // Waiters: one timer for all their deadlines, so that a waiter costs no timer of its own.
    std::unordered_map<std::uint64_t, waiter> waiters;
    std::multimap<steady::time_point, std::uint64_t> deadlines;
    std::uint64_t next_waiter = 0;
    std::optional<asio::steady_timer> timer;
    std::optional<steady::time_point> timer_armed_for;

    // Removes the record's waiters (held: mutex) and hands back their receivers.
    std::vector<receiver_ptr> take_waiters(record& r)
    {
        std::vector<receiver_ptr> out;
        out.reserve(r.waiters.size());
        for (auto id : r.waiters)
            if (auto w = waiters.find(id); w != waiters.end()) {
                deadlines.erase(w->second.deadline);
                out.push_back(std::move(w->second.receiver));
                waiters.erase(w);
            }
        r.waiters.clear();
        arm_timer();
        return out;
    }

    // Arms the timer for the earliest deadline (held: mutex); disarms it when nobody waits, so
    // that it never keeps io_context::run() going on its own.
    void arm_timer()
    {
        if (deadlines.empty()) {
            if (timer_armed_for) {
                timer_armed_for.reset();
                timer->cancel();
            }
            return;
        }
        auto earliest = deadlines.begin()->first;
        if (timer_armed_for && *timer_armed_for <= earliest)
            return;
        if (!timer)
            timer.emplace(executor);
        timer_armed_for = earliest;
        timer->expires_at(earliest);
        timer->async_wait([weak = weak_from_this()](std::error_code ec) {
            if (ec == asio::error::operation_aborted)
                return;
            if (auto self = weak.lock())
                self->on_timer();
        });
    }

    void on_timer()
    {
        std::vector<receiver_ptr> expired;
        {
            std::lock_guard lock(mutex);
            timer_armed_for.reset();
            auto now = steady::now();
            while (!deadlines.empty() && deadlines.begin()->first <= now) {
                auto id = deadlines.begin()->second;
                deadlines.erase(deadlines.begin());
                auto w = waiters.find(id);
                if (w == waiters.end())
                    continue;
                if (auto r = records.find(w->second.nonce); r != records.end())
                    std::erase(r->second.waiters, id);
                expired.push_back(std::move(w->second.receiver));
                waiters.erase(w);
            }
            arm_timer();
        }
        authorization_result timed_out;
        timed_out.outcome = authorization_outcome::timed_out;
        timed_out.code = make_error_code(errc::timeout);
        timed_out.description = "no authorization arrived in time";
        for (auto& r : expired)
            r->deliver(nullptr, timed_out);
    }

    void cancel_wait(std::uint64_t id)
    {
        receiver_ptr cancelled;
        {
            std::lock_guard lock(mutex);
            auto w = waiters.find(id);
            if (w == waiters.end())
                return; // already completed
            deadlines.erase(w->second.deadline);
            if (auto r = records.find(w->second.nonce); r != records.end())
                std::erase(r->second.waiters, id);
            cancelled = std::move(w->second.receiver);
            waiters.erase(w);
            arm_timer();
        }
        cancelled->deliver(std::make_exception_ptr(error(errc::cancelled, "waiting for the access token was cancelled")),
                           authorization_result{});
    }

    // Sharing with the other instances (web_server_cluster.cpp).
    static asio::awaitable<void> broadcast(std::shared_ptr<impl> self, std::string text);
    asio::awaitable<void> share_outcome(const std::string& nonce);
    asio::awaitable<bool> consume(const state_claims& claims);
    void on_cluster_message(const std::string& text);
    void on_recorded_outcome(const std::string& text);
    static asio::awaitable<void> settle_from_store(std::shared_ptr<impl> self, std::string nonce, web::settled_message m);
    static asio::awaitable<void> publish_with_token(std::shared_ptr<impl> self, event e);
    static asio::awaitable<void> ask_outcomes(std::shared_ptr<impl> self, std::vector<std::string> raw_nonces);
    asio::awaitable<void> ask_outcomes_now(const std::vector<std::string>& raw_nonces);
    void recheck();

    static web::answer invalid(int status, std::string title, std::string message)
    {
        return {status, web::page_kind::invalid, std::move(title), std::move(message)};
    }

    asio::awaitable<server::response> callback(server::request& req);
    asio::awaitable<web::answer> handle(server::request& req);
    // The callback's three branches (web_server.cpp): Discord's error, a state used before, a
    // fresh code.
    asio::awaitable<web::answer> answer_denial(const std::string& error_text, const std::string& description,
                                               const std::optional<state_claims>& claims);
    asio::awaitable<web::answer> answer_replay(const std::string& state_text);
    asio::awaitable<web::answer> answer_fresh_code(const std::string& code, const state_claims& claims,
                                                   const std::optional<std::string>& iss);
    asio::awaitable<std::optional<error>> revoke_grant(const access_token& token, snowflake user);
    asio::awaitable<bool> revoke_or_forget(snowflake user);
};

} // namespace discord::oauth2
