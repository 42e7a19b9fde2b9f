"""Flag answer cells that are near-copies of ``companion``'s own source (flag only: the instructor decides).

Each function a student's answer cell defines is compared, as a sequence of Python tokens with comments,
docstrings, names of local variables and layout dropped, with every function and method of ``companion``;
a match of at least ``THRESHOLD`` (difflib's ratio) over at least ``MIN_TOKENS`` tokens is reported. Renaming
variables, reformatting or deleting comments does not hide a copy; a short function that can only be
written one way is not flagged.
"""
from __future__ import annotations

import ast
import difflib
import functools
import io
import keyword
import tokenize
from pathlib import Path

THRESHOLD = 0.9  # our threshold: the instructor's solutions score at most 0.82 (the GRU backward step)
MIN_TOKENS = 40


def _tokens(source):
    """Tokens of a function's code: names other than keywords become ``N``, strings ``S``."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER):
                continue
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                out.append("N")
            elif tok.type == tokenize.STRING:
                out.append("S")
            else:
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    return out


def _functions(source):
    """(qualified name, tokens of the body without its docstring) of every function in ``source``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out = []

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stmts = node.body
                if stmts and isinstance(stmts[0], ast.Expr) and isinstance(getattr(stmts[0], "value", None),
                                                                            ast.Constant):
                    stmts = stmts[1:]
                code = "\n".join(ast.unparse(s) for s in stmts)
                out.append((f"{prefix}{node.name}", _tokens(code)))
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return out


@functools.lru_cache(maxsize=1)
def _companion_functions():
    import companion

    root = Path(companion.__file__).parent
    out = []
    for path in sorted(root.rglob("*.py")):
        module = "companion." + ".".join(path.relative_to(root).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for name, tokens in _functions(path.read_text(encoding="utf-8")):
            if len(tokens) >= MIN_TOKENS // 2:
                out.append((f"{module}.{name}", tokens))
    return out


def near_copies(answers, threshold=THRESHOLD):
    """``[{"cell", "function", "companion", "ratio"}]`` for the answer cells' near-copies of companion."""
    found = []
    for grade_id, source in answers.items():
        for name, tokens in _functions(source):
            if len(tokens) < MIN_TOKENS:
                continue
            best, best_ratio = None, 0.0
            for ref_name, ref_tokens in _companion_functions():
                matcher = difflib.SequenceMatcher(None, tokens, ref_tokens, autojunk=False)
                if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                    continue
                ratio = matcher.ratio()
                if ratio > best_ratio:
                    best, best_ratio = ref_name, ratio
            if best is not None and best_ratio >= threshold:
                found.append({"cell": grade_id, "function": name, "companion": best, "ratio": round(best_ratio, 3)})
    return found
