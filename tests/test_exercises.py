"""Self-checking exercises: references pass, wrong answers fail helpfully, the CLI path,
and the book's stubs and solutions agree with the registry."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

import reinforce
from reinforce import exercises
from reinforce.exercises import EXERCISES, check, check_part

BOOK = Path(__file__).resolve().parents[1] / "book"
LABELS = list(EXERCISES)


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("seed", [0, exercises.SEED])
def test_every_reference_passes_its_check(label: str, seed: int) -> None:
    refs = [p.reference for p in EXERCISES[label].parts]
    assert check(label, *refs, seed=seed, verbose=False)


# ---------------------------------------------------------------- wrong answers
# One plausible mistake per function, and a word the report must contain.


def _rtg_loop_undiscounted(r: np.ndarray, gamma: float) -> np.ndarray:
    return np.cumsum(r[::-1])[::-1]  # forgets gamma


def _rmsprop_minus(theta, g, v, lr, rho, eps):  # type: ignore[no-untyped-def]
    v = rho * v + (1 - rho) * g**2
    return theta - lr * g / (np.sqrt(v) + eps), v  # descends instead of ascending


def _std_per_episode(returns):  # type: ignore[no-untyped-def]
    return [(G - G.mean()) / G.std() if G.std() > 0 else G * 0 for G in returns]


def _blame_off_by_one(length, terminated, window):  # type: ignore[no-untyped-def]
    s = np.zeros(length)
    if terminated:
        s[max(0, length - window - 1) :] = -1.0
    return s


def _naive_softmax_score(logits, actions):  # type: ignore[no-untyped-def]
    pi = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # overflows
    return np.eye(logits.shape[1])[actions] - pi


def _log_prob_no_norm(a, mu, log_std):  # type: ignore[no-untyped-def]
    z = (a - mu) / np.exp(log_std)
    return (-0.5 * z**2 - log_std).sum(axis=1)  # drops −½ log 2π


def _scores_transposed(a, mu, log_std):  # type: ignore[no-untyped-def]
    z = (a - mu) / np.exp(log_std)
    return z**2 - 1.0, z / np.exp(log_std)  # the two swapped


def _dqn_plain_max(rewards, next_q, next_q_online, terminated, gamma):  # type: ignore[no-untyped-def]
    return rewards + gamma * (~terminated) * next_q.max(axis=1)  # not Double DQN


def _td_no_terminal(rewards, values, gamma):  # type: ignore[no-untyped-def]
    return rewards + gamma * np.roll(values, -1) - values  # wraps V(s_0) round


def _gae_wrong_factor(deltas, gamma, lam):  # type: ignore[no-untyped-def]
    return reinforce.reward_to_go(deltas, lam)  # forgets gamma


def _poi_no_ties(x, y):  # type: ignore[no-untyped-def]
    return float(np.mean(np.asarray(x)[:, None] < np.asarray(y)[None, :]))


def _iqm_median(x):  # type: ignore[no-untyped-def]
    return float(np.median(x))


def _pgt_no_visitation(mdp, theta):  # type: ignore[no-untyped-def]
    pi = reinforce.softmax_policy(theta)
    V, Q = reinforce.policy_evaluation(mdp, pi)
    return pi * (Q - V[:, None])  # forgets d(s)


def _stats_biased(g):  # type: ignore[no-untyped-def]
    total = float(np.trace(np.cov(g, rowvar=False, ddof=0)))  # divisor K, not K − 1
    return total, reinforce.gradient_stats(g).cosine


WRONG: dict[str, tuple[Callable[..., Any], ...]] = {
    "ex-policy-gradient-theorem-1": (_pgt_no_visitation,),
    "ex-baselines-1": (_stats_biased,),
    "ex-rmsprop-1": (_rmsprop_minus,),
    "ex-discounting-1": (_rtg_loop_undiscounted,),
    "ex-standardisation-1": (_std_per_episode,),
    "ex-blame-window-1": (_blame_off_by_one,),
    "ex-hyperparameters-1": (_poi_no_ties,),
    "ex-more-actions-1": (_naive_softmax_score,),
    "ex-continuous-actions-1": (_log_prob_no_norm, _scores_transposed),
    "ex-dqn-1": (_dqn_plain_max,),
    "ex-beyond-reinforce-1": (_td_no_terminal, _gae_wrong_factor),
    "ex-beyond-reinforce-2": (_poi_no_ties,),
    "ex-statistics-primer-1": (_iqm_median,),
    "ex-statistics-primer-2": (_poi_no_ties,),
}


def test_every_exercise_has_a_wrong_variant() -> None:
    assert WRONG.keys() == EXERCISES.keys()


@pytest.mark.parametrize("label", LABELS)
def test_a_wrong_answer_fails_with_a_helpful_message(
    label: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ex = EXERCISES[label]
    for k, (part, wrong) in enumerate(zip(ex.parts, WRONG[label], strict=True)):
        functions = [p.reference for p in ex.parts]
        functions[k] = wrong  # only this part is wrong
        assert not check(label, *functions)
        out = capsys.readouterr().out.strip()
        assert out.count("\n") == 0, out  # one line: the first failing case
        assert out.startswith(f"{label}: {part.name}: case "), out
        assert re.search(r"case \d+ of \d+ \(", out), out  # which case, its inputs
        assert any(w in out for w in ("differs", "shape", "raised", "non-finite")), out
        # the report shows no line of the reference's code
        source = inspect.getsource(part.reference)
        body = [ln.strip() for ln in source.splitlines()[1:] if len(ln.strip()) > 20]
        assert not any(ln in out for ln in body), out


def test_the_report_names_shapes_and_values(capsys: pytest.CaptureFixture[str]) -> None:
    def short(r: np.ndarray, gamma: float) -> np.ndarray:
        return reinforce.reward_to_go(r, gamma)[:-1]

    assert not check("ex-discounting-1", short)
    out = capsys.readouterr().out
    assert "the output has shape (499,), expected (500,)" in out
    assert "r=array of shape (500,)" in out and "gamma=0.0" in out

    def off(r: np.ndarray, gamma: float) -> np.ndarray:
        G = reinforce.reward_to_go(r, gamma)
        G[3] += 1.0
        return G

    assert not check("ex-discounting-1", off)
    out = capsys.readouterr().out
    assert "differs in 1 of 500 entries; the first at (3,): got" in out


def test_a_tuple_answer_of_the_wrong_length_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def only_theta(theta, g, v, lr, rho, eps):  # type: ignore[no-untyped-def]
        return (theta,)

    assert not check("ex-rmsprop-1", only_theta)
    assert "the output has length 1, expected 2" in capsys.readouterr().out


def test_the_stub_fails_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    def rmsprop_step(theta, g, v, lr, rho, eps):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    assert not check("ex-rmsprop-1", rmsprop_step)
    assert "raised NotImplementedError" in capsys.readouterr().out


def test_the_inputs_are_copies() -> None:
    """A function that overwrites its inputs in place cannot corrupt the reference."""

    def in_place(r: np.ndarray, gamma: float) -> np.ndarray:
        out = reinforce.reward_to_go(r, gamma)
        r[:] = 0.0
        return out

    assert check("ex-discounting-1", in_place, verbose=False)


def test_cases_are_seeded() -> None:
    part = EXERCISES["ex-dqn-1"].parts[0]
    a = part.cases(np.random.default_rng(7))
    b = part.cases(np.random.default_rng(7))
    for x, y in zip(a, b, strict=True):
        for k in x:
            np.testing.assert_array_equal(x[k], y[k])
    assert check_part(part, part.reference, np.random.default_rng(7)) is None


def test_bad_calls_raise_clear_errors() -> None:
    with pytest.raises(
        ValueError, match="no self-checking exercise 'ex-nope'; known: "
    ):
        check("ex-nope", len)
    with pytest.raises(TypeError, match="checks 2 function"):
        check("ex-beyond-reinforce-1", len)
    with pytest.raises(TypeError, match="rmsprop_step must be a function, got 3"):
        check("ex-rmsprop-1", 3)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the book


def _exercise_cells() -> dict[str, tuple[str, str]]:
    """label -> (the stub cell that follows the exercise, the solution's text)."""
    found = {}
    for md in sorted(BOOK.glob("*.md")):
        text = md.read_text()
        for m in re.finditer(
            r"^```\{exercise\}\n:label: (\S+)\n.*?^```\n", text, re.M | re.S
        ):
            label = m.group(1)
            rest = text[m.end() :]
            stub = re.match(
                r"\n```\{code-cell\} ipython3\n(.*?)^```\n", rest, re.M | re.S
            )
            start = rest.find(f"```{{solution-start}} {label}")
            end = rest.find("```{solution-end}", start)
            found[label] = (stub.group(1) if stub else "", rest[start:end])
    return found


CELLS = _exercise_cells()


def test_every_registered_exercise_is_in_the_book() -> None:
    assert set(EXERCISES) <= set(CELLS)


@pytest.mark.parametrize("label", LABELS)
def test_the_book_has_a_stub_and_check_cell(label: str) -> None:
    stub, _ = CELLS[label]
    assert stub.startswith(":tags: [skip-execution]\n"), stub
    tree = ast.parse(stub.split("\n", 1)[1])
    defs = {
        f.name: [a.arg for a in f.args.args]
        for f in tree.body
        if isinstance(f, ast.FunctionDef)
    }
    for part in EXERCISES[label].parts:
        assert defs.get(part.name) == [s.strip() for s in part.signature.split(",")]
    call = f'check("{label}", {", ".join(EXERCISES[label].names)})'
    assert stub.rstrip().endswith(call)


@pytest.mark.parametrize("label", LABELS)
def test_the_stub_runs_and_fails_the_check(
    label: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stub, _ = CELLS[label]
    namespace: dict[str, Any] = {}
    exec(compile(stub.split("\n", 1)[1], label, "exec"), namespace)
    assert "raised NotImplementedError" in capsys.readouterr().out


SOLUTIONS_WITH_FUNCTIONS = [
    label
    for label, (_, solution) in CELLS.items()
    if label in EXERCISES
    and all(f"def {n}(" in solution for n in EXERCISES[label].names)
]


def test_the_books_solutions_are_checked() -> None:
    assert len(SOLUTIONS_WITH_FUNCTIONS) >= 7, SOLUTIONS_WITH_FUNCTIONS


@pytest.mark.parametrize("label", SOLUTIONS_WITH_FUNCTIONS)
def test_the_books_own_solution_passes(label: str) -> None:
    """The functions the chapter's solution defines pass the check (they run in a
    namespace holding numpy and the package, as the chapter's imports provide)."""
    _, solution = CELLS[label]
    code = "\n".join(
        re.findall(r"^```\{code-cell\} ipython3\n(.*?)^```", solution, re.M | re.S)
    )
    tree = ast.parse(code)
    defs = ast.Module([f for f in tree.body if isinstance(f, ast.FunctionDef)], [])
    namespace: dict[str, Any] = {"np": np, **vars(reinforce)}
    exec(compile(defs, label, "exec"), namespace)
    functions = [namespace[n] for n in EXERCISES[label].names]
    assert check(label, *functions, verbose=False)


# ---------------------------------------------------------------- the command line


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reinforce", "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


RIGHT = """
import nbformat
import numpy as np

def rmsprop_step(theta, g, v, lr, rho, eps):
    v = rho * v + (1 - rho) * g**2
    return theta + lr * g / (np.sqrt(v) + eps), v
"""


def test_cli_passes_a_right_answer(tmp_path: Path) -> None:
    answer = tmp_path / "answer.py"
    answer.write_text(RIGHT)
    res = run("ex-rmsprop-1", str(answer))
    assert res.returncode == 0, res.stderr
    assert "rmsprop_step: all 6 cases agree" in res.stdout


def test_cli_fails_a_wrong_answer_with_the_first_case(tmp_path: Path) -> None:
    answer = tmp_path / "answer.py"
    answer.write_text(RIGHT.replace("theta + lr", "theta - lr"))
    res = run("ex-rmsprop-1", str(answer))
    assert res.returncode == 1
    assert "rmsprop_step: case 1 of 6" in res.stdout and "differs" in res.stdout


def test_cli_lists_and_describes() -> None:
    res = run()
    assert res.returncode == 0 and res.stdout.split() == LABELS
    res = run("ex-beyond-reinforce-1")
    assert res.returncode == 0
    assert "def td_errors(rewards, values, gamma):" in res.stdout
    assert "def gae(deltas, gamma, lam):" in res.stdout


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (RIGHT, ("ex-nope",), "no self-checking exercise 'ex-nope'"),
        (RIGHT, ("ex-dqn-1",), "defines no function double_dqn_targets"),
        ("def (:\n", ("ex-rmsprop-1",), "line 1: syntax error"),
        ("raise KeyError('x')\n", ("ex-rmsprop-1",), "failed to run: KeyError"),
        (RIGHT, ("ex-rmsprop-1", "--seed", "-1"), "--seed must be a non-negative"),
        (None, ("ex-rmsprop-1",), "cannot read"),
    ],
    ids=[
        "unknown label",
        "missing function",
        "syntax error",
        "file raises",
        "seed",
        "no file",
    ],
)
def test_cli_bad_input_is_one_line(
    tmp_path: Path, content: str | None, args: tuple[str, ...], message: str
) -> None:
    answer = tmp_path / "answer.py"
    if content is not None:
        answer.write_text(content)
    res = run(args[0], str(answer), *args[1:])
    assert res.returncode == 2
    assert message in res.stderr and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1


def test_the_student_notebook_has_the_stub_and_no_solution(tmp_path: Path) -> None:
    sys.path.insert(0, str(BOOK / "_ext"))
    import notebook_download

    target = tmp_path / "06-rmsprop.ipynb"
    notebook_download.write_notebook(BOOK / "06-rmsprop.md", target, student=True)
    nb = nbformat.read(target, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    stubs = [c for c in code if 'check("ex-rmsprop-1", rmsprop_step)' in c.source]
    assert len(stubs) == 1
    assert "raise NotImplementedError" in stubs[0].source
    assert not any("v = rho * v + (1 - rho) * g**2" in c.source for c in code)
