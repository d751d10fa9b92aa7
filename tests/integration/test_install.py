"""Installed like any Linux file system (issue 9): `cpack -G DEB` builds a
package that apt installs with its dependencies, and the installed files mount
against the NAVER emulator three ways: /usr/bin/dbbackupfs run directly,
`mount -t fuse.dbbackupfs none MOUNTPOINT -o config=FILE`, and an fstab line
(`mount -T FSTAB MOUNTPOINT`).

The package is installed on this machine (CI machines are throwaway) and
removed at the end; where a dbbackupfs package is already installed it is left
alone and these tests skip. They need root, apt and dpkg-dev (scripts/deps.sh).
Select them with `-m install`, leave them out with `-m "not install"`.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import conftest
from conftest import SECRET_KEY, is_mounted, ncloud_profile, wait_until
from helpers import actual_tree, naver_expected_tree

pytestmark = pytest.mark.install

PACKAGE = "dbbackupfs"
BINARY = "/usr/bin/dbbackupfs"
HELPER = "/usr/sbin/mount.fuse.dbbackupfs"
USER_UNIT = "/usr/lib/systemd/user/dbbackupfs.service"
KIND = "ncloud-mysql-vpc"  # two instances, seven backups: a quick listing
TOOLS = ("cmake", "cpack", "dpkg-shlibdeps", "apt-get", "dpkg", "dpkg-deb", "mount",
         "umount", "fusermount3", "setpriv")
NOBODY = 65534


def run(argv, check=True, timeout=120, **kwargs):
    result = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError("%s exited with %d:\n%s%s" % (" ".join(map(str, argv)),
                                                           result.returncode, result.stdout,
                                                           result.stderr))
    return result


def project_version():
    with open(os.path.join(conftest.ROOT, "CMakeLists.txt")) as f:
        return re.search(r"project\(dbbackupfs VERSION ([0-9.]+)", f.read()).group(1)


def package_present():
    """Installed, or half-way there: anything but absent or leftover config."""
    result = run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], check=False)
    return result.returncode == 0 and result.stdout.split()[-1:] not in (
        ["not-installed"], ["config-files"])


def daemons(mountpoint):
    """Live dbbackupfs processes serving mountpoint (zombies excluded)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if (state != "Z" and os.path.basename(argv[0]) == b"dbbackupfs"
                and os.fsencode(mountpoint) in argv):
            found.append(int(pid))
    return found


def mount_entry(mountpoint):
    """(source, type, options) of mountpoint in /proc/self/mounts."""
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            if fields[1] == mountpoint:
                return fields[0], fields[2], fields[3].split(",")
    raise AssertionError(mountpoint + " is not mounted")


def listing(profile_root):
    return {instance: sorted(entry["backups"])
            for instance, entry in actual_tree(profile_root, with_xattrs=False).items()}


def expected_listing(fake):
    return {instance: sorted(entry["backups"])
            for instance, entry in naver_expected_tree(fake.state(), KIND).items()}


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """The package, built from this tree as a user would: Release, cpack."""
    if os.geteuid() != 0:
        pytest.skip("installs a package and mounts with mount(8): needs root")
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    assert not missing, "missing %s (scripts/deps.sh installs them)" % ", ".join(missing)
    build = tmp_path_factory.mktemp("deb-build")
    run(["cmake", "-S", conftest.ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
         "-DDBB_WERROR=ON"])
    run(["cmake", "--build", build, "-j", os.cpu_count() or 2], timeout=300)
    run(["cpack", "-G", "DEB"], cwd=build)
    debs = glob.glob(str(build / "dbbackupfs_*.deb"))
    assert len(debs) == 1, debs
    return debs[0]


@pytest.fixture(scope="module")
def installed(deb):
    """apt installs the package (dependencies resolved); dpkg -r at the end."""
    if package_present():
        pytest.skip("a dbbackupfs package is installed here already: left alone "
                    "(dpkg -r dbbackupfs to run these tests)")
    try:
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends",
             "-o", "DPkg::Lock::Timeout=60", deb],
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), timeout=300)
        yield deb
    finally:
        run(["dpkg", "-r", PACKAGE], timeout=120)
        assert not os.path.exists(BINARY) and not os.path.exists(HELPER)


@pytest.fixture
def config(tmp_path, ncloud):
    path = tmp_path / "dbbackupfs.conf"
    path.write_text(ncloud_profile("db", KIND, ncloud))
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def system_mounts():
    """Mount points mounted through mount(8): each is unmounted at the end,
    even when the test fails, and its daemon must exit."""
    mountpoints = []
    yield mountpoints.append
    for mountpoint in mountpoints:
        if is_mounted(mountpoint):
            run(["umount", mountpoint], check=False)
        if is_mounted(mountpoint):
            run(["fusermount3", "-uz", mountpoint], check=False)
    for mountpoint in mountpoints:
        assert not is_mounted(mountpoint), mountpoint + " is still mounted"
        wait_until(lambda: not daemons(mountpoint), timeout=30,
                   what="the dbbackupfs daemon of %s to exit" % mountpoint)


def assert_mounted_by_installed_binary(mountpoint, result):
    """mount returned once the file system was in place, quietly, and the
    installed binary serves it in the background."""
    assert result.returncode == 0, result.stdout + result.stderr
    assert SECRET_KEY not in result.stdout + result.stderr
    assert result.stderr == ""
    assert is_mounted(mountpoint)
    source, fstype, _ = mount_entry(mountpoint)
    assert (source, fstype) == ("dbbackupfs", "fuse.dbbackupfs")
    pids = daemons(mountpoint)
    assert len(pids) == 1, pids
    assert os.readlink("/proc/%d/exe" % pids[0]) == BINARY


def test_package(installed):
    fields = run(["dpkg-deb", "-f", installed, "Package", "Version", "Architecture",
                  "Depends", "Section", "Maintainer", "Description"]).stdout
    control = dict(re.findall(r"^(\w+): (.*)$", fields, re.M))
    assert control["Package"] == PACKAGE
    assert control["Version"] == project_version()
    assert control["Architecture"] == run(["dpkg", "--print-architecture"]).stdout.strip()
    assert os.path.basename(installed) == "dbbackupfs_%s_%s.deb" % (
        control["Version"], control["Architecture"])
    depends = {d.split()[0] for d in control["Depends"].split(", ")}
    assert {"fuse3", "libfuse3-3", "libcurl4", "libc6"} <= depends, depends
    assert control["Section"] and "@" in control["Maintainer"]

    files = set(run(["dpkg", "-L", PACKAGE]).stdout.split())
    wanted = {BINARY, HELPER, USER_UNIT}
    for page, section in (("dbbackupfs.1", 1), ("dbbackupfs.conf.5", 5)):
        if os.path.exists(os.path.join(conftest.ROOT, "man", page)):
            wanted.add("/usr/share/man/man%d/%s" % (section, page))
    assert wanted <= files, wanted - files
    assert os.access(HELPER, os.X_OK)
    version = run([BINARY, "--version"], check=False)
    assert "dbbackupfs " + project_version() in version.stdout


def test_installed_binary_mounts(installed, ncloud, mount_factory, monkeypatch):
    monkeypatch.setattr(conftest, "BINARY", BINARY)
    m = mount_factory(ncloud_profile("db", KIND, ncloud))
    assert os.readlink("/proc/%d/exe" % m.process.pid) == BINARY
    assert listing(m.path("db")) == expected_listing(ncloud)


@pytest.mark.parametrize("how", ["mount -t", "helper"])
def test_mount_t_fuse_dbbackupfs(installed, ncloud, config, tmp_path, system_mounts, how):
    mountpoint = str(tmp_path / "mnt")
    os.mkdir(mountpoint)
    if how == "mount -t":
        argv = ["mount", "-t", "fuse.dbbackupfs", "none", mountpoint, "-o", "config=" + config]
    else:
        # What mount(8) would have kept to itself, given to the helper directly.
        argv = [HELPER, "none", mountpoint, "-o", "config=%s,_netdev,nofail,noauto,defaults,"
                "x-gvfs-notrash,x-systemd.automount,comment=x" % config]
    system_mounts(mountpoint)
    result = run(argv, check=False, timeout=60)
    assert_mounted_by_installed_binary(mountpoint, result)
    assert {"nosuid", "nodev", "default_permissions"} <= set(mount_entry(mountpoint)[2])
    assert listing(os.path.join(mountpoint, "db")) == expected_listing(ncloud)


def test_mount_reports_a_bad_configuration(installed, tmp_path, system_mounts):
    mountpoint = str(tmp_path / "mnt")
    os.mkdir(mountpoint)
    missing = str(tmp_path / "missing.conf")
    system_mounts(mountpoint)
    result = run(["mount", "-t", "fuse.dbbackupfs", "none", mountpoint,
                  "-o", "config=" + missing], check=False, timeout=60)
    assert result.returncode != 0
    assert missing in result.stderr
    assert not is_mounted(mountpoint) and not daemons(mountpoint)


@pytest.fixture
def shared_mountpoint():
    """A mount point other users can reach (pytest's tmp_path is 0700)."""
    parent = tempfile.mkdtemp(prefix="dbbackupfs-fstab-")
    os.chmod(parent, 0o755)
    mountpoint = os.path.join(parent, "backups")
    os.mkdir(mountpoint)
    yield mountpoint
    if not is_mounted(mountpoint):
        os.rmdir(mountpoint)
        os.rmdir(parent)


def test_fstab_line(installed, ncloud, config, tmp_path, shared_mountpoint, system_mounts):
    fstab = tmp_path / "fstab"
    fstab.write_text(
        "# <source> <mount point> <type> <options> <dump> <pass>\n"
        "none %s fuse.dbbackupfs config=%s,_netdev,x-gvfs-notrash,nofail,allow_other 0 0\n"
        % (shared_mountpoint, config))
    system_mounts(shared_mountpoint)
    result = run(["mount", "-T", fstab, shared_mountpoint], check=False, timeout=60)
    assert_mounted_by_installed_binary(shared_mountpoint, result)
    assert "allow_other" in mount_entry(shared_mountpoint)[2]
    assert listing(os.path.join(shared_mountpoint, "db")) == expected_listing(ncloud)
    # allow_other reached the file system: another user sees the tree too.
    as_nobody = run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                     "--clear-groups", "ls", os.path.join(shared_mountpoint, "db")])
    assert sorted(as_nobody.stdout.split()) == sorted(expected_listing(ncloud))
