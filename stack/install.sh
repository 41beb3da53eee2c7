#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for the local stack (stack/stackctl.py), and nothing twice:
# Debian packages only when missing, then Druid's jars from Maven Central into <var_dir>/druid/lib unless
# that directory already holds a complete copy of StackSettings.druid_version (stack/settings.py). Prints how long each step took.
#
# Needs the project's Python environment (PYTHON, default .venv/bin/python, with `pip install -e '.[dev]'`)
# for the settings and the S3 server; the packages come first so that a machine without them gets them anyway.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

now_ms() { local us=${EPOCHREALTIME/[.,]/}; echo $((us / 1000)); }
elapsed() { local ms=$(($(now_ms) - $1)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
started_all=$(now_ms)
step_started=$started_all
done_step() { echo "  $1: $(elapsed "$step_started") s"; step_started=$(now_ms); }

# --- Debian packages ------------------------------------------------------------------------------------
missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "Debian packages: postgresql, java, maven already present"
fi
done_step "packages"

# --- Settings (where the jars go, which version) -----------------------------------------------------
if ! "$PYTHON" -c 'import stack.settings, moto.server' 2>/dev/null; then
  echo "error: $PYTHON cannot import backend and moto: create the venv and run pip install -e '.[dev]'" >&2
  exit 1
fi
eval "$("$PYTHON" - <<'EOF'
import shlex
from stack.settings import get_stack_settings
s = get_stack_settings()
print(f"VAR_DIR={shlex.quote(str(s.var_dir))}")
print(f"DRUID_VERSION={shlex.quote(s.druid_version)}")
EOF
)"

# --- Druid jars ----------------------------------------------------------------------------------------
lib="$VAR_DIR/druid/lib"
stamp="$lib/.druid-version"  # the same name stack/druid_jvm.py checks before starting Druid
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$DRUID_VERSION" ]; then
  echo "Druid $DRUID_VERSION jars already in $lib"
else
  echo "Druid $DRUID_VERSION jars -> $lib (Maven Central)"
  # A partial or other-version copy would put two versions of a class on one classpath: start clean.
  rm -rf "$lib"
  mvn -B -q -Dstyle.color=never -s stack/druid/settings.xml -f stack/druid/pom.xml \
    -Ddruid.version="$DRUID_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$lib" -DincludeScope=runtime
  echo "$DRUID_VERSION" >"$stamp"
  echo "  $(find "$lib" -name '*.jar' | wc -l) jars, $(du -sh "$lib" | cut -f1)"
fi
done_step "druid jars"

echo "install done in $(elapsed "$started_all") s"
