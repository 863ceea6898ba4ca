// What OAuth2 creates in the emulator: single-use authorization codes and grants, each grant
// with its current access and refresh token. Refreshing rotates both; revoking ends the grant.
#pragma once

#include "model.hpp"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace discord::oauth2::emulator {

struct authorization_code {
    snowflake application_id = 0;
    snowflake user_id = 0;
    std::string redirect_uri;
    std::vector<std::string> scopes;
    std::optional<std::string> code_challenge; // S256
    std::optional<snowflake> guild_id;         // bot flow
    std::string permissions;                   // bot flow
    std::optional<std::string> nonce;          // OpenID Connect, for the ID token
    clock::time_point expires_at;
};

/// A device authorization (RFC 8628) waiting for its user code at /activate.
struct device_request {
    snowflake application_id = 0;
    std::vector<std::string> scopes;
    std::string user_code; // as shown: "BCDF-GHJK"
    clock::time_point expires_at;
    std::chrono::seconds interval{5};
    std::optional<clock::time_point> last_poll;
    enum class status { pending, approved, denied } state = status::pending;
    snowflake user_id = 0; // who approved
};

struct grant {
    std::uint64_t id = 0;
    snowflake application_id = 0;
    snowflake user_id = 0;
    std::vector<std::string> scopes;
    std::string access_token;
    std::string refresh_token;      // empty for client credentials and implicit grants
    clock::time_point expires_at;
    std::optional<snowflake> guild_id; // bot flow
    std::string permissions;
    int refreshes = 0;
};

class grant_book {
public:
    /// A new code for `code`, valid until its expires_at.
    std::string issue_code(authorization_code code);
    /// Takes the code out of the book (single use): nullopt if unknown, spent or expired.
    std::optional<authorization_code> redeem_code(const std::string& code, clock::time_point now);

    grant& create(grant g, bool with_refresh_token);
    /// The live grant whose access token this is (nullptr if unknown, revoked or expired).
    const grant* by_access_token(const std::string& token, clock::time_point now) const;
    /// Rotates the grant's tokens if `refresh_token` is its current one.
    grant* refresh(const std::string& refresh_token, snowflake application_id, std::chrono::seconds ttl,
                   clock::time_point now);
    /// The grant holding `token` as its access or refresh token, or nullptr.
    grant* find_by_token(const std::string& token, bool access, bool refresh);
    void revoke(std::uint64_t grant_id);

    [[nodiscard]] const std::unordered_map<std::uint64_t, grant>& grants() const noexcept { return grants_; }
    [[nodiscard]] std::size_t codes_outstanding() const noexcept { return codes_.size(); }

private:
    std::unordered_map<std::string, authorization_code> codes_;
    std::unordered_map<std::uint64_t, grant> grants_;
    std::unordered_map<std::string, std::uint64_t> by_access_;
    std::unordered_map<std::string, std::uint64_t> by_refresh_;
    std::uint64_t next_id_ = 1;
};

/// `length` random characters from [A-Za-z0-9], from the CSPRNG: like Discord's tokens.
std::string random_token(std::size_t length = 30);

} // namespace discord::oauth2::emulator
