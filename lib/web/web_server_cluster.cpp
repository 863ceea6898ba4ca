// What a web server shares with the other instances of a bot through its `cluster`: single-use
// states, callbacks' outcomes (recorded before the browser's page), events, and the re-checks
// after a gap in the messages (docs/deployment.md).
#include "web/web_server_impl.hpp"

#include "core/attempt.hpp"
#include "core/base64.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

namespace discord::oauth2 {

asio::awaitable<void> web_server::impl::broadcast(std::shared_ptr<impl> self, std::string text)
{
    auto sent = co_await core::attempt(self->config.cluster->broadcast(text));
    if (const auto& failure = sent.failure)
        self->publish_error("cluster", failure->code(), failure->what(), {}, false);
}

// Records a callback's outcome in the cluster before the browser gets its page: once the
// person sees the page, every instance can learn how it ended, even if this one dies next.
asio::awaitable<void> web_server::impl::share_outcome(const std::string& nonce)
{
    if (!config.cluster)
        co_return;
    auto text = authorizations->take_unshared(nonce);
    if (text.empty())
        co_return;
    auto cluster_nonce = web::cluster_nonce(nonce);
    auto recorded = co_await core::attempt(config.cluster->record_outcome(cluster_nonce, text, text));
    if (const auto& failure = recorded.failure)
        publish_error("cluster", failure->code(),
                      std::string("the outcome of a callback could not be shared with the other instances: ")
                          + failure->what(),
                      {}, false);
}

// True the first time this state is used, on any instance.
asio::awaitable<bool> web_server::impl::consume(const state_claims& claims)
{
    auto nonce = web::cluster_nonce(claims.nonce); // named: see docs/compilers.md
    co_return co_await state_nonces(claims).consume(nonce, claims.expires_at);
}

// A message of another instance, heard through the cluster: an event for our streams, or news
// that a callback ended. Hostile until its tag, its freshness and its text have been checked;
// anything that fails is dropped and counted.
void web_server::impl::on_cluster_message(const std::string& text)
{
    auto opened = keys()->cluster.open(text);
    if (!opened || !cluster_replays.first(*opened, std::chrono::system_clock::now())) {
        drop_cluster_message();
        return;
    }
    auto message = web::decode_message(opened->text);
    if (!message) {
        drop_cluster_message();
        return;
    }
    if (auto* e = std::get_if<event>(&*message)) {
        if (e->kind == event_kind::authorization_code_exchanged || e->kind == event_kind::access_token_refreshed)
            asio::co_spawn(executor, publish_with_token(shared_from_this(), std::move(*e)), asio::detached);
        else
            publish(std::move(*e), false);
        return;
    }
    // A callback ended elsewhere: what wakes our waiters is the outcome recorded in the cluster
    // (read back now), never the message itself.
    auto& m = std::get<web::settled_message>(*message);
    auto nonce = base64::decode_url(m.nonce);
    if (!authorizations->unsettled_user(*nonce))
        return; // nobody here knows it (late waiters ask the cluster), or already settled
    asio::co_spawn(executor, ask_outcomes(shared_from_this(), {std::move(*nonce)}), asio::detached);
}

// An outcome recorded in the cluster (for a state this instance waits for): checked like a
// message, and then only for the record of the same user.
void web_server::impl::on_recorded_outcome(const std::string& text)
{
    auto opened = keys()->cluster.open(text);
    auto message = opened ? web::decode_message(opened->text) : std::nullopt;
    auto* m = message ? std::get_if<web::settled_message>(&*message) : nullptr;
    if (!m) {
        drop_cluster_message();
        return;
    }
    auto nonce = base64::decode_url(m->nonce);
    auto user = authorizations->unsettled_user(*nonce);
    if (!user)
        return;
    // A link made for one user is never completed with another's grant, whoever signed it.
    if (m->outcome == authorization_outcome::authorized && *user != snowflake{} && *user != m->user) {
        drop_cluster_message();
        return;
    }
    authorization_result result;
    result.outcome = m->outcome;
    result.code = m->code;
    result.description = m->description;
    if (m->outcome == authorization_outcome::authorized)
        asio::co_spawn(executor, settle_from_store(shared_from_this(), *nonce, std::move(*m)), asio::detached);
    else
        settle(*nonce, m->page, std::move(result), false);
}

// Tokens never cross instances: the grant another instance obtained is read from the store.
asio::awaitable<void> web_server::impl::settle_from_store(std::shared_ptr<impl> self, std::string nonce, web::settled_message m)
{
    auto result = co_await result_from_store(self, m.user, "another instance obtained the grant, but the store has none");
    self->settle(nonce, m.page, std::move(result), false);
}

asio::awaitable<void> web_server::impl::publish_with_token(std::shared_ptr<impl> self, event e)
{
    // A grant that cannot be read leaves the event without its token; the event still goes out.
    auto loaded = co_await core::attempt(self->config.store->load(e.user_id));
    if (loaded.value && *loaded.value)
        e.token = std::move((*loaded.value)->token);
    self->publish(std::move(e), false);
}

// Asks the cluster for the outcomes of these states: after a gap in the messages, or for a
// state this instance did not see start.
asio::awaitable<void> web_server::impl::ask_outcomes(std::shared_ptr<impl> self, std::vector<std::string> raw_nonces)
{
    co_await self->ask_outcomes_now(raw_nonces);
}

asio::awaitable<void> web_server::impl::ask_outcomes_now(const std::vector<std::string>& raw_nonces)
{
    auto self = shared_from_this();
    for (std::size_t from = 0; from < raw_nonces.size(); from += 500) {
        std::vector<std::string> batch;
        for (std::size_t i = from; i < raw_nonces.size() && i < from + 500; ++i)
            batch.push_back(web::cluster_nonce(raw_nonces[i]));
        auto found = co_await core::attempt(self->config.cluster->outcomes(batch));
        if (const auto& failure = found.failure) {
            self->publish_error("cluster", failure->code(), failure->what(), {}, false);
            co_return;
        }
        for (const auto& [nonce, text] : *found.value)
            self->on_recorded_outcome(text);
    }
}

void web_server::impl::recheck()
{
    auto unsettled = authorizations->unsettled_nonces();
    if (!unsettled.empty())
        asio::co_spawn(executor, ask_outcomes(shared_from_this(), std::move(unsettled)), asio::detached);
}

} // namespace discord::oauth2
