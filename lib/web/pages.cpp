#include "web/pages.hpp"

#include "core/html.hpp"

#include <span>

namespace discord::oauth2::web {
namespace {

// One self-contained page: inline style only (the CSP forbids everything else).
constexpr std::string_view builtin = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{title}}</title>
<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#313338;color:#dbdee1}
main{background:#2b2d31;border-radius:12px;padding:40px 48px;max-width:440px;text-align:center;
box-shadow:0 8px 24px rgba(0,0,0,.35)}
.mark{width:64px;height:64px;border-radius:50%;margin:0 auto 20px;display:flex;align-items:center;
justify-content:center;font-size:34px;color:#fff;background:{{colour}}}
h1{margin:0 0 12px;font-size:22px;color:#f2f3f5}p{margin:0;color:#b5bac1}
</style></head>
<body><main><div class="mark">{{symbol}}</div><h1>{{title}}</h1><p>{{message}}</p></main></body></html>
)";

// One placeholder and what takes its place.
struct substitution {
    std::string_view placeholder;
    std::string_view value;
};

// `page` with each placeholder replaced, in one pass: a value is never searched again, so text
// that holds a placeholder's name (a title naming "{{message}}") stays as it is.
std::string fill(std::string_view page, std::span<const substitution> substitutions)
{
    std::string out;
    out.reserve(page.size() + 512);
    for (std::size_t at = 0;;) {
        auto open = page.find("{{", at);
        if (open == std::string_view::npos) {
            out.append(page.substr(at));
            return out;
        }
        out.append(page.substr(at, open - at));
        const auto rest = page.substr(open);
        const substitution* match = nullptr;
        for (const auto& s : substitutions)
            if (rest.starts_with(s.placeholder)) {
                match = &s;
                break;
            }
        if (match) {
            out.append(match->value);
            at = open + match->placeholder.size();
        } else {
            out.push_back('{'); // one: "{{{title}}}" still fills the placeholder after it
            at = open + 1;
        }
    }
}

const std::string& custom(const page_templates& t, page_kind kind)
{
    switch (kind) {
    case page_kind::success: return t.success;
    case page_kind::cancelled: return t.cancelled;
    case page_kind::invalid: return t.invalid;
    case page_kind::error: return t.error;
    }
    return t.error;
}

} // namespace

server::response render(const page_templates& templates, const answer& a)
{
    const auto& own = custom(templates, a.kind);
    const auto title = html::escape(a.title);
    const auto message = html::escape(a.message);
    std::string html;
    if (own.empty()) {
        bool good = a.kind == page_kind::success;
        const substitution all[] = {
            {"{{title}}", title},
            {"{{message}}", message},
            {"{{colour}}", good ? "#23a55a" : a.kind == page_kind::cancelled ? "#80848e" : "#f23f43"},
            {"{{symbol}}", good ? "&#10003;" : a.kind == page_kind::cancelled ? "&#8617;" : "!"},
        };
        html = fill(builtin, all);
    } else {
        const substitution texts[] = {{"{{title}}", title}, {"{{message}}", message}};
        html = fill(own, texts);
    }
    auto page = server::response::page(a.status, std::move(html));
    if (a.retry_after.count() > 0)
        page.fields.add("Retry-After", std::to_string(a.retry_after.count()));
    return page;
}

} // namespace discord::oauth2::web
