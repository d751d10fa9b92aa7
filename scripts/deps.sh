#!/usr/bin/env bash
# Installs what building and testing dbbackupfs need, from Debian's packages,
# when it is missing. Sourced by demo.sh and test.sh.
set -euo pipefail

DBB_PACKAGES=(
	cmake gcc make pkg-config
	libfuse3-dev fuse3
	libcurl4-openssl-dev libssl-dev libjansson-dev libxml2-dev
	python3 python3-pytest attr curl openssl libglib2.0-bin
	nginx-light
)

dbb_missing_packages() {
	local missing=() package
	for package in "$@"; do
		dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$package")
	done
	echo "${missing[@]:-}"
}

dbb_install_packages() {
	local missing
	missing=$(dbb_missing_packages "$@")
	[ -z "$missing" ] && return 0
	echo "==> installing: $missing"
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
}

dbb_install_packages "${DBB_PACKAGES[@]}"

# tests/integration/test_install.py builds the Debian package: cpack's DEB
# generator runs dpkg-shlibdeps to fill in Depends.
dbb_install_packages dpkg-dev
# The S3 server of the Object Storage tests (s3rver) and the Huawei SDK
# cross-check come from the npm registry.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	dbb_install_packages nodejs npm
fi
