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
    std::string error;
    std::optional<std::string> error_description;
};

/// One entry of the nested "errors" object, flattened: `path` like "activities.0.platform".
struct field_error {
    std::string path;
    std::string code; ///< "BASE_TYPE_REQUIRED", ...
    std::string message;
};

/// {"code": 50035, "message": "Invalid Form Body", "errors": {...}}
struct api_error_body {
    int code = 0;
    std::string message;
    std::vector<field_error> errors;
};

/// A 429's body and headers.
struct rate_limit_body {
    std::string message;
    double retry_after = 0; ///< seconds
    bool global = false;
    std::optional<int> code;
    std::optional<std::string> scope;  ///< X-RateLimit-Scope: user, global or shared
    std::optional<std::string> bucket; ///< X-RateLimit-Bucket
};

} // namespace discord::oauth2
