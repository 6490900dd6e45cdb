"""docker-py (python3-docker) against `selkie system service`: containers,
images, volumes, networks, exec and logs. Exits non-zero with a message on the first
failure. DOCKER_HOST and IMAGE come from the environment."""
import io
import os
import sys
import tarfile
import time

import docker

IMAGE = os.environ["IMAGE"]
c = docker.from_env(version="auto", timeout=120)


def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)


check(c.ping(), "ping")
v = c.version()
check(v["ApiVersion"] >= "1.44", "api version %r" % v["ApiVersion"])
info = c.info()
check(info["Images"] >= 1, "info images %r" % info["Images"])

img = c.images.get(IMAGE)
check(IMAGE in img.tags, "image tags %r" % img.tags)
check(any(IMAGE in i.tags for i in c.images.list()), "images.list")

# run to completion, output captured
out = c.containers.run(IMAGE, ["sh", "-c", "echo hello-py"], network_mode="none", remove=True)
check(out == b"hello-py\n", "run output %r" % out)

# a failing command raises ContainerError with the exit status
try:
    c.containers.run(IMAGE, ["sh", "-c", "exit 3"], network_mode="none", remove=True)
    check(False, "ContainerError not raised")
except docker.errors.ContainerError as e:
    check(e.exit_status == 3, "exit status %r" % e.exit_status)

# detached container: labels, logs, exec, stop, remove
ctr = c.containers.run(IMAGE, ["sh", "-c", "echo started; exec sleep 1000"], detach=True,
                       name="pyctr", labels={"py": "yes"}, network_mode="none")
ctr.reload()
check(ctr.status == "running", "status %r" % ctr.status)
check(ctr.labels.get("py") == "yes", "labels %r" % ctr.labels)
listed = c.containers.list(filters={"label": "py=yes"})
check([x.id for x in listed] == [ctr.id], "list by label %r" % listed)
res = ctr.exec_run(["sh", "-c", "echo in-exec; exit 4"])
check(res.exit_code == 4 and res.output == b"in-exec\n", "exec_run %r" % (res,))
res = ctr.exec_run(["sh", "-c", "echo out; echo err >&2"], demux=True)
check(res.output == (b"out\n", b"err\n"), "exec demux %r" % (res.output,))
logs = ctr.logs()
check(logs == b"started\n", "logs %r" % logs)
top = ctr.top()
check(len(top["Processes"]) >= 1, "top %r" % top)
ctr.stop(timeout=0)
ctr.reload()
check(ctr.status == "exited", "status after stop %r" % ctr.status)
ctr.remove()
try:
    c.containers.get("pyctr")
    check(False, "container still there after remove")
except docker.errors.NotFound:
    pass

# errors map to docker-py's exception types
try:
    c.containers.get("no-such-container")
    check(False, "NotFound not raised")
except docker.errors.NotFound:
    pass
try:
    c.images.get("localhost/no-such-image:latest")
    check(False, "ImageNotFound not raised")
except docker.errors.ImageNotFound:
    pass

# networks
net = c.networks.create("pynet", labels={"py": "net"})
check(any(n.name == "pynet" for n in c.networks.list()), "networks.list")
check(c.networks.get("pynet").id == net.id, "networks.get")
net.remove()

# tag and remove a tag
img.tag("localhost/pytag", "v1")
check("localhost/pytag:v1" in c.images.get(IMAGE).tags, "tag")
c.images.remove("localhost/pytag:v1")
# container verbs: wait with a condition, rename, update, pause, kill,
# restart, stats (one-shot and streamed), diff, export, archives
w = c.containers.create(IMAGE, ["sh", "-c", "echo x > /made; exec sleep 1000"], name="pyverbs",
                        network_mode="none")
w.start()
for _ in range(100):  # the file is made by the process: wait for it
    if w.exec_run(["test", "-f", "/made"]).exit_code == 0:
        break
    time.sleep(0.1)
w.rename("pyverbs2")
w.reload()
check(w.name == "pyverbs2", "rename %r" % w.name)
w.update(mem_limit="64m", memswap_limit="128m")
w.reload()
check(w.attrs["HostConfig"]["Memory"] == 64 << 20, "update memory %r" % w.attrs["HostConfig"]["Memory"])
w.pause()
w.reload()
check(w.status == "paused", "pause %r" % w.status)
w.unpause()
st = w.stats(stream=False)
check("memory_stats" in st and "cpu_stats" in st, "stats one-shot keys %r" % sorted(st))
stream = w.stats(stream=True, decode=True)
first, second = next(stream), next(stream)
check("read" in first and "read" in second, "stats stream %r" % sorted(first))
stream.close()
changes = w.diff()
check({"Path": "/made", "Kind": 1} in changes, "diff %r" % changes)
bits, stat = w.get_archive("/made")
check(stat["name"] == "made" and stat["size"] == 2, "get_archive stat %r" % stat)
tf = tarfile.open(fileobj=io.BytesIO(b"".join(bits)))
check(tf.extractfile("made").read() == b"x\n", "get_archive content")
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    data = b"put-by-py\n"
    ti = tarfile.TarInfo("put.txt")
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
check(w.put_archive("/tmp", buf.getvalue()), "put_archive")
res = w.exec_run(["cat", "/tmp/put.txt"])
check(res.output == b"put-by-py\n", "put_archive content %r" % res.output)
exported = b"".join(w.export())
names = tarfile.open(fileobj=io.BytesIO(exported)).getnames()
check("made" in names or "./made" in names, "export lacks /made (%d entries)" % len(names))
w.restart(timeout=0)
w.reload()
check(w.status == "running", "restart %r" % w.status)
w.kill(signal="SIGKILL")
r = w.wait(condition="not-running", timeout=60)
check(r["StatusCode"] == 137, "wait after kill %r" % r)
w.remove()

# logs follow: lines come as the container writes them
f = c.containers.run(IMAGE, ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done"],
                     detach=True, network_mode="none")
got = b"".join(f.logs(stream=True, follow=True))
check(got == b"line1\nline2\nline3\n", "logs follow %r" % got)
check(f.wait(timeout=60)["StatusCode"] == 0, "wait")
f.remove()

# volumes
vol = c.volumes.create("pyvol", labels={"py": "vol"})
check(c.volumes.get("pyvol").attrs["Labels"] == {"py": "vol"}, "volumes.get")
check(any(v.name == "pyvol" for v in c.volumes.list(filters={"label": "py=vol"})), "volumes.list")
out = c.containers.run(IMAGE, ["sh", "-c", "echo v > /data/f; cat /data/f"], network_mode="none",
                       volumes={"pyvol": {"bind": "/data", "mode": "rw"}}, remove=True)
check(out == b"v\n", "volume run %r" % out)
vol.remove()
c.volumes.create("pyvol-unused")
pr = c.volumes.prune()
check("pyvol-unused" in (pr.get("VolumesDeleted") or []), "volumes.prune %r" % pr)

# network connect/disconnect, prune
net = c.networks.create("pynet2")
n = c.containers.run(IMAGE, ["sleep", "1000"], detach=True, name="pynetctr", network_mode="none")
n.stop(timeout=0)
n.remove()
n = c.containers.create(IMAGE, ["sleep", "1000"], name="pynetctr")
net.connect(n)
n.reload()
check("pynet2" in n.attrs["NetworkSettings"]["Networks"], "connect %r" % n.attrs["NetworkSettings"]["Networks"])
net.disconnect(n)
n.reload()
check("pynet2" not in n.attrs["NetworkSettings"]["Networks"], "disconnect %r" % n.attrs["NetworkSettings"]["Networks"])
n.remove()
pr = c.networks.prune()
check("pynet2" in (pr.get("NetworksDeleted") or []), "networks.prune %r" % pr)

# images: history, save (images/get), prune; containers prune; system df
hist = c.images.get(IMAGE).history()
check(len(hist) >= 1 and "Created" in hist[0], "history %r" % hist)
saved = b"".join(c.images.get(IMAGE).save(named=True))
check("manifest.json" in tarfile.open(fileobj=io.BytesIO(saved)).getnames(), "save has no manifest.json")
dead = c.containers.create(IMAGE, ["true"], network_mode="none")
pr = c.containers.prune()
check(dead.id in (pr.get("ContainersDeleted") or []), "containers.prune %r" % pr)
pr = c.images.prune()
check("SpaceReclaimed" in pr, "images.prune %r" % pr)
df = c.df()
check(any(IMAGE in (i.get("RepoTags") or []) for i in df["Images"]), "df images %r" % df["Images"])
print("docker-py OK")
