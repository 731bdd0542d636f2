#!/usr/bin/env bash
# Install newswatch as a service: user, code and virtualenv (no dev extras), configuration, units, schema.
#
#   sudo deploy/install.sh                 # on the server, from a checkout
#   deploy/install.sh --root /tmp/stage    # everything under a staging root (what the tests do); no user,
#                                          # no chown, no systemctl: paths inside the files point into it
#
# Idempotent: an existing newswatch.toml or newswatch.env is never overwritten (a new example is written
# beside it), so re-running upgrades the code and the schema and keeps the site's settings and secrets.
set -euo pipefail

ROOT=/
PYTHON=${PYTHON:-python3}
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(realpath -m "$2"); shift 2 ;;
    --python) PYTHON=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
SRC=$(cd "$(dirname "$0")/.." && pwd)
R=${ROOT%/}                                    # "" for a real install
OPT=$R/opt/newswatch ETC=$R/etc/newswatch STATE=$R/var/lib/newswatch UNITS=$R/etc/systemd/system BIN=$R/usr/local/bin
say() { printf 'install: %s\n' "$*"; }

if [ -z "$R" ]; then
  [ "$(id -u)" = 0 ] || { echo "install.sh: run as root (or use --root DIR to stage)" >&2; exit 1; }
  if ! id newswatch >/dev/null 2>&1; then
    say "creating the system user newswatch"
    useradd --system --home-dir /var/lib/newswatch --shell /usr/sbin/nologin newswatch
  fi
fi

install -d -m 0755 "$OPT" "$ETC" "$UNITS" "$BIN"
install -d -m 0750 "$STATE" "$STATE/var"
say "virtualenv in $OPT/.venv (the package and its runtime dependencies only)"
"$PYTHON" -m venv "$OPT/.venv"
"$OPT/.venv/bin/pip" install --quiet --upgrade pip
"$OPT/.venv/bin/pip" install --quiet "$SRC"

write_once() {  # write_once TARGET MODE: stdin becomes TARGET unless it exists (then TARGET.new)
  local target=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [ -e "$target" ]; then
    install -m "$mode" "$tmp" "$target.new"
    say "kept $target (the new default is in $target.new)"
  else
    install -m "$mode" "$tmp" "$target"
    say "wrote $target"
  fi
  rm -f "$tmp"
}

sed -e "s|^database_url = .*|database_url = \"sqlite:///$STATE/var/newswatch.db\"|" \
    -e "s|^outbox_dir = .*|outbox_dir = \"$STATE/var/outbox\"|" \
    "$SRC/newswatch.example.toml" | write_once "$ETC/newswatch.toml" 0644
sed -e "s|^NEWSWATCH_CONFIG=.*|NEWSWATCH_CONFIG=$ETC/newswatch.toml|" \
    -e "s|^NEWSWATCH_DATABASE_URL=sqlite:.*|NEWSWATCH_DATABASE_URL=sqlite:///$STATE/var/newswatch.db|" \
    "$SRC/deploy/newswatch.env.example" | write_once "$ETC/newswatch.env" 0640

for unit in newswatch.service newswatch-web.service; do
  sed -e "s|/opt/newswatch|$OPT|g" -e "s|/etc/newswatch|$ETC|g" -e "s|/var/lib/newswatch|$STATE|g" \
      "$SRC/deploy/$unit" >"$UNITS/$unit"
  chmod 0644 "$UNITS/$unit"
done
say "units in $UNITS: newswatch.service (serve), newswatch-web.service (web)"

# One way for every command to find the service's settings: the same environment file the units read.
cat >"$BIN/newswatch" <<WRAPPER
#!/bin/sh
# newswatch with the service's configuration ($ETC/newswatch.env), for operators' shells.
set -a
. "$ETC/newswatch.env"
set +a
exec "$OPT/.venv/bin/newswatch" "\$@"
WRAPPER
chmod 0755 "$BIN/newswatch"

say "migrating the database with the service's settings"
"$BIN/newswatch" db upgrade

if [ -z "$R" ]; then
  chown -R newswatch:newswatch "$STATE"
  chown root:newswatch "$ETC/newswatch.env"
  systemctl daemon-reload 2>/dev/null || true
  say "done. Edit $ETC/newswatch.toml and $ETC/newswatch.env, then: systemctl enable --now newswatch newswatch-web"
else
  say "done (staged under $R)."
fi
