// The callback web server's state, shared by web_server.cpp (callbacks, waiters, grants) and
// web_server_cluster.cpp (what it shares with the other instances of a bot).
#pragma once

#include <discord/oauth2/web_server.hpp>

#include "core/ed25519.hpp"
#include "core/replaceable.hpp"
#include "core/url_parts.hpp"
#include "core/work_counter.hpp"
#include "server/peer_rate.hpp"
#include "server/server.hpp"
#include "web/cluster_messages.hpp"
#include "web/event_hub.hpp"
#include "web/exchange_limits.hpp"
#include "web/pages.hpp"
#include "web/pending_authorizations.hpp"
#include "json/webhook_event.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/memory_replay_guard.hpp>
#include <discord/oauth2/memory_token_store.hpp>

#include <atomic>

namespace discord::oauth2 {

struct web_server::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, oauth2::client& c, web_server_config cfg)
        : executor(std::move(ex)), discord(c), config(std::move(cfg)), metrics(c.config().metrics),
          state_keys(keys_for(config.key ? *config.key : state_key_ring(state_key::generate()))),
          // Links and as many callback-only states (pending_authorizations' two caps).
          replays(config.max_pending > SIZE_MAX / 2 ? SIZE_MAX : 2 * config.max_pending),
          linked_role_replays(config.max_pending),
          authorizations(web::pending_authorizations::create(executor, config.max_pending)),
          exchanges(config.exchanges_per_minute_per_client, config.exchanges_per_second, config.limits.ipv6_peer_prefix)
    {
        if (!config.store)
            config.store = std::make_shared<memory_token_store>();
        auto redirect = url::split(discord.config().redirect_uri);
        if (!redirect)
            throw error(errc::invalid_argument, "the client's redirect URI must be an absolute http or https URL");
        if (!config.public_base_url.empty() && !discord.config().redirect_uri.starts_with(config.public_base_url))
            throw error(errc::invalid_argument, "the client's redirect URI does not start with public_base_url");
        // At most a year: the links' records stay until they expire, and a state's expiry must
        // stay within what open_state accepts (make_link computes the claims without opening).
        if (config.state_lifetime.count() <= 0 || config.state_lifetime > std::chrono::hours(24 * 366))
            throw error(errc::invalid_argument, "state_lifetime must be positive and at most a year");
        path = redirect->path;
        redirect_parts = *redirect;
        if (!config.events_path.empty()) {
            verify_key = ed25519::parse_public_key(config.verify_key);
            if (!verify_key)
                throw error(errc::invalid_argument, "events_path needs verify_key: the application's public key, 64 hexadecimal digits");
            if (config.events_path.front() != '/' || config.events_path == path)
                throw error(errc::invalid_argument, "events_path must be a path of its own, starting with '/'");
            if (config.events_window.count() <= 0)
                throw error(errc::invalid_argument, "events_window must be positive");
        }
        if (!config.linked_roles_path.empty()) {
            if (config.linked_roles_path.front() != '/' || config.linked_roles_path == path
                || config.linked_roles_path == config.events_path)
                throw error(errc::invalid_argument, "linked_roles_path must be a path of its own, starting with '/'");
            if (!config.linked_roles_hook)
                throw error(errc::invalid_argument, "linked_roles_path needs linked_roles_hook: what to push for a user");
            if (config.linked_roles_per_minute > 0)
                visits.emplace(config.linked_roles_per_minute, 65'536, config.limits.ipv6_peer_prefix);
        }
        authorizations->observe(metrics);
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
    oauth2::client& discord;
    web_server_config config;
    std::shared_ptr<metrics_observer> metrics; // the client's (client_config::metrics); null: nothing counted
    // The state keys, and the cluster's keys derived from them: replaced together by set_keys.
    struct key_set {
        state_key_ring ring;
        web::message_key cluster; // signs what the instances tell each other
    };
    static key_set keys_for(state_key_ring ring)
    {
        web::message_key cluster(ring);
        return {std::move(ring), std::move(cluster)};
    }
    core::replaceable<key_set> state_keys;
    std::shared_ptr<const key_set> keys() const { return state_keys.get(); }
    web::message_replays cluster_replays;
    std::atomic<std::uint64_t> cluster_dropped{0}; // messages refused: no valid tag, replayed, malformed
    // Counted, and told to the metrics observer.
    void drop_cluster_message() noexcept
    {
        ++cluster_dropped;
        if (metrics)
            metrics->cluster_message_dropped();
    }
    std::string path;
    url::parts redirect_parts;
    std::optional<ed25519::public_key> verify_key; // set when the events endpoint is on
    std::optional<server::server> http;
    // The paths the server answers, made by start() for its listener and handle_request.
    std::optional<server::router> routes;
    std::atomic<bool> serving{false}; // between start() and stop(): handle_request answers
    web::event_hub hub;
    std::optional<refresher> keeper;
    memory_replay_guard replays;
    memory_replay_guard linked_role_replays;

    std::shared_ptr<web::pending_authorizations> authorizations;
    // Linked roles visits per client address (config.linked_roles_per_minute; none when 0).
    std::optional<server::peer_rate> visits;
    // Code exchanges per client address and in all (config.exchanges_per_minute_per_client,
    // config.exchanges_per_second), counted before a state is spent.
    web::exchange_limits exchanges;
    core::work_counter callbacks_in_flight; // stop() waits for them, up to its grace period

    // The callback path, and the linked roles and events paths when set (embedded_requests.cpp).
    server::router make_routes();
    // handle_request: `request` checked as the listener checks one, then routed.
    static asio::awaitable<outgoing_response> serve_embedded(std::shared_ptr<impl> self, incoming_request request);

    // Published here, and to the other instances unless it came from one of them.
    void publish(event e, bool share = true)
    {
        if (share && config.cluster)
            asio::co_spawn(executor,
                           broadcast(shared_from_this(),
                                     keys()->cluster.seal(web::encode_message(e), std::chrono::system_clock::now())),
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
            unshared = keys()->cluster.seal(web::encode_message(m), std::chrono::system_clock::now());
        }
        authorizations->settle(nonce, a, std::move(result), std::move(unshared));
    }

    // Sharing with the other instances (web_server_cluster.cpp).
    static asio::awaitable<void> broadcast(std::shared_ptr<impl> self, std::string text);
    asio::awaitable<void> share_outcome(const std::string& nonce);
    asio::awaitable<bool> consume(const state_claims& claims);
    // What spends single-use nonces (states, webhook signatures): the cluster's guard, shared by
    // every instance, or this server's own.
    replay_guard& nonces() { return config.cluster ? static_cast<replay_guard&>(*config.cluster) : replays; }
    // The same for a state. A linked roles state is anyone's to mint: in one process its nonces
    // have a guard of their own, so that a flood of them never takes the room the bot's links need.
    replay_guard& state_nonces(const state_claims& claims)
    {
        if (config.cluster)
            return *config.cluster;
        return claims.flow == linked_roles_flow ? linked_role_replays : replays;
    }
    void on_cluster_message(const std::string& text);
    void on_recorded_outcome(const std::string& text);
    static asio::awaitable<void> settle_from_store(std::shared_ptr<impl> self, std::string nonce, web::settled_message m);
    static asio::awaitable<void> deliver_stored_grant(std::shared_ptr<impl> self, snowflake user,
                                                      std::vector<std::string> scopes,
                                                      web::result_receiver_ptr receiver);
    static asio::awaitable<authorization_result> result_from_store(std::shared_ptr<impl> self, snowflake user,
                                                                   std::string missing);
    static asio::awaitable<void> publish_with_token(std::shared_ptr<impl> self, event e);
    static asio::awaitable<void> ask_outcomes(std::shared_ptr<impl> self, std::vector<std::string> raw_nonces);
    asio::awaitable<void> ask_outcomes_now(const std::vector<std::string>& raw_nonces);
    void recheck();

    static web::answer invalid(int status, std::string title, std::string message)
    {
        return {status, web::page_kind::invalid, std::move(title), std::move(message)};
    }

    asio::awaitable<server::response> callback(server::request& req);
    // The events endpoint (webhook_events.cpp): checks, answers, then acts on what Discord said.
    asio::awaitable<server::response> webhook(server::request& req);
    static asio::awaitable<void> act_on_webhook(std::shared_ptr<impl> self, json::webhook_payload payload);
    asio::awaitable<void> forget_deauthorized(snowflake user, std::chrono::system_clock::time_point when);
    // `outcome` is set to how the callback ended, for the metrics.
    asio::awaitable<web::answer> handle(server::request& req, callback_outcome& outcome);
    // The callback's three branches (web_server.cpp): Discord's error, a state used before, a
    // fresh code.
    asio::awaitable<web::answer> answer_denial(const std::string& error_text, const std::string& description,
                                               const std::optional<state_claims>& claims);
    asio::awaitable<web::answer> answer_replay(const std::string& state_text);
    // `outcome` is set to how it ended, for the metrics.
    asio::awaitable<web::answer> answer_fresh_code(const std::string& code, const state_claims& claims,
                                                   const std::optional<std::string>& iss, callback_outcome& outcome);
    asio::awaitable<std::optional<error>> revoke_grant(const access_token& token, snowflake user);

    // The linked roles verification URL (linked_roles.cpp): its start, the browser check at the
    // callback, and the push after the grant is stored.
    static constexpr std::string_view linked_roles_flow = "linked_roles";
    // An authorization URL and the claims sealed into it.
    std::pair<std::string, state_claims> make_link(snowflake user, const scope_list& scopes,
                                                   const authorization_options& options);
    server::response start_linked_role(const asio::ip::address& peer);
    static web::answer denial_page(std::string_view error_text);
    bool from_linked_role_browser(const server::request& req, const state_claims& claims) const;
    asio::awaitable<web::answer> push_linked_role(const user& who, const access_token& token);
    asio::awaitable<revocation> revoke_or_forget(snowflake user);
};

} // namespace discord::oauth2
