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
    """TaurusDB and RDS; one RDS instance's backups are real files served by
    nginx, so the soak's reads are checked byte for byte."""
    name = "huawei"
    kinds = {"huawei-taurusdb": "/taurusdb", "huawei-rds": "/rds"}
    project = "0483b6b16e954cb88930a360d2c4e663"
    sk = "SKEXAMPLE0000000000000000000000000000000"
    files = {"small": 1 << 20, "odd": (3 << 20) + 12345, "large": 6 << 20}

    def start(self, workdir):
        import json
        import nginx
        from harness import Fake
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        content = os.path.join(workdir, "nginx")
        os.makedirs(content, exist_ok=True)
        self.server = nginx.Nginx.start(content)
        self.digests = {}
        with open(os.path.join(root, "tests", "fakes", "scenarios", "huawei-demo.json")) as f:
            scenario = json.load(f)
        instance = {k: v for k, v in scenario["rds"]["instances"][0].items() if k != "backups"}
        instance.update({"id": "50a0c0ffee0000000000000000000000in01", "name": "rds-soak"})
        instance["backups"] = []
        for index, (name, size) in enumerate(sorted(self.files.items())):
            self.digests["b-" + name] = self.server.add_file(name + ".bin", size, seed=name)
            instance["backups"].append({
                "id": "%032xbr01" % (index + 1), "name": "b-" + name,
                "instance_id": instance["id"], "status": "COMPLETED", "type": "manual",
                "begin_time": "2024-06-01T08:10:00+0800",
                "end_time": "2024-06-01T08:14:47+0800", "size": -(-size // 1024),
                "datastore": {"type": "MySQL", "version": "8.0"},
                "download": {"file": name + ".bin"}})
        scenario["rds"]["instances"].append(instance)
        scenario["content"] = {"base_url": self.server.base, "secret": self.server.secret,
                               "link_seconds": 900}
        return Fake.start("huawei", scenario, os.path.join(workdir, "huawei"))

    def stop(self):
        self.server.stop()

    def readable_files(self, mnt):
        return [os.path.join(mnt, "huawei-rds", "rds-soak", name) for name in self.digests]

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
        if os.path.basename(os.path.dirname(path)) != "rds-soak":
            return None
        return self.digests.get(os.path.basename(path))

    def recorded(self, fake, action):
        if action == "mkdir":
            return len(fake.control("GET", "creates")["creates"])
        return 0


class Zstack:
    name = "zstack"

    def start(self, workdir):
        from harness import Fake
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return Fake.start("zstack", os.path.join(root, "tests", "fakes", "scenarios",
                                                  "zstack-demo.json"),
                          os.path.join(workdir, "zstack"))

    def config(self, fake, max_rps):
        return ("[zstack]\ntype = zstack\nendpoint = %s\naccount = admin\npassword = password\n"
                "timezone = Asia/Shanghai\nbackup_storage = imagestore-local\ntimeout = 2s\n"
                "job_timeout = 5s\ncache_ttl = 2s\npoll_interval = 1s\nmax_rps = %d\n"
                % (fake.url, max(1, max_rps // 3)))

    def owns(self, profile):
        return profile == "zstack"

    def bucket(self, rng):
        return rng.choice(["imagestore-local", "imagestore-dr", "no-such-storage"])

    def expected_sha256(self, path):
        return None

    def recorded(self, fake, action):
        endpoint = "creates" if action == "mkdir" else "exports"
        return len(fake.control("GET", endpoint)[endpoint])


def available(root):
    """Every provider whose emulator is in the tree."""
    return [Ncloud(), Huawei(), Zstack()]
