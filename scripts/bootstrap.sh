#!/usr/bin/env bash
# Create or refresh .venv at the repository root with the newest Python >= 3.11 found on this
# machine and install requirements*.txt into it.  Idempotent: a stamp file keyed on the chosen
# interpreter and a hash of the requirements files makes a no-change re-run take well under a second.
#
# Environment:
#   PYTHON=/path/to/python   force an interpreter (still must be >= 3.11)
#   BOOTSTRAP_FORCE=1        reinstall even if the stamp matches
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.bootstrap-stamp"
MIN_MINOR=11

log() { printf 'bootstrap: %s\n' "$*" >&2; }

# Prints "MAJOR.MINOR" if $1 runs and is a CPython >= 3.11 with a working venv module.
probe() {
    local py="$1" ver
    [ -n "$py" ] || return 1
    ver="$(env -u PYENV_VERSION "$py" -c 'import sys, venv, ensurepip; v = sys.version_info; print("%d.%d" % v[:2]) if v[0] == 3 and v[1] >= '"$MIN_MINOR"' else sys.exit(3)' 2>/dev/null)" || return 1
    printf '%s\n' "$ver"
}

candidates() {
    if [ -n "${PYTHON:-}" ]; then
        printf '%s\n' "$PYTHON"
        return
    fi
    local m p root
    # 1. Versioned names on PATH (pyenv shims without PYENV_VERSION fail the probe: that's fine).
    for m in 19 18 17 16 15 14 13 12 11; do
        p="$(command -v "python3.$m" 2>/dev/null || true)"
        [ -n "$p" ] && printf '%s\n' "$p"
    done
    # 2. pyenv installs, newest first.
    root=""
    if command -v pyenv >/dev/null 2>&1; then root="$(pyenv root 2>/dev/null || true)"; fi
    for root in "$root" "${PYENV_ROOT:-}" "$HOME/.pyenv"; do
        [ -n "$root" ] && [ -d "$root/versions" ] || continue
        # sort -V -r: 3.13.0 before 3.12.1 before 3.11.7; skip non-CPython (pypy, miniconda...)
        for p in "$root"/versions/3.*; do
            case "${p##*/}" in
                3.1[1-9]|3.1[1-9].*|3.[2-9][0-9]|3.[2-9][0-9].*) ;;
                *) continue ;;
            esac
            [[ "${p##*/}" =~ ^[0-9.]+$ ]] || continue   # plain CPython versions only
            [ -x "$p/bin/python3" ] && printf '%s\n' "$p/bin/python3"
        done | sort -V -r
    done
    # 3. Other well-known locations.
    for m in 19 18 17 16 15 14 13 12 11; do
        for p in "/usr/local/bin/python3.$m" "/usr/bin/python3.$m" "/opt/python3.$m/bin/python3" \
                 "/opt/homebrew/bin/python3.$m" "$HOME/.local/bin/python3.$m"; do
            [ -x "$p" ] && printf '%s\n' "$p"
        done
    done
    # 4. Whatever python3 is.
    for p in "$(command -v python3 2>/dev/null || true)" /usr/bin/python3 /usr/local/bin/python3; do
        [ -n "$p" ] && [ -x "$p" ] && printf '%s\n' "$p"
    done
}

choose_python() {
    local best="" best_ver="" best_key=-1 c ver key
    while IFS= read -r c; do
        ver="$(probe "$c")" || continue
        key="${ver#3.}"
        if [ "$key" -gt "$best_key" ]; then
            best="$c"; best_ver="$ver"; best_key="$key"
        fi
    done < <(candidates | awk '!seen[$0]++')
    [ -n "$best" ] || return 1
    # Resolve to the real binary so the venv does not point at a shim.
    best="$(env -u PYENV_VERSION "$best" -c 'import sys, os; print(os.path.realpath(sys.executable))')"
    printf '%s %s\n' "$best" "$best_ver"
}

if ! read -r PY PY_VER < <(choose_python); then
    log "no Python >= 3.$MIN_MINOR found (tried PATH, pyenv versions, /usr/local/bin, /usr/bin)"
    exit 1
fi

hash_inputs() {
    {
        printf 'python=%s %s\n' "$PY" "$PY_VER"
        for f in "$ROOT"/requirements*.txt "$ROOT"/service/requirements.txt; do
            [ -f "$f" ] && { printf '== %s\n' "$(basename "$f")"; cat "$f"; }
        done
        cat "$0"
    } | sha256sum | cut -d' ' -f1
}
WANT="$(hash_inputs)"

if [ -z "${BOOTSTRAP_FORCE:-}" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
        && "$VENV/bin/python" -c 'import ansible, pytest' >/dev/null 2>&1; then
    log "using $VENV (Python $PY_VER from $PY) - up to date"
    exit 0
fi

log "chose Python $PY_VER: $PY"
# Recreate the venv if missing, broken, or built from another interpreter version.
if [ -x "$VENV/bin/python" ]; then
    have="$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
    if [ "$have" != "$PY_VER" ]; then
        log "existing .venv is Python '${have:-broken}', recreating"
        rm -rf "$VENV"
    fi
fi
if [ ! -x "$VENV/bin/python" ]; then
    rm -rf "$VENV"
    env -u PYENV_VERSION "$PY" -m venv "$VENV"
fi
rm -f "$STAMP"

export PIP_DISABLE_PIP_VERSION_CHECK=1
reqs=()
for f in "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt"; do
    [ -f "$f" ] && reqs+=(-r "$f")
done
start=$SECONDS
LOG="$VENV/bootstrap-pip.log"
# pip's output goes to a log (this machine's pip config adds a noisy "Location ... is ignored"
# warning per package); shown on failure.
if ! { "$VENV/bin/python" -m pip install --upgrade pip \
       && "$VENV/bin/python" -m pip install --upgrade "${reqs[@]}"; } >"$LOG" 2>&1; then
    grep -v 'is ignored: it is neither a file nor a directory' "$LOG" | tail -n 40 >&2
    log "pip install failed (full log: $LOG)"
    exit 1
fi
log "installed requirements in $((SECONDS - start))s"
"$VENV/bin/python" -c 'import ansible.release, sys; print("bootstrap: Python %s, ansible-core %s" % (sys.version.split()[0], ansible.release.__version__), file=sys.stderr)'
printf '%s\n' "$WANT" > "$STAMP"
