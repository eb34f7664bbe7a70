"""The root ``crmml`` command: one sub-app per stage, merged at the top level.

The CLI is thin: each command parses arguments, loads config, calls a stage function and
prints a summary. User mistakes become one line per problem and a non-zero exit, never a
traceback (see :class:`crmml.errors.CrmmlError`).
"""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from crmml.errors import CrmmlError
from crmml.memory import keep_freed_arrow_memory, share_one_malloc_arena

# OpenMP threads (LightGBM, scikit-learn) sleep instead of spinning while they wait: on a
# machine shared with other jobs, spinning threads take the cores the working ones need
# (a LightGBM fit ran 2-5x slower). Set before any stage loads the OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
keep_freed_arrow_memory()  # Arrow's allocator reads its settings when pyarrow loads
share_one_malloc_arena()  # before any thread allocates: glibc fixes its arenas then

app = typer.Typer(
    name="crmml",
    help="crmml: churn, repurchase and lead-score models from CRM exports, "
    "explained, audited and served.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

err_console = Console(stderr=True, soft_wrap=True)


def _register() -> None:
    # Imported here so `crmml --help` stays one code path and stage CLIs stay in their stage.
    from features.cli import app as features_app

    app.add_typer(features_app)
    for module in (
        "training.cli",
        "evaluation.cli",
        "serving.cli",
        "monitoring.cli",
        "retraining.cli",
    ):
        try:
            sub = __import__(module, fromlist=["app"])
        except ModuleNotFoundError as exc:
            if exc.name == module:  # the stage has no CLI yet
                continue
            raise
        app.add_typer(sub.app)


_register()


def main() -> None:
    """Entry point: run the app, turning user-facing errors into clean messages.

    Typer's standalone mode prints usage errors itself (exit 2); a :class:`CrmmlError`
    escaping a command becomes one line per problem and its exit code, never a traceback.
    """
    try:
        app(standalone_mode=True)
    except CrmmlError as exc:
        for line in exc.lines():
            err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
