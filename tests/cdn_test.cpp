// Discord's image URLs from the objects the client decodes: avatars (animated, default by id or
// by discriminator), banners, guild icons and member avatars; sizes and formats checked, and a
// hash that is not one Discord sends never reaches a URL.
#include <discord/oauth2/cdn.hpp>
#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;
namespace cdn = discord::oauth2::cdn;

namespace {

oauth2::user nelly()
{
    oauth2::user u;
    u.id = oauth2::snowflake(80351110224678912ULL);
    u.username = "nelly";
    u.discriminator = "0";
    return u;
}

} // namespace

TEST_CASE("an avatar: png when still, gif when animated, the format and size asked for")
{
    auto u = nelly();
    u.avatar = "8342729096ea3675442027381ff50dfe";
    CHECK(cdn::avatar_url(u) == "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png");
    CHECK(cdn::avatar_url(u, {.format = cdn::image_format::webp, .size = 256})
          == "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.webp?size=256");
    CHECK(cdn::avatar_url(u, {.format = cdn::image_format::jpeg})
          == "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.jpg");
    u.avatar = "a_1269e74af4df7417b13759eae50c83dc";
    CHECK(cdn::is_animated(*u.avatar));
    CHECK(cdn::avatar_url(u) == "https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif");
    CHECK(cdn::avatar_url(u, {.format = cdn::image_format::webp})
          == "https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.webp?animated=true");
    CHECK(cdn::avatar_url(u, {.format = cdn::image_format::png, .size = 4096})
          == "https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.png?size=4096");
}

TEST_CASE("without an avatar, the default one: by id on the new names, by discriminator on the old")
{
    auto u = nelly();
    // (80351110224678912 >> 22) % 6 == 19157197529 % 6 == 5
    CHECK(cdn::avatar_url(u) == "https://cdn.discordapp.com/embed/avatars/5.png");
    CHECK(cdn::default_avatar_url(u) == cdn::avatar_url(u));
    u.id = oauth2::snowflake(175928847299117063ULL); // (id >> 22) % 6 == 41944705796 % 6 == 2
    CHECK(cdn::default_avatar_url(u) == "https://cdn.discordapp.com/embed/avatars/2.png");
    u.discriminator = "1337"; // 1337 % 5 == 2; legacy users go by their tag
    CHECK(cdn::default_avatar_url(u) == "https://cdn.discordapp.com/embed/avatars/2.png");
    u.discriminator = "0004";
    CHECK(cdn::default_avatar_url(u) == "https://cdn.discordapp.com/embed/avatars/4.png");
}

TEST_CASE("banners, guild icons and banners, member avatars; absent when the object has none")
{
    auto u = nelly();
    CHECK_FALSE(cdn::banner_url(u));
    u.banner = "06c16474723fe537c283b8efa61a30c8";
    CHECK(cdn::banner_url(u) == "https://cdn.discordapp.com/banners/80351110224678912/06c16474723fe537c283b8efa61a30c8.png");

    oauth2::partial_guild g;
    g.id = oauth2::snowflake(80351110224678912ULL);
    CHECK_FALSE(cdn::guild_icon_url(g));
    g.icon = "8342729096ea3675442027381ff50dfe";
    g.banner = "bb42bdc37653b7cf58c4c8cc622e76cb";
    CHECK(cdn::guild_icon_url(g, {.size = 64})
          == "https://cdn.discordapp.com/icons/80351110224678912/8342729096ea3675442027381ff50dfe.png?size=64");
    CHECK(cdn::guild_banner_url(g, {})
          == "https://cdn.discordapp.com/banners/80351110224678912/bb42bdc37653b7cf58c4c8cc622e76cb.png");

    oauth2::guild_member m;
    CHECK_FALSE(cdn::member_avatar_url(g.id, m, {}));
    m.avatar = "a_5d8f7ee0b7a8e5e6b7c3f1a2b3c4d5e6";
    CHECK_THROWS_AS((void)cdn::member_avatar_url(g.id, m, {}), oauth2::error); // no user: no URL
    m.user = u;
    CHECK(cdn::member_avatar_url(g.id, m, {})
          == "https://cdn.discordapp.com/guilds/80351110224678912/users/80351110224678912/avatars/"
             "a_5d8f7ee0b7a8e5e6b7c3f1a2b3c4d5e6.gif");
}

TEST_CASE("sizes, formats and hashes that Discord does not serve are refused, saying why")
{
    auto u = nelly();
    u.avatar = "8342729096ea3675442027381ff50dfe";
    for (int size : {0, 8, 15, 100, 5000, 8192, -16})
        CHECK_THROWS_WITH_AS((void)cdn::avatar_url(u, {.size = size}), doctest::Contains("power of two"), oauth2::error);
    CHECK_THROWS_WITH_AS((void)cdn::avatar_url(u, {.format = cdn::image_format::gif}), doctest::Contains("not animated"),
                         oauth2::error);
    // A hostile hash never becomes a path or a host.
    for (const char* hostile : {"../../../evil", "x/y", "a b", "x?size=16", "x#y", "@evil.example", "", "%2e%2e"}) {
        u.avatar = hostile;
        CHECK_THROWS_WITH_AS((void)cdn::avatar_url(u), doctest::Contains("not one Discord sends"), oauth2::error);
    }
}
