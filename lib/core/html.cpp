#include "core/html.hpp"

namespace discord::oauth2::html {

// Runs of plain text are appended whole: every page escapes its title and message.
std::string escape(std::string_view text)
{
    std::string out;
    out.reserve(text.size() + 16);
    std::size_t from = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::string_view entity;
        switch (text[i]) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        out.append(text.substr(from, i - from));
        out.append(entity);
        from = i + 1;
    }
    out.append(text.substr(from));
    return out;
}

} // namespace discord::oauth2::html
