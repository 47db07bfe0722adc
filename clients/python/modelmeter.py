"""ModelMeter client for Python: a drop-in for LLM-Manager's DataManager.

One file, standard library only (Python 3.8+). LLM-Manager users switch by changing one import::

    # from core.data_manager import DataManager
    from modelmeter import DataManager

    with DataManager() as dm:
        dm.add_model_runtime_start("Qwen3-Coder-30B", time.time())
        dm.add_model_request("Qwen3-Coder-30B", [time.time(), 150, 80, 120, 30])

The data goes to a running ModelMeter (desktop app or headless server) over its HTTP API instead of
a local monitoring.db. See README.md next to this file for how each method maps onto ModelMeter.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import ipaddress
import json
import logging
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

__all__ = [
    "DataManager",
    "Monitor",
    "ModelMeterError",
    "ModelMeterValidationError",
    "ModelRunTime",
    "ModelRequest",
    "TierPricing",
    "ModelBilling",
    "default_token",
]
__version__ = "1.0.0"

DEFAULT_URL = "http://127.0.0.1:7423"
API_ROOT = "/api/v1"
DEFAULT_SOURCE = "llm-manager"
DEFAULT_PROGRAM_MODEL = "LLM-Manager"
DEFAULT_CURRENCY = "CNY"
# Pages of GET /requests and GET /runs: the server's own maximum page sizes.
REQUEST_PAGE = 5000
RUN_PAGE = 10000
# The most records ModelMeter takes in one POST /requests (MAX_BATCH_RECORDS).
MAX_BATCH = 5000
# ModelMeter refuses latencies over a day; a longer request keeps its end time and loses its start.
MAX_LATENCY_MS = 86_400_000
# ModelMeter's ceiling for a price per 1M tokens or per hour.
MAX_PRICE = 10_000
# Timestamps are seconds, as time.time() gives them; anything this large can only be milliseconds.
MS_THRESHOLD = 100_000_000_000
# get_model_requests(name, minutes): a "minutes" this large is a start_time of the later signature.
MINUTES_THRESHOLD = 100_000_000
# The server's latest accepted time (2200-01-01): "the last N minutes" has no upper bound, as in
# DataManager, so records stamped a little ahead of this machine's clock are still "recent".
MAX_TIME_MS = 7_258_118_400_000

logger = logging.getLogger("modelmeter")
Number = Union[int, float]


class ModelMeterError(Exception):
    """An error answered by ModelMeter (or the failure to reach it): a stable code, a message for
    people and optional details for programs, e.g. [{"index": 0, "field": "inputTokens", ...}]."""

    def __init__(self, code: str, message: str, details: Optional[List[Dict[str, Any]]] = None, status: Optional[int] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.status = status

    def __str__(self) -> str:
        text = "%s: %s" % (self.code, self.message)
        if self.details:
            text += " (" + "; ".join("%s: %s" % (d.get("field", "?"), d.get("reason", "?")) for d in self.details) + ")"
        return text


class ModelMeterValidationError(ModelMeterError, ValueError):
    """A rejected input. Also a ValueError, which is what DataManager raised for malformed data."""


# ---------------------------------------------------------------------------------------------------
# The records DataManager answered with (same field names, so attribute access keeps working).


@dataclass
class ModelRunTime:
    id: int
    start_time: float
    end_time: float


@dataclass
class ModelRequest:
    id: int
    start_time: float
    end_time: float
    input_tokens: int
    output_tokens: int
    cache_n: int
    prompt_n: int

    @property
    def timestamp(self) -> float:
        """The request time of the first DataManager layout (its end)."""
        return self.end_time


@dataclass
class TierPricing:
    """A price tier in LLM-Manager's later layout; the older names are available as properties."""

    tier_index: int
    min_input_tokens: int
    max_input_tokens: int
    min_output_tokens: int
    max_output_tokens: int
    input_price: float
    output_price: float
    support_cache: bool
    cache_write_price: float
    cache_read_price: float

    @property
    def start_tokens(self) -> int:
        return self.min_input_tokens

    @property
    def end_tokens(self) -> int:
        return self.max_input_tokens

    @property
    def input_price_per_million(self) -> float:
        return self.input_price

    @property
    def output_price_per_million(self) -> float:
        return self.output_price

    @property
    def cache_hit_price_per_million(self) -> float:
        return self.cache_read_price


@dataclass
class ModelBilling:
    use_tier_pricing: bool
    hourly_price: float
    tier_pricing: List[TierPricing] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------
# Helpers


def _default_data_dir() -> str:
    """ModelMeter's data folder, as the app chooses it on this OS."""
    if os.environ.get("MODELMETER_DATA_DIR"):
        return os.environ["MODELMETER_DATA_DIR"]
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        return os.path.join(os.environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming"), "ModelMeter")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "ModelMeter")
    return os.path.join(os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "ModelMeter")


def default_token() -> Optional[str]:
    """MODELMETER_TOKEN, else the api-token file in ModelMeter's data folder, else None."""
    token = os.environ.get("MODELMETER_TOKEN", "").strip()
    if token:
        return token
    try:
        with open(os.path.join(_default_data_dir(), "api-token"), "r", encoding="utf-8") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def _to_ms(value: Any, what: str) -> int:
    """Seconds since the epoch (time.time()), or a datetime, to epoch milliseconds."""
    if isinstance(value, _dt.datetime):
        value = value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelMeterValidationError("validation_failed", "%s must be a timestamp in seconds (time.time()), not %r" % (what, value))
    if value < 0:
        raise ModelMeterValidationError("validation_failed", "%s must not be negative" % what)
    return int(round(value if value >= MS_THRESHOLD else value * 1000))


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != int(value):
        raise ModelMeterValidationError("validation_failed", "%s must be a whole number >= 0, not %r" % (what, value))
    return int(value)


def _price(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_PRICE:
        raise ModelMeterValidationError("validation_failed", "%s must be a price from 0 to %d, not %r" % (what, MAX_PRICE, value))
    return float(value)


def _model_path(model_name: str) -> str:
    """Each segment percent-encoded, the slashes of Hugging Face names kept (as the server expects)."""
    if not isinstance(model_name, str) or not model_name.strip():
        raise ModelMeterValidationError("validation_failed", "model name must be a non-empty string")
    return "/".join(urllib.parse.quote(part, safe="") for part in model_name.split("/"))


def _unsafe(safe_name: Any) -> Optional[str]:
    """Reverses get_safe_model_name; None when the text could not have come from it."""
    if not isinstance(safe_name, str) or not safe_name:
        return None
    data = bytearray()
    i = 0
    while i < len(safe_name):
        char = safe_name[i]
        if char == "_":
            pair = safe_name[i + 1 : i + 3]
            if len(pair) != 2 or any(c not in "0123456789abcdef" for c in pair):
                return None
            data.append(int(pair, 16))
            i += 3
        elif char.isascii() and char.isalnum():
            data.append(ord(char))
            i += 1
        else:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _flush_at_exit(ref: "weakref.ReferenceType[DataManager]") -> None:
    manager = ref()
    if manager is not None:
        try:
            manager.close()
        except Exception as error:  # noqa: BLE001 - the interpreter is exiting; say what was lost
            logger.error("modelmeter: could not send buffered requests at exit: %s", error)


# ---------------------------------------------------------------------------------------------------


class DataManager:
    """LLM-Manager's DataManager, backed by ModelMeter's HTTP API.

    Args:
        base_url: where ModelMeter listens; MODELMETER_URL or http://127.0.0.1:7423 by default. The
            first positional argument of the original was a database path: a value that is not an
            http(s) URL is ignored with a warning, so ``DataManager("webui/monitoring.db")`` still works.
        token: the API token; MODELMETER_TOKEN, else the api-token file in ModelMeter's data folder.
        timeout: seconds to wait for each call.
        source: the source name requests and runs are recorded under.
        currency: ISO code for new prices; None keeps the model's current currency, CNY for a new one
            (LLM-Manager's prices are yuan).
        program_model: the model name program runtime is recorded under, or None to leave program
            runtime to ModelMeter (which tracks its own uptime).
        batch_size: 1 sends every request at once (errors raise in the call). Larger values buffer
            add_model_request and send batches when the buffer is full, every ``flush_interval``
            seconds, on reads, flush() and close().
        flush_interval: seconds between background sends of a buffer (only when batch_size > 1).
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = 10.0,
        *,
        source: str = DEFAULT_SOURCE,
        currency: Optional[str] = None,
        program_model: Optional[str] = DEFAULT_PROGRAM_MODEL,
        batch_size: int = 1,
        flush_interval: float = 2.0,
        max_buffer: int = 100_000,
    ):
        if base_url is not None and not base_url.lower().startswith(("http://", "https://")):
            logger.warning("modelmeter: %r is not a ModelMeter URL (a monitoring.db path?); using the default", base_url)
            base_url = None
        self.base_url = (base_url or os.environ.get("MODELMETER_URL") or DEFAULT_URL).rstrip("/")
        self.token = token or default_token()
        if not self.token:
            raise ModelMeterError(
                "unauthorized",
                "no API token: pass token=..., set MODELMETER_TOKEN, or run ModelMeter once so it writes "
                "its api-token file in %s" % _default_data_dir(),
            )
        self.timeout = timeout
        self.source = source
        self.currency = currency
        self.program_model = program_model
        self.batch_size = max(1, int(batch_size))
        self.flush_interval = flush_interval
        self.max_buffer = max_buffer
        # A proxy from the environment must not intercept calls to the local ModelMeter.
        handlers = [urllib.request.ProxyHandler({})] if _is_loopback(self.base_url) else []
        self._opener = urllib.request.build_opener(*handlers)

        self._lock = threading.RLock()
        self._buffer: List[Dict[str, Any]] = []
        self._flush_error: Optional[ModelMeterError] = None
        self._wake = threading.Event()
        self._stopping = False
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        # Billing settings LLM-Manager keeps but ModelMeter only stores as the price version in force:
        # an hourly price set while billing by tokens (and tiers set while billing hourly) wait here
        # until update_billing_method switches to them.
        self._pending_hourly: Dict[str, float] = {}
        self._pending_tiers: Dict[str, List[TierPricing]] = {}
        self._pending_method: Dict[str, str] = {}
        if self.batch_size > 1:
            atexit.register(_flush_at_exit, weakref.ref(self))

    # -- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> "DataManager":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close()

    def close(self) -> None:
        """Sends what is buffered and stops the background sender. Raises if records stay unsent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.timeout + 1)
        self.flush()

    def flush(self) -> None:
        """Sends buffered requests now; raises ModelMeterError when they could not be sent."""
        self._send_buffer()
        with self._lock:
            error, self._flush_error = self._flush_error, None
            left = len(self._buffer)
        if left and error is not None:
            raise error
        if error is not None and left == 0:
            logger.warning("modelmeter: an earlier batch was rejected: %s", error)

    def health(self) -> Dict[str, Any]:
        """GET /healthz: {"status": "ok", "version": ...}."""
        return self._call("GET", "/healthz", root="")

    # -- HTTP ----------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, query: Optional[Dict[str, Any]] = None, body: Any = None, root: str = API_ROOT) -> Any:
        url = self.base_url + root + path
        if query:
            pairs = [(key, str(value)) for key, value in query.items() if value is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {
            "Authorization": "Bearer " + self.token,
            "Accept": "application/json",
            "User-Agent": "modelmeter-python/" + __version__,
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise self._error_of(error) from None
        except (urllib.error.URLError, OSError) as error:
            why = getattr(error, "reason", error)
            raise ModelMeterError("unavailable", "cannot reach ModelMeter at %s: %s" % (self.base_url, why)) from None
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            raise ModelMeterError("internal", "ModelMeter answered %s %s with a body that is not JSON" % (method, path)) from None

    @staticmethod
    def _error_of(error: urllib.error.HTTPError) -> ModelMeterError:
        try:
            body = json.loads(error.read().decode("utf-8"))
            info = body["error"]
            code, message, details = str(info["code"]), str(info["message"]), info.get("details")
        except Exception:  # noqa: BLE001 - not ModelMeter's JSON error envelope
            code = {401: "unauthorized", 404: "not_found", 409: "conflict", 413: "payload_too_large"}.get(
                error.code, "unavailable" if error.code >= 500 else "bad_request"
            )
            message, details = "ModelMeter answered %s %s" % (error.code, error.reason), None
        kind = ModelMeterValidationError if code in ("validation_failed", "bad_request") else ModelMeterError
        return kind(code, message, details, error.code)

    # -- requests ------------------------------------------------------------------------------------

    def add_model_request(self, model_name: str, request_data: Sequence[Number]) -> None:
        """Records one request. ``request_data`` is any of DataManager's layouts:

        - [timestamp, input_tokens, output_tokens]
        - [timestamp, input_tokens, output_tokens, cache_n, prompt_n]
        - [start_time, end_time, input_tokens, output_tokens, cache_n, prompt_n]

        As in llama.cpp, cache_n counts prompt tokens read from the cache and prompt_n those processed,
        so input_tokens = cache_n + prompt_n: ModelMeter stores cache_n as cacheReadTokens and the rest
        of the input (prompt_n) as inputTokens.
        """
        record = self._request_record(model_name, request_data)
        if self.batch_size == 1:
            self._post_records([record])
            return
        with self._lock:
            if self._closed:
                raise ModelMeterError("unavailable", "this DataManager is closed")
            self._buffer.append(record)
            if len(self._buffer) > self.max_buffer:
                dropped = len(self._buffer) - self.max_buffer
                del self._buffer[:dropped]
                logger.error("modelmeter: buffer full, %d oldest requests dropped (is ModelMeter running?)", dropped)
            full = len(self._buffer) >= self.batch_size
            self._ensure_thread()
        if full:
            self._wake.set()

    def _request_record(self, model_name: str, data: Sequence[Number]) -> Dict[str, Any]:
        _model_path(model_name)
        if isinstance(data, (str, bytes)) or not hasattr(data, "__len__"):
            raise ModelMeterValidationError("validation_failed", "request_data must be a list")
        values = list(data)
        start: Optional[Number] = None
        cache_n = prompt_n = 0
        if len(values) == 3:
            end, input_tokens, output_tokens = values
        elif len(values) == 5:
            end, input_tokens, output_tokens, cache_n, prompt_n = values
        elif len(values) == 6:
            start, end, input_tokens, output_tokens, cache_n, prompt_n = values
        else:
            raise ModelMeterValidationError(
                "validation_failed",
                "request_data must be [timestamp, input, output], [timestamp, input, output, cache_n, prompt_n] "
                "or [start_time, end_time, input, output, cache_n, prompt_n]; got %d values" % len(values),
            )
        ts = _to_ms(end, "timestamp")
        total = _count(input_tokens, "input_tokens")
        cached = _count(cache_n, "cache_n")
        processed = _count(prompt_n, "prompt_n")
        record: Dict[str, Any] = {
            "ts": ts,
            "model": model_name,
            # input_tokens is cache_n + prompt_n when both are known; keep the larger so a total that
            # was reported without its breakdown is never lost.
            "inputTokens": max(processed, total - cached) if (cached or processed) else total,
            "outputTokens": _count(output_tokens, "output_tokens"),
            "cacheReadTokens": cached,
            "source": self.source,
            # Lets a batch that timed out be sent again without counting it twice.
            "requestId": uuid.uuid4().hex,
        }
        if start is not None:
            latency = ts - _to_ms(start, "start_time")
            if 0 <= latency <= MAX_LATENCY_MS:
                record["latencyMs"] = latency
        return record

    def _post_records(self, records: List[Dict[str, Any]]) -> None:
        self._call("POST", "/requests", body={"records": records})

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run_sender, name="modelmeter-sender", daemon=True)
            self._thread.start()

    def _run_sender(self) -> None:
        while True:
            woken = self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                # Woken by a full buffer, only full batches go: what arrives while one is on its way
                # waits for the flush interval (or a read, or the end), as a smaller buffer would.
                self._send_buffer(only_full=woken and not self._stopping)
            except Exception as error:  # noqa: BLE001 - the sender thread must survive anything
                logger.error("modelmeter: sending requests failed: %s", error)
            if self._stopping:
                return

    def _send_buffer(self, only_full: bool = False) -> None:
        """Sends the buffer in batches (with ``only_full``, only while it holds batch_size or more). A
        batch that fails to arrive goes back to the front for the next try; one ModelMeter refuses is
        dropped (it would be refused forever) and reported."""
        while True:
            with self._lock:
                if only_full and len(self._buffer) < self.batch_size:
                    return
                batch = self._buffer[: min(max(self.batch_size, 1000), MAX_BATCH)]
                if not batch:
                    return
                del self._buffer[: len(batch)]
            try:
                self._post_records(batch)
            except ModelMeterError as error:
                with self._lock:
                    self._flush_error = error
                    if error.code in ("unavailable", "internal"):
                        self._buffer[:0] = batch
                        return
                logger.error("modelmeter: ModelMeter refused %d requests: %s", len(batch), error)

    def get_model_requests(
        self,
        model_name: str,
        minutes: Number = 0,
        end_time: Number = 0,
        buffer_seconds: int = 60,
        *,
        start_time: Optional[Number] = None,
    ) -> List[ModelRequest]:
        """Requests of a model. ``get_model_requests(name, minutes)`` (the original DataManager)
        answers everything at or after now - ``minutes`` (0 = all), newest first, with no upper bound:
        a launcher whose clock runs ahead, or timestamps like ``time.time() + i``, stay in "recent". The later signature
        ``get_model_requests(name, start_time, end_time)`` answers that range oldest first; a second
        argument larger than 10^8 is taken as such a start_time. ``buffer_seconds`` is accepted and
        not needed: ModelMeter's timestamps are exact."""
        del buffer_seconds
        self._send_buffer()
        if start_time is None and minutes and minutes > MINUTES_THRESHOLD:
            start_time, minutes = minutes, 0
        now_ms = int(time.time() * 1000)
        ascending = start_time is not None or bool(end_time)
        query: Dict[str, Any] = {"model": model_name, "limit": REQUEST_PAGE}
        if start_time:
            query["from"] = _to_ms(start_time, "start_time")
        elif minutes and minutes > 0:
            query["from"] = now_ms - int(minutes * 60_000)
        query["to"] = _to_ms(end_time, "end_time") + 1 if end_time else MAX_TIME_MS
        rows: List[ModelRequest] = []
        while True:
            page = self._call("GET", "/requests", query)
            for row in page["requests"]:
                latency = row.get("latencyMs") or 0
                rows.append(
                    ModelRequest(
                        id=int(row["id"]),
                        start_time=(row["ts"] - latency) / 1000.0,
                        end_time=row["ts"] / 1000.0,
                        input_tokens=row["inputTokens"] + row["cacheReadTokens"] + row["cacheWriteTokens"],
                        output_tokens=row["outputTokens"],
                        cache_n=row["cacheReadTokens"],
                        prompt_n=row["inputTokens"] + row["cacheWriteTokens"],
                    )
                )
            if not page.get("nextBefore"):
                break
            query["before"] = page["nextBefore"]
        if ascending:
            rows.sort(key=lambda r: (r.end_time, r.id))
        return rows

    # -- runtime -------------------------------------------------------------------------------------

    def _report_run(self, model_name: str, event: str, ts: Optional[Number], what: str, run_id: Optional[int] = None) -> Dict[str, Any]:
        body: Dict[str, Any] = {"model": model_name, "event": event, "source": self.source}
        if ts is not None:
            body["ts"] = _to_ms(ts, what)
        if run_id is not None:
            body["runId"] = run_id
        return self._call("POST", "/runs", body=body)

    def _start_run(self, model_name: str, start_time: Number) -> int:
        _model_path(model_name)
        # DataManager began a new row at every start; ModelMeter would extend a run still open from
        # an earlier start (it closes a silent run only after its stale timeout), so end that one
        # first, at the last moment it was vouched for.
        for run in self._runs(model_name, limit=20):
            if run["running"] and run["source"] == self.source:
                self._call(
                    "POST",
                    "/runs",
                    body={"model": model_name, "event": "stop", "source": self.source, "runId": run["id"], "ts": run["lastSeenAt"]},
                )
        return int(self._report_run(model_name, "start", start_time, "start_time")["id"])

    def add_model_runtime_start(self, model_name: str, start_time: Number) -> int:
        """A model started (a run begins at ``start_time``). Answers ModelMeter's run id."""
        return self._start_run(model_name, start_time)

    def update_model_runtime_end(self, model_name: str, end_time: Number) -> None:
        """The model was up until ``end_time``. LLM-Manager calls this every few seconds while a model
        runs and once more when it stops, so it is a heartbeat: the run's end moves to ``end_time``.
        ModelMeter closes the run there when no update follows within its stale timeout (Settings,
        120 s by default), or at once with stop_model_runtime()."""
        self._report_run(model_name, "heartbeat", end_time, "end_time")

    def stop_model_runtime(self, model_name: str, end_time: Optional[Number] = None) -> None:
        """Ends the model's run now (or at ``end_time``). Not in DataManager: use it where the caller
        knows the model has stopped, to see it stopped at once rather than after the stale timeout."""
        try:
            self._report_run(model_name, "stop", end_time, "end_time")
        except ModelMeterError as error:
            if error.code != "not_found":
                raise

    def _runs(self, model_name: str, limit: int = 0, start: Optional[Number] = None, end: Optional[Number] = None) -> List[Dict[str, Any]]:
        query: Dict[str, Any] = {"model": model_name, "limit": limit if 0 < limit <= RUN_PAGE else RUN_PAGE}
        if start is not None:
            query["from"] = _to_ms(start, "start_time")
        if end is not None:
            query["to"] = _to_ms(end, "end_time") + 1
        return self._call("GET", "/runs", query)

    @staticmethod
    def _run_time(run: Dict[str, Any]) -> ModelRunTime:
        end = run["end"] if run["end"] is not None else run["lastSeenAt"]
        return ModelRunTime(int(run["id"]), run["start"] / 1000.0, end / 1000.0)

    def get_model_runtime(self, model_name: str, limit: int = 0) -> List[ModelRunTime]:
        """Runs of a model, newest first (0 = all, up to 10,000). A running run ends at its last update."""
        return [self._run_time(run) for run in self._runs(model_name, limit)]

    def get_model_runtime_in_range(self, model_name: str, start_time: Number, end_time: Number) -> List[ModelRunTime]:
        """Runs overlapping [start_time, end_time], oldest first (the later Monitor's method)."""
        runs = [self._run_time(run) for run in self._runs(model_name, 0, start_time, end_time)]
        return sorted(runs, key=lambda r: (r.start_time, r.id))

    def add_program_runtime_start(self, start_time: Number) -> Optional[int]:
        """The calling program started. Recorded as a run of the model ``program_model`` ("LLM-Manager"
        by default): ModelMeter has no ingest for program uptime (it tracks its own)."""
        if self.program_model is None:
            return None
        return self._start_run(self.program_model, start_time)

    def update_program_runtime_end(self, end_time: Number) -> None:
        """A heartbeat of the calling program, as update_model_runtime_end is for a model."""
        if self.program_model is not None:
            self._report_run(self.program_model, "heartbeat", end_time, "end_time")

    def get_program_runtime(self, limit: int = 0) -> List[ModelRunTime]:
        """Runs of the calling program, newest first; with program_model=None, ModelMeter's own uptime."""
        if self.program_model is not None:
            return self.get_model_runtime(self.program_model, limit)
        runs = self._call("GET", "/program-runs", {"limit": limit if 0 < limit <= RUN_PAGE else RUN_PAGE})
        return [
            ModelRunTime(int(run["id"]), run["start"] / 1000.0, (run["start"] + run["durationSeconds"] * 1000) / 1000.0)
            for run in runs
        ]

    # -- billing -------------------------------------------------------------------------------------

    def _versions(self, model_name: str) -> List[Dict[str, Any]]:
        pricing = self._call("GET", "/pricing/" + _model_path(model_name))
        return sorted(pricing["versions"], key=lambda v: v["effectiveFrom"])

    @staticmethod
    def _latest(versions: List[Dict[str, Any]], method: Optional[str] = None) -> Optional[Dict[str, Any]]:
        for version in reversed(versions):
            if method is None or version["method"] == method:
                return version
        return None

    @staticmethod
    def _tiers_of(version: Optional[Dict[str, Any]]) -> List[TierPricing]:
        tiers: List[TierPricing] = []
        if not version or not version.get("tiers"):
            return tiers
        previous = 0
        for index, tier in enumerate(version["tiers"], start=1):
            bound = tier["maxPromptTokens"]
            has_cache = "cacheRead" in tier or "cacheWrite" in tier
            tiers.append(
                TierPricing(
                    tier_index=index,
                    min_input_tokens=previous,
                    max_input_tokens=-1 if bound is None else bound,
                    min_output_tokens=0,
                    max_output_tokens=-1,
                    input_price=tier["input"],
                    output_price=tier["output"],
                    support_cache=has_cache,
                    cache_write_price=tier.get("cacheWrite", tier["input"]) if has_cache else 0.0,
                    cache_read_price=tier.get("cacheRead", tier["input"]) if has_cache else 0.0,
                )
            )
            previous = bound if bound is not None else previous
        return tiers

    @staticmethod
    def _parse_tier(tier_data: Sequence[Any]) -> TierPricing:
        values = list(tier_data)
        if len(values) == 5:
            index, start, end, input_price, output_price = values
            values = [index, start, end, 0, -1, input_price, output_price, False, 0.0, 0.0]
        elif len(values) == 7:
            index, start, end, input_price, output_price, cache, hit = values
            values = [index, start, end, 0, -1, input_price, output_price, cache, input_price, hit]
        elif len(values) != 10:
            raise ModelMeterValidationError(
                "validation_failed",
                "tier_data must be [index, start, end, input_price, output_price] (5 values), "
                "[..., support_cache, cache_hit_price] (7) or [index, min_input, max_input, min_output, "
                "max_output, input_price, output_price, support_cache, cache_write_price, cache_read_price] (10); "
                "got %d values" % len(values),
            )
        index, min_in, max_in, min_out, max_out, input_price, output_price, cache, write, read = values
        max_in = int(max_in)
        if max_in == 0 or max_in < -1:
            raise ModelMeterValidationError("validation_failed", "the tier's max input tokens must be > 0, or -1 for no limit")
        return TierPricing(
            tier_index=_count(index, "tier_index"),
            min_input_tokens=_count(min_in, "min_input_tokens"),
            max_input_tokens=max_in,
            min_output_tokens=int(min_out),
            max_output_tokens=int(max_out),
            input_price=_price(input_price, "input_price"),
            output_price=_price(output_price, "output_price"),
            support_cache=bool(cache),
            cache_write_price=_price(write, "cache_write_price"),
            cache_read_price=_price(read, "cache_read_price"),
        )

    @staticmethod
    def _tier_body(tier: TierPricing) -> Dict[str, Any]:
        body: Dict[str, Any] = {
            "maxPromptTokens": None if tier.max_input_tokens < 0 else tier.max_input_tokens,
            "input": tier.input_price,
            "output": tier.output_price,
        }
        if tier.support_cache:
            body["cacheRead"] = tier.cache_read_price
            body["cacheWrite"] = tier.cache_write_price
        return body

    def _currency(self, versions: List[Dict[str, Any]]) -> str:
        if self.currency:
            return self.currency
        latest = self._latest(versions)
        return latest["currency"] if latest else DEFAULT_CURRENCY

    def _put_version(self, model_name: str, versions: List[Dict[str, Any]], body: Dict[str, Any]) -> None:
        body["currency"] = self._currency(versions)
        self._call("PUT", "/pricing/" + _model_path(model_name), body=body)

    def _uses_tiers(self, model_name: str, versions: List[Dict[str, Any]]) -> bool:
        """Whether tier prices are the billing in force (or to be): LLM-Manager's default."""
        wanted = self._pending_method.get(model_name)
        if wanted is not None:
            return wanted == "tokens"
        latest = self._latest(versions)
        return latest is None or latest["method"] != "hourly"

    def _known_tiers(self, model_name: str, versions: List[Dict[str, Any]]) -> List[TierPricing]:
        if model_name in self._pending_tiers:
            return list(self._pending_tiers[model_name])
        return self._tiers_of(self._latest(versions, "tokens"))

    def _known_hourly(self, model_name: str, versions: List[Dict[str, Any]]) -> Optional[float]:
        if model_name in self._pending_hourly:
            return self._pending_hourly[model_name]
        latest = self._latest(versions, "hourly")
        return None if latest is None else float(latest["hourly"])

    def _store_tiers(self, model_name: str, tiers: List[TierPricing]) -> None:
        tiers = sorted(tiers, key=lambda t: t.tier_index)
        with self._lock:
            versions = self._versions(model_name)
            if not self._uses_tiers(model_name, versions):
                self._pending_tiers[model_name] = tiers
                return
            if not tiers:
                raise ModelMeterValidationError("validation_failed", "a model billed by tokens needs at least one tier")
            self._put_version(model_name, versions, {"method": "tokens", "tiers": [self._tier_body(t) for t in tiers]})
            self._pending_tiers.pop(model_name, None)
            self._pending_method.pop(model_name, None)

    def _edit_tiers(self, model_name: str, tier: Optional[TierPricing], remove: Optional[int] = None) -> None:
        with self._lock:
            tiers = [t for t in self._known_tiers(model_name, self._versions(model_name)) if t.tier_index not in (remove, tier.tier_index if tier else None)]
            if tier is not None:
                tiers.append(tier)
            self._store_tiers(model_name, tiers)

    def add_tier_pricing(self, model_name: str, tier_data: Sequence[Any]) -> None:
        """Adds (or replaces) the tier ``tier_data[0]``. Prices are per 1M tokens. Each call writes a new
        ModelMeter price version in force from now (the first one from the beginning of the data)."""
        self._edit_tiers(model_name, self._parse_tier(tier_data))

    def update_tier_pricing(self, model_name: str, tier_data: Sequence[Any]) -> None:
        """Replaces (or adds) the tier ``tier_data[0]``; same layouts as add_tier_pricing."""
        self._edit_tiers(model_name, self._parse_tier(tier_data))

    def upsert_tier_pricing(self, model_name: str, *tier: Any) -> None:
        """The later Monitor's form: the ten tier values as arguments (or one list)."""
        data = tier[0] if len(tier) == 1 and isinstance(tier[0], (list, tuple)) else tier
        self._edit_tiers(model_name, self._parse_tier(data))

    def delete_tier_pricing(self, model_name: str, tier_index: int) -> None:
        self._edit_tiers(model_name, None, remove=tier_index)

    delete_and_reindex_tier = delete_tier_pricing

    def update_hourly_price(self, model_name: str, hourly_price: Number) -> None:
        """Sets the price per hour of runtime. While the model is billed by tokens it is kept for a
        later update_billing_method(name, False) (in this DataManager object only)."""
        price = _price(hourly_price, "hourly_price")
        with self._lock:
            versions = self._versions(model_name)
            if self._uses_tiers(model_name, versions):
                self._pending_hourly[model_name] = price
                return
            self._put_version(model_name, versions, {"method": "hourly", "hourly": price})
            self._pending_hourly.pop(model_name, None)
            self._pending_method.pop(model_name, None)

    def update_billing_method(self, model_name: str, use_tier_pricing: bool) -> None:
        """Switches between tier prices (True) and the hourly price (False) by writing a new price
        version with the tiers or hourly price last set. If none was ever set, the switch waits for
        the first add_tier_pricing / update_hourly_price."""
        with self._lock:
            versions = self._versions(model_name)
            latest = self._latest(versions)
            if use_tier_pricing:
                if latest is None or latest["method"] == "tokens":
                    self._pending_method.pop(model_name, None)
                    if model_name in self._pending_tiers and self._pending_tiers[model_name]:
                        self._store_tiers(model_name, self._pending_tiers[model_name])
                    return
                tiers = self._known_tiers(model_name, versions)
                if not tiers:
                    self._pending_method[model_name] = "tokens"
                    return
                self._pending_method[model_name] = "tokens"
                self._store_tiers(model_name, tiers)
            else:
                if latest is not None and latest["method"] == "hourly":
                    self._pending_method.pop(model_name, None)
                    return
                hourly = self._known_hourly(model_name, versions)
                self._pending_method[model_name] = "hourly"
                if hourly is None:
                    return
                self._put_version(model_name, versions, {"method": "hourly", "hourly": hourly})
                self._pending_hourly.pop(model_name, None)
                self._pending_method.pop(model_name, None)

    def get_model_billing(self, model_name: str) -> ModelBilling:
        """The billing method in force, the hourly price and the tiers (ModelBilling as before)."""
        with self._lock:
            versions = self._versions(model_name)
            hourly = self._known_hourly(model_name, versions)
            return ModelBilling(
                use_tier_pricing=self._uses_tiers(model_name, versions),
                hourly_price=0.0 if hourly is None else hourly,
                tier_pricing=self._known_tiers(model_name, versions),
            )

    # -- data ----------------------------------------------------------------------------------------

    def delete_model_tables(self, model_name: str) -> Dict[str, Any]:
        """Deletes everything ModelMeter holds of the model: requests, runs and prices. Answers the
        counts, e.g. {"model": ..., "requests": 12, "runs": 2, "priceVersions": 1}."""
        self._send_buffer()
        with self._lock:
            self._pending_hourly.pop(model_name, None)
            self._pending_tiers.pop(model_name, None)
            self._pending_method.pop(model_name, None)
        return self._call("DELETE", "/models/" + _model_path(model_name))

    @staticmethod
    def get_safe_model_name(model_name: str) -> str:
        """A stable name made of letters, digits and "_" only (DataManager used it for table names):
        every other character, and "_" itself, becomes "_" plus two hex digits per UTF-8 byte, so
        the name can always be turned back with get_model_safe_name."""
        _model_path(model_name)
        out: List[str] = []
        for char in model_name:
            if char.isascii() and char.isalnum():
                out.append(char)
            else:
                out.extend("_%02x" % byte for byte in char.encode("utf-8"))
        return "".join(out)

    def get_model_safe_name(self, safe_name: str) -> Optional[str]:
        """The original name of a safe name (see get_safe_model_name), when ModelMeter knows the
        model (requests, runs or a price); None for an unknown model or a string that is not a safe name."""
        name = _unsafe(safe_name)
        if name is None:
            return None
        self._send_buffer()
        return name if name in self._known_models() else None

    def _known_models(self) -> set:
        summary = self._call("GET", "/summary", {"from": 0, "to": MAX_TIME_MS})
        names = {m["model"] for m in summary["models"]}
        names.update(p["model"] for p in self._call("GET", "/pricing"))
        return names

    def get_all_db_models(self) -> List[str]:
        """Models with requests, runs or prices this month, and every priced model."""
        summary = self._call("GET", "/summary", {"range": "30d"})
        names = {m["model"] for m in summary["models"]}
        names.update(p["model"] for p in self._call("GET", "/pricing"))
        return sorted(names)


# The later name of the same class in LLM-Manager (core/data_manager.py, class Monitor).
Monitor = DataManager
