#!/usr/bin/env bash
# `make secrets`: create the files docker-compose.yml mounts as Docker secrets.
#
#   secrets/encryption_key     the Fernet key (python -m app.cli generate-key)
#   secrets/admin_password     the first admin's password (ADMIN_PASSWORD_FILE)
#   secrets/postgres_password  the PostgreSQL password (profile "postgres")
#   secrets/pgpass             the same password as a libpq password file, for the API
#
# An existing file is never replaced (a new key would not open the stored secrets).
# Files are mode 0600 in a 0700 folder. Compose bind-mounts them with their owner and
# mode, so they must belong to the backend image's user (uid 10001): as root this
# script chowns them (SECRETS_OWNER=uid:gid to choose, SECRETS_OWNER= to skip).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-secrets}"
owner="${SECRETS_OWNER-10001:10001}"
py="$PWD/backend/.venv/bin/python"
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

token() { "$py" -c 'import secrets; print(secrets.token_urlsafe(24), end="")'; }

create() {  # create NAME COMMAND...: write COMMAND's output to $dir/NAME unless it exists
  local name="$1" file="$dir/$1"
  shift
  if [ -s "$file" ]; then
    echo "kept     $file"
    return
  fi
  "$@" >"$file.tmp"
  chmod 600 "$file.tmp"
  mv "$file.tmp" "$file"
  echo "created  $file"
}

create encryption_key bash -c 'cd backend && .venv/bin/python -m app.cli generate-key'
create admin_password token
create postgres_password token
create pgpass bash -c "printf 'postgres:5432:loac:loac:%s\n' \"\$(cat '$dir/postgres_password')\""

if [ -n "$owner" ] && [ "$(id -u)" = 0 ]; then
  chown "$owner" "$dir"/encryption_key "$dir"/admin_password "$dir"/postgres_password "$dir"/pgpass
elif [ -n "$owner" ]; then
  echo "note: the backend container runs as uid ${owner%%:*} and reads these files as that user:"
  echo "      sudo chown $owner $dir/encryption_key $dir/admin_password $dir/pgpass"
fi
echo "Back up $dir/encryption_key apart from the database. Sign in as ${ADMIN_USERNAME:-admin}"
echo "with the password in $dir/admin_password (change it after the first sign-in)."
