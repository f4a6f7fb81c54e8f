#!/usr/bin/env python3
"""Build local stand-ins for the official ``python:X.Y-slim`` images, for tests and the demo (no registry).

    .venv/bin/python scripts/base_image.py 3.7 2.7      # prints one image name per line

Each stand-in is a Debian root file system made by ``debootstrap --variant=minbase`` (with the shared
libraries CPython's extension modules load) plus an interpreter of version X.Y found on this machine by
exhume's own discovery, copied into /usr/local as the official images have it. Names are our own
(``exhume-local/python:X.Y-slim``), never an official one.

Two layers, both cached:
- the root file system: a tarball under ``<exhume cache>/base/`` (kept across engines and data roots), imported
  once as ``exhume-local/debian:<suite>-minbase-<recipe hash>``;
- the interpreter: an image built FROM that, labelled ``exhume.base-recipe=<hash>`` (a hash of the root file
  system's recipe, this script's interpreter recipe and the interpreter's version); with such an image
  present, nothing is done.

The Debian mirror is the one this machine's apt uses (``--mirror`` or ``EXHUME_DEBIAN_MIRROR`` override it).
Needs root (debootstrap) and a running engine (``scripts/engine.sh up``). Exit codes: 0 built or found,
2 bad usage or no interpreter, 5 engine or build failure.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from exhume.engines.engine import DockerEngine
from exhume.errors import BuildFailed, EngineUnavailable, ExhumeError, ExitCode
from exhume.index import default_cache_dir
from exhume.toolenv.interpreters import Interpreter, default_strategies, find_interpreter, parse_python
from exhume.toolenv.venvs import file_lock

log = logging.getLogger("base_image")

SUITE = "bookworm"
TAG_TEMPLATE = "exhume-local/python:{python}-slim"
# What CPython's extension modules and common wheels load at run time (ldd of the lib-dynload modules of
# the 2.7-3.13 builds on this kind of machine), plus what the official slim images carry.
INCLUDE = (
    "ca-certificates",
    "libbz2-1.0",
    "libexpat1",
    "libffi8",
    "libgomp1",
    "libncursesw6",
    "libnsl2",
    "libreadline8",
    "libsqlite3-0",
    "libssl3",
    "libstdc++6",
    "libuuid1",
    "liblzma5",
    "netbase",
    "tzdata",
    "zlib1g",
)
# Bump when the way a root file system or an interpreter layer is made changes, so caches are not reused.
ROOTFS_FORMAT = 1
PYTHON_FORMAT = 3  # 3: the stand-in carries the host trust store
# Kept from the interpreter's site-packages: what the official images ship. Everything else is this
# machine's, and would leak into every image.
KEEP_SITE = re.compile(
    r"(pip|setuptools|wheel|pkg_resources|_distutils_hack)([-.].*)?|distutils-precedence\.pth|easy_install\.py"
    r"|README(\.txt)?",
    re.IGNORECASE,
)
KEEP_BIN = re.compile(
    r"(python|pip|pydoc|idle|2to3|easy_install|pyvenv|wheel)(\d+(\.\d+)?m?)?(-\d+(\.\d+)?)?(-config|-gdb\.py)?"
)
DROP_DIRS = {"test", "tests", "idle_test"}
ENV_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
VERIFY = (
    "import ssl, sqlite3, ctypes, zlib, bz2, json, hashlib, uuid, readline, decimal, sys\n"
    "if sys.version_info[0] >= 3: import lzma\n"
    "print('ok %d.%d.%d' % sys.version_info[:3])\n"
)


class BaseImageError(ExhumeError):
    """A stand-in base image could not be made."""

    exit_code = ExitCode.BUILD


def cache_dir() -> Path:
    """``<exhume cache>/base``: root file system tarballs."""
    return default_cache_dir().parent / "base"


def digest(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


# -- the Debian mirror this machine uses -----------------------------------------------------------------


def apt_mirror(suite: str, *, etc: Path = Path("/etc")) -> str:
    """The Debian archive URI this machine's apt sources name (deb822 ``*.sources`` first, then
    ``sources.list``), preferring an entry for ``suite`` and never a security or updates pocket. ``etc``
    is for tests."""
    found: list[tuple[int, str]] = []
    for path in sorted((etc / "apt" / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text(encoding="utf-8", errors="replace")):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                key, sep, value = line.partition(":")
                if sep and not line.startswith((" ", "\t", "#")):
                    fields[key.strip().lower()] = value.strip()
            if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "").split():
                continue
            suites = fields.get("suites", "").split()
            for uri in fields.get("uris", "").split():
                found.extend(_rank(uri, s, suite) for s in suites)
    lists = [etc / "apt" / "sources.list", *sorted((etc / "apt" / "sources.list.d").glob("*.list"))]
    for path in lists:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
            if len(line) >= 3 and line[0] == "deb":
                found.append(_rank(line[1], line[2], suite))
    usable = sorted((rank, uri) for rank, uri in found if rank < 9)
    if not usable:
        raise BaseImageError(
            "cannot find a Debian mirror in this machine's apt sources",
            hint="pass --mirror URL (or set EXHUME_DEBIAN_MIRROR)",
        )
    return usable[0][1].rstrip("/")


def _rank(uri: str, suite: str, wanted: str) -> tuple[int, str]:
    if "security" in uri or "security" in suite or suite.endswith(("-updates", "-backports")):
        return 9, uri
    return (0 if suite == wanted else 1), uri


# -- the root file system --------------------------------------------------------------------------------


def rootfs_recipe(suite: str) -> dict[str, object]:
    return {"format": ROOTFS_FORMAT, "suite": suite, "variant": "minbase", "include": sorted(INCLUDE)}


def rootfs_tarball(suite: str, mirror: str | None) -> Path:
    """The cached root file system tarball for ``suite``, made with debootstrap when missing."""
    key = digest(rootfs_recipe(suite))
    tarball = cache_dir() / f"{suite}-minbase-{key}.tar"
    with file_lock(cache_dir() / f".{key}.lock"):
        if tarball.is_file():
            log.info("root file system cached: %s", tarball)
            return tarball
        if os.geteuid() != 0:
            raise BaseImageError("debootstrap needs root", hint="run as root (CI does)")
        if shutil.which("debootstrap") is None:
            raise BaseImageError("debootstrap is not installed", hint="scripts/engine.sh up installs it")
        mirror = mirror or os.environ.get("EXHUME_DEBIAN_MIRROR") or apt_mirror(suite)
        started = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix="exhume-rootfs-", dir="/var/tmp"))
        root = tmp / "root"
        try:
            argv = ["debootstrap", "--variant=minbase", "--include=" + ",".join(sorted(INCLUDE)), suite, str(root)]
            log.info("debootstrap %s (minbase + %d packages)", suite, len(INCLUDE))
            proc = subprocess.run([*argv, mirror], capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
                raise BaseImageError(f"debootstrap failed (exit {proc.returncode})\n{tail}")
            _trim_rootfs(root)
            partial = tarball.with_suffix(".tar.partial")
            subprocess.run(
                ["tar", "--numeric-owner", "-C", str(root), "--exclude=./dev/*", "--exclude=./proc/*",
                 "--exclude=./sys/*", "-cf", str(partial), "."],
                check=True,
            )  # fmt: skip
            partial.replace(tarball)
        finally:
            # debootstrap mounts /proc (in some setups it binds /dev too) inside the target and can leave
            # them behind when it fails; deleting across a bind of /dev would delete the host's device
            # nodes, so nothing is deleted unless everything is unmounted (this raises otherwise).
            _unmount_under(root)
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("root file system made in %.1fs: %s", time.monotonic() - started, tarball)
        return tarball


def _unmount_under(root: Path) -> None:
    """Unmount everything mounted at or below ``root``, deepest first; raise if anything stays mounted."""
    prefix = str(root.resolve()) + "/"

    def mounted() -> list[str]:
        with open("/proc/mounts", encoding="utf-8") as fh:
            points = [line.split()[1].replace("\\040", " ") for line in fh]
        return sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True)

    for point in mounted():
        subprocess.run(["umount", point], check=False, capture_output=True)
    for point in mounted():
        subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)
    left = mounted()
    if left:
        raise BaseImageError(f"cannot unmount {', '.join(left)}; remove {root} by hand after unmounting")


def _trim_rootfs(root: Path) -> None:
    """Drop what an image should not carry: the host's resolver and host names (the engine provides
    its own), apt's downloaded lists and package cache, documentation."""
    for name in ("etc/resolv.conf", "etc/hostname", "etc/hosts"):
        (root / name).unlink(missing_ok=True)
    for pattern in ("var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb",
                    "usr/share/doc/*", "usr/share/man/*", "usr/share/info/*"):  # fmt: skip
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.name != "lock":
                path.unlink()


def rootfs_image(engine: DockerEngine, suite: str, mirror: str | None) -> str:
    """The tag of the imported root file system, imported from the cached tarball when the engine lacks it."""
    key = digest(rootfs_recipe(suite))
    tag = f"exhume-local/debian:{suite}-minbase-{key}"
    with file_lock(cache_dir() / f".{key}.image.lock"):
        if engine.image_id(tag) is not None:
            return tag
        tarball = rootfs_tarball(suite, mirror)
        started = time.monotonic()
        api = engine.client(3600)
        try:
            repository, _, version = tag.rpartition(":")
            api.import_image_from_file(str(tarball), repository=repository, tag=version)
        finally:
            api.close()
        if engine.image_id(tag) is None:
            raise BaseImageError(f"importing {tarball} did not make {tag}")
        log.info("imported %s in %.1fs", tag, time.monotonic() - started)
    return tag


# -- the interpreter -------------------------------------------------------------------------------------

_PREFIX_PROBE = (
    "import sys, sysconfig; "
    "p = getattr(sys, 'base_prefix', getattr(sys, 'real_prefix', sys.prefix)); "
    "sys.stdout.write(p + '\\n' + (sysconfig.get_config_var('LDVERSION') or sysconfig.get_config_var('VERSION')))"
)


def relocatable_interpreter(python: str) -> tuple[Interpreter, Path]:
    """An interpreter of ``python`` that lives in a prefix of its own (pyenv, uv, asdf, conda; not the
    system's /usr), found through exhume's discovery chain, and that prefix."""
    for strategy in default_strategies():
        interpreter = find_interpreter(python, strategies=[strategy])
        if interpreter is None:
            continue
        proc = subprocess.run(
            [str(interpreter.path), "-c", _PREFIX_PROBE], capture_output=True, text=True, check=False, timeout=30
        )
        prefix = Path(proc.stdout.splitlines()[0]) if proc.returncode == 0 and proc.stdout else None
        if prefix is None or str(prefix) in ("/usr", "/", "/usr/local"):
            log.info("passing over %s (prefix %s is not its own)", interpreter.path, prefix)
            continue
        if not (prefix / "lib" / f"python{python}" / "os.py").is_file():
            log.info("passing over %s (no standard library under %s)", interpreter.path, prefix)
            continue
        return interpreter, prefix
    raise ExhumeError(
        f"no Python {python} interpreter with a prefix of its own on this machine",
        hint=f"install one (pyenv install {python}) or set EXHUME_PYTHON_{python.replace('.', '_')}",
    )


def _kept(prefix: Path, python: str) -> Iterator[Path]:
    """The paths of ``prefix``'s bin, lib and include that go into the image, sorted, directories before
    their contents: test suites, static libraries, this machine's extra site-packages and console scripts
    are left out."""
    site = prefix / "lib" / f"python{python}" / "site-packages"
    for part in ("bin", "lib", "include"):
        top = prefix / part
        if not top.is_dir():
            continue
        yield top
        for directory, dirnames, filenames in os.walk(top):
            here = Path(directory)
            names = sorted(dirnames + filenames)
            dirnames[:] = []
            for name in names:
                path = here / name
                is_dir = path.is_dir() and not path.is_symlink()
                if (is_dir and name in DROP_DIRS) or (name.startswith("libpython") and name.endswith(".a")):
                    continue
                if (here == site and not KEEP_SITE.fullmatch(name)) or (
                    here == top and part == "bin" and not KEEP_BIN.fullmatch(name)
                ):
                    continue
                yield path
                if is_dir:
                    dirnames.append(name)
            dirnames.sort()


def interpreter_layer(prefix: Path, python: str, out: Path) -> None:
    """Write ``out``, a tar of the interpreter in ``prefix`` as it is to sit in /usr/local (owned by root):
    the kept files of :func:`_kept`, text files naming the old prefix rewritten to /usr/local, absolute
    links into the prefix made relative, and the python/pip links the official images have."""
    old = str(prefix).encode()
    names: set[str] = set()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in _kept(prefix, python):
            rel = path.relative_to(prefix)
            info = tar.gettarinfo(str(path), arcname=f"usr/local/{rel}")
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            names.add(str(rel))
            if info.issym() and info.linkname.startswith(str(prefix) + "/"):
                info.linkname = os.path.relpath(info.linkname, str(path.parent))
            if not info.isreg():
                tar.addfile(info)
                continue
            data = path.read_bytes()
            # Scripts' shebangs, sysconfig data, Makefile, pkg-config files; binaries keep their RPATH (the
            # loader falls back to ld.so.cache, which the image's ldconfig fills).
            if old in data and b"\0" not in data:
                data = data.replace(old, b"/usr/local")
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        major = python.split(".", maxsplit=1)[0]
        # In order: a link may point at the one made before it.
        links = {f"python{major}": f"python{python}", "python": f"python{major}"}
        links |= {f"pip{major}": f"pip{python}", "pip": f"pip{major}"}
        for name, pointee in links.items():
            if f"bin/{name}" not in names and f"bin/{pointee}" in names:
                info = tarfile.TarInfo(f"usr/local/bin/{name}")
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, pointee, 0o777
                tar.addfile(info)
                names.add(f"bin/{name}")


def python_image(
    engine: DockerEngine, python: str, *, suite: str, mirror: str | None, template: str, force: bool = False
) -> str:
    """The stand-in image for ``python``: found by its recipe label, or built now."""
    interpreter, prefix = relocatable_interpreter(python)
    trust = host_ca_bundle()
    recipe = {
        "rootfs": rootfs_recipe(suite),
        "format": PYTHON_FORMAT,
        "python": str(interpreter.version),
        "prefix": str(prefix),
        "trust": digest(trust.read_bytes().decode("utf-8", "replace")) if trust else None,
    }
    key = digest(recipe)
    tag = template.format(python=python)
    with file_lock(cache_dir() / f".python-{python}.lock"):
        api = engine.client(600)
        try:
            # Images built FROM a stand-in inherit its labels; exhume's own Dockerfiles add exhume.version, so
            # only an image without it is the stand-in itself.
            found = [
                image["Id"]
                for image in api.images(filters={"label": f"exhume.base-recipe={key}"})
                if "exhume.version" not in (image.get("Labels") or {})
            ]
            if found and not force:
                repository, _, version = tag.rpartition(":")
                api.tag(found[0], repository, version)
                log.info("%s: up to date (recipe %s)", tag, key)
                return tag
        finally:
            api.close()
        base = rootfs_image(engine, suite, mirror)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="exhume-base-", dir="/var/tmp") as tmp:
            context = Path(tmp)
            layer_started = time.monotonic()
            interpreter_layer(prefix, python, context / "python.tar")
            log.debug("interpreter layer written in %.1fs", time.monotonic() - layer_started)
            major = python.split(".", maxsplit=1)[0]
            trust_lines = []
            if trust is not None:
                # The stand-in trusts what this machine trusts (a proxy's own CA included), so that pip inside
                # builds reaches the index the way the host does; pip's vendored certifi would not know it.
                shutil.copyfile(trust, context / "ca-certificates.crt")
                bundle = "/etc/ssl/certs/ca-certificates.crt"
                trust_lines = [
                    f"COPY ca-certificates.crt {bundle}",
                    f"ENV PIP_CERT={bundle} SSL_CERT_FILE={bundle} REQUESTS_CA_BUNDLE={bundle}",
                ]
            (context / "Dockerfile").write_text(
                "\n".join(
                    [
                        f"FROM {base}",
                        "ADD python.tar /",
                        *trust_lines,
                        f"ENV PATH={ENV_PATH} LANG=C.UTF-8",
                        "RUN ldconfig && python --version",
                        f'LABEL exhume.base-recipe="{key}" exhume.python="{interpreter.version}" '
                        f'exhume.debian="{suite}"',
                        f'CMD ["python{major}"]',
                        "",
                    ]
                ),
                encoding="utf-8",
            )
            engine.build(context, tag=tag, timeout=1800)
        _prune(engine)
        log.info("%s: built from %s in %.1fs", tag, interpreter.path, time.monotonic() - started)
        return tag


def host_ca_bundle() -> Path | None:
    """The certificate bundle this machine's pip and Python trust: PIP_CERT, SSL_CERT_FILE or
    REQUESTS_CA_BUNDLE when set, else Debian's bundle; None when there is none."""
    for name in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return Path(value)
    default = Path("/etc/ssl/certs/ca-certificates.crt")
    return default if default.is_file() else None


def _prune(engine: DockerEngine) -> None:
    """Remove our stand-ins that a rebuild left without a name (best effort: one in use stays)."""
    import docker

    api = engine.client(600)
    try:
        for image in api.images(filters={"dangling": True, "label": "exhume.base-recipe"}):
            if "exhume.version" in (image.get("Labels") or {}):
                continue  # an image built FROM a stand-in (it inherits the label): not ours to remove
            with contextlib.suppress(docker.errors.APIError):
                api.remove_image(image["Id"])
    finally:
        api.close()


def verify(engine: DockerEngine, tag: str) -> str:
    """Import the modules that need the root file system's libraries, with the network off; the
    ``ok X.Y.Z`` line it printed. Raises :class:`BaseImageError` with the output otherwise."""
    result = engine.run(tag, ["python", "-c", VERIFY], timeout=120)
    if not result.ok:
        raise BaseImageError(f"{tag} does not work (exit {result.exit_code}):\n{result.output.strip()}")
    return result.output.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("python", nargs="+", help="versions X.Y")
    parser.add_argument("--suite", default=SUITE, help="Debian release of the root file system (default %(default)s)")
    parser.add_argument("--mirror", help="Debian archive URI (default: the one this machine's apt uses)")
    parser.add_argument("--tag-template", default=TAG_TEMPLATE, help="image name (default %(default)s)")
    parser.add_argument("--no-verify", action="store_true", help="skip the import check in each image")
    parser.add_argument("--force", action="store_true", help="rebuild the interpreter layer even when up to date")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="base_image: %(message)s")
    for name in ("base_image", "exhume"):
        logging.getLogger(name).setLevel(logging.DEBUG if args.verbose else logging.INFO)
    if not args.tag_template.startswith("exhume-local/"):
        print("base_image: stand-ins must have a local name of our own (exhume-local/...)", file=sys.stderr)
        return 2
    engine = DockerEngine()
    try:
        for python in args.python:
            parse_python(python)
            tag = python_image(
                engine, python, suite=args.suite, mirror=args.mirror, template=args.tag_template, force=args.force
            )
            if not args.no_verify:
                try:
                    log.info("%s: %s", tag, verify(engine, tag))
                except BaseImageError:
                    engine.remove_image(tag)  # so that the next run builds it again instead of trusting it
                    raise
            print(tag, flush=True)
    except (EngineUnavailable, BuildFailed, BaseImageError) as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except ExhumeError as exc:
        print(exc.render(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
