"""Run one container command the way a pod would, on this machine, without a container engine.

A private mount namespace (`unshare -m`) gets a fresh root: a tmpfs holding read-only binds of
the system (`/usr`, `/etc`, `/dev`, `/proc`, `/sys`), the image's `/app` folder read-only, its
virtualenv read-only, and the pod's volumes (the `/tmp` emptyDir, the model-store claim) as the
only writable folders. The command is started there with `chroot` and `setpriv` as the pod's
numeric uid/gid, with no capabilities, no new privileges and only the pod's environment
(`env -i`). Writing anywhere else fails in the kernel with the container path in the message.
Programs of Debian packages the pod's image does not install (`image.HIDEABLE`, e.g. git) are
hidden from its `/usr/bin` by an overlay of whiteouts: they are absent, as in the image.
Needs root (for the mount namespace), as in CI.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError

_SYSTEM = ("usr", "etc", "dev", "proc", "sys")
_LINKS = {"bin": "usr/bin", "lib": "usr/lib", "lib64": "usr/lib64", "sbin": "usr/sbin"}


@dataclass(frozen=True)
class Pod:
    """One container to start: what it sees at which path, who it is, what it runs."""

    root: Path  # an empty host folder that becomes the container's `/`
    readonly: Mapping[str, Path]  # container path -> host folder
    writable: Mapping[str, Path]  # container path -> host folder (volumes)
    uid: int
    gid: int
    workdir: str
    env: Mapping[str, str]
    argv: Sequence[str]
    hidden: Sequence[str] = ()  # /usr/bin/... programs the image does not have


def _hide(pod: Pod) -> list[str]:
    """Whiteouts (char 0:0) in a private tmpfs, overlaid on the pod's read-only /usr/bin."""
    if not pod.hidden:
        return []
    mask = shlex.quote(f"{pod.root}.hidden")
    lines = [f"mkdir -p {mask}", f"mount -t tmpfs -o mode=755 tmpfs {mask}"]
    for program in pod.hidden:
        if not program.startswith("/usr/bin/") or "/" in program[len("/usr/bin/") :]:
            raise WorkbenchError(f"{program}: only programs in /usr/bin can be hidden")
        lines.append(f"mknod {mask}/{shlex.quote(program.rsplit('/', 1)[1])} c 0 0")
    usr_bin = shlex.quote(f"{pod.root}/usr/bin")
    lines.append(f"mount -t overlay overlay -o lowerdir={mask}:/usr/bin {usr_bin}")
    return lines


def script(pod: Pod) -> str:
    """The shell script run inside the new mount namespace (as root, before dropping to uid)."""
    r = shlex.quote(str(pod.root))
    lines = ["set -e", f"mount -t tmpfs -o mode=755 tmpfs {r}"]
    for name in _SYSTEM:
        lines += [f"mkdir -p {r}/{name}", f"mount --rbind /{name} {r}/{name}"]
    lines += [f"mount -o remount,bind,ro {r}/{n}" for n in ("usr", "etc")]
    lines += _hide(pod)
    lines += [f"ln -s {target} {r}/{link}" for link, target in _LINKS.items()]
    mounts = [(path, host, True) for path, host in pod.readonly.items()]
    mounts += [(path, host, False) for path, host in pod.writable.items()]
    for path, host, ro in sorted(mounts, key=lambda m: m[0].count("/")):
        dest = shlex.quote(f"{pod.root}{path}")
        lines += [f"mkdir -p {dest}", f"mount --bind {shlex.quote(str(host))} {dest}"]
        if ro:
            lines.append(f"mount -o remount,bind,ro {dest}")
    env = [f"{k}={v}" for k, v in sorted(pod.env.items())]
    command = [
        "chroot", str(pod.root), "/usr/bin/setpriv",
        f"--reuid={pod.uid}", f"--regid={pod.gid}", "--clear-groups", "--no-new-privs",
        "--inh-caps=-all", "--bounding-set=-all",
        "/usr/bin/env", "-i", "-C", pod.workdir, *env, *pod.argv,
    ]  # fmt: skip
    lines.append("exec " + shlex.join(command))
    return "\n".join(lines) + "\n"


def start(pod: Pod, log: Path) -> subprocess.Popen[bytes]:
    """Start the pod's command; stdout and stderr go to `log`, like `kubectl logs`."""
    if os.geteuid() != 0:
        raise WorkbenchError(
            "the rehearsal needs root for its mount namespace (CI runs as root); "
            "run it with sudo or in CI"
        )
    pod.root.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        return subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script(pod)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
            start_new_session=True,
        )
