"""The providers the soak drives: how to start each emulator, configure a
profile for it, and read its records of state-changing requests."""
import os

ACCESS, SECRET = "AKEXAMPLE0000000000", "SKEXAMPLE00000000000000000000000000000000"


class Ncloud:
    name = "ncloud"
    kinds = ["ncloud-postgresql", "ncloud-mysql-vpc", "ncloud-mysql"]

    def start(self, workdir):
        from harness import Fake
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return Fake.start("ncloud", os.path.join(root, "tests", "fakes", "scenarios",
                                                  "ncloud-demo.json"),
                          os.path.join(workdir, "ncloud"))

    def config(self, fake, max_rps):
        # One profile per kind; max_rps is per profile, so each gets a
        # share of the emulator's budget.
        share = max(1, max_rps // len(self.kinds))
        return "\n".join(
            "[%s]\ntype = %s\nendpoint = %s\naccess_key = %s\nsecret_key = %s\n"
            "timeout = 2s\ncache_ttl = 2s\npoll_interval = 1s\nmax_rps = %d\n"
            % (kind, kind, fake.url, ACCESS, SECRET, share) for kind in self.kinds)

    def owns(self, profile):
        return profile in self.kinds

    def bucket(self, rng):
        return rng.choice(["dbbackupfs-test", "no-such-bucket", "Bad_Name"])

    def expected_sha256(self, path):
        return None       # NAVER backups are read from Object Storage

    def recorded(self, fake, action):
        if action == "export":
            return len(fake.exports())
        return 0


class Huawei:
    name = "huawei"
    kinds = {"huawei-taurusdb": "/taurusdb", "huawei-rds": "/rds"}
    project = "0483b6b16e954cb88930a360d2c4e663"
    sk = "SKEXAMPLE0000000000000000000000000000000"

    def start(self, workdir):
        from harness import Fake
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return Fake.start("huawei", os.path.join(root, "tests", "fakes", "scenarios",
                                                  "huawei-demo.json"),
                          os.path.join(workdir, "huawei"))

    def config(self, fake, max_rps):
        share = max(1, max_rps // len(self.kinds))
        return "\n".join(
            "[%s]\ntype = %s\nendpoint = %s%s\naccess_key = %s\nsecret_key = %s\n"
            "project_id = %s\ntimeout = 2s\ncache_ttl = 2s\npoll_interval = 1s\nmax_rps = %d\n"
            % (kind, kind, fake.url, prefix, ACCESS, self.sk, self.project, share)
            for kind, prefix in self.kinds.items())

    def owns(self, profile):
        return profile in self.kinds

    def bucket(self, rng):
        return "unused"

    def expected_sha256(self, path):
        return None

    def recorded(self, fake, action):
        if action == "mkdir":
            return len(fake.control("GET", "creates")["creates"])
        return 0


def available(root):
    """Every provider whose emulator is in the tree."""
    return [Ncloud(), Huawei()]
