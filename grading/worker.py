"""The submission's side of the wall: runs the student's code, answers calls with plain data.

This module runs *inside* the sandbox, in a fresh interpreter started by :mod:`grading.sandbox`. It never
decides anything: it executes the cells it is given (read-only cells as released, the student's answer and
added cells) in an IPython shell, reports which ones raised, then serves requests ``{"id", "op": "call" |
"get", "name", "args", "kwargs"}`` by calling the student's functions and sending back what they returned,
encoded by :mod:`grading.wire`. Whatever the student's code does to this process (patch numpy, register
input transformers, install exception handlers, redefine ``check``) stays in this process, whose only
output the judge reads is the return values of the requested calls.

Protocol: requests arrive on the original stdin, replies leave on the original stdout; both are moved to
private descriptors first, and the student's ``print`` goes to stderr.
"""
import os
import sys
import traceback


def _describe(exc):
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 2000 else text[:2000] + " [...]"


def main(drop_to=None, nproc=None):
    """Serve the judge; ``drop_to``: become this user id first (when started as root); ``nproc``: process cap."""
    if drop_to is not None:
        os.setgroups([])
        os.setgid(drop_to)
        os.setuid(drop_to)  # also clears every capability
    if nproc is not None:
        import resource

        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    os.dup2(2, 1)  # the student's prints go to stderr, which the grader only shows in the report
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)

    from grading import wire  # noqa: E402 (after the descriptors are safe)

    decoder = wire.Decoder(namedtuples=True, functions=True)

    def send(value):
        try:
            frame = wire.encode(value)
        except wire.WireError as err:
            frame = wire.encode({"id": value.get("id"), "error": f"the grader cannot read what it returned: {err}"})
        replies.write(frame)

    program = wire.read_frame(requests, decoder)

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.user_ns["__name__"] = "__main__"

    for index, (label, code) in enumerate(program["cells"]):
        send({"cell": index, "label": label, "started": True})
        try:
            result = shell.run_cell(code, store_history=False)
            error = result.error_before_exec or result.error_in_exec
            message = _describe(error) if error is not None else None
        except BaseException as exc:  # noqa: BLE001 (the student's code may raise anything)
            message = _describe(exc)
        send({"cell": index, "label": label, "error": message})
    send({"ready": True})

    while True:
        try:
            request = wire.read_frame(requests, decoder)
        except EOFError:
            return
        rid, name = request.get("id"), request.get("name")
        try:
            if name not in shell.user_ns:
                raise NameError(f"your notebook does not define {name}")
            target = shell.user_ns[name]
            if request.get("op") == "get":
                value = target
            else:
                value = target(*request.get("args", ()), **request.get("kwargs", {}))
            reply = {"id": rid, "value": value}
        except BaseException as exc:  # noqa: BLE001
            tb = traceback.extract_tb(exc.__traceback__)
            where = next((f" (line {f.lineno} of your cell)" for f in reversed(tb) if f.filename.startswith("<")), "")
            reply = {"id": rid, "error": _describe(exc) + where}
        send(reply)


if __name__ == "__main__":
    sys.exit(main())
