# D++ (DPP) for the D++ adapter's tests and example: Debian does not package it, so the test
# command builds release 10.1.5 once, into build/deps/, and later runs reuse that build.
#
# Its source comes from, first found:
#   build/deps/DPP-10.1.5.tar.gz   a tarball of the v10.1.5 tag's sources under DPP-10.1.5/, checked
#                                  against DPP_TARBALL_SHA256 (machines without internet put it there)
#   a shallow git clone of the v10.1.5 tag, checked against DPP_COMMIT
# Sourced by scripts/test after lib.sh; sets DPP_PREFIX (where pkg-config finds dpp.pc).

DPP_VERSION=10.1.5
DPP_COMMIT=59179f4ffc4f111411fb18d8da31258456768025
DPP_TARBALL_SHA256=2a9cef6a6a11ed886d311e726213c1e68981b84220b287104c927b76a190b059
DPP_REPOSITORY=https://github.com/brainboxdotcc/DPP.git
DPP_DEPS="$ROOT/build/deps"
DPP_PREFIX="$DPP_DEPS/dpp-$DPP_VERSION"

# dpp_source DIR: puts the v10.1.5 sources in DIR/DPP-10.1.5, or says why it cannot.
dpp_source() {
    local into="$1" tarball="$DPP_DEPS/DPP-$DPP_VERSION.tar.gz"
    if [ -f "$tarball" ]; then
        local sum
        sum=$(sha256sum "$tarball" | cut -d' ' -f1)
        if [ "$sum" != "$DPP_TARBALL_SHA256" ]; then
            echo "D++: $tarball has SHA-256 $sum, not $DPP_TARBALL_SHA256 (the v$DPP_VERSION sources" \
                 "this script knows); remove it to fetch the tag instead" >&2
            return 1
        fi
        tar -xzf "$tarball" -C "$into"
        return 0
    fi
    log "D++: fetching the v$DPP_VERSION tag"
    if ! git clone --quiet --depth 1 --branch "v$DPP_VERSION" "$DPP_REPOSITORY" "$into/DPP-$DPP_VERSION" 2>/dev/null; then
        echo "D++: no $tarball and the v$DPP_VERSION tag could not be fetched (no internet?)." \
             "Put a tarball of its sources there (SHA-256 $DPP_TARBALL_SHA256) and run again." >&2
        return 1
    fi
    local commit
    commit=$(git -C "$into/DPP-$DPP_VERSION" rev-parse HEAD)
    if [ "$commit" != "$DPP_COMMIT" ]; then
        echo "D++: the v$DPP_VERSION tag is commit $commit, not $DPP_COMMIT: refusing to build it" >&2
        return 1
    fi
}

# ensure_dpp: builds and installs D++ into DPP_PREFIX unless a previous run did.
ensure_dpp() {
    [ -f "$DPP_PREFIX/.complete" ] && return 0
    ensure_packages cmake ninja-build libssl-dev zlib1g-dev ccache
    rm -rf "$DPP_DEPS/src" "$DPP_DEPS/dpp-build" "$DPP_PREFIX"
    mkdir -p "$DPP_DEPS/src"
    dpp_source "$DPP_DEPS/src" || return 1
    log "D++: building v$DPP_VERSION once into build/deps (voice and its tests off; a unity build at -O0)"
    # A unity build without optimisation: the tests need D++'s thread pool and coroutine types,
    # not its speed, and this takes 1.5 minutes on 2 cores where a Release build takes 12.
    cmake -S "$DPP_DEPS/src/DPP-$DPP_VERSION" -B "$DPP_DEPS/dpp-build" -G Ninja \
        -DCMAKE_INSTALL_PREFIX="$DPP_PREFIX" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O0 -g0" \
        -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
        -DBUILD_VOICE_SUPPORT=OFF -DDPP_BUILD_TEST=OFF -DDPP_NO_VCPKG=ON -DDPP_NO_CONAN=ON \
        -DRUN_LDCONFIG=OFF >"$DPP_DEPS/dpp-cmake.log" 2>&1 \
        || { echo "D++: cmake failed; see $DPP_DEPS/dpp-cmake.log" >&2; return 1; }
    cmake --build "$DPP_DEPS/dpp-build" -j2 >"$DPP_DEPS/dpp-build.log" 2>&1 \
        || { echo "D++: the build failed; see $DPP_DEPS/dpp-build.log" >&2; return 1; }
    cmake --install "$DPP_DEPS/dpp-build" >/dev/null \
        || { echo "D++: the install failed" >&2; return 1; }
    rm -rf "$DPP_DEPS/src" "$DPP_DEPS/dpp-build"
    touch "$DPP_PREFIX/.complete"
}
