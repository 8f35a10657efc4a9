#!/usr/bin/env bash
# Installs Berth on a Debian or Ubuntu server, as root: Node 24, nginx, bubblewrap, the
# berth system user, /var/lib/berth, /etc/berth/berth.env, the app in /opt/berth, a
# hardened systemd unit, the root oneshot that tests and reloads nginx for Berth
# (berth-nginx-reload.path/.service), and the nginx proxy for the web UI plus a default
# server for unknown hosts. Running it again upgrades the app (rolled back if the new one
# does not start healthy) and rewrites the files it owns; it never overwrites a value in
# berth.env nor touches the data. See --help.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: install.sh --domain DOMAIN [options]      install or upgrade Berth (as root)
       install.sh --uninstall [--purge]          remove it

Install:
  --domain DOMAIN      base domain: sites are served at <label>.DOMAIN and the web UI at
                       http://DOMAIN (needed on the first install; point DOMAIN and
                       *.DOMAIN at this server)
  --public-url URL     where users reach the web UI (default http://DOMAIN)
  --port PORT          loopback port Berth listens on behind nginx (default 8080)
  --acme-email EMAIL   contact address for Let's Encrypt (BERTH_ACME_EMAIL)
  --public-ipv4 IP     this server's public IPv4 address, for DNS records
  --public-ipv6 IP     this server's public IPv6 address, for DNS records
  --source DIR         the Berth checkout to install (default: the one holding this
                       script)

  These only fill in /etc/berth/berth.env when it is created, or add a key it lacks;
  to change a value later, edit that file and run `systemctl restart berth`.

Remove:
  --uninstall          stop and remove the services, /opt/berth, the berth command
                       and the nginx configuration Berth wrote (Debian's default site
                       is enabled again if install.sh disabled it); keeps
                       /var/lib/berth (data) and /etc/berth (configuration)
  --purge              with --uninstall: also remove /var/lib/berth, /etc/berth and the
                       berth user

Partial runs (tests, or hosts you provision yourself):
  --root DIR           write every file under DIR instead of / (a fake root);
                       implies --no-user and --no-start
  --no-packages        install no apt package, no Node and no npm dependency
  --no-user            create or delete no system user (ownership by a missing user or
                       group is skipped)
  --no-start           call no systemctl, journalctl or nginx: nothing is started,
                       stopped or reloaded
  -h, --help           show this help
EOF
}

# Fixed layout. Paths here are as seen by the running system; $ROOT is prepended when
# writing (see p), so one code path serves the real install and --root.
readonly APP_DIR=/opt/berth
readonly DATA_DIR=/var/lib/berth
readonly ENV_FILE=/etc/berth/berth.env
readonly UNIT_FILE=/etc/systemd/system/berth.service
# The root side of nginx changes: a path unit watching $CONTROL_DIR/requests starts the
# oneshot, which answers in $CONTROL_DIR/results (see write_reload_units).
readonly RELOAD_SERVICE=/etc/systemd/system/berth-nginx-reload.service
readonly RELOAD_PATH=/etc/systemd/system/berth-nginx-reload.path
readonly TMPFILES_FILE=/etc/tmpfiles.d/berth.conf
readonly CONTROL_DIR=/run/berth-nginx
# Written by installs before the reload oneshot: removed on upgrade and uninstall.
readonly OLD_SUDOERS_FILE=/etc/sudoers.d/berth
readonly CLI_FILE=/usr/local/bin/berth
readonly NGINX_CONF=/etc/nginx/conf.d/berth.conf
# main-context directives: Debian's nginx.conf includes modules-enabled/*.conf at the top
readonly NGINX_MAIN_CONF=/etc/nginx/modules-enabled/90-berth.conf
readonly NGINX_DIR=/etc/nginx/berth
readonly SITES_AVAILABLE=$NGINX_DIR/sites-available
readonly SITES_ENABLED=$NGINX_DIR/sites-enabled
# Marks that install.sh disabled Debian's default site (uninstall enables it again).
readonly DEBIAN_DEFAULT_MARK=$NGINX_DIR/debian-default-disabled
readonly DEBIAN_DEFAULT=/etc/nginx/sites-enabled/default
readonly NGINX_BIN=/usr/sbin/nginx
readonly REQUEST_BIN=$APP_DIR/bin/berth-nginx-request
readonly RELOAD_BIN=$APP_DIR/bin/berth-nginx-reload
readonly NO_SITE_PAGE=$APP_DIR/public/no-such-site.html
readonly TOOLS_NODE=.tools/node/node_modules/node/bin/node
# npm to run under that Node: Debian's npm only runs under Debian's nodejs, which has its
# module paths patched in.
readonly TOOLS_NPM=.tools/npm/node_modules/npm/bin/npm-cli.js
readonly USER_NAME=berth

ROOT=""
DOMAIN=""
PUBLIC_URL=""
PORT=""
ACME_EMAIL=""
PUBLIC_IPV4=""
PUBLIC_IPV6=""
SOURCE=""
UNINSTALL=0
PURGE=0
NO_PACKAGES=0
NO_USER=0
NO_START=0
NODE_BIN=""

say() { printf 'berth: %s\n' "$*"; }
warn() { printf 'berth: warning: %s\n' "$*" >&2; }
die() {
  printf 'berth: %s\n' "$*" >&2
  exit 1
}
p() { printf '%s%s' "$ROOT" "$1"; }

parse_args() {
  while [ $# -gt 0 ]; do
    local flag=$1 value=""
    case $flag in
    --*=*)
      value=${flag#*=}
      flag=${flag%%=*}
      ;;
    --domain | --public-url | --port | --acme-email | --public-ipv4 | --public-ipv6 | --source | --root)
      [ $# -ge 2 ] || die "$flag needs a value (see --help)"
      value=$2
      shift
      ;;
    esac
    case $flag in
    --domain) DOMAIN=$value ;;
    --public-url) PUBLIC_URL=${value%/} ;;
    --port) PORT=$value ;;
    --acme-email) ACME_EMAIL=$value ;;
    --public-ipv4) PUBLIC_IPV4=$value ;;
    --public-ipv6) PUBLIC_IPV6=$value ;;
    --source) SOURCE=$value ;;
    --root) ROOT=$value ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    --no-packages) NO_PACKAGES=1 ;;
    --no-user) NO_USER=1 ;;
    --no-start) NO_START=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
  done
  if [ -n "$ROOT" ]; then
    mkdir -p "$ROOT"
    ROOT=$(cd "$ROOT" && pwd)
    [ "$ROOT" != / ] || ROOT=""
  fi
  # Users and services belong to the running system, not to a fake root.
  if [ -n "$ROOT" ]; then
    NO_USER=1
    NO_START=1
  fi
  [ "$PURGE" -eq 0 ] || [ "$UNINSTALL" -eq 1 ] || die "--purge goes with --uninstall"
  [ -z "$DOMAIN" ] || [[ $DOMAIN =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$ ]] ||
    die "--domain must be a lowercase domain name such as apps.example.com"
  [ -z "$PUBLIC_URL" ] || [[ $PUBLIC_URL =~ ^https?://[^/[:space:]]+$ ]] ||
    die "--public-url must be an http(s) origin such as https://berth.example.com"
  [ -z "$PORT" ] || { [[ $PORT =~ ^[0-9]{1,5}$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ]; } ||
    die "--port must be a port number"
  [ -z "$ACME_EMAIL" ] || [[ $ACME_EMAIL =~ ^[^@[:space:]]+@[^@[:space:]]+$ ]] ||
    die "--acme-email must be an email address"
  [ -z "$PUBLIC_IPV4" ] || [[ $PUBLIC_IPV4 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] ||
    die "--public-ipv4 must be an IPv4 address"
  [ -z "$PUBLIC_IPV6" ] || [[ $PUBLIC_IPV6 =~ ^[0-9a-fA-F:]+$ ]] ||
    die "--public-ipv6 must be an IPv6 address"
  return 0
}

# --- ownership and files ---------------------------------------------------------------

# Whether the account exists; with --no-user a missing one is expected and skipped.
have_user() { getent passwd "$1" >/dev/null; }
have_group() { getent group "$1" >/dev/null; }

# own USER GROUP PATH...: chown, leaving out a user or group that does not exist (only
# possible with --no-user or without nginx installed), so a partial run still writes files.
own() {
  local user=$1 group=$2 spec
  shift 2
  have_user "$user" || user=""
  have_group "$group" || group=""
  spec=$user${group:+:$group}
  [ -z "$spec" ] || chown -h "$spec" "$@"
}

# write_file MODE USER GROUP PATH < content: replaced atomically, with mode and owner set
# before the rename so the file never exists with looser permissions.
write_file() {
  local mode=$1 user=$2 group=$3 path=$4 tmp
  mkdir -p "$(dirname "$path")"
  tmp=$(mktemp "$(dirname "$path")/.berth-install.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  own "$user" "$group" "$tmp"
  mv -f "$tmp" "$path"
}

# make_dir MODE USER GROUP PATH: created if missing; mode and owner enforced every run.
make_dir() {
  local mode=$1 user=$2 group=$3 path=$4
  mkdir -p "$path"
  own "$user" "$group" "$path"
  chmod "$mode" "$path"
}

# --- the env file: created once, then only keys it lacks are appended ------------------

env_get() {
  local file line
  file=$(p "$ENV_FILE")
  [ -f "$file" ] || return 0
  line=$(grep -E "^$1=" "$file" | tail -n 1) || return 0
  line=${line#*=}
  line=${line#\"}
  printf '%s' "${line%\"}"
}

env_has() { [ -f "$(p "$ENV_FILE")" ] && grep -qE "^$1=" "$(p "$ENV_FILE")"; }

# env_ensure KEY VALUE: appends KEY when the file lacks it; an existing value is kept.
env_ensure() {
  local key=$1 value=$2 file
  file=$(p "$ENV_FILE")
  if env_has "$key"; then
    if [ -n "$value" ] && [ "$(env_get "$key")" != "$value" ]; then
      warn "keeping $key=$(env_get "$key") from $ENV_FILE (edit it to change)"
    fi
    return 0
  fi
  [ -n "$value" ] || return 0
  [[ $value != *[[:space:]]* ]] || value="\"$value\""
  # A file edited by hand may lack its last newline.
  if [ -s "$file" ] && [ -n "$(tail -c 1 "$file")" ]; then echo >>"$file"; fi
  printf '%s=%s\n' "$key" "$value" >>"$file"
}

# env_replace KEY OLD NEW: a value an older install.sh wrote, and nobody edited since, is
# moved to what this version writes (the operator's own values are never changed).
env_replace() {
  local key=$1 old=$2 new=$3 file tmp
  file=$(p "$ENV_FILE")
  [ -f "$file" ] && env_has "$key" && [ "$(env_get "$key")" = "$old" ] || return 0
  say "updating $key in $ENV_FILE: $new"
  [[ $new != *[[:space:]]* ]] || new="\"$new\""
  tmp=$(mktemp "$(dirname "$file")/.berth-install.XXXXXX")
  awk -v key="$key" -v value="$new" 'index($0, key "=") == 1 { $0 = key "=" value } { print }' "$file" >"$tmp"
  chmod 0640 "$tmp"
  own root "$USER_NAME" "$tmp"
  mv -f "$tmp" "$file"
}

# The key for secrets at rest. If Berth already made one in its data directory (an
# install from before this key was in the env file), that one must stay in use, or
# every stored secret would become unreadable.
secret_key() {
  local file
  file=$(p "$DATA_DIR/secret.key")
  if [ -s "$file" ]; then
    tr -d '[:space:]' <"$file"
  elif command -v openssl >/dev/null; then
    openssl rand -hex 32
  else
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
  fi
}

write_env_file() {
  local file domain
  file=$(p "$ENV_FILE")
  make_dir 0750 root "$USER_NAME" "$(dirname "$file")"
  if [ ! -f "$file" ]; then
    write_file 0640 root "$USER_NAME" "$file" <<EOF
# Berth's configuration, read by berth.service (variables: see /opt/berth/README.md).
# install.sh created this file and never changes a value in it; it only adds keys that
# are missing. After editing: systemctl restart berth
EOF
  fi
  domain=${DOMAIN:-$(env_get BERTH_BASE_DOMAIN)}
  [ -n "$domain" ] || die "$ENV_FILE has no BERTH_BASE_DOMAIN: give --domain"
  env_ensure BERTH_DATA_DIR "$DATA_DIR"
  # Behind nginx: Berth itself is reachable only from this machine.
  env_ensure BERTH_HOST 127.0.0.1
  # nginx proxies the UI: believe the client address it appends to X-Forwarded-For
  env_ensure BERTH_TRUSTED_PROXIES 127.0.0.1
  env_ensure BERTH_PORT "${PORT:-8080}"
  env_ensure BERTH_BASE_DOMAIN "$domain"
  env_ensure BERTH_PUBLIC_URL "${PUBLIC_URL:-http://$domain}"
  env_has BERTH_SECRET_KEY || env_ensure BERTH_SECRET_KEY "$(secret_key)"
  env_ensure BERTH_LOG_LEVEL info
  env_ensure BERTH_EDGE nginx
  # nginx -t and -s reload run as root in berth-nginx-reload.service, which Berth asks
  # for through $REQUEST_BIN (Berth itself never gains privileges: no sudo, no setuid).
  # Installs from before used sudo: those values move over unless edited since.
  env_replace BERTH_NGINX_BIN /usr/bin/sudo "$REQUEST_BIN"
  env_replace BERTH_NGINX_ARGS "-n $NGINX_BIN" ""
  env_replace BERTH_NGINX_RELOAD "/usr/bin/sudo -n $NGINX_BIN -s reload" "$REQUEST_BIN -s reload"
  env_ensure BERTH_NGINX_BIN "$REQUEST_BIN"
  env_ensure BERTH_NGINX_RELOAD "$REQUEST_BIN -s reload"
  # Sites answer on IPv4 and, where the kernel has it, IPv6.
  if [ -e /proc/net/if_inet6 ]; then
    env_ensure BERTH_NGINX_LISTEN "80,[::]:80"
    env_ensure BERTH_NGINX_LISTEN_TLS "443,[::]:443"
  else
    env_ensure BERTH_NGINX_LISTEN 80
    env_ensure BERTH_NGINX_LISTEN_TLS 443
  fi
  env_ensure BERTH_NGINX_SITES_AVAILABLE "$SITES_AVAILABLE"
  env_ensure BERTH_NGINX_SITES_ENABLED "$SITES_ENABLED"
  env_ensure BERTH_ACME_EMAIL "$ACME_EMAIL"
  env_ensure BERTH_PUBLIC_IPV4 "$PUBLIC_IPV4"
  env_ensure BERTH_PUBLIC_IPV6 "$PUBLIC_IPV6"
  # Checked before anything else is written (write_nginx_conf uses them).
  listen_lines BERTH_NGINX_LISTEN 80 >/dev/null
  listen_lines BERTH_NGINX_LISTEN_TLS 443 >/dev/null
  chmod 0640 "$file"
  own root "$USER_NAME" "$file"
}

# --- packages and Node -----------------------------------------------------------------

node_ok() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null
}

# A Node >= 22.19 already on PATH that the service can run: not under /home, /root or a
# temp dir, which ProtectHome= and PrivateTmp= hide from it.
system_node() {
  local node
  node=$(command -v node 2>/dev/null) || return 1
  node=$(readlink -f "$node")
  case $node in /home/* | /root/* | /tmp/* | /var/tmp/* | /run/user/*) return 1 ;; esac
  node_ok "$node" && printf '%s' "$node"
}

apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  say "installing ${missing[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

install_packages() {
  if ! grep -qsiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release; then
    die "install.sh supports Debian and Ubuntu (or use --no-packages)"
  fi
  # make, g++ and python3 build better-sqlite3 where no prebuilt binary can be fetched;
  # bubblewrap is the sandbox builds run in.
  apt_install nginx bubblewrap openssl curl ca-certificates make g++ python3
  # Debian's nodejs is too old to run Berth, but its npm fetches Node 24 from the npm
  # registry (see install_node).
  command -v npm >/dev/null || apt_install nodejs npm
}

# Sets NODE_BIN: a suitable system Node, else Node 24 in <app>/.tools (installed from the
# npm registry unless --no-packages).
install_node() {
  local app=$1
  if NODE_BIN=$(system_node); then return 0; fi
  if ! { [ -x "$app/$TOOLS_NODE" ] && node_ok "$app/$TOOLS_NODE"; }; then
    if [ "$NO_PACKAGES" -eq 1 ]; then
      warn "no Node >= 22.19 found; the unit runs $APP_DIR/$TOOLS_NODE, which is not installed"
    else
      say "installing Node 24 into $APP_DIR/.tools from the npm registry"
      rm -rf "$app/.tools/node"
      npm install --silent --no-save --no-audit --no-fund --prefix "$app/.tools/node" node@24
    fi
  fi
  if [ "$NO_PACKAGES" -eq 0 ] && [ ! -f "$app/$TOOLS_NPM" ]; then
    say "installing npm for Node 24 into $APP_DIR/.tools"
    npm install --silent --no-save --no-audit --no-fund --prefix "$app/.tools/npm" npm@11
  fi
  NODE_BIN=$APP_DIR/$TOOLS_NODE
}

# The runtime dependencies, skipped when node_modules was built from the same package
# files by the same Node (native addons depend on its version). npm ci, as in
# scripts/setup.sh: exactly the lock file, which lists every platform's optional packages.
install_npm_deps() {
  local app=$1 node stamp nodedir
  node=$NODE_BIN
  [[ $NODE_BIN != "$APP_DIR"/* ]] || node=$app${NODE_BIN#"$APP_DIR"}
  stamp="$("$node" --version) $(cat "$app/package.json" "$app/package-lock.json" | sha256sum)"
  [ "$(cat "$app/node_modules/.berth-install" 2>/dev/null)" != "$stamp" ] || return 0
  say "installing npm dependencies (npm install --omit=dev)"
  # From scratch: the hard-linked files of the running copy must not be written to.
  rm -rf "$app/node_modules"
  nodedir=$(dirname "$(dirname "$(readlink -f "$node")")")
  (
    cd "$app"
    PATH="$(dirname "$node"):$PATH"
    export PATH
    [ ! -d "$nodedir/include/node" ] || export npm_config_nodedir=$nodedir
    if [ -f "$app/$TOOLS_NPM" ]; then
      "$node" "$app/$TOOLS_NPM" install --omit=dev --no-save --no-audit --no-fund --loglevel=error
    else
      npm install --omit=dev --no-save --no-audit --no-fund --loglevel=error
    fi
  )
  printf '%s' "$stamp" >"$app/node_modules/.berth-install"
}

# --- the app in /opt/berth -------------------------------------------------------------

# Built next to the running copy and swapped in, so a failure leaves the old one whole.
# The previous copy stays in $APP_DIR.old (with the unit that ran it) until the new one
# has started healthy: see start_berth and roll_back.
install_app() {
  local app stage old dir
  app=$(p "$APP_DIR")
  stage=$app.new
  old=$app.old
  rm -rf "$stage" "$old" "$(p "$UNIT_FILE").old"
  mkdir -p "$stage"
  say "copying $SOURCE to $APP_DIR"
  tar -C "$SOURCE" -cf - --anchored --exclude=./.git --exclude=./node_modules --exclude=./.tools \
    --exclude=./data --exclude=./coverage --exclude=./.bench --exclude=./test . |
    tar -C "$stage" --no-same-owner -xf -
  # Reuse the previous Node and dependencies: hard links, the running copy stays intact.
  for dir in .tools node_modules; do
    [ ! -d "$app/$dir" ] || cp -al "$app/$dir" "$stage/$dir"
  done
  install_node "$stage"
  [ "$NO_PACKAGES" -eq 1 ] || install_npm_deps "$stage"
  chown -R root:root "$stage"
  chmod -R u+rwX,go+rX,go-w "$stage"
  if [ -d "$app" ]; then
    mv "$app" "$old"
    [ ! -f "$(p "$UNIT_FILE")" ] || cp -p "$(p "$UNIT_FILE")" "$(p "$UNIT_FILE").old"
  fi
  mv "$stage" "$app"
}

# The new copy did not come up: the previous one and its unit go back and are started.
roll_back() {
  local app
  app=$(p "$APP_DIR")
  [ -d "$app.old" ] || return 1
  warn "the new version did not start healthy; rolling back to the previous one"
  rm -rf "$app.failed"
  mv "$app" "$app.failed"
  mv "$app.old" "$app"
  [ ! -f "$(p "$UNIT_FILE").old" ] || mv -f "$(p "$UNIT_FILE").old" "$(p "$UNIT_FILE")"
  systemctl daemon-reload
  systemctl restart berth
  wait_healthy || return 1
  rm -rf "$app.failed"
}

# --- system user and directories -------------------------------------------------------

# The group nginx's workers run as (they read releases and ACME challenge files).
web_group() {
  local user
  user=$(awk '$1 == "user" { sub(/;$/, "", $2); print $2; exit }' "$(p /etc/nginx/nginx.conf)" 2>/dev/null)
  user=${user:-www-data}
  id -gn "$user" 2>/dev/null || printf 'www-data'
}

create_user() {
  [ "$NO_USER" -eq 0 ] || return 0
  have_user "$USER_NAME" && return 0
  say "creating system user $USER_NAME"
  useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
    --shell /usr/sbin/nologin --comment "Berth deployment platform" "$USER_NAME"
}

make_dirs() {
  local web
  web=$(web_group)
  # The data directory is Berth's alone, except that nginx's group may pass through it
  # (0710: enter, not list the names in it). The unit's UMask=0027 keeps the database,
  # bundles and keys out of that group's reach; only sites/ (releases) and acme/ (HTTP-01
  # challenges) hand their group on to what Berth creates in them (setgid), so nginx can
  # read those and nothing else.
  make_dir 0710 "$USER_NAME" "$web" "$(p "$DATA_DIR")"
  make_dir 2750 "$USER_NAME" "$web" "$(p "$DATA_DIR/sites")"
  make_dir 2750 "$USER_NAME" "$web" "$(p "$DATA_DIR/acme")"
  # Berth's vhosts live in a directory of their own that the berth user owns: it can write
  # its vhosts without being able to touch Debian's sites-* or anyone else's config.
  make_dir 0755 root root "$(p "$NGINX_DIR")"
  make_dir 0755 "$USER_NAME" "$USER_NAME" "$(p "$SITES_AVAILABLE")"
  make_dir 0755 "$USER_NAME" "$USER_NAME" "$(p "$SITES_ENABLED")"
}

# --- files owned by the installer (rewritten every run) --------------------------------

write_unit() {
  write_file 0644 root root "$(p "$UNIT_FILE")" <<EOF
# Written by install.sh; rerun it rather than editing (or use systemctl edit berth).
[Unit]
Description=Berth deployment platform
Documentation=file://$APP_DIR/README.md
Wants=network-online.target berth-nginx-reload.path
After=network-online.target nginx.service berth-nginx-reload.path

[Service]
Type=simple
User=$USER_NAME
Group=$USER_NAME
EnvironmentFile=$ENV_FILE
WorkingDirectory=$APP_DIR
ExecStart=$NODE_BIN $APP_DIR/src/main.ts
Restart=on-failure
RestartSec=2
# Exit status 2 is a configuration error: restarting cannot fix it.
RestartPreventExitStatus=2
# Files Berth creates are not readable by others; releases are made world-readable by
# Berth itself, and nginx reaches them through the setgid sites/ directory.
UMask=0027

# Hardening. Berth never gains a privilege: no capabilities, no_new_privs set, no setuid
# program (no sudo). The one thing it needs root for, \`nginx -t\` and \`nginx -s reload\`,
# it asks of berth-nginx-reload.service by dropping a request file into
# $CONTROL_DIR/requests ($REQUEST_BIN); that root oneshot answers in
# $CONTROL_DIR/results, which Berth can read but not write. So every directive below
# holds as written (with User= set, several of them force NoNewPrivileges=yes anyway,
# which is what this design wants), and a compromised Berth can make root run exactly
# those two nginx commands, nothing else.
# - RestrictNamespaces= lists the namespaces bubblewrap creates for the build sandbox
#   (\`bwrap --unshare-all --share-net\`, unprivileged, through a user namespace), and
#   SystemCallFilter= adds the mount and hostname calls it makes inside those
#   namespaces: without CAP_SYS_ADMIN in the host's namespace they change nothing
#   outside the sandbox.
#   (A sandbox with its own network would also need AF_NETLINK, to bring up loopback.)
# - ReadWritePaths: the data, Berth's own vhost directories and the request queue; and
#   /proc/sys/user, which ProtectKernelTunables= would make read-only: \`bwrap
#   --disable-userns\` sets user.max_user_namespaces inside the sandbox's own user
#   namespace (those limits are per namespace). In the host's namespace these files
#   belong to root, so Berth, without capabilities, cannot change them.
# - No ProtectHostname=, and sethostname allowed: bwrap names the sandbox's own UTS
#   namespace (\`--hostname sandbox\`), which ProtectHostname='s seccomp filter would
#   refuse. Without CAP_SYS_ADMIN Berth cannot change the host's name anyway.
# - No PrivateUsers= (the data must stay owned by the real berth user) and no
#   MemoryDenyWriteExecute= (V8's JIT needs writable executable memory).
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ReadWritePaths=$DATA_DIR $SITES_AVAILABLE $SITES_ENABLED $CONTROL_DIR/requests
ReadWritePaths=/proc/sys/user
ProtectHome=yes
ProtectProc=invisible
PrivateMounts=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=user mnt pid ipc uts net cgroup
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=mount umount2 pivot_root sethostname
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
EOF
}

# The root side of Berth's nginx changes, instead of a sudo rule. Why a path unit and a
# oneshot rather than sudo (setuid) or polkit: sudo only works without no_new_privs,
# which most of the unit's hardening forces on; polkit would need D-Bus in the sandbox
# and a JavaScript rule for one command. A file in a directory only the berth group can
# write, watched by systemd, needs neither, and the oneshot runs nothing but the two
# fixed nginx command lines (the request's name picks which, its content is never read).
write_reload_units() {
  write_file 0644 root root "$(p "$TMPFILES_FILE")" <<EOF
# Written by install.sh: the queue through which Berth asks berth-nginx-reload.service to
# test and reload nginx. Berth (group $USER_NAME) writes requests/, only root results/.
d $CONTROL_DIR 0755 root root -
d $CONTROL_DIR/requests 0770 root $USER_NAME -
d $CONTROL_DIR/results 0750 root $USER_NAME -
EOF
  write_file 0644 root root "$(p "$RELOAD_PATH")" <<EOF
# Written by install.sh: starts berth-nginx-reload.service whenever Berth leaves a request
# (see that unit). After the service ends, a request that arrived meanwhile starts it again.
[Unit]
Description=Requests from Berth to test and reload nginx
Documentation=file://$APP_DIR/README.md

[Path]
DirectoryNotEmpty=$CONTROL_DIR/requests
Unit=berth-nginx-reload.service

[Install]
WantedBy=paths.target
EOF
  write_file 0644 root root "$(p "$RELOAD_SERVICE")" <<EOF
# Written by install.sh: tests or reloads nginx as root for Berth, which runs with
# NoNewPrivileges=yes and no capabilities. Berth drops an empty file named
# <id>.test or <id>.reload into $CONTROL_DIR/requests and waits, with a deadline, for
# $CONTROL_DIR/results/<id>: nginx's exit status, then its messages. When \`nginx -t\`
# fails, Berth puts its previous vhost back and nginx keeps serving the old
# configuration, as it would with any nginx command that fails.
[Unit]
Description=Test and reload nginx for Berth
Documentation=file://$APP_DIR/README.md
After=nginx.service
# Every vhost change starts it twice (test, reload): no start rate limit.
StartLimitIntervalSec=0

[Service]
Type=oneshot
TimeoutStartSec=2min
Environment=BERTH_NGINX_CONTROL=$CONTROL_DIR BERTH_NGINX_BIN=$NGINX_BIN BERTH_NGINX_GROUP=$USER_NAME
ExecStart=$RELOAD_BIN
# Root, but only what nginx -t (its logs, its pid file, test binds) and -s reload (a
# signal to the master) need.
CapabilityBoundingSet=CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_NET_BIND_SERVICE CAP_KILL CAP_CHOWN CAP_FOWNER CAP_SETUID CAP_SETGID
NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# No MemoryDenyWriteExecute=: nginx compiles its regexes with PCRE's JIT (pcre_jit on).
EOF
}

write_cli() {
  write_file 0755 root root "$(p "$CLI_FILE")" <<EOF
#!/bin/sh
# Written by install.sh: Berth's admin commands (berth user add, berth key create, ...)
# against the server's data, run as the berth user.
set -eu
[ "\$(id -u)" -eq 0 ] || { echo "berth: run this as root (sudo berth ...)" >&2; exit 1; }
set -a
. $ENV_FILE
set +a
cd $APP_DIR
umask 027
exec runuser -u $USER_NAME -- $NODE_BIN $APP_DIR/bin/berth.js "\$@"
EOF
}

# listen_lines VARIABLE DEFAULT SUFFIX: one `listen ADDRESS SUFFIX;` line per address in
# the comma-separated value of VARIABLE in the env file (as Berth's config reads it).
listen_lines() {
  local name=$1 value address addresses
  value=$(env_get "$name")
  IFS=, read -ra addresses <<<"${value:-$2}"
  for address in "${addresses[@]}"; do
    address=${address//[[:space:]]/}
    [ -n "$address" ] || continue
    [[ $address =~ ^([0-9]{1,3}(\.[0-9]{1,3}){3}:|\[[0-9a-fA-F:]+\]:)?[0-9]{1,5}$ ]] ||
      die "$name in $ENV_FILE must be ports or address:port values separated by commas, such as 80,[::]:80 (not $address)"
    printf '    listen %s%s;\n' "$address" "${3:+ $3}"
  done
}

# The web UI and API through nginx, the default server for unknown hosts, and the include
# of Berth's vhosts. Debian's nginx.conf includes conf.d/*.conf inside http {}.
write_nginx_conf() {
  local url host port listen listen_default listen_tls
  url=$(env_get BERTH_PUBLIC_URL)
  host=${url#*://}
  host=${host%%/*}
  host=${host%:*}
  port=$(env_get BERTH_PORT)
  listen=$(listen_lines BERTH_NGINX_LISTEN 80)
  listen_default=$(listen_lines BERTH_NGINX_LISTEN 80 default_server)
  listen_tls=$(listen_lines BERTH_NGINX_LISTEN_TLS 443 "ssl default_server")
  write_file 0644 root root "$(p "$NGINX_CONF")" <<EOF
# Written by install.sh: Berth's web UI and API, the sites Berth publishes, and Berth's
# answer for every other host name.
server {
$listen
    server_name $host;
    # Uploads are limited by Berth itself (BERTH_MAX_BUNDLE_BYTES).
    client_max_body_size 0;

    location / {
        proxy_pass http://127.0.0.1:${port:-8080};
        proxy_http_version 1.1;
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        # Live release logs (server-sent events) and uploads stream through.
        proxy_buffering off;
        proxy_request_buffering off;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
    }
}

# Host names no site answers to get Berth's "no such site" page (404); over TLS the
# handshake is refused, since no certificate could match them.
server {
$listen_default
$listen_tls
    server_name _;
    server_tokens off;
    ssl_reject_handshake on;
    root $(dirname "$NO_SITE_PAGE");
    error_page 404 /$(basename "$NO_SITE_PAGE");
    location / {
        return 404;
    }
    location = /$(basename "$NO_SITE_PAGE") {
        internal;
        add_header Cache-Control "no-cache" always;
    }
}

include $SITES_ENABLED/*.conf;
EOF
}

# Debian's default site claims default_server on port 80 too: it is disabled (its file in
# sites-available stays), and enabled again by --uninstall.
disable_debian_default() {
  local link
  link=$(p "$DEBIAN_DEFAULT")
  [ -e "$link" ] || [ -L "$link" ] || return 0
  say "disabling nginx's default site (Berth answers unknown hosts)"
  rm -f "$link"
  printf '%s\n' "$DEBIAN_DEFAULT" | write_file 0644 root root "$(p "$DEBIAN_DEFAULT_MARK")"
}

enable_debian_default() {
  local target
  target=$(p /etc/nginx/sites-available/default)
  [ -f "$(p "$DEBIAN_DEFAULT_MARK")" ] && [ -f "$target" ] || return 0
  [ -e "$(p "$DEBIAN_DEFAULT")" ] || ln -s /etc/nginx/sites-available/default "$(p "$DEBIAN_DEFAULT")"
}

# --- services --------------------------------------------------------------------------

reload_nginx() {
  [ "$NO_START" -eq 0 ] || return 0
  [ -x "$NGINX_BIN" ] || return 0
  if ! "$NGINX_BIN" -t -q; then
    warn "nginx -t failed; fix the configuration, then: systemctl reload nginx"
    return 0
  fi
  if systemctl is-active --quiet nginx; then
    systemctl reload nginx
  else
    systemctl enable --now nginx || warn "nginx did not start: see journalctl -u nginx"
  fi
}

# Waits for Berth's /healthz (up to a minute); fails at once if the unit stops running.
wait_healthy() {
  local port host i
  port=$(env_get BERTH_PORT)
  host=$(env_get BERTH_HOST)
  host=${host#[}
  host=${host%]}
  case $host in "" | 0.0.0.0 | ::) host=127.0.0.1 ;; *:*) host="[$host]" ;; esac
  for i in $(seq 120); do
    curl -fsS -o /dev/null "http://$host:${port:-8080}/healthz" 2>/dev/null && return 0
    if [ "$i" -eq 120 ] || ! systemctl is-active --quiet berth; then
      journalctl -u berth -n 30 --no-pager >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

# The queue directories, and the path unit that answers Berth's nginx requests.
start_reload_units() {
  [ "$NO_START" -eq 0 ] || return 0
  systemd-tmpfiles --create "$TMPFILES_FILE"
  systemctl daemon-reload
  systemctl enable --quiet berth-nginx-reload.path
  systemctl restart berth-nginx-reload.path
}

start_berth() {
  local since url link i
  if [ "$NO_START" -eq 1 ]; then
    say "not starting (--no-start); then: systemd-tmpfiles --create $TMPFILES_FILE &&"
    say "  systemctl daemon-reload && systemctl enable --now berth-nginx-reload.path berth"
    return 0
  fi
  systemctl daemon-reload
  systemctl enable --quiet berth
  since=$(date +%s)
  say "starting berth.service"
  systemctl restart berth
  if ! wait_healthy; then
    roll_back || die "Berth did not come up; see: journalctl -u berth"
    die "the new version did not come up, the previous one runs again; see: journalctl -u berth"
  fi
  rm -rf "$(p "$APP_DIR").old" "$(p "$UNIT_FILE").old"
  url=$(env_get BERTH_PUBLIC_URL)
  say "Berth is up at $url"
  for i in $(seq 10); do
    link=$(journalctl -u berth --since "@$since" -o cat --no-pager 2>/dev/null |
      grep -oE 'https?://[^"[:space:]]+/setup\?token=[a-z0-9]+' | tail -n 1) || true
    [ -z "$link" ] || break
    sleep 0.5
  done
  if [ -n "$link" ]; then
    say "create the first owner at: $link"
    say "(or: berth user add you@example.com --role owner)"
  else
    say "no setup link in the journal: Berth already has accounts, sign in at $url"
    say "(the link, when there is one: journalctl -u berth | grep setup?token=)"
  fi
}

# --- install and uninstall -------------------------------------------------------------

do_install() {
  [ -n "$SOURCE" ] || SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  SOURCE=$(cd "$SOURCE" && pwd)
  if [ ! -f "$SOURCE/package.json" ] || [ ! -f "$SOURCE/src/main.ts" ]; then
    die "$SOURCE is not a Berth checkout (use --source DIR)"
  fi
  if [ ! -f "$(p "$ENV_FILE")" ] && [ -z "$DOMAIN" ]; then
    die "--domain is needed on the first install (see --help)"
  fi
  [ "$NO_PACKAGES" -eq 1 ] || install_packages
  create_user
  make_dirs
  write_env_file
  install_app
  write_unit
  write_reload_units
  # The sudo rule of earlier versions: Berth no longer uses sudo.
  rm -f "$(p "$OLD_SUDOERS_FILE")"
  write_cli
  write_nginx_conf
  disable_debian_default
  # Berth's vhosts pick caching and SPA behaviour with regex maps: JIT makes them cheap
  write_file 0644 root root "$(p "$NGINX_MAIN_CONF")" <<EOF
# Written by install.sh for Berth.
pcre_jit on;
EOF
  reload_nginx
  start_reload_units
  start_berth
  say "installed: configuration $ENV_FILE, data $DATA_DIR, logs: journalctl -u berth"
  say "DNS: point $(env_get BERTH_BASE_DOMAIN) and *.$(env_get BERTH_BASE_DOMAIN) at this server"
}

do_uninstall() {
  local dir file sites
  if [ "$NO_START" -eq 0 ] && command -v systemctl >/dev/null; then
    systemctl disable --now berth berth-nginx-reload.path berth-nginx-reload.service 2>/dev/null || true
  fi
  enable_debian_default
  # Vhosts Berth wrote wherever the env file told it to, then the installer's own files.
  for sites in "$(env_get BERTH_NGINX_SITES_AVAILABLE)" "$(env_get BERTH_NGINX_SITES_ENABLED)" \
    /etc/nginx/sites-available /etc/nginx/sites-enabled; do
    [ -n "$sites" ] || continue
    for file in "$(p "$sites")"/berth.conf "$(p "$sites")"/berth-*.conf; do
      if [ -e "$file" ] || [ -L "$file" ]; then rm -f "$file"; fi
    done
  done
  for file in "$UNIT_FILE" "$UNIT_FILE.old" "$RELOAD_SERVICE" "$RELOAD_PATH" "$TMPFILES_FILE" \
    "$OLD_SUDOERS_FILE" "$CLI_FILE" "$NGINX_CONF" "$NGINX_MAIN_CONF"; do
    rm -f "$(p "$file")"
  done
  for dir in "$NGINX_DIR" "$APP_DIR" "$APP_DIR.new" "$APP_DIR.old" "$APP_DIR.failed" "$CONTROL_DIR"; do
    rm -rf "$(p "$dir")"
  done
  if [ "$NO_START" -eq 0 ] && command -v systemctl >/dev/null; then
    systemctl daemon-reload
  fi
  reload_nginx
  if [ "$PURGE" -eq 1 ]; then
    rm -rf "$(p "$DATA_DIR")" "$(p "$(dirname "$ENV_FILE")")"
    if [ "$NO_USER" -eq 0 ] && have_user "$USER_NAME"; then userdel "$USER_NAME"; fi
    say "removed Berth, its data and its configuration"
  else
    say "removed Berth; kept $DATA_DIR and $(dirname "$ENV_FILE") (--purge removes them)"
  fi
}

main() {
  parse_args "$@"
  [ "$(id -u)" -eq 0 ] || [ -n "$ROOT" ] || die "run install.sh as root"
  umask 022
  if [ "$UNINSTALL" -eq 1 ]; then do_uninstall; else do_install; fi
}

# All of the script is read before it runs: --uninstall deletes /opt/berth/install.sh.
main "$@"
exit
