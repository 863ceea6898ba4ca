// Discord's error bodies, decoded: RFC 6749 errors of the token endpoints, API errors with
// nested field errors, and rate limits.
//
// How the models read Discord's answers (the same in every model header): a std::optional member
// is a field Discord may leave out or send as null, and is empty then; every other member is a
// field Discord always sends, and an answer without it fails with errc::invalid_response naming
// the field (defaults are only for members Discord's documented examples leave out, such as
// `flags`). Unknown fields are ignored and unknown enum or flag values are kept as they came.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// {"error": "invalid_grant", "error_description": "..."}
struct oauth_error_body {
    std::string error;                            ///< the RFC 6749 code ("invalid_grant", ...)
    std::optional<std::string> error_description; ///< Discord's explanation, for people
};

/// One entry of the nested "errors" object, flattened: `path` like "activities.0.platform".
struct field_error {
    std::string path; ///< the field, its nesting joined with dots
    std::string code; ///< "BASE_TYPE_REQUIRED", ...
    std::string message; ///< Discord's explanation, for people
};

/// {"code": 50035, "message": "Invalid Form Body", "errors": {...}}
struct api_error_body {
    int code = 0;                    ///< Discord's JSON error code (50035: invalid form body)
    std::string message;             ///< Discord's explanation, for people
    std::vector<field_error> errors; ///< the nested field errors, flattened, in Discord's order
};

/// A 429's body and headers.
struct rate_limit_body {
    std::string message;     ///< Discord's explanation ("You are being rate limited.")
    double retry_after = 0; ///< seconds
    bool global = false;     ///< the global limit, not a route's
    std::optional<int> code; ///< Discord's JSON error code, when sent
    std::optional<std::string> scope;  ///< X-RateLimit-Scope: user, global or shared
    std::optional<std::string> bucket; ///< X-RateLimit-Bucket
};

} // namespace discord::oauth2
