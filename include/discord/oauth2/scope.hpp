// Discord's OAuth2 scopes by name, so that a typo is a compile error, and scope_list, which every
// operation that asks for scopes takes:
//   web.authorization_url(user, {scope::identify, scope::connections});
//   co_await discord.client_credentials({"identify", "connections"});
#pragma once

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace discord::oauth2 {

/// The scopes an operation asks for, written however is natural: a braced list of `scope::`
/// constants or strings (`{scope::identify, "connections"}`), one scope, or a vector of
/// `std::string` or `std::string_view`. It keeps its own copies, in the order given.
///
/// A braced list becomes a scope_list through a constructor that takes the scopes one by one,
/// never through a `std::initializer_list`: g++ 12 cannot compile an initializer list inside a
/// `co_await` ("array used as initializer"; docs/compilers.md), and a braced list is what
/// people write there.
class scope_list {
public:
    /// No scopes.
    scope_list() = default;
    /// The scopes given, each a `scope::` constant, a string literal, a `std::string` or a
    /// `std::string_view`.
    template <class... Scopes>
        requires(sizeof...(Scopes) > 0 && (std::convertible_to<const Scopes&, std::string_view> && ...))
    scope_list(const Scopes&... scopes) // NOLINT(google-explicit-constructor): a braced list is the point
    {
        names_.reserve(sizeof...(Scopes));
        (names_.emplace_back(std::string_view(scopes)), ...);
    }
    /// The scopes of a vector, taken over.
    scope_list(std::vector<std::string> scopes) noexcept : names_(std::move(scopes)) {}
    /// The scopes of a vector of views, copied.
    scope_list(const std::vector<std::string_view>& scopes) : names_(scopes.begin(), scopes.end()) {}

    /// The scopes, in order.
    [[nodiscard]] const std::vector<std::string>& names() const noexcept { return names_; }
    /// The first scope.
    [[nodiscard]] auto begin() const noexcept { return names_.begin(); }
    /// Past the last scope.
    [[nodiscard]] auto end() const noexcept { return names_.end(); }
    /// How many scopes there are.
    [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }
    /// Whether there are none.
    [[nodiscard]] bool empty() const noexcept { return names_.empty(); }
    /// Whether `name` is among them.
    [[nodiscard]] bool contains(std::string_view name) const noexcept
    {
        for (const auto& n : names_)
            if (n == name)
                return true;
        return false;
    }
    /// Adds `name` at the end.
    void push_back(std::string_view name) { names_.emplace_back(name); }
    /// The same scopes in the same order.
    friend bool operator==(const scope_list&, const scope_list&) = default;

private:
    std::vector<std::string> names_;
};

} // namespace discord::oauth2

namespace discord::oauth2::scope {

inline constexpr std::string_view activities_read = "activities.read";
inline constexpr std::string_view activities_write = "activities.write";
inline constexpr std::string_view applications_builds_read = "applications.builds.read";
inline constexpr std::string_view applications_builds_upload = "applications.builds.upload";
inline constexpr std::string_view applications_commands = "applications.commands";
inline constexpr std::string_view applications_commands_update = "applications.commands.update";
inline constexpr std::string_view applications_commands_permissions_update = "applications.commands.permissions.update";
inline constexpr std::string_view applications_entitlements = "applications.entitlements";
inline constexpr std::string_view applications_store_update = "applications.store.update";
inline constexpr std::string_view bot = "bot";
inline constexpr std::string_view connections = "connections";
inline constexpr std::string_view dm_channels_read = "dm_channels.read";
inline constexpr std::string_view email = "email";
inline constexpr std::string_view gdm_join = "gdm.join";
inline constexpr std::string_view guilds = "guilds";
inline constexpr std::string_view guilds_join = "guilds.join";
inline constexpr std::string_view guilds_members_read = "guilds.members.read";
inline constexpr std::string_view identify = "identify";
inline constexpr std::string_view messages_read = "messages.read";
inline constexpr std::string_view openid = "openid";
inline constexpr std::string_view relationships_read = "relationships.read";
inline constexpr std::string_view role_connections_write = "role_connections.write";
inline constexpr std::string_view rpc = "rpc";
inline constexpr std::string_view voice = "voice";
inline constexpr std::string_view webhook_incoming = "webhook.incoming";

} // namespace discord::oauth2::scope
