#include "core/html.hpp"
#include "web/pages.hpp"

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;
namespace web = discord::oauth2::web;

TEST_CASE("escaping: the five characters HTML gives meaning, anywhere in the text")
{
    CHECK(oauth2::html::escape("") == "");
    CHECK(oauth2::html::escape("plain text") == "plain text");
    CHECK(oauth2::html::escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    CHECK(oauth2::html::escape("&") == "&amp;");
    CHECK(oauth2::html::escape("a<") == "a&lt;");
}

TEST_CASE("the built-in page: title and message escaped, its colour and symbol by kind")
{
    web::answer a{403, web::page_kind::cancelled, "<b>Cancelled</b>", "Tom & Jerry"};
    auto page = web::render({}, a);
    CHECK(page.status == 403);
    CHECK(page.body.find("<title>&lt;b&gt;Cancelled&lt;/b&gt;</title>") != std::string::npos);
    CHECK(page.body.find("<h1>&lt;b&gt;Cancelled&lt;/b&gt;</h1>") != std::string::npos);
    CHECK(page.body.find("<p>Tom &amp; Jerry</p>") != std::string::npos);
    CHECK(page.body.find("#80848e") != std::string::npos);
    CHECK(page.body.find("&#8617;") != std::string::npos);
    CHECK(page.body.find("{{") == std::string::npos);
    CHECK(page.fields.find("content-security-policy"));

    web::answer ok{200, web::page_kind::success, "Authorized", "Done"};
    CHECK(web::render({}, ok).body.find("#23a55a") != std::string::npos);
    web::answer limited{429, web::page_kind::error, "Too many", "Wait", std::chrono::seconds(7)};
    CHECK(web::render({}, limited).fields.find("retry-after") == "7");
}

TEST_CASE("text that names a placeholder is shown as written, never filled in turn")
{
    web::answer a{200, web::page_kind::success, "{{message}}", "{{title}} {{colour}}"};
    auto page = web::render({}, a);
    CHECK(page.body.find("<h1>{{message}}</h1>") != std::string::npos);
    CHECK(page.body.find("<p>{{title}} {{colour}}</p>") != std::string::npos);
}

TEST_CASE("a custom template: only title and message are filled; other braces stay")
{
    oauth2::page_templates mine;
    mine.error = "{{title}}|{{message}}|{{colour}}|{{symbol}}|{{|}}|{{";
    web::answer a{502, web::page_kind::error, "T<", "M>"};
    CHECK(web::render(mine, a).body == "T&lt;|M&gt;|{{colour}}|{{symbol}}|{{|}}|{{");
    mine.error = "{{{title}}}{{{{message}}";
    CHECK(web::render(mine, a).body == "{T&lt;}{{M&gt;");
    // The other kinds keep the built-in page.
    web::answer ok{200, web::page_kind::success, "Fine", "Yes"};
    CHECK(web::render(mine, ok).body.starts_with("<!doctype html>"));
}
