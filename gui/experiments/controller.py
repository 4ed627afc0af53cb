"""ExperimentController: the window's experiment half. It owns the Experiments dock, its worker and the Experiments
menu's actions; Vary… requests from the Inspector, Training and Data docks open the Vary dialog; every change of
the document's ``experiment`` section, and Apply best, is one undo step. The window creates it and hands it each
document (set_document) and asks it before closing or switching documents (may_close, may_switch).
"""
from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QApplication, QDialog, QDockWidget, QMainWindow, QMenu, QScrollArea

from engine.settings import SettingError, get_setting

from ..commands import DocumentSections, SetSectionCommand
from ..inspector import RECURRENT_KINDS
from ..plain_text import ask
from ..torch_loader import when_torch_loaded
from .commands import ApplyValuesCommand
from .panel import ExperimentsPanel
from .worker import ExperimentWorker, Prepared

if TYPE_CHECKING:
    from engine.experiments import Experiment

FINISHED = ("completed", "failed", "pruned", "impossible")


def _engine():
    """engine.experiments, imported when an experiment is first used: it brings Optuna, which would add about
    a third of a second (seconds on a loaded machine) to every window's start."""
    import engine.experiments as experiments

    return experiments


def block_of(where: str, graph) -> str | None:
    """The id of the block an experiment error names (``lstm.hidden_size``, ``graph.data.dim``), or None."""
    parts = where.split(".")
    name = parts[1] if parts[0] == "graph" and len(parts) > 2 else parts[0]
    if name in ("training", "data", "experiment", "$") or graph is None:
        return None
    node = graph.by_name(name)
    return node.id if node is not None else None


def _expected_trials(spec) -> int:
    """Trials the section asks for before anything is planned: the grid's combinations (at most the budget) or the
    search budget (impossible combinations are only known once planned)."""
    if spec is None:
        return 0
    if spec.strategy != "grid":
        return spec.budget or _engine().definition.DEFAULT_BUDGET
    combinations = math.prod(len(v.values or ()) for v in spec.variables)
    return min(combinations, spec.budget) if spec.budget else combinations


class ExperimentController(QObject):
    """``dock`` (the window places it), ``panel``, ``worker``, ``actions`` (start, pause, stop, apply, vary) and
    ``folder`` (the experiment folder the table shows, or None)."""

    experimentFinished = Signal(object)  # ExperimentResult (or None when it could not start), after the dock updated
    trialsReopened = Signal()  # a document opened with trials of its experiment: the window makes room for them

    def __init__(self, window: QMainWindow, undo_stack: QUndoStack, sections: DocumentSections | None = None,
                 problems=None, dashboard=None, run_root: Callable[[], Path | None] | None = None):
        super().__init__(window)
        self.window, self.undo_stack = window, undo_stack
        self.sections = sections or DocumentSections(self)
        self.sections.changed.connect(self._on_section_changed)
        self.problems = problems  # gui.problems.ProblemsPanel: the experiment's bad input is listed there too
        if hasattr(problems, "settingActivated"):  # a clicked experiment problem leads to the Experiments dock
            problems.settingActivated.connect(self._on_setting_activated)
        self.dashboard = dashboard  # its .compare overlays the selected trials (when that view exists)
        self.run_root = run_root or (lambda: None)  # TrainingController.default_run_root: where unsaved documents go
        self.panel = ExperimentsPanel()
        self.worker = ExperimentWorker(self)
        self.document = None
        self.folder: Path | None = None
        self.spec = None
        self.monitor = ""
        self.live: dict[int, str] = {}
        self.result = None
        self._run_spec = None
        # Dialogs go through these so tests can answer them.
        self.run_dialog: Callable[[QDialog], bool] = lambda d: d.exec() == QDialog.DialogCode.Accepted
        self.confirm: Callable[[str, str], bool] = partial(ask, window)
        self.dock = QDockWidget("Experiments", window)
        self.dock.setObjectName("dock_experiments")
        # Scrolls rather than forcing the window taller than a small screen (as the training docks do).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.panel)
        self.dock.setWidget(scroll)
        self.dock.setToolTip("Vary settings, run the variants in worker processes, compare and apply the best")
        self.actions = self._make_actions()
        p = self.panel
        p.startRequested.connect(self.start)
        p.pauseToggled.connect(self.toggle_pause)
        p.stopRequested.connect(self.stop)
        p.applyBestRequested.connect(self.apply_best)
        p.editRequested.connect(self.vary)
        p.removeRequested.connect(self.remove_variable)
        p.settingsChanged.connect(self.change_settings)
        p.epochs.valueChanged.connect(lambda *_: self.load_trials())
        p.table.selectedTrials.connect(self.compare_trials)
        # Ctrl+Return (or the right-click menu) brings the overlay forward where selecting does not (see below).
        self.compare_action = QAction("Compare in dashboard", p.table)
        self.compare_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.compare_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.compare_action.triggered.connect(lambda: self.compare_trials(bring_forward=True))
        p.table.addAction(self.compare_action)
        p.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.worker.eventsReady.connect(self._on_events)
        self.worker.finished.connect(self._on_finished)
        self.worker.stateChanged.connect(self._on_state)
        app = QApplication.instance()
        if app is not None:  # quitting by any path ends the worker processes first
            app.aboutToQuit.connect(self.shutdown)

    def _make_actions(self) -> dict[str, QAction]:
        actions = {}
        for key, text, shortcut, slot, tip in (
                ("start", "Start e&xperiment", "F7", self.start, "Plan and train every trial (resumes)"),
                ("pause", "Pause / resume e&xperiment", "F8", self.toggle_pause, "Hold or continue the workers"),
                ("stop", "Stop exper&iment", "Shift+F7", self.stop, "Workers end after their step"),
                ("apply", "Apply &best trial", "Ctrl+Shift+B", self.apply_best,
                 "Copy the best trial's values into the document (one undo step)")):
            action = QAction(text, self.window)
            action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(tip)
            action.triggered.connect(slot)
            self.window.addAction(action)  # shortcuts work wherever the focus is in the window
            actions[key] = action
        self._on_state("idle")
        return actions

    def fill_menu(self, menu: QMenu) -> None:
        """The Experiments menu: run control, Apply best and the dock's toggle."""
        menu.addActions([self.actions[k] for k in ("start", "pause", "stop")])
        menu.addSeparator()
        menu.addAction(self.actions["apply"])
        menu.addSeparator()
        menu.addAction(self.dock.toggleViewAction())

    def connect_vary(self, *sources) -> None:
        """Each source's ``varyRequested(path)`` (Inspector, Training panel, Data panel) opens Vary… for it."""
        for source in sources:
            source.varyRequested.connect(self.vary)

    def add_block_entries(self, menu: QMenu, node_ids: list[str]) -> None:
        """The canvas block menu's entries (for CanvasView.block_menu_hooks): "Vary kind…" on one recurrent block."""
        graph = self.document.graph if self.document is not None else None
        if graph is None or len(node_ids) != 1 or node_ids[0] not in graph.nodes:
            return
        node = graph.nodes[node_ids[0]]
        if node.kind in RECURRENT_KINDS:
            menu.addSeparator()
            path = f"graph.{node.name}.kind" if node.name == "data" else f"{node.name}.kind"
            action = menu.addAction("Vary kind…", lambda: self.vary(path))
            action.setToolTip("Add this block's kind (RNN, GRU, LSTM, bidirectional) to the experiment")

    # ------------------------------------------------------------------ document
    def set_document(self, document) -> None:
        """Follows ``document``: its section, the trials of its experiment folder if one exists, no old problems."""
        self.document = document
        self.result = None
        self.live = {}
        self.panel.show_message("")
        self.panel.show_skipped([])
        self._set_problems([])
        self._show_section()
        self.load_trials()
        if document is not None and document.experiment and not self.dock.isHidden():
            self.dock.raise_()  # an experiment document: its experiment is what to look at first
            if self.panel.table.rowCount():
                self.trialsReopened.emit()

    def _on_section_changed(self, section: str) -> None:
        if self.document is None:
            return
        if section == "experiment":
            self._show_section()
            if not self.worker.is_running:  # what Start refused may be fixed now: it says so again at Start
                self.panel.show_message("")
                self._set_problems([])
        if not self.worker.is_running:
            self.load_trials()  # another definition is another folder (or none yet)

    def _show_section(self) -> None:
        section = self.document.experiment if self.document is not None else None
        self.panel.show_section(section)
        self.spec = None
        if section:
            ex = _engine()
            try:
                self.spec = ex.experiment_from_data(section)
            except ex.ExperimentError:
                pass
            # the workers' fork server imports torch once now (after the window's own import, not beside it), so
            # Start trains at once instead of after 3 s of imports in every worker
            when_torch_loaded(self.dock, ex.warm_up)

    def experiment(self, allow_many: bool = False, snapshot: bool = True) -> Experiment:
        """An Experiment of a snapshot of the document (``snapshot``: edits during the run do not reach it) with the
        dock's workers and epochs; ExperimentError for what cannot run."""
        ex = _engine()
        if self.document is None or self.document.experiment is None:
            raise ex.ExperimentError("experiment", "no variables yet: right-click a setting and choose Vary…")
        spec = ex.experiment_from_data(self.document.experiment, here="experiment")
        options = self.panel.run_options()
        try:
            document = ex.variants.copy_document(self.document) if snapshot else self.document
            return ex.Experiment(document, spec, workers=options["workers"], epochs=options["epochs"],
                              out=self.run_root(), allow_many=allow_many)
        except (ValueError, TypeError) as err:  # a training section the trainer refuses
            raise ex.ExperimentError("training", str(err)) from None

    def load_trials(self) -> None:
        """Shows the trials of this document's experiment folder (same definition) if it exists; Start resumes it."""
        if self.worker.is_running:
            return
        self.folder = None
        try:
            if self.document is None or not self.document.experiment:
                raise LookupError("no experiment")
            experiment = self.experiment(snapshot=False)  # only reads it: finds the folder of this definition
            self.monitor = experiment.monitor
            self.folder = experiment.find_folder()
        except Exception:  # noqa: BLE001 - no valid experiment yet: nothing to show (Start says why)
            pass
        self.refresh_table()

    def refresh_table(self) -> None:
        rows = []
        if self.folder is not None and (self.folder / "trials.csv").exists():
            try:
                rows = _engine().read_trials(self.folder)
            except (OSError, ValueError):
                rows = []
        spec = self._run_spec or self.spec  # during a run: the running definition (the section may be edited)
        if spec is not None:
            self.panel.table.show_trials(spec, self.monitor, rows, self.live)
            self.panel.plot.set_trials(spec, self.monitor, rows)
        else:
            self.panel.table.clear_trials()
            self.panel.plot.clear_trials()
        done = sum(r.get("status") in FINISHED for r in rows)
        running = [f"#{n} {self.live[n]}" for n in sorted(self.live)]
        failed = sum(r.get("status") == "failed" for r in rows)
        planned = len(rows) or _expected_trials(spec)  # before the first start: what the section asks for
        text = f"{done} of {len(rows)} trials finished" if rows else \
            f"no trials yet: {planned} to train" if planned else "no trials yet"
        if running:
            text += " · running " + ", ".join(running)
        if failed:
            text += f" · {failed} failed"
        self.panel.show_progress(done, planned, text)
        self._on_state(self.worker.state)

    # ------------------------------------------------------------------ editing the section (each one undo step)
    def _push_section(self, value: dict | None, text: str) -> bool:
        if self.document is None or value == self.document.experiment:
            return False
        self.undo_stack.push(SetSectionCommand(self.document, "experiment", value, self.sections, text))
        return True

    def vary(self, path: str) -> bool:
        """Vary… for ``path``: the dialog prefilled from its Param (or the variable it has); OK adds or replaces the
        variable as one undo step. Returns whether the section changed."""
        if self.document is None:
            return False
        ex = _engine()
        from .vary_dialog import VaryDialog
        from .variables import with_variable

        try:
            param = ex.variable_param(self.document, path)
            current = self.document.graph.by_name(path.split(".")[-2]).kind if path.endswith(".kind") and \
                param.name == "kind" else get_setting(self.document, path)
        except (ex.ExperimentError, SettingError) as err:
            self.panel.show_message(str(err), error=True)
            return False
        section = self.document.experiment or {}
        existing = next((v for v in section.get("variables", []) if v.get("path") == path), None)
        dialog = VaryDialog(self.document, path, param, current, existing, self.window)
        try:
            if not self.run_dialog(dialog):
                return False
            variable = dialog.variable()
        finally:
            dialog.deleteLater()
        self.dock.show()
        self.dock.raise_()
        verb = "Change" if existing else "Vary"
        return self._push_section(with_variable(self.document.experiment, variable), f"{verb} {path} in the experiment")

    def _on_setting_activated(self, path: str) -> None:
        if path == "experiment":
            self.dock.show()
            self.dock.raise_()

    def remove_variable(self, path: str) -> bool:
        if self.document is None:
            return False
        from .variables import without_variable

        return self._push_section(without_variable(self.document.experiment, path), f"Stop varying {path}")

    def change_settings(self, changes: dict[str, Any]) -> bool:
        """strategy / budget / repeats / pruning as one undo step; a change that would make the section invalid (a
        grid over a range) is refused with the reason and the dock shows the section again."""
        if self.document is None or not self.document.experiment:
            return False
        ex = _engine()
        from .variables import with_settings

        try:
            new = with_settings(self.document.experiment, **changes)
        except ex.ExperimentError as err:
            self.panel.show_message(err.message, error=True)
            self._show_section()
            return False
        self.panel.show_message("")
        key, value = next(iter(changes.items()))
        return self._push_section(new, f"Set experiment {key} = {value if value is not None else 'default'}")

    # ------------------------------------------------------------------ running
    def _trial_count(self, spec) -> int:
        if spec.strategy != "grid":
            return spec.budget or 20
        count = math.prod(len(v.values) for v in spec.variables)
        return min(count, spec.budget) if spec.budget else count

    def start(self) -> bool:
        """Plans (in the worker's thread) and trains the trials; bad input is one line here and in Problems."""
        if self.document is None or self.worker.is_running:
            return False
        self.panel.show_message("")
        self.panel.show_skipped([])
        self._set_problems([])
        ex = _engine()
        try:
            spec = ex.experiment_from_data(self.document.experiment, here="experiment") \
                if self.document.experiment else None
            count = self._trial_count(spec) if spec is not None else 0
            allow = count > ex.MAX_TRIALS
            if allow and not self.confirm("Many trials", f"Train {count:,} trials? That is more than {ex.MAX_TRIALS}."):
                self.panel.show_message(f"Not started: {count:,} trials (more than {ex.MAX_TRIALS}) were not confirmed")
                return False
            experiment = self.experiment(allow_many=allow)
            for variable in experiment.spec.variables:  # a path naming nothing, a bad value: at once, here
                ex.variants.check_variable(experiment.document, variable)
        except ex.ExperimentError as err:
            self._refuse(str(err), err.where)
            return False
        self.monitor = experiment.monitor
        self.live, self.result, self._run_spec = {}, None, experiment.spec
        self.panel.show_progress(0, 1, "planning every variant…")
        self.dock.show()
        self.dock.raise_()
        return self.worker.start(experiment)

    def _refuse(self, message: str, where: str = "") -> None:
        """Bad input: one line in the dock and an entry in Problems (selecting the block it names)."""
        self.panel.show_message(message, error=True)
        graph = self.document.graph if self.document is not None else None
        self._set_problems([(message, block_of(where, graph) if where else None)])
        self.window.statusBar().showMessage(f"Experiment not started: {message}", 10000)

    def _set_problems(self, problems: list) -> None:
        if self.problems is not None and hasattr(self.problems, "set_experiment_problems"):
            self.problems.set_experiment_problems(problems)

    def toggle_pause(self) -> None:
        if self.worker.state == "paused":
            self.worker.resume()
        else:
            self.worker.pause()

    def stop(self) -> None:
        self.worker.stop()

    def _on_events(self, events: list) -> None:
        ex = _engine()
        table_changed = False
        for event in events:
            if isinstance(event, Prepared):
                self.folder = Path(event.folder)
                self.panel.show_skipped(event.plan.skipped, event.plan.left_out)
                table_changed = True
            elif isinstance(event, ex.TrialStarted) and event.slot >= 0:
                self.live[event.number] = "starting"
                table_changed = True
            elif isinstance(event, ex.TrialEpoch):
                repeats = self.spec.repeats if self.spec is not None else 1
                where = f"repeat {event.repeat + 1}/{repeats}, " if repeats > 1 else ""
                self.live[event.number] = f"{where}epoch {event.epoch}/{event.epochs}"
                table_changed = True
            elif isinstance(event, ex.TrialFinished):
                self.live.pop(event.number, None)
                table_changed = True
            elif isinstance(event, ex.ExperimentFinished):
                self.live.clear()
        if table_changed:
            self.refresh_table()

    def _on_finished(self, result, error: str, where: str) -> None:
        self.result = result
        self.live.clear()
        if error:
            self._refuse(error, where)
        elif result is not None:
            failed = sum(t.status == "failed" for t in result.trials)
            best = f"; best: {result.best.label} ({self.monitor} {result.best.value:.4g})" if result.best else ""
            text = f"Experiment {result.status}: {result.message}{best}" + (f" ({failed} failed)" if failed else "")
            self.panel.show_message(text, error=result.status == "failed")
            self.window.statusBar().showMessage(text, 10000)
        else:
            self.panel.show_message("Experiment stopped before the first trial")
        self._run_spec = None
        self.load_trials()  # the folder of the document's definition now: the one that ran, unless it was edited
        self.experimentFinished.emit(result)

    def _on_state(self, state: str) -> None:
        best = self.folder is not None and self._best() is not None
        self.panel.set_state(state, can_apply=best)
        if not hasattr(self, "actions"):
            return
        running = state in ("running", "paused", "stopping")
        self.actions["start"].setEnabled(not running)
        self.actions["pause"].setEnabled(state in ("running", "paused"))
        self.actions["stop"].setEnabled(state in ("running", "paused"))
        self.actions["apply"].setEnabled(best and not running)
        if state in ("paused", "stopping"):
            self.window.statusBar().showMessage(f"experiment {state}", 3000)

    # ------------------------------------------------------------------ results
    def _best(self) -> dict | None:
        try:
            return _engine().read_best(self.folder) if self.folder is not None else None
        except (OSError, ValueError):
            return None

    def apply_best(self) -> bool:
        """Copies the best trial's values into the document as one undo step (graph, data, training)."""
        if self.document is None:
            return False
        if self.worker.is_running:
            return self._tell("Apply best waits for the experiment to end (or Stop it)")
        best = self._best()
        if best is None:
            return self._tell("Apply best: no trial has finished with a value of the objective yet")
        ex = _engine()
        try:
            target = ex.applied(self.document, best["values"])
        except (ex.ExperimentError, SettingError) as err:
            return self._tell(f"Cannot apply the best trial: {err}", error=True)
        command = ApplyValuesCommand(self.document, target, self.sections, f"Apply best trial ({best['label']})")
        if command.isObsolete():
            return self._tell(f"The document already has the best trial's values ({best['label']})")
        self.undo_stack.push(command)
        self._tell(f"Applied the best trial: {best['label']} (Ctrl+Z undoes it)")
        return True

    def _tell(self, text: str, error: bool = False) -> bool:
        """Says ``text`` in the dock and in the status bar (the dock may be a tab behind the dashboard); False."""
        self.panel.show_message(text, error=error)
        self.window.statusBar().showMessage(text, 10000)
        return False

    def selected_runs(self) -> list[tuple[str, Path]]:
        """(label, run folder) of the selected trials that trained (the first repeat's folder)."""
        runs = []
        for trial in self.panel.table.selected_trials():
            row = self.panel.table.row_of(trial)
            if row and row.get("run_dir"):
                runs.append((row.get("label") or f"trial {trial}", Path(row["run_dir"].split(";")[0])))
        return runs

    def compare_trials(self, _trials=None, bring_forward: bool = False) -> None:
        """Overlays the selected trials in the dashboard's Compare tab and brings its dock forward, unless that dock
        is a tab beside this one: raising it hid the trial table after the first click, so a second trial could
        not be picked. Then the status bar says where the overlay is, and Ctrl+Return brings it forward."""
        if self.dashboard is None:
            return
        runs = self.selected_runs()
        self.dashboard.compare.set_runs(runs)
        if not runs:
            return
        self.dashboard.show_compare()
        dock = self.dashboard.parent()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parent()
        if dock is None:
            return
        if not bring_forward and self.dock.isVisible() and dock in self.window.tabifiedDockWidgets(self.dock):
            self.window.statusBar().showMessage(
                f"{len(runs)} trial(s) overlaid in Dashboard ▸ Compare: Ctrl+Return (or right-click) shows it", 8000)
            return
        dock.show()
        dock.raise_()

    # ------------------------------------------------------------------ closing and switching
    def may_close(self) -> bool:
        """Before the window closes: an experiment that runs is stopped (after asking); False keeps the window."""
        if not self.worker.is_running:
            return True
        if not self.confirm("Experiment in progress", "An experiment is running. Stop it and close the window?\n"
                                                      "Finished trials are kept; Start resumes the others."):
            return False
        self.shutdown()
        return True

    def may_switch(self) -> bool:
        """Before another document replaces this one: the same question, for opening or creating a document."""
        if not self.worker.is_running:
            return True
        if not self.confirm("Experiment in progress", "An experiment is running. Stop it and open the other "
                                                      "document?\nFinished trials are kept; Start resumes the others."):
            return False
        self.shutdown()
        return True

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Stops the experiment and waits until its worker processes ended (they are terminated after
        ``timeout_ms``): nothing is left running."""
        if self.worker.is_running:
            self.worker.stop()
            self.worker.wait(timeout_ms)


__all__ = ["ExperimentController", "block_of"]
