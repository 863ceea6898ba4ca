// Text into HTML: every character that could open markup or end an attribute is escaped.
#pragma once

#include <string>
#include <string_view>

namespace discord::oauth2::html {

[[nodiscard]] std::string escape(std::string_view text);

} // namespace discord::oauth2::html
