#!/usr/bin/env bash
# Installs concordd as a systemd service, or removes it.
#
#   deploy/install.sh                 build (release) and install binaries, configuration and unit; start it
#   deploy/install.sh --prefix DIR    install binaries under DIR/bin (default /usr/local)
#   deploy/install.sh --no-start      install but do not enable or start the service
#   deploy/install.sh --uninstall     stop and remove the service and the binaries; keep configuration and data
#   deploy/install.sh --uninstall --purge   also remove /etc/concord and /var/lib/concord
set -euo pipefail

prefix=/usr/local
action=install
start=yes
purge=no
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --no-start) start=no; shift ;;
    --uninstall) action=uninstall; shift ;;
    --purge) purge=yes; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
unit=/etc/systemd/system/concordd.service
have_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

if [ "$action" = uninstall ]; then
  if have_systemd; then systemctl disable --now concordd.service 2>/dev/null || true; fi
  rm -f "$unit" "$prefix/bin/concordd" "$prefix/bin/concordctl"
  rm -rf "$prefix/share/doc/concord"
  if have_systemd; then systemctl daemon-reload; fi
  if [ "$purge" = yes ]; then rm -rf /etc/concord /var/lib/concord /var/lib/private/concord; fi
  echo "concordd removed${purge:+ (purge: $purge)}"
  exit 0
fi

cd "$repo"
swift build -c release --product concordd
bin=$(swift build -c release --show-bin-path)
install -d "$prefix/bin" "$prefix/share/doc/concord" "$prefix/lib/concord/plugins" /etc/concord
install -m 0755 "$bin/concordd" "$prefix/bin/concordd"
[ -x "$bin/concordctl" ] && install -m 0755 "$bin/concordctl" "$prefix/bin/concordctl"
install -m 0644 README.md "$prefix/share/doc/concord/README.md"
[ -e /etc/concord/concordd.yaml ] || install -m 0644 deploy/concordd.yaml /etc/concord/concordd.yaml
sed "s|/usr/local/bin/concordd|$prefix/bin/concordd|; s|/usr/local/share/doc|$prefix/share/doc|; s|/usr/local/lib/concord|$prefix/lib/concord|g" \
  deploy/concordd.service > "$unit"
chmod 0644 "$unit"
echo "plugins: dev/build-plugin <Name> --to $prefix/lib/concord/plugins installs one; restart concordd to load it"
if have_systemd; then
  systemctl daemon-reload
  if [ "$start" = yes ]; then systemctl enable --now concordd.service && systemctl --no-pager status concordd.service; fi
else
  echo "systemd is not running here: installed $unit; start concordd by hand with $prefix/bin/concordd --config /etc/concord/concordd.yaml"
fi
