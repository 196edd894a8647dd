"""bench(), compare(), benchmarks(): the built-in microbenchmarks and their statistics."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from . import _tunectl
from ._args import rejects_nul
from ._records import Record

__all__ = ["BenchResult", "Comparison", "bench", "bench_ab", "benchmarks", "compare"]


class BenchResult(Record):
    """One benchmark's result (schema ``tunectl.bench/1``), exactly what ``tunectl bench NAME
    --json`` prints: ``bench``, ``options``, ``env``, ``metrics`` (per metric ``unit``, ``runs``,
    ``median``, ``ci95``), ``unavailable`` (``None`` or the reason)."""

    @property
    def samples(self) -> Dict[str, List[Optional[float]]]:
        """Metric name -> one number per measured run (``None`` where a run gave none)."""
        return {name: list(m["runs"]) for name, m in self._data["metrics"].items()}

    @property
    def summary(self) -> Dict[str, Record]:
        """Metric name -> ``Record(unit, median, ci95, higher_is_better)``."""
        return {name: Record({k: m[k] for k in ("unit", "median", "ci95", "higher_is_better")})
                for name, m in self._data["metrics"].items()}

    @property
    def environment(self) -> Record:
        """Kernel, CPUs, steal %, throttling and disturbed runs recorded while it ran."""
        return Record(self._data["env"])


class Comparison(Record):
    """B against A, per metric: ``ratio`` (median B / median A), ``ci95``, ``p`` (two-sided
    Mann-Whitney U), ``verdict`` (improved, regressed, no change, inconclusive), the noise
    threshold used and ``more_runs_needed``. ``regressed`` is True when any metric regressed."""

    def verdict(self, metric: str) -> str:
        """The verdict for one metric."""
        for m in self._data["metrics"]:
            if m["metric"] == metric:
                return m["verdict"]
        raise KeyError(metric)


def _option_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def benchmarks() -> List[Record]:
    """Every registered benchmark: ``name``, ``summary``, ``options`` and ``metrics``."""
    return [Record(b) for b in json.loads(_tunectl.bench_list_json())]


@rejects_nul()
def bench(name: str, reps: int = 10, warmup: int = 1, **options: Any) -> BenchResult:
    """Run benchmark ``name`` for ``reps`` measured runs after ``warmup`` discarded ones.

    Options are the CLI's with underscores (``msg_size=256``, ``client_cpu=0``, ``linger=True``).
    The GIL is released while it runs; Ctrl-C stops it before the next run (torn down, e.g.
    cpu_quota's cgroup removed) and raises ``KeyboardInterrupt``. Raises
    :class:`tunectl.InputError` for an unknown benchmark or option and :class:`tunectl.Error` when
    a run fails."""
    text = _tunectl.bench_run_json(name, {k: _option_text(v) for k, v in options.items()}, reps, warmup)
    return BenchResult(json.loads(text))


@rejects_nul()
def bench_ab(name: str, options_a: Mapping[str, Any], options_b: Mapping[str, Any], reps: int = 10,
             warmup: int = 1) -> Tuple[BenchResult, BenchResult]:
    """Run two conditions of one benchmark interleaved run by run, the order alternating (A B,
    B A, ...), so drift in the machine and whatever the first of a pair pays land on both equally;
    returns ``(a, b)`` ready for :func:`compare`."""
    a, b = _tunectl.bench_ab_json(name, {k: _option_text(v) for k, v in options_a.items()},
                                  {k: _option_text(v) for k, v in options_b.items()}, reps, warmup)
    return BenchResult(json.loads(a)), BenchResult(json.loads(b))


def _result_json(r: Union[BenchResult, Mapping[str, Any], str, "os.PathLike[str]"]) -> str:
    if isinstance(r, Record):
        return json.dumps(r.to_dict())
    if isinstance(r, Mapping):
        return json.dumps(dict(r))
    # Read by the library: a regular file of bounded size (a FIFO or /dev/zero is refused).
    return _tunectl.bench_load_result_json(os.fspath(r))


@rejects_nul(data=("a", "b"))
def compare(a: Union[BenchResult, Mapping[str, Any], str, "os.PathLike[str]"],
            b: Union[BenchResult, Mapping[str, Any], str, "os.PathLike[str]"],
            noise_file: Optional[str] = None, allow_underpowered: bool = False) -> Comparison:
    """Compare result ``b`` (candidate) with ``a`` (baseline): results, dicts, or JSON file paths.
    ``noise_file`` overrides the per-host A/A calibration (default: the state dir's
    bench-noise.json, or ``$TUNECTL_BENCH_NOISE``); a calibration applies only to the options and
    run count it was measured with.

    Raises :class:`tunectl.InputError` when the runs are too few for any difference to be
    significant after Holm's correction (the message names the reps needed), unless
    ``allow_underpowered``: then every verdict is ``inconclusive`` and ``underpowered`` is True."""
    text = _tunectl.bench_compare_json(_result_json(a), _result_json(b), noise_file or "", allow_underpowered)
    return Comparison(json.loads(text))
