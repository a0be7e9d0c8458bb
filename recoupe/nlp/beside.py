"""The process beside the model's: Recoupe's rules on what the model has read, chunk by chunk, and the model's
pass too when it has caught up (docs/extraction.md, "Speed"). Forked with the extractor loaded; one that dies
leaves its chunks, and the rest of the call, to the calling process."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from recoupe.ontology.lifetime import die_with_parent

if TYPE_CHECKING:
    from recoupe.nlp.extract import Extraction, Extractor

BESIDE_CHUNK = 16  # logs sent to the process beside at a time
Log = tuple[str, str, datetime]  # id, text, reported_at
ReadLog = tuple[str, str, datetime, list[tuple[int, int, str, str]]]  # the same and the model's entities
_log = logging.getLogger("recoupe.nlp.extract")  # where the warning has always been logged
_WORKING_FOR: Extractor | None = None  # in a forked process beside, the extractor it works for


def fork(extractor: Extractor) -> ProcessPoolExecutor:
    """A process beside the model, forked now with the extractor (its model loaded) kept as _WORKING_FOR."""
    global _WORKING_FOR
    _WORKING_FOR = extractor
    pool = ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("fork"), initializer=_start, initargs=(os.getpid(),)
    )
    pool.submit(os.getpid).result()  # forks now
    _WORKING_FOR = None  # and this process does not keep it alive
    return pool


def extractions(extractor: Extractor, logs: Iterator[Log], batch_size: int) -> Iterator[Extraction]:
    """The model reads here while the process beside applies the rules to what it has read, chunk by
    chunk. When that process has caught up, it also takes the next chunk whole, its model pass included:
    the rules alone leave its core idle about half the time (docs/extraction.md, "Speed"). In order; a
    process that dies leaves its chunks, and the rest of the call, to this one."""
    pool: ProcessPoolExecutor | None = extractor.beside_pool()
    chunks: deque[_Chunk] = deque()  # every chunk, in the order read
    modelled: deque[_Chunk] = deque()  # those the model reads here, in order, until it has read them
    per_batch = max(1, batch_size // BESIDE_CHUNK)  # the chunks one batch of the model gives at once

    def submit(work: Callable[[Any], list[Extraction]], payload: Any) -> Future[list[Extraction]] | None:
        if pool is not None:
            try:
                return pool.submit(work, payload)
            except BrokenProcessPool:
                broken()
        return None

    def broken() -> None:
        nonlocal pool
        if pool is not None:
            _log.warning("the rules' process beside the model stopped: the rules run here instead")
        pool = None
        extractor.beside_stopped()

    def caught_up() -> bool:  # at most the last batch's rules left to apply, and no whole chunk
        busy = [c for c in chunks if c.future is not None and not c.future.done()]
        return len(busy) <= per_batch and not any(c.whole for c in busy)

    def model_input() -> Iterator[tuple[str, Log]]:
        while chunk := _Chunk(list(islice(logs, BESIDE_CHUNK))):
            chunks.append(chunk)
            if pool is not None and caught_up():
                chunk.future = submit(_whole, chunk.logs)
                if chunk.future is not None:
                    chunk.whole = True
                    extractor.read_beside += len(chunk.logs)
                    continue
            modelled.append(chunk)
            yield from ((log[1], log) for log in chunk.logs)

    def received(chunk: _Chunk) -> list[Extraction]:
        if chunk.future is not None:
            try:
                return chunk.future.result()
            except BrokenProcessPool:
                broken()
        read = chunk.read if not chunk.whole else list(extractor.read(chunk.logs, BESIDE_CHUNK))
        return [extractor.extraction(*log) for log in read]

    docs = extractor.nlp.pipe(
        model_input(), as_tuples=True, batch_size=batch_size, n_process=extractor.processes
    )
    for doc, log in docs:
        chunk = modelled[0]
        chunk.read.append((*log, model_entities(doc)))
        if len(chunk.read) == len(chunk.logs):
            modelled.popleft()
            chunk.future = submit(_rules, chunk.read)
        while chunks and chunks[0].ready():
            yield from received(chunks.popleft())
    while chunks:
        yield from received(chunks.popleft())


@dataclass
class _Chunk:
    """Up to BESIDE_CHUNK logs of a call, and where their extractions are being made."""

    logs: list[Log]
    read: list[ReadLog] = field(default_factory=list)  # with the model's entities, once read here
    future: Future[list[Extraction]] | None = None  # the process beside's work on them
    whole: bool = False  # sent before the model read them: the process beside runs the model too

    def __bool__(self) -> bool:
        return bool(self.logs)

    def ready(self) -> bool:
        """Its extractions can be taken without waiting (or made here: the process beside stopped)."""
        if self.future is not None:
            return self.future.done()
        return not self.whole and len(self.read) == len(self.logs)


def model_entities(doc: Any) -> list[tuple[int, int, str, str]]:
    """What Recoupe reads of the model's Doc: its entities (start, end, label, text)."""
    return [(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents]


def _start(parent: int) -> None:
    """In the process beside, first: end with the parent, even one killed with -9 (it would otherwise wait
    for work forever, holding its copy of the model)."""
    die_with_parent(signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(0)


def _rules(chunk: list[ReadLog]) -> list[Extraction]:
    """In the process beside the model: the extractions of logs the model has read."""
    assert _WORKING_FOR is not None, "a process beside is forked by fork()"
    return [_WORKING_FOR.extraction(*log) for log in chunk]


def _whole(chunk: list[Log]) -> list[Extraction]:
    """In the process beside the model: the extractions of logs the model has not read, its pass included."""
    assert _WORKING_FOR is not None, "a process beside is forked by fork()"
    return [_WORKING_FOR.extraction(*log) for log in _WORKING_FOR.read(chunk, len(chunk))]
