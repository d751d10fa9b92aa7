#!/usr/bin/env bash
# The quick start: installs what is missing, builds, starts the bundled
# emulators (NAVER Cloud, Huawei Cloud, ZStack) and nginx (the RDS and ZStack
# backups' contents) on loopback, writes a demo configuration, mounts at ./mnt
# (or the directory given), shows the tree, one backup's attributes, a cp of
# an RDS backup and an export and cp of a ZStack backup, and stays up until
# Ctrl-C, then unmounts cleanly.
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
emulator_pids=()
daemon_pid=""

cleanup() {
	trap - EXIT INT TERM
	if grep -q " $mountpoint fuse\.dbbackupfs " /proc/self/mounts; then
		fusermount3 -u "$mountpoint" || fusermount3 -uz "$mountpoint" || true
	fi
	[ -n "$daemon_pid" ] && wait "$daemon_pid" 2>/dev/null || true
	for pid in "${emulator_pids[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	done
	echo "==> unmounted $mountpoint; emulators stopped"
}
trap cleanup EXIT INT TERM

# Waits until FILE has been written (a helper writes it once it listens).
wait_for_file() {
	for _ in $(seq 400); do [ -s "$1" ] && return 0; sleep 0.05; done
	echo "$1 was not written; see $work/*.log" >&2
	exit 1
}

# Starts tests/fakes/NAME_fake.py with SCENARIO (its demo scenario by default).
start_emulator() {
	local name=$1 scenario=${2:-tests/fakes/scenarios/$1-demo.json}
	/usr/bin/python3 "tests/fakes/${name}_fake.py" --scenario "$scenario" \
		--port-file "$work/$name.port" 2>"$work/$name.log" &
	emulator_pids+=($!)
	wait_for_file "$work/$name.port"
}

echo "==> starting nginx on loopback with the RDS and ZStack backups' contents"
/usr/bin/python3 tests/fakes/demo_content.py \
	--scenario tests/fakes/scenarios/huawei-demo.json --out "$work/huawei-scenario.json" \
	--zstack-scenario tests/fakes/scenarios/zstack-demo.json \
	--zstack-out "$work/zstack-scenario.json" \
	--workdir "$work/content" --port-file "$work/content.port" 2>"$work/content.log" &
emulator_pids+=($!)
wait_for_file "$work/content.port"

echo "==> starting the emulators on loopback (NAVER Cloud, Huawei Cloud, ZStack)"
start_emulator ncloud
start_emulator huawei "$work/huawei-scenario.json"
start_emulator zstack "$work/zstack-scenario.json"
port=$(cat "$work/ncloud.port")
huawei=$(cat "$work/huawei.port")
zstack=$(cat "$work/zstack.port")

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

# Huawei Cloud: TaurusDB and RDS (mkdir INSTANCE/NAME makes a backup).
[hw-taurus]
type = huawei-taurusdb
endpoint = http://127.0.0.1:$huawei/taurusdb
project_id = 0483b6b16e954cb88930a360d2c4e663
access_key = AKEXAMPLE0000000000
secret_key = SKEXAMPLE0000000000000000000000000000000

[hw-rds]
type = huawei-rds
endpoint = http://127.0.0.1:$huawei/rds
project_id = 0483b6b16e954cb88930a360d2c4e663
access_key = AKEXAMPLE0000000000
secret_key = SKEXAMPLE0000000000000000000000000000000

# ZStack: the management node's database backups.
[zstack]
type = zstack
endpoint = http://127.0.0.1:$zstack
account = admin
password = password
timezone = Asia/Shanghai
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
rds="$mountpoint/hw-rds/rds-mysql-shop/rds-mysql-shop-auto-20240601"
echo
echo "==> cp $rds (ranged GETs from nginx)"
ls -l "$rds"
cp "$rds" "$work/copy"
ls -l "$rds"
echo "the copy, and the file nginx serves:"
sha256sum "$work/copy" \
	"$work"/content/files/*"$(getfattr --absolute-names --only-values -n user.backup.id "$rds")".bin
zstack="$mountpoint/zstack/management-db/zstack-db-2024-06-01"
control="$mountpoint/zstack/management-db/.export/zstack-db-2024-06-01"
echo
echo "==> export a ZStack backup to a backup storage, then cp it"
echo "echo imagestore-local > $control"
echo imagestore-local >"$control"
for _ in $(seq 200); do grep -qx 'state: done' "$control" && break; sleep 0.05; done
cat "$control"
cp "$zstack" "$work/zstack-copy"
echo "the copy, and the file nginx serves:"
sha256sum "$work/zstack-copy" \
	"$work"/content/files/imagestore/download/*"$(getfattr --absolute-names --only-values -n user.backup.id "$zstack")".gz
echo
echo "==> API calls and bytes so far (from $mountpoint/.stats)"
/usr/bin/python3 -c '
import json, sys
for name, p in sorted(json.load(open(sys.argv[1]))["profiles"].items()):
    print("  %-13s %3d API calls, %9d bytes read in %d ranges"
          % (name, p["requests_total"], p["bytes_streamed"], p["ranges_requested"]))
' "$mountpoint/.stats"

if [ "$once" = 1 ]; then
	exit 0
fi
echo
echo "Mounted at $mountpoint. Try: ls -l $mountpoint/prod-pg/pg-orders; getfattr -d ...; cp $mountpoint/hw-rds/rds-pg-crm/rds-pg-crm-auto-20240601 /tmp/; cat $mountpoint/.stats"
echo "Press Ctrl-C to unmount."
wait "$daemon_pid"
