"""Debian's libtesseract, loaded once per process and kept, through tesseract's C API.

The `tesseract` command loads its models anew for every call: ~85 ms for eng, ~190 ms for
chi_sim+eng before it reads anything, which was most of a slide's OCR cost. Here the same
library the command uses (libtesseract.so.5 of the tesseract-ocr package) is called through its
C API (include/tesseract/capi.h in tesseract's repository: TessBaseAPIInit3, SetImage,
Recognize, GetTsvText), with one initialised engine per language set and process, so each read
pays only for the recognition. The readings are the command's: the same engine, image, page
segmentation mode and variables, and the same TSV (`tesseract … tsv`) parsed the same way.

An engine is used by one thread at a time (a lock each). A forked child never uses its parent's
engines: they are kept per process id.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import threading
from collections import OrderedDict
from typing import NamedTuple

from django.conf import settings
from PIL import Image

TIMEOUT_MS = 60_000  # a read that takes longer is abandoned (the command's `timeout`)
MAX_ENGINES = 3  # language sets kept loaded per process: eng, chi_sim and one combination
VARIABLES = {"tessedit_do_invert": "0"}  # the images are dark text on white already
# Where tesseract's own messages go ("Estimating resolution as 405", one a read): the command
# wrote them to a stderr nobody read; in a worker they would flood the log.
MESSAGES = os.devnull


class TesseractError(RuntimeError):
    """The library is missing, its language data is, or a read failed; the message says which."""


class Row(NamedTuple):
    """One recognised word of the TSV, with its box in image pixels."""

    text: str
    left: int
    top: int
    width: int
    height: int


def read(image: Image.Image, languages: str, psm: int) -> list[Row]:
    """The words tesseract recognises on the image (any mode, read as greyscale), in its
    reading order, with page segmentation mode psm."""
    gray = image.convert("L")
    while True:
        engine = _engine(languages)
        with engine.lock:
            if engine.handle is not None:  # else another thread closed it to make room
                return engine.read(gray, psm)


class _Engine:
    def __init__(self, lib: ctypes.CDLL, languages: str) -> None:
        self.lib, self.lock = lib, threading.Lock()
        self.handle = _new_handle(lib)
        failed = lib.TessBaseAPIInit3(self.handle, None, languages.encode()) != 0
        loaded = (
            [] if failed else _strings(lib, lib.TessBaseAPIGetLoadedLanguagesAsVector(self.handle))
        )
        if failed or sorted(loaded) != sorted(set(languages.split("+"))):
            self.close()
            missing = [code for code in languages.split("+") if not _loads(lib, code)]
            raise TesseractError(
                f"tesseract language data missing: {', '.join(missing) or languages}"
            )
        for name, value in VARIABLES.items():
            lib.TessBaseAPISetVariable(self.handle, name.encode(), value.encode())

    def read(self, gray: Image.Image, psm: int) -> list[Row]:
        lib, handle = self.lib, self.handle
        lib.TessBaseAPISetPageSegMode(handle, psm)
        lib.TessBaseAPISetImage(handle, gray.tobytes(), gray.width, gray.height, 1, gray.width)
        monitor = lib.TessMonitorCreate()
        try:
            lib.TessMonitorSetDeadlineMSecs(monitor, TIMEOUT_MS)
            if lib.TessBaseAPIRecognize(handle, monitor) != 0:
                raise TesseractError("tesseract could not read the image (or ran out of time)")
            text = lib.TessBaseAPIGetTsvText(handle, 0)
        finally:
            lib.TessMonitorDelete(monitor)
            lib.TessBaseAPIClear(handle)
        try:
            tsv = ctypes.string_at(text).decode("utf-8", "replace")
        finally:
            lib.TessDeleteText(text)
        return _rows(tsv)

    def close(self) -> None:
        self.lib.TessBaseAPIEnd(self.handle)
        self.lib.TessBaseAPIDelete(self.handle)
        self.handle = None


def _rows(tsv: str) -> list[Row]:
    """The words of tesseract's TSV (level page block par line word left top width height conf
    text, no header line here): only rows with text, as `pytesseract.image_to_data` kept them."""
    rows = []
    for line in tsv.splitlines():
        cells = line.split("\t", 11)
        if len(cells) == 12 and cells[11].strip():
            left, top, width, height = (int(float(cell)) for cell in cells[6:10])
            rows.append(Row(cells[11], left, top, width, height))
    return rows


_engines: OrderedDict[tuple[int, str, str], _Engine] = OrderedDict()
_engines_lock = threading.Lock()


_failures: dict[tuple[int, str, str], str] = {}  # language sets that did not load, and why


def _engine(languages: str) -> _Engine:
    key = (os.getpid(), settings.NANODECK["TESSERACT_LIBRARY"], languages)
    with _engines_lock:
        if key in _failures:
            raise TesseractError(_failures[key])
        engine = _engines.get(key)
        if engine is None:
            for old in [k for k in _engines if k[0] != key[0]]:
                del _engines[old]  # a parent's: its memory is the parent's to free
            try:
                engine = _engines[key] = _Engine(_library(), languages)
            except TesseractError as exc:
                _failures[key] = str(exc)
                raise
            while len(_engines) > MAX_ENGINES:
                _, evicted = _engines.popitem(last=False)
                with evicted.lock:
                    evicted.close()
        _engines.move_to_end(key)
        return engine


@atexit.register
def _close_engines() -> None:
    """End this process's engines (tesseract warns of a leak at exit otherwise)."""
    with _engines_lock:
        for (pid, _, _), engine in list(_engines.items()):
            if pid == os.getpid():
                engine.close()
        _engines.clear()


_libraries: dict[str, ctypes.CDLL] = {}


def _library() -> ctypes.CDLL:
    """libtesseract, with the prototypes used here (TESSERACT_LIBRARY names the file)."""
    name = settings.NANODECK["TESSERACT_LIBRARY"]
    if name not in _libraries:
        # OpenMP threading makes tesseract 4-6x slower on these small images; libgomp reads
        # the limit once, when the library is loaded.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        try:
            lib = ctypes.CDLL(name)  # a bare name: as the dynamic loader finds it
        except OSError:
            raise TesseractError("tesseract is not installed") from None
        _prototype(lib)
        _libraries[name] = lib
    return _libraries[name]


def _prototype(lib: ctypes.CDLL) -> None:
    p, s, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for name, result, arguments in (
        ("TessBaseAPICreate", p, []),
        ("TessBaseAPIDelete", None, [p]),
        ("TessBaseAPIEnd", None, [p]),
        ("TessBaseAPIInit3", i, [p, s, s]),
        ("TessBaseAPISetVariable", i, [p, s, s]),
        ("TessBaseAPISetPageSegMode", None, [p, i]),
        ("TessBaseAPISetImage", None, [p, s, i, i, i, i]),
        ("TessBaseAPIRecognize", i, [p, p]),
        ("TessBaseAPIGetTsvText", p, [p, i]),
        ("TessBaseAPIClear", None, [p]),
        ("TessBaseAPIGetLoadedLanguagesAsVector", p, [p]),
        ("TessDeleteText", None, [p]),
        ("TessDeleteTextArray", None, [p]),
        ("TessMonitorCreate", p, []),
        ("TessMonitorDelete", None, [p]),
        ("TessMonitorSetDeadlineMSecs", None, [p, i]),
    ):
        function = getattr(lib, name)
        function.restype, function.argtypes = result, arguments


def _new_handle(lib: ctypes.CDLL) -> int:
    """An engine not initialised yet, its messages sent to MESSAGES (Init's own included)."""
    handle = lib.TessBaseAPICreate()
    lib.TessBaseAPISetVariable(handle, b"debug_file", MESSAGES.encode())
    return handle


def _loads(lib: ctypes.CDLL, code: str) -> bool:
    """Whether one language's data loads (asked only after a set failed to)."""
    handle = _new_handle(lib)
    try:
        return lib.TessBaseAPIInit3(handle, None, code.encode()) == 0
    finally:
        lib.TessBaseAPIEnd(handle)
        lib.TessBaseAPIDelete(handle)


def _strings(lib: ctypes.CDLL, array: int | None) -> list[str]:
    """A NULL-terminated char** from the library, freed after reading."""
    if not array:
        return []
    items = ctypes.cast(array, ctypes.POINTER(ctypes.c_char_p))
    try:
        out, k = [], 0
        while items[k] is not None:
            out.append(items[k].decode())
            k += 1
        return out
    finally:
        lib.TessDeleteTextArray(array)
