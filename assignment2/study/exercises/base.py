"""What every exercise shares: settings checked once at the entry, with a quick profile, and a result that writes
and reads its folder (``results.json`` by ``cattrs``, tables as CSV, Histories as JSON)."""

import dataclasses
import importlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ...core.files import load_json, read_table, save_json, save_table, user_path
from ...core.history import History
from ...core.config import DTYPES
from ..search import Peak


#: Rules of a parameter beside those of ``checks`` (COUNT, SEEDS, ...).
DTYPE = (lambda v: v in DTYPES, " or ".join(repr(d) for d in DTYPES))
FOLDER = (lambda v: v is None or isinstance(v, str), "a folder (a string) or None")


#: The exercises that train networks, whose settings tell their work ahead (``Settings.expected_work``).
TRAINING = ("cyclical_lr", "lambda_search", "final_model", "bonus")


def seeds_text(n: int) -> str:
    """"1 seed", "3 seeds"."""
    return f"{n} seed{'s' * (n != 1)}"


class OneLineError(Exception):
    """An error a person can act on from its message alone: a notebook shows it as that one line (IPython renders
    ``_render_traceback_`` in place of a traceback)."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class ParameterError(OneLineError, ValueError):
    """A parameter with a value outside its rule."""


class InputError(OneLineError):
    """An exercise's input, the results of an earlier exercise, is missing, cut short or of another kind."""


@dataclass(frozen=True)
class Settings:
    """An exercise's parameters (a subclass declares them as fields with defaults, named as the notebook's),
    each checked against its rule in RULES when the settings are made: a bad one raises a ParameterError whose
    one line names it and its notebook, says what it must be and what it got."""

    #: The notebook whose parameters these are.
    NOTEBOOK: ClassVar[str] = ""
    #: The quick profile: small values, for a test of the pipeline.
    QUICK: ClassVar[dict] = {}
    #: Parameter -> its rule (see COUNT, SEEDS, ...).
    RULES: ClassVar[dict] = {}

    quick: bool = False     # whether these are the quick profile's

    def __post_init__(self):
        for name, (test, allowed) in {"data_root": FOLDER, "dtype": DTYPE, **self.RULES}.items():
            value = getattr(self, name, None)
            if hasattr(self, name) and not test(value):
                self.refuse(name, allowed)

    def refuse(self, name: str, allowed: str) -> None:
        """Raise the ParameterError of parameter ``name``, which must be ``allowed``."""
        raise ParameterError(f"{name} must be {allowed}, got {getattr(self, name)!r} (a parameter of "
                             f"notebooks/{self.NOTEBOOK}.ipynb)")

    @classmethod
    def from_parameters(cls, namespace: dict, quick: bool = False) -> "Settings":
        """The settings named in ``namespace`` (a notebook's parameters), a relative data folder read from where
        the user ran the command (``files.user_path``); with ``quick``, ``quick_profile``."""
        values = {f.name: namespace[f.name] for f in fields(cls) if f.name in namespace}
        if isinstance(values.get("data_root"), str):
            values["data_root"] = str(user_path(values["data_root"]))
        settings = cls(**values)
        return settings.quick_profile() if quick else settings

    def expected_work(self, images: int) -> float:
        """The work (``progress.work``) of the networks its notebook trains, told ahead of its choices, for data of
        ``images`` images in the five training batches (0: it trains little or nothing)."""
        return 0.0

    def later_work(self, images: int) -> float:
        """The ``expected_work`` of the build's later notebooks, at their defaults (the quick profile's if these
        are)."""
        for name in TRAINING:
            importlib.import_module(f"{__package__}.{name}")
        return sum(cls.from_parameters({}, self.quick).expected_work(images) for cls in Settings.__subclasses__()
                   if cls.NOTEBOOK > self.NOTEBOOK)

    def quick_profile(self) -> "Settings":
        """These settings with the QUICK value of every field still at its default (a value given stays)."""
        defaults = {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
                    for f in fields(self)}
        return dataclasses.replace(self, quick=True, **{name: value for name, value in self.QUICK.items()
                                                        if getattr(self, name) == defaults[name]})


#: The JSON form of every summary: unknown keys refused, so a file of another version is named, not half-read.
JSON = cattrs.Converter(forbid_extra_keys=True)
JSON.register_structure_hook(Peak, make_dict_structure_fn(Peak, JSON, lam=override(rename="lambda"),
                                                          _cattrs_forbid_extra_keys=True))
JSON.register_unstructure_hook(Peak, make_dict_unstructure_fn(Peak, JSON, lam=override(rename="lambda")))


@dataclass
class Result:
    """``summary``: what ``results.json`` holds, an instance of the subclass's ``SUMMARY``; ``tables``: name ->
    rows (``name.csv``); ``histories``: name -> History (``name.json``); ``folder``: where it was saved or read."""

    summary: object
    tables: dict = field(default_factory=dict)
    histories: dict = field(default_factory=dict)
    folder: Path | None = None

    NOTEBOOK: ClassVar[str] = ""
    SUMMARY: ClassVar[type] = object

    def __getattr__(self, name):
        """A field of the summary, read as the result's own (the report's template reads ``bonus.single``)."""
        if name.startswith("__") or name == "summary":
            raise AttributeError(name)
        return getattr(self.summary, name)

    def headline(self) -> str:
        """Its main numbers in one line of plain text."""
        raise NotImplementedError

    def save(self, folder) -> Path:
        """Write the tables, the Histories and, last, ``results.json`` into ``folder``; return its path."""
        self.folder = Path(folder)
        for name, rows in self.tables.items():
            if rows:
                save_table([row if isinstance(row, dict) else vars(row) for row in rows], self.folder / f"{name}.csv")
        for name, history in self.histories.items():
            history.save(self.folder / f"{name}.json")
        return save_json(JSON.unstructure(self.summary), self.folder / "results.json")

    @classmethod
    def load(cls, folder) -> "Result":
        """The result saved in ``folder``; an InputError, in one line naming the file and how to make it,
        if it is missing, cut short or of another form than ``SUMMARY``."""
        folder = Path(folder)
        path = folder / "results.json"
        how = (f"notebook {cls.NOTEBOOK} writes it: run `make report`, or `papermill notebooks/{cls.NOTEBOOK}.ipynb "
               f"out.ipynb --cwd notebooks -p out_dir {folder.resolve()}`")
        try:
            summary = JSON.structure(load_json(path), cls.SUMMARY)
        except FileNotFoundError:
            raise InputError(f"{path} is missing; {how}") from None
        except (ValueError, OSError) as err:
            raise InputError(f"{path} cannot be read ({type(err).__name__}: it is cut short or not JSON); {how}") \
                from None
        except Exception as err:      # cattrs' errors name each field that does not fit
            problems = "; ".join(cattrs.transform_error(err))[:300]
            raise InputError(f"{path} is not a results.json of this version ({problems}); {how}") from None
        tables = {p.stem: read_table(p) for p in sorted(folder.glob("*.csv"))}
        histories = {p.stem: History.load(p) for p in sorted(folder.glob("*history*.json"))}
        return cls(summary, tables, histories, folder)
