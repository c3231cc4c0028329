"""`train(config)`: one entry point for the three training strategies, chosen by ``config.mode``.

- ``finetune`` (finetune.py): the full training loop over the whole network;
- ``head`` (headonly.py): a logistic head on cached frozen embeddings;
- ``partial`` (partial.py): the last backbone stages on cached activations, LP-FT then WiSE-FT.

Each strategy prepares a `RunFolder` (run.py) and leaves ``best.pt``, ``config.json``,
``split.json``, ``log.jsonl`` and ``run.json`` in ``config.out_dir``.
"""

from __future__ import annotations

from pathlib import Path

from .config import RunConfig


def train(config: RunConfig, *, resume: bool = False, use_all: bool = False, show_progress: bool = True,
          cache_dir: str | Path | None = None) -> dict:
    """Train as `config` says; returns the strategy's summary, whose ``checkpoint`` is the path of ``best.pt``.

    Args:
        config: the resolved configuration (`load_config`).
        resume: continue from the run folder's ``last.pt`` (mode finetune).
        use_all: train on the validation photos too (the refit of a shipped model; modes head and partial).
        show_progress: progress bars and per-epoch lines on the terminal.
        cache_dir: where embeddings or activations are cached (modes head and partial).
    """
    if config.mode == "finetune":
        from .finetune import train_finetune as strategy
    elif config.mode == "head":
        from .headonly import train_head_only as strategy
    else:
        from .partial import train_partial as strategy
    return strategy(config, resume=resume, use_all=use_all, show_progress=show_progress, cache_dir=cache_dir)
