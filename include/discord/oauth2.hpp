// discord-oauth2: the whole public API.
#pragma once

#include <discord/oauth2/api_error.hpp>
#include <discord/oauth2/application.hpp>
#include <discord/oauth2/cdn.hpp>
#include <discord/oauth2/client.hpp>
#include <discord/oauth2/cluster.hpp>
#include <discord/oauth2/endpoints.hpp>
#include <discord/oauth2/error.hpp>
#include <discord/oauth2/events.hpp>
#include <discord/oauth2/foreign.hpp>
#include <discord/oauth2/grant_transfer.hpp>
#include <discord/oauth2/guild.hpp>
#include <discord/oauth2/key.hpp>
#include <discord/oauth2/log.hpp>
#include <discord/oauth2/memory_replay_guard.hpp>
#include <discord/oauth2/memory_token_store.hpp>
#include <discord/oauth2/metrics.hpp>
#include <discord/oauth2/permissions.hpp>
#include <discord/oauth2/postgres_token_store.hpp>
#include <discord/oauth2/prometheus.hpp>
#include <discord/oauth2/secret.hpp>
#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/sqlite_token_store.hpp>
#include <discord/oauth2/refresher.hpp>
#include <discord/oauth2/replay_guard.hpp>
#include <discord/oauth2/result.hpp>
#include <discord/oauth2/scope.hpp>
#include <discord/oauth2/state.hpp>
#include <discord/oauth2/store_key.hpp>
#include <discord/oauth2/token.hpp>
#include <discord/oauth2/token_store.hpp>
#include <discord/oauth2/user.hpp>
#include <discord/oauth2/web_server.hpp>

/// Namespaces of libraries for Discord.
namespace discord {
/// discord-oauth2: Discord OAuth2 for C++20 coroutines on Asio. Every operation is an
/// `asio::awaitable`; errors are discord::oauth2::error. Start with client and web_server.
namespace oauth2 {
}
} // namespace discord
