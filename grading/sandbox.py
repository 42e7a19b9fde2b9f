"""The process a submission runs in: bubblewrap, resource limits, and a ``companion`` with its answers withheld.

``bwrap`` mode (the default; Debian's ``bubblewrap``) starts the submission's interpreter in new namespaces
(pid, network, ipc, uts, cgroup; user too unless the grader is root) as user ``nobody``, with a filesystem made of read-only binds of
the system (``/usr``), the Python installation and its virtual environment, and the grader's library
folder (the worker, and a copy of ``companion`` whose withheld functions only raise), over an empty root:
the course folder, the gradebook, other submissions and the instructor's home do not exist in there.
``/tmp`` is a small private tmpfs, the network namespace has no interfaces, the pid namespace hides the
grader (``os.getppid()`` is the sandbox's own init) and ``--die-with-parent`` plus the pid namespace mean
that everything the submission started dies with it. ``prlimit`` caps address space, CPU seconds, processes,
open files and file size; the worker caps the number of processes.

``none`` mode (``--no-sandbox``, for machines without bubblewrap, e.g. macOS) keeps the memory, CPU and file
limits (not the process limit), the fresh
process, a private session and working folder, the cleared environment and the withheld ``companion``, but
the submission can read whatever the grader's user can read, reach the network, and a process it detaches
into a new session can outlive grading. ``book/instructors.md`` says so.
"""
from __future__ import annotations

import ast
import compileall
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

LIB_MOUNT = "/opt/grading/lib"  # where the library folder appears inside the sandbox
WORKER_MODULES = ("__init__.py", "wire.py", "worker.py")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


def bwrap_path():
    return shutil.which("bwrap")


def check_bwrap():
    """Raise :class:`SandboxUnavailable` unless ``bwrap`` can start a process in new namespaces."""
    path = bwrap_path()
    if path is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`, or grade "
                                 "without the sandbox with --no-sandbox (see book/instructors.md)")
    proc = subprocess.run([path, *_namespaces(), "--die-with-parent", "--ro-bind", "/", "/", "true"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SandboxUnavailable(f"bwrap cannot create a sandbox here: {proc.stderr.strip()}")


# --------------------------------------------------------------------------------------------------
# companion with the assignment's answers withheld

def _resolve(entry):
    """``companion.lstm.LSTM.forward`` -> (module, file, ["LSTM", "forward"])."""
    parts = entry.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if module_name.split(".")[0] != "companion":
            break
        return module_name, Path(module.__file__), parts[cut:]
    raise ValueError(f"withheld entry {entry!r} does not name a function of companion")


def _withhold_in_tree(tree, qualname, entry):
    body, node = tree.body, None
    for depth, name in enumerate(qualname):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == name), None)
        if node is None:
            raise ValueError(f"withheld entry {entry!r}: {'.'.join(qualname[:depth + 1])} is not defined in "
                             "its module's source (an inherited method must be withheld where it is defined)")
        body = node.body
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ValueError(f"withheld entry {entry!r} is not a function or method")
    message = f"{entry} is withheld while grading: this assignment asks you to write it yourself"
    node.body = [ast.Raise(exc=ast.Call(func=ast.Name("NotImplementedError", ast.Load()),
                                        args=[ast.Constant(message)], keywords=[]), cause=None)]


def build_lib(folder, withheld):
    """Write the sandbox's library folder: ``grading``'s worker modules and a withheld ``companion``.

    Parameters
    ----------
    folder : Path
        An empty folder (one per assignment and grading run).
    withheld : list of str
        Dotted names of the functions and methods to withhold (``companion.lstm.lstm_step_forward``).

    Returns
    -------
    Path
        ``folder``, now holding ``companion/`` and ``grading/``.
    """
    import companion

    folder = Path(folder)
    package = Path(companion.__file__).parent
    target = folder / "companion"
    shutil.copytree(package, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    edits = {}
    for entry in withheld:
        module_name, path, qualname = _resolve(entry)
        rel = path.resolve().relative_to(package.resolve())
        if rel not in edits:
            edits[rel] = ast.parse((target / rel).read_text(encoding="utf-8"))
        _withhold_in_tree(edits[rel], qualname, entry)
    for rel, tree in edits.items():
        (target / rel).write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n", encoding="utf-8")
    (folder / "grading").mkdir()
    here = Path(__file__).parent
    for name in WORKER_MODULES:
        text = (here / name).read_text(encoding="utf-8") if name != "__init__.py" else \
            '"""The grader\'s worker modules, as the sandbox sees them."""\n'
        (folder / "grading" / name).write_text(text, encoding="utf-8")
    compileall.compile_dir(str(folder), quiet=1, workers=1)
    for path in [folder, *folder.rglob("*")]:  # readable by the sandbox's user, nobody
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


# --------------------------------------------------------------------------------------------------
# command lines

def _namespaces():
    """bwrap's namespace options: as root, no user namespace (the worker then drops to ``nobody`` itself).

    The kernel never applies ``RLIMIT_NPROC`` to processes of the real root user, and a user namespace
    created by root maps ``nobody`` inside to root outside; so a grader running as root starts the
    sandbox without a user namespace, lets it keep only CAP_SETUID/CAP_SETGID, and the worker becomes the
    real user ``nobody`` (all capabilities gone) before any student code runs. An unprivileged grader
    uses a user namespace, in which the process limit counts only the sandbox's own processes.
    """
    if os.geteuid() == 0:
        return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return ["--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]


NOBODY = 65534


def _limits(limits):
    """prlimit's options (the process limit is set by the worker, inside: see :func:`_namespaces`)."""
    mb = int(limits["memory_mb"]) * 2**20
    return ["prlimit", f"--as={mb}", f"--cpu={int(limits['cpu_seconds'])}", "--nofile=256",
            f"--fsize={int(limits['file_mb']) * 2**20}", "--core=0", "--"]


def _worker_argv(lib, drop_to=None, nproc=None):
    code = (f"import sys; sys.path.insert(0, {str(lib)!r}); "
            f"from grading.worker import main; main(drop_to={drop_to!r}, nproc={nproc!r})")
    return [sys.executable, "-I", "-c", code]


def _environment(home, lib):
    return {
        "HOME": home, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.matplotlib", "IPYTHONDIR": f"{home}/.ipython",
        "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp",
        **({"OPENBLAS_CORETYPE": os.environ["OPENBLAS_CORETYPE"]} if "OPENBLAS_CORETYPE" in os.environ else {}),
    }


def _system_binds():
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
                 "/etc/localtime", "/etc/nsswitch.conf"):
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    prefixes = []
    for prefix in {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix}:
        if not prefix.startswith("/usr/"):
            prefixes.append(prefix)
    for prefix in sorted(prefixes):
        args += _parents(prefix) + ["--ro-bind", prefix, prefix]
    return args


def _parents(path):
    """Create the folders above a bind point readable by all (bwrap's default is 0700, closed to nobody)."""
    parts = Path(path).parts[1:-1]
    folders = ["/" + "/".join(parts[:i + 1]) for i in range(len(parts))]
    return [a for f in folders if f != "/tmp" for a in ("--perms", "0755", "--dir", f)]


def command(lib, limits, mode="bwrap", workdir=None):
    """The argv that starts the worker in the sandbox (``mode="bwrap"``) or in the weak mode (``"none"``).

    Returns ``(argv, env, cwd)`` for :class:`subprocess.Popen` (with ``start_new_session=True``).
    """
    if mode == "bwrap":
        home = "/tmp/home"
        env = _environment(home, LIB_MOUNT)
        argv = _limits(limits) + [
            bwrap_path() or "bwrap", *_namespaces(), "--die-with-parent", "--new-session", "--hostname", "sandbox",
            "--proc", "/proc", "--dev", "/dev",
            # the private /tmp first: a virtual environment under /tmp is bound on top of it, not hidden by it
            "--perms", "1777", "--size", str(int(limits["file_mb"]) * 2**20), "--tmpfs", "/tmp",
            "--perms", "0777", "--dir", home,
            *_system_binds(),
            *_parents(LIB_MOUNT), "--ro-bind", str(lib), LIB_MOUNT,
            "--chdir", "/tmp",
            "--clearenv", *[a for k, v in env.items() for a in ("--setenv", k, v)],
            *_worker_argv(LIB_MOUNT, NOBODY if os.geteuid() == 0 else None, int(limits["processes"])),
        ]
        return argv, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, None
    if mode == "none":
        home = str(Path(workdir) / "home")
        os.makedirs(home, exist_ok=True)
        return _limits(limits) + _worker_argv(lib), _environment(home, str(lib)), str(workdir)
    raise ValueError(f"mode must be 'bwrap' or 'none'; got {mode!r}")
