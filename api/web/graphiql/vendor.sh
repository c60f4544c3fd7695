#!/usr/bin/env bash
# Re-creates the vendored GraphiQL assets in this folder from the npm registry.
# Usage: api/web/graphiql/vendor.sh   (needs npm; writes only into this folder)
# After changing a version here, change it in VENDORED.md and api/src/graphiql.rs too:
# the version is part of every file name, so a browser never keeps an old file.
set -euo pipefail

GRAPHIQL=4.1.2   # the last major with a UMD build (5.x ships ES modules only)
REACT=18.3.1     # React 19 has no UMD build
GRAPHQL_WS=6.4.2

here="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

unpack() { # unpack NAME VERSION -> folder NAME with the tarball's package/
  npm pack --silent "$1@$2" >/dev/null
  mkdir -p "$1"
  tar xzf "${1##*/}-$2.tgz" -C "$1" --strip-components=1
}
# Source maps are not shipped, so their references would only 404.
copy() { # copy SOURCE TARGET
  grep -v '^//# sourceMappingURL=' "$1" >"$here/$2" || true
}

unpack graphiql "$GRAPHIQL"
unpack react "$REACT"
unpack react-dom "$REACT"
unpack graphql-ws "$GRAPHQL_WS"

copy graphiql/graphiql.min.js "graphiql-$GRAPHIQL.min.js"
copy graphiql/graphiql.min.css "graphiql-$GRAPHIQL.min.css"
copy react/umd/react.production.min.js "react-$REACT.production.min.js"
copy react-dom/umd/react-dom.production.min.js "react-dom-$REACT.production.min.js"
copy graphql-ws/umd/graphql-ws.min.js "graphql-ws-$GRAPHQL_WS.min.js"

mkdir -p "$here/licenses"
cp graphiql/LICENSE "$here/licenses/graphiql-LICENSE"
cp react/LICENSE "$here/licenses/react-LICENSE"
cp react-dom/LICENSE "$here/licenses/react-dom-LICENSE"
cp graphql-ws/LICENSE.md "$here/licenses/graphql-ws-LICENSE.md"

cd "$here" && sha256sum ./*.js ./*.css
