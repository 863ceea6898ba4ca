// discord-oauth2: the whole public API.
#pragma once

#include <discord/oauth2/error.hpp>
