"""``crmml score`` end to end: the registry's version of a model, scored over a whole file.

The registry is asked in a child process (:class:`serving.fetch.BackgroundFetch`) while this
one imports the scoring side. Meanwhile the file is already scored with the copy of the
version used last time (:mod:`serving.model_cache`) into a hidden file, which is published
only if the registry names that very version; otherwise it is thrown away and the file is
scored again. The output appears whole, or not at all.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from serving.config import ServingConfig
from serving.fetch import BackgroundFetch, Fetched, cannot_load
from serving.model_cache import recall, remember, same_version

log = logging.getLogger("crmml.serving")


@dataclass(frozen=True)
class Scored:
    """What a scoring run did, for the user."""

    rows: int
    name: str
    version: str
    engine: str | None  # how the trees were evaluated (compiled or LightGBM), if LightGBM
    head_start: bool  # scored with the kept copy before the registry answered


@dataclass(frozen=True)
class ScoreRequest:
    """Everything a run needs besides the model; ``home`` is ``$CRMML_HOME``."""

    task: str
    input: Path
    out: Path
    home: Path
    with_reasons: bool = False
    tags: bool = True
    tag_rules: Path | None = None
    id_map: Path | None = None


def score_with_registry(
    req: ScoreRequest,
    cfg: ServingConfig,
    *,
    tracking_uri: str,
    version: str | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Scored:
    """Score ``req.input`` into ``req.out`` with ``crm-<task>@<alias>`` (or ``version``).

    Raises ``CrmmlError`` when the registry cannot name or load the version, or the input is
    unusable (see :func:`serving.batch.score_file`); ``req.out`` is untouched then.
    """
    name = cfg.model_name(req.task)
    ref = f"v{version}" if version else f"@{cfg.alias}"
    with BackgroundFetch(
        name=name, alias=cfg.alias, task=req.task, tracking_uri=tracking_uri, version=version
    ) as fetch:
        from serving.tags import load_tag_rules

        rules = load_tag_rules(req.tag_rules) if req.tags else None
        kept = recall(req.home, tracking_uri=tracking_uri, name=name, ref=ref)
        early = req.out.with_name(f".{req.out.stem}.early-{os.getpid()}{req.out.suffix}")
        try:
            head = _head_start(kept, req, cfg, rules, early, fetch, on_progress) if kept else None
            got = fetch.result()
            if head is not None and kept is not None and same_version(got, kept):
                os.replace(early, req.out)
                done = head
            else:
                champ = _champion(got, cfg, req.task, fetch)
                done = _score(champ, req, cfg, rules, on_progress)
            remember(req.home, tracking_uri=tracking_uri, name=name, ref=ref, got=got)
        finally:
            early.unlink(missing_ok=True)
    return done


def _head_start(
    kept: Fetched, req, cfg, rules, early: Path, fetch: BackgroundFetch, on_progress
) -> Scored | None:
    """Score with the kept copy into ``early``; any fault just forfeits the head start.

    While the registry child runs it has a core of its own: the trees are evaluated on one
    thread until it is done, then on all (on two cores, two threads beside the child made
    both crawl, and the output waits for the child's answer anyway).
    """
    from serving.champion import champion_from_fetched

    def progress(done: int, total: int | None) -> None:
        champ.scorer.model.set_predict_threads(1 if fetch.running() else 0)
        if on_progress:
            on_progress(done, total)

    try:
        champ = champion_from_fetched(kept, cfg, task=req.task)
        done = _score(champ, req, cfg, rules, progress, out=early, threads=1)
    except Exception as exc:  # noqa: BLE001  the registry's version decides what to report
        log.debug("no head start with the kept %s v%s: %s", req.task, kept.version, exc)
        early.unlink(missing_ok=True)
        return None
    return Scored(done.rows, done.name, done.version, done.engine, head_start=True)


def _champion(got: Fetched, cfg: ServingConfig, task: str, fetch: BackgroundFetch):
    from crmml.errors import CrmmlError
    from serving.champion import champion_from_fetched

    try:
        return champion_from_fetched(got, cfg, task=task)
    except CrmmlError:
        raise
    except Exception as exc:
        raise CrmmlError(cannot_load(fetch.what, fetch.tracking_uri, exc)) from None


def _score(
    champ,
    req: ScoreRequest,
    cfg: ServingConfig,
    rules,
    on_progress,
    *,
    out: Path | None = None,
    threads: int = 0,
) -> Scored:
    from serving.batch import score_file

    champ.scorer.model.set_predict_threads(threads)  # 0: this process only scores, every core
    id_map = req.id_map
    if id_map is None and (req.input.parent / "id_map.parquet").is_file():
        id_map = req.input.parent / "id_map.parquet"
    notes: list[str] = []
    rows = score_file(
        req.input,
        out or req.out,
        scorer=champ.scorer,
        chunk_rows=cfg.batch_chunk_rows,
        with_reasons=req.with_reasons,
        on_progress=on_progress,
        task=req.task,
        tag_rules=rules,
        id_map=id_map,
        native_cache=req.home / "compiled",
        on_note=notes.append,
    )
    return Scored(rows, champ.name, champ.version, notes[0] if notes else None, False)
