"""The studio window: canvas in the middle, palette, inspector, problems and summary in docks, the training
half (gui.training.TrainingController: data, settings, runs, try-it, dashboard) beside them; menus, files,
undo, unsaved-changes questions and recovery."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence, QUndoStack
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QMainWindow, QMessageBox, QScrollArea, QStackedWidget,
                               QWidget)

from engine import __version__
from engine.document import Document, DocumentError, load_document, save_document

from .analysis import AnalysisModel
from .canvas import CanvasView, GraphScene
from .dock_tabs import hide_stray_tab_bars
from .files import Recovery, RecentFiles, default_recovery_dir
from .help import DocumentationDialog, HelpPanel
from .inspector import InspectorPanel
from .palette import PalettePanel
from .plain_text import ask, message_box
from .problems import ProblemsPanel
from .shortcuts import SHEET_NAME, SHEET_SKIPS
from .start_page import StartPage, is_bundled_example
from .summary import ModelSummaryPanel
from .theme import THEMES, apply_theme

FILE_FILTER = "RNN Studio documents (*.json);;All files (*)"


def first_size(width: int, height: int) -> tuple[int, int]:
    """The first window's size on a screen with this much room (logical pixels)."""
    return (max(min(1500, int(width * 0.94)), int(width * 0.8)),
            max(min(920, int(height * 0.9)), int(height * 0.85)))


class MainWindow(QMainWindow):
    documentChanged = Signal(object)  # emitted after a new document is shown (scene and panels switched)

    def __init__(self, settings: QSettings | None = None, recovery_dir: Path | None = None,
                 install_training: bool = True):
        super().__init__()
        self.settings = settings or QSettings()
        self.recent = RecentFiles(self.settings)
        self.document: Document = Document()
        self.graph = self.document.graph
        self.undo_stack = QUndoStack(self)
        # Bound methods, not lambdas: Qt disconnects them when the window dies, so the undo stack's last
        # signals while the application tears down never reach a deleted window (a traceback at quit).
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.analysis = AnalysisModel(self.graph, self)
        self.scene = GraphScene(self.graph, self.undo_stack, self.analysis, self)
        self.view = CanvasView(self.scene)
        # Dialogs go through these so tests can answer them; each returns what the user chose.
        self.show_error = self._error_dialog
        self.ask_unsaved = self._unsaved_dialog  # -> "save" | "discard" | "cancel"
        self.ask_path = self._path_dialog  # (save: bool) -> str | None

        self.start_page = StartPage()
        self.start_page.openRequested.connect(self.open_file)
        self.start_page.newRequested.connect(self.new_document)
        self.start_page.openDialogRequested.connect(self.open_dialog)
        self.start_page.backRequested.connect(self.show_canvas)
        self.pages = QStackedWidget()
        start_scroll = QScrollArea()  # the start page scrolls on a small screen instead of widening the window
        start_scroll.setWidgetResizable(True)
        start_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        start_scroll.setWidget(self.start_page)
        self.pages.addWidget(start_scroll)
        self.pages.addWidget(self.view)
        self.setCentralWidget(self.pages)

        self.palette = PalettePanel()
        self.palette.blockActivated.connect(self._add_block_from_palette)
        self.inspector = InspectorPanel()
        self.problems = ProblemsPanel()
        self.problems.problemActivated.connect(self.focus_block)
        self.summary = ModelSummaryPanel()
        self._dock("Blocks", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea, "dock_palette")
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.DockWidgetArea.LeftDockWidgetArea,
                                         "dock_inspector")
        self.help_panel = HelpPanel()
        self.help_panel.exampleRequested.connect(self.open_example)
        self.help_dock = self._dock("Help", self.help_panel, Qt.DockWidgetArea.LeftDockWidgetArea, "dock_help")
        self.tabifyDockWidget(self.inspector_dock, self.help_dock)
        self.inspector_dock.raise_()
        self.problems_dock = self._dock("Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea,
                                        "dock_problems")
        self.summary_dock = self._dock("Model summary", self.summary, Qt.DockWidgetArea.BottomDockWidgetArea,
                                       "dock_summary")
        self.tabifyDockWidget(self.problems_dock, self.summary_dock)
        self.problems_dock.raise_()

        self.training = None  # the training half: its docks, its menu, and a question before closing during a run
        if install_training:
            from .training import TrainingController

            self.training = TrainingController(self, self.undo_stack, select_block=self.focus_block)
            self.problems.set_fit_model(self.training.fit)
            self.problems.fixRequested.connect(self.training.apply_fixes)
            self.problems.settingActivated.connect(self.training.focus_setting)
            for dock in self.training.docks.values():
                self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.experiments = None  # the experiment half: Vary…, the Experiments dock and menu (gui.experiments)
        if install_training:
            from .experiments import ExperimentController

            self.experiments = ExperimentController(self, self.undo_stack, self.training.sections, problems=self.problems,
                                                    dashboard=self.training.dashboard,
                                                    run_root=self.training.default_run_root)
            self.experiments.connect_vary(self.inspector, self.training.training_panel, self.training.data_panel)
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.experiments.dock)
            self.experiments.worker.stateChanged.connect(self._make_room_for_experiments)
            # its trials shown again: as much room as a running experiment (after the raise, as for the dashboard)
            self.experiments.trialsReopened.connect(
                lambda: QTimer.singleShot(0, self, lambda: self.make_room_for(self.experiments.dock)))
            self.tabifyDockWidget(self.summary_dock, self.experiments.dock)
            self.view.block_menu_hooks.append(self.experiments.add_block_entries)  # "Vary kind…" on a block
        self._build_menus()
        self.resize(*self._first_size())  # before the docks are sized, so their sizes are shares of this
        self.statusBar().showMessage("Ready")
        self.recovery = Recovery(recovery_dir or default_recovery_dir(), self._recovery_snapshot, self)
        self._arrange_docks()
        hide_stray_tab_bars(self)
        self.set_theme(str(self.settings.value("view/theme", "light")))
        self._bind(self.document)
        self.show_start_page()

    # ------------------------------------------------------------ documents
    def set_document(self, document: Document) -> None:
        """Shows ``document``: new scene and analysis, panels rebound, undo history cleared."""
        self._bind(document)
        self.pages.setCurrentWidget(self.view)
        self.view.frame_all()
        self.documentChanged.emit(document)

    def _bind(self, document: Document) -> None:
        old_scene, old_analysis = self.scene, self.analysis
        self.document, self.graph = document, document.graph
        self.undo_stack.clear()
        self.analysis = AnalysisModel(self.graph, self)
        self.scene = GraphScene(self.graph, self.undo_stack, self.analysis, self)
        self.scene.statusMessage.connect(self._show_status)
        self.scene.nodeActivated.connect(self._raise_inspector)
        self.scene.selectionChanged.connect(self._update_help)
        self.view.set_scene(self.scene)
        for stale in (old_scene, old_analysis):
            if stale is not None and stale is not self.scene and stale is not self.analysis:
                stale.detach()
                stale.deleteLater()
        self.inspector.set_context(self.graph, self.undo_stack, self.analysis, self.scene)
        self.problems.set_context(self.graph, self.analysis)
        self.summary.set_context(self.graph, self.analysis)
        if self.training is not None:
            self.training.set_document(document, self.scene)
        if self.experiments is not None:
            self.experiments.set_document(document)
        self.undo_stack.setClean()
        self.setWindowModified(False)
        self._update_title()

    def show_start_page(self) -> None:
        self.start_page.set_recent(self.recent.paths())
        open_document = self.document.path is not None or len(self.graph) or self.is_modified()
        self.start_page.set_back(self._document_name() if open_document else None)
        self.pages.setCurrentIndex(0)  # the start page (in its scroll area)
        self.start_page.setFocus()  # Esc goes back

    def show_canvas(self) -> None:
        """Back from the start page to the open document, as it was (selection, view, undo history)."""
        self.pages.setCurrentWidget(self.view)
        self.view.setFocus()

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def new_document(self) -> bool:
        if not self.maybe_save():
            return False
        self.set_document(Document())
        return True

    def open_dialog(self) -> bool:
        path = self.ask_path(False)
        return bool(path) and self.open_file(path)

    def open_file(self, path: str | Path) -> bool:
        """Opens ``path``; a broken file shows the engine's message and keeps the current document (read before
        the unsaved-changes question: asking to save, then refusing the file, asked for nothing)."""
        try:
            document = load_document(path)
            reopening = self.document.path is not None and Path(path).resolve() == self.document.path.resolve()
            if not self.maybe_save():
                return False
            if reopening:  # the current work may just have been saved over the file read above
                document = load_document(path)
        except DocumentError as err:
            self.show_error("Cannot open document", str(err))
            return False
        self.set_document(document)
        self.recent.add(Path(path))
        self._rebuild_recent_menu()
        left_out = "; ".join(f"its {name} section needs format version {needed} (set \"version\": {needed})"
                             for name, needed in document.left_out.items())
        # A hand-edited file whose version is too low for a section it holds: say what was left out, and why.
        self.statusBar().showMessage(f"Opened {path}" + (f"; left out: {left_out}" if left_out else ""),
                                     15000 if left_out else 5000)
        return True

    def save(self) -> bool:
        if self.document.path is None or is_bundled_example(self.document.path):
            return self.save_as()
        return self._write(self.document.path)

    def save_as(self) -> bool:
        path = self.ask_path(True)
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".json"
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        if is_bundled_example(path):
            self.show_error("Cannot save document", f"{path} is a bundled example, which RNN Studio never "
                                                    f"overwrites: save your version under another name (Save As).")
            return False
        try:
            save_document(self.document, path)
        except (OSError, ValueError) as err:
            self.show_error("Cannot save document", f"{path}: {getattr(err, 'strerror', None) or err}")
            return False
        self.undo_stack.setClean()
        self.recovery.discard()
        self.recent.add(path)
        self._rebuild_recent_menu()
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def maybe_save(self) -> bool:
        """Asks about unsaved changes; False means the user cancelled what they were doing."""
        if self.experiments is not None and not self.experiments.may_switch():
            return False  # an experiment runs: the user keeps it (and this document)
        if not self.is_modified():
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def offer_recovery(self) -> bool:
        """Offers back the newest work a crashed studio left (at start-up, or File ▸ Recover unsaved work);
        returns whether it was restored. Records of studios still running are never offered."""
        records = self.recovery.pending_records()
        if not records:
            return False
        path, record = records[0]
        where = record.get("original") or "an unsaved document"
        if not ask(self, "Recover unsaved work",
                   f"RNN Studio did not close normally. Restore the unsaved changes to {where}?"):
            self.recovery.forget(path)
            self._say_more_recoverable(len(records) - 1)
            return False
        try:
            document = Recovery.restore(record)
        except DocumentError as err:
            self.show_error("Cannot recover", str(err))
            self.recovery.forget(path)
            return False
        if not self.maybe_save():
            return False  # the recovered work stays offered
        self.set_document(document)
        self.undo_stack.resetClean()  # restored work is unsaved until the user saves it
        self.setWindowModified(True)
        self.recovery.autosave()  # this window's own recovery file now holds it...
        self.recovery.forget(path)  # ...so the crashed one can go
        self._say_more_recoverable(len(records) - 1)
        return True

    def _say_more_recoverable(self, count: int) -> None:
        if count > 0:
            self.statusBar().showMessage(f"{count} more unsaved document(s) from a crash: File ▸ Recover unsaved "
                                         f"work", 15000)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.training is not None and not self.training.may_close():
            event.ignore()
            return
        if self.experiments is not None and not self.experiments.may_close():
            event.ignore()
            return
        if not self.maybe_save():
            event.ignore()
            return
        if self.training is not None:
            self.training.shutdown()  # a running QThread must not be destroyed with the window
        if self.experiments is not None:
            self.experiments.shutdown()  # its worker processes end with the window
        self.recovery.discard()
        self.save_layout()
        super().closeEvent(event)

    # ------------------------------------------------------------ theme
    def set_theme(self, mode: str) -> str:
        """Light, dark or the system's colours for the window, the canvas and every plot; remembered."""
        mode = mode if mode in THEMES else "light"
        effective = apply_theme(mode, self)
        self.settings.setValue("view/theme", mode)
        for action in self.theme_actions.actions():
            action.setChecked(action.data() == mode)
        return effective

    # ------------------------------------------------------------ window layout
    def _screen_key(self) -> str:
        screen = self.screen() or QGuiApplication.primaryScreen()
        size = screen.availableGeometry().size() if screen is not None else None
        return f"window/{size.width()}x{size.height()}" if size is not None else "window/default"

    def _first_size(self) -> tuple[int, int]:
        """1500x920 on an ordinary screen; less so that the whole window (title and status bar included) fits a
        small one; on a large screen (4K at 100 %) four fifths of it, so the canvas gets the room it offers."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return 1500, 920
        return first_size(screen.availableGeometry().width(), screen.availableGeometry().height())

    def save_layout(self) -> None:
        """Geometry and dock state, remembered per screen size (a laptop screen keeps its own layout)."""
        key = self._screen_key()
        self.settings.setValue(f"{key}/geometry", self.saveGeometry())
        self.settings.setValue(f"{key}/state", self.saveState())

    def restore_layout(self) -> bool:
        """Restores what save_layout kept for this screen size; otherwise centres the window on the screen."""
        key = self._screen_key()
        geometry, state = self.settings.value(f"{key}/geometry"), self.settings.value(f"{key}/state")
        restored = bool(geometry is not None and self.restoreGeometry(geometry))
        if state is not None:
            self.restoreState(state)
            hide_stray_tab_bars(self)
        if not restored:
            screen = self.screen() or QGuiApplication.primaryScreen()
            if screen is not None:
                frame = self.frameGeometry()
                frame.moveCenter(screen.availableGeometry().center())
                self.move(frame.topLeft())
        return restored

    def _recovery_snapshot(self):
        return self.document, self.is_modified()

    # ------------------------------------------------------------ canvas helpers
    def focus_block(self, node_id: str) -> None:
        if node_id and node_id in self.graph.nodes:
            self.scene.select_nodes([node_id])
            self.view.center_on_node(node_id)

    def _add_block_from_palette(self, kind: str) -> None:
        self.pages.setCurrentWidget(self.view)
        self.view.add_block(kind)

    def _document_name(self) -> str:
        return self.document.path.name if self.document.path else "Untitled"

    def _update_title(self) -> None:
        name = self._document_name()
        self.setWindowTitle(f"{name}[*] — RNN Studio")

    def _dock(self, title: str, widget: QWidget, area, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _arrange_docks(self) -> None:
        """Canvas first: narrow side columns, one tabbed strip at the bottom (problems, summary, dashboard)."""
        docks = {dock.objectName(): dock for dock in self.findChildren(QDockWidget)}
        if self.training is not None:
            right = [self.training.docks[key] for key in ("data", "training", "runs", "try")]
            for dock in right[1:]:
                self.tabifyDockWidget(right[0], dock)
            right[1].raise_()
        board = docks.get("dock_dashboard")
        if board is not None:
            self.tabifyDockWidget(self.summary_dock, board)
            self.problems_dock.raise_()
            self.training.dashboardShown.connect(self._make_room_for_dashboard)
        self.fit_docks()

    def fit_docks(self) -> None:
        """Dock sizes as shares of the window, so that a small screen keeps the canvas usable (the docks
        scroll inside) and a large one gives the side panels room."""
        docks = {dock.objectName(): dock for dock in self.findChildren(QDockWidget)}
        width, height = self.width(), self.height()
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        self.resizeDocks([docks["dock_palette"], docks["dock_inspector"]],
                         [int(height * 0.3), int(height * 0.55)], vertical)
        self.resizeDocks([docks["dock_palette"]], [max(180, int(width * 0.17))], horizontal)
        right = [d for name, d in docks.items() if name in ("dock_training", "dock_data")]
        if right:
            self.resizeDocks(right[:1], [max(260, int(width * 0.25))], horizontal)
        # The bottom strip holds a few problems until a run starts (then the dashboard takes half the height):
        # at 1280x720 a third of the height left the canvas 400 px for a list of one or two lines.
        self.resizeDocks([self.problems_dock], [max(150, int(height * 0.24))], vertical)

    def _set_minimap(self, on: bool) -> None:
        self.view.minimap.enabled_by_user = on
        self.view.minimap.refit()

    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _raise_inspector(self, _node_id: str = "") -> None:
        self.inspector_dock.raise_()

    def _update_help(self) -> None:
        """The Help sidebar documents the one selected block (with its shapes now)."""
        try:
            ids = self.scene.selected_node_ids()
        except RuntimeError:  # the scene is being deleted (a scene clears its selection then)
            return
        node = self.graph.nodes.get(ids[0]) if len(ids) == 1 else None
        if node is not None:
            self.help_panel.show_block(node.kind, node, self.analysis.report)

    def open_example(self, name: str) -> bool:
        """Opens bundled example ``name`` (a link in the Help sidebar)."""
        from .start_page import EXAMPLES_DIR

        path = EXAMPLES_DIR / f"{name}.json"
        if not path.is_file():
            self.show_error("Cannot open example", f"there is no bundled example called '{name}'")
            return False
        return self.open_file(path)

    def show_documentation(self) -> DocumentationDialog:
        dialog = DocumentationDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _make_room_for_dashboard(self) -> None:
        """A run starts (or one is reopened or compared): the bottom strip gets enough height for the plots (the
        canvas keeps the rest). After the raise has taken effect: a dock still behind its tab has a stale size."""
        QTimer.singleShot(0, self, lambda: self.make_room_for(self.training.docks["dashboard"]))

    def _make_room_for_experiments(self, state: str) -> None:
        """An experiment starts: its table and plot get the same room (the strip holds a few problems before)."""
        if state == "running":
            self.make_room_for(self.experiments.dock)

    def make_room_for(self, dock) -> None:
        """At least half the window's height for ``dock`` (a bottom dock)."""
        wanted = int(self.height() * 0.5)
        if dock.height() < wanted:
            self.resizeDocks([dock], [wanted], Qt.Orientation.Vertical)

    # ------------------------------------------------------------ menus
    def _action(self, menu, text: str, slot, shortcut=None, on_canvas: bool = False, canvas_keys: str = "") -> QAction:
        """``canvas_keys``: the keys the canvas handles itself for this action, shown in the menu and the shortcut
        sheet (after a tab, as Qt shows a shortcut) without binding them window-wide."""
        action = QAction(f"{text}\t{canvas_keys}" if canvas_keys else text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if on_canvas:
            # Clipboard keys act on blocks only while the canvas has focus; text fields keep their own.
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(action)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&New", self.new_document, QKeySequence.StandardKey.New)
        self._action(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setProperty(SHEET_SKIPS, True)  # file paths, not actions to look up
        self._rebuild_recent_menu()
        self._action(file_menu, "Start page", self.show_start_page)
        self._action(file_menu, "Recover unsaved work…", self._recover_next)
        file_menu.addSeparator()
        self._action(file_menu, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._action(file_menu, "Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit = bar.addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        for action, name in ((undo, "Undo"), (redo, "Redo")):  # their text names the step: "Undo Change units"
            action.setProperty(SHEET_NAME, name)
        edit.addActions([undo, redo])
        edit.addSeparator()
        view = lambda name: (lambda: getattr(self.view, name)())  # noqa: E731 - the view may change scene
        self._action(edit, "Cu&t", view("cut_selection"), QKeySequence.StandardKey.Cut, on_canvas=True)
        self._action(edit, "&Copy", view("copy_selection"), QKeySequence.StandardKey.Copy, on_canvas=True)
        self._action(edit, "&Paste", view("paste"), QKeySequence.StandardKey.Paste, on_canvas=True)
        self._action(edit, "&Duplicate", view("duplicate_selection"), "Ctrl+D", on_canvas=True)
        self._action(edit, "&Delete", view("delete_selection"), canvas_keys="Del")  # the canvas handles the key
        self._action(edit, "Select &All", view("select_all"), QKeySequence.StandardKey.SelectAll, on_canvas=True)
        edit.addSeparator()
        self._action(edit, "Auto-&layout", view("auto_layout"), "Ctrl+L")
        edit.addSeparator()
        comment = self._action(edit, "Add co&mment", view("add_comment"), "Shift+C", on_canvas=True)
        comment.setToolTip("A text note on the canvas at the cursor: type, then Esc or click elsewhere")
        frame = self._action(edit, "Put selection in a &frame", view("add_frame"), "Ctrl+G", on_canvas=True)
        frame.setToolTip("A titled frame around the selected blocks: dragging its title moves them with it")

        view_menu = bar.addMenu("&View")
        self._action(view_menu, "&Frame all", view("frame_everything"), "Shift+F", on_canvas=True)  # not in other docks
        self._action(view_menu, "Frame &selection", view("frame_selection"), canvas_keys="F")
        values = self._action(view_menu, "&Wire values", view("show_wire_values"), "Shift+W", on_canvas=True)
        values.setToolTip("Ports, shape and the latest training statistics of every wire of the selected blocks")
        self._action(view_menu, "Zoom &in", view("zoom_in"), QKeySequence.StandardKey.ZoomIn)
        self._action(view_menu, "Zoom &out", view("zoom_out"), QKeySequence.StandardKey.ZoomOut)
        minimap = self._action(view_menu, "&Minimap", self._set_minimap)
        minimap.setCheckable(True)
        minimap.setChecked(True)
        snap = self._action(view_menu, "Snap to &grid", lambda on: setattr(self.view, "snap_to_grid", on))
        snap.setCheckable(True)
        snap.setChecked(bool(self.view.snap_to_grid))
        self._action(view_menu, "View &code…", lambda: self.summary.view_code(), "Ctrl+Shift+K")
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_actions = QActionGroup(self)
        for mode, text in (("light", "&Light"), ("dark", "&Dark"), ("system", "Follow the &system")):
            action = theme_menu.addAction(text)
            action.setCheckable(True)
            action.setData(mode)
            action.triggered.connect(lambda _=False, m=mode: self.set_theme(m))
            self.theme_actions.addAction(action)
        view_menu.addSeparator()
        if self.training is not None:
            view_menu.addAction(self.training.actions["focus"])
        self.panels_menu = view_menu.addMenu("&Panels")
        for dock in self.findChildren(QDockWidget):
            self.panels_menu.addAction(dock.toggleViewAction())

        if self.training is not None:
            self.training.fill_menu(bar.addMenu("&Training"))
        if self.experiments is not None:
            self.experiments.fill_menu(bar.addMenu("E&xperiments"))
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Documentation", self.show_documentation, QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, "&Lessons", self.show_start_page)
        self._action(help_menu, "&Block help", lambda: (self.help_dock.show(), self.help_dock.raise_()))
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "Ctrl+/")
        help_menu.addSeparator()
        self._action(help_menu, "&About RNN Studio", self._about)

    def _recover_next(self) -> None:
        if not self.recovery.pending_records():
            self.statusBar().showMessage("no unsaved work from a crash to recover", 5000)
            return
        self.offer_recovery()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent.paths()
        for path in paths:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_file(p))
        self.recent_menu.setEnabled(bool(paths))

    # ------------------------------------------------------------ dialogs
    def _error_dialog(self, title: str, message: str) -> None:
        message_box(self, QMessageBox.Icon.Critical, title, message)

    def _unsaved_dialog(self) -> str:
        buttons = QMessageBox.StandardButton
        answer = message_box(
            self, QMessageBox.Icon.Question, "Unsaved changes",
            f"Save the changes to {self.document.path.name if self.document.path else 'this model'}?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")

    def _path_dialog(self, save: bool) -> str | None:
        start = str(self._dialog_folder(save))
        if save and self.document.path is not None:  # Save As starts from the document's name (an example's too)
            start = str(Path(start) / self.document.path.name)
        if save:
            path, _ = QFileDialog.getSaveFileName(self, "Save model", start, FILE_FILTER)
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Open model", start, FILE_FILTER)
        return path or None

    def _dialog_folder(self, save: bool) -> Path:
        """The document's folder, except for a new document or a bundled example when saving: the user's
        documents folder (the examples are the studio's, not theirs to write into)."""
        path = self.document.path
        if path is not None and not (save and is_bundled_example(path)):
            return Path(path).parent
        documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return Path(documents) if documents and Path(documents).is_dir() else Path.home()

    def show_shortcuts(self):
        from .shortcuts import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _about(self) -> None:
        QMessageBox.about(self, "About RNN Studio",
                          f"RNN Studio {__version__}\nDesign recurrent neural networks, watch them learn, export them.")
