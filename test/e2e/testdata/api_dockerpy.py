"""docker-py (python3-docker) against `selkie system service`: containers,
images, networks, exec and logs. Exits non-zero with a message on the first
failure. DOCKER_HOST and IMAGE come from the environment."""
import os
import sys

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
print("docker-py OK")
