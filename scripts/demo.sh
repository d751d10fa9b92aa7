#!/usr/bin/env bash
# The quick start: installs what is missing, builds, starts the bundled NAVER
# emulator on loopback, writes a demo configuration, mounts at ./mnt (or the
# directory given), shows the tree and one backup's attributes, and stays up
# until Ctrl-C, then unmounts cleanly.
#
# Usage: scripts/demo.sh [MOUNTPOINT] [--once]   (--once: show, then stop)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

mountpoint="$PWD/mnt"
once=0
for argument in "$@"; do
	case "$argument" in
	--once) once=1 ;;
	*) mountpoint=$(realpath -m "$argument") ;;
	esac
done

echo "==> building"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target dbbackupfs

work="$PWD/.demo"
rm -rf "$work"
mkdir -p "$work" "$mountpoint"
emulator_pid=""
daemon_pid=""

cleanup() {
	trap - EXIT INT TERM
	if grep -q " $mountpoint fuse\.dbbackupfs " /proc/self/mounts; then
		fusermount3 -u "$mountpoint" || fusermount3 -uz "$mountpoint" || true
	fi
	[ -n "$daemon_pid" ] && wait "$daemon_pid" 2>/dev/null || true
	[ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null || true
	echo "==> unmounted $mountpoint; emulator stopped"
}
trap cleanup EXIT INT TERM

echo "==> starting the NAVER Cloud emulator on loopback"
/usr/bin/python3 tests/fakes/ncloud_fake.py --scenario tests/fakes/scenarios/ncloud-demo.json \
	--port-file "$work/port" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

cat >"$work/config" <<CONF
# Three NAVER Cloud DB accounts, all served by the bundled emulator.
[prod-pg]
type = ncloud-postgresql
endpoint = http://127.0.0.1:$port
access_key = AKEXAMPLE0000000000
secret_key = SKEXAMPLE00000000000000000000000000000000

[shop-mysql]
type = ncloud-mysql-vpc
endpoint = http://127.0.0.1:$port
access_key = AKEXAMPLE0000000000
secret_key = SKEXAMPLE00000000000000000000000000000000

[legacy-mysql]
type = ncloud-mysql
endpoint = http://127.0.0.1:$port
access_key = AKEXAMPLE0000000000
secret_key = SKEXAMPLE00000000000000000000000000000000
CONF
chmod 600 "$work/config"

echo "==> mounting at $mountpoint"
./build/dbbackupfs -f -o config="$work/config" "$mountpoint" 2>"$work/dbbackupfs.log" &
daemon_pid=$!
for _ in $(seq 200); do
	grep -q " $mountpoint fuse\.dbbackupfs " /proc/self/mounts && break
	kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/dbbackupfs.log"; exit 1; }
	sleep 0.05
done

echo
echo "==> the tree (instances, and the first backups of each)"
for profile in "$mountpoint"/*/; do
	echo "$profile"
	for instance in "$profile"*/; do
		count=$(ls "$instance" | wc -l)
		echo "  $(basename "$instance")/  ($count backups)"
		ls -l "$instance" | sed -n '2,4s/^/    /p'
	done
done
backup=$(find "$mountpoint/prod-pg/pg-orders" -maxdepth 1 -type f | sort | head -n 1)
echo
echo "==> getfattr -d $backup"
getfattr -d "$backup"
echo "==> API calls so far (from $mountpoint/.stats)"
grep -E '"requests_total"' "$mountpoint/.stats"

if [ "$once" = 1 ]; then
	exit 0
fi
echo
echo "Mounted at $mountpoint. Try: ls -l $mountpoint/prod-pg/pg-orders; getfattr -d ...; cat $mountpoint/.stats"
echo "Press Ctrl-C to unmount."
wait "$daemon_pid"
