"""Read members of a remote zip archive (a wheel) with HTTP Range requests instead of downloading it whole."""

from __future__ import annotations

import bisect
import concurrent.futures
import io
import logging
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator

import requests

from exhume.errors import BadRemoteFile, IndexUnreachable, MemberNotFound
from exhume.index import transport

__all__ = ["RemoteZip"]

log = logging.getLogger(__name__)

# The first request takes the archive's tail: the end-of-central-directory record is in the last 22 bytes
# plus an optional comment of up to 64 KiB, and for most wheels the whole central directory fits too.
TAIL = 64 * 1024
# Members closer together than this are fetched in one request: a request's latency costs more than
# transferring a few hundred KiB of bytes we do not need.
GAP = 512 * 1024
# What an uncovered read fetches at least (reads outside prefetched ranges are rare: odd archives only).
READ_AHEAD = 64 * 1024
# Ranges still missing after coalescing are fetched this many at a time: a wheel read member by member costs
# one round trip per range, and the index serves ranges of one file in parallel as readily as one by one.
PARALLEL = 8
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class RemoteZip:
    """The members of a remote zip archive, fetched on demand with HTTP Range requests.

    Only the central directory and the members read are transferred. When the server ignores ``Range``
    (answers 200), the whole file arrives once and is kept in memory for this object only; nothing is written
    to disk. Member reads raise :class:`MemberNotFound`; a file that is not a zip raises
    :class:`BadRemoteFile`; network failures raise :class:`IndexUnreachable`. Safe to share between threads.
    """

    def __init__(self, url: str, *, session: requests.Session | None = None, size: int | None = None) -> None:
        self.url = url
        self._source = _RangeSource(url, session if session is not None else transport.new_session(), size)
        self._lock = threading.Lock()
        self._zip: zipfile.ZipFile | None = None

    @property
    def requests_made(self) -> int:
        """How many HTTP requests this archive has cost so far (for tests and progress reports)."""
        return self._source.requests

    def _archive(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._source.prefetch_tail(TAIL)
            try:
                self._zip = zipfile.ZipFile(_SparseFile(self._source))
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise BadRemoteFile(self.url, str(exc)) from exc
        return self._zip

    def namelist(self) -> list[str]:
        """Every member name, in archive order (directories included, as the archive lists them)."""
        with self._lock:
            return self._archive().namelist()

    def read(self, name: str) -> bytes:
        """The uncompressed bytes of one member."""
        for _, data in self.read_many([name]):
            return data
        raise MemberNotFound(self.url, name)  # pragma: no cover - read_many yields or raises

    def read_many(self, names: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """Yield ``(name, bytes)`` for each member named, in the order given (duplicates once).

        The byte ranges of all the members are fetched first, coalesced so that members lying near each
        other in the archive cost one request together.
        """
        wanted = list(dict.fromkeys(names))
        with self._lock:
            archive = self._archive()
            infos = archive.infolist()
            by_name = {info.filename: info for info in infos}
            missing = [name for name in wanted if name not in by_name]
            if missing:
                raise MemberNotFound(self.url, missing[0])
            self._source.fetch_ranges(_member_ranges(infos, [by_name[n] for n in wanted], archive.start_dir))
            results: list[tuple[str, bytes]] = []
            for name in wanted:
                try:
                    results.append((name, archive.read(by_name[name])))
                except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                    raise BadRemoteFile(self.url, f"member {name!r}: {exc}") from exc
        yield from results


def _member_ranges(infos: list[zipfile.ZipInfo], chosen: list[zipfile.ZipInfo], end: int) -> list[tuple[int, int]]:
    """Half-open byte ranges covering the chosen members' local headers and data, coalesced across gaps."""
    # A member's local header and data end where the next member (by offset) starts, or at the central
    # directory; the local header's extra field may differ in length from the central one, so this bound is
    # the only exact one that needs no extra request.
    offsets = sorted({info.header_offset for info in infos})
    spans: list[tuple[int, int]] = []
    for info in chosen:
        i = bisect.bisect_right(offsets, info.header_offset)
        stop = offsets[i] if i < len(offsets) else end
        spans.append((info.header_offset, max(stop, info.header_offset + 30)))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, stop in spans:
        if merged and start - merged[-1][1] <= GAP:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


class _RangeSource:
    """The remote file's bytes fetched so far, as sorted non-overlapping segments."""

    def __init__(self, url: str, session: requests.Session, size: int | None) -> None:
        self.url = url
        self.session = session
        self.size = size
        self.requests = 0
        self._count = threading.Lock()
        self._starts: list[int] = []
        self._segments: list[bytes] = []

    def prefetch_tail(self, length: int) -> None:
        """Fetch the last ``length`` bytes (the whole file if smaller), learning the size on the way."""
        if self.size is not None:
            self.fetch_ranges([(max(0, self.size - length), self.size)])
            return
        # A suffix range needs no size and its Content-Range tells the size.
        self._request(f"bytes=-{length}", None)

    def fetch_ranges(self, ranges: Iterable[tuple[int, int]]) -> None:
        """Make sure every half-open range is held, fetching only the missing parts, up to :data:`PARALLEL`
        requests at a time (the segments are merged here, in the calling thread, in the order asked)."""
        gaps: list[tuple[int, int]] = []
        for start, stop in ranges:
            if self.size is not None:
                stop = min(stop, self.size)
            for gap in self._missing(start, stop):
                if gap not in gaps:
                    gaps.append(gap)
        if len(gaps) <= 1:
            for gap_start, gap_stop in gaps:
                self._request(f"bytes={gap_start}-{gap_stop - 1}", gap_start)
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(PARALLEL, len(gaps))) as pool:
            answers = [pool.submit(self._get, f"bytes={a}-{b - 1}") for a, b in gaps]
            for (gap_start, _), answer in zip(gaps, answers, strict=True):
                self._store(*answer.result(), start=gap_start)

    def read(self, start: int, length: int) -> bytes:
        """Bytes ``[start, start+length)``, clipped at the end of the file, fetching what is missing."""
        if self.size is None:
            self.prefetch_tail(TAIL)
        assert self.size is not None
        stop = min(start + length, self.size)
        if stop <= start:
            return b""
        if self._missing(start, stop):
            # Read ahead a little: zipfile reads a header, then the data just after it.
            self.fetch_ranges([(start, max(stop, min(start + READ_AHEAD, self.size)))])
        i = bisect.bisect_right(self._starts, start) - 1
        seg_start, segment = self._starts[i], self._segments[i]
        return segment[start - seg_start : stop - seg_start]

    def _missing(self, start: int, stop: int) -> list[tuple[int, int]]:
        gaps: list[tuple[int, int]] = []
        pos = start
        i = max(0, bisect.bisect_right(self._starts, start) - 1)
        while pos < stop and i < len(self._starts):
            seg_start = self._starts[i]
            seg_stop = seg_start + len(self._segments[i])
            if seg_stop <= pos:
                i += 1
                continue
            if seg_start > pos:
                gaps.append((pos, min(seg_start, stop)))
            pos = max(pos, seg_stop)
            i += 1
        if pos < stop:
            gaps.append((pos, stop))
        return gaps

    def _request(self, byte_range: str, start: int | None) -> None:
        self._store(*self._get(byte_range), start=start)

    def _get(self, byte_range: str) -> tuple[int | None, int | None, bytes]:
        """One ranged GET: ``(first byte, file size or None, body)``, or ``(None, size, whole file)`` when the
        server ignores ``Range``. Touches no segment, so several may run at once."""
        # identity: a compressed transfer of a byte range would not be the bytes asked for.
        headers = {"Range": byte_range, "Accept-Encoding": "identity"}
        with self._count:
            self.requests += 1
        response = transport.get(self.session, self.url, headers)
        with response:
            if response.status_code == 200:
                # The server ignores Range: the body is the whole file.
                body = response.content
                return None, len(body), body
            if response.status_code == 416:
                raise BadRemoteFile(self.url, f"range {byte_range} not satisfiable")
            if response.status_code != 206:
                raise IndexUnreachable(self.url, f"HTTP {response.status_code}")
            body = response.content
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
            if match is None:
                raise BadRemoteFile(self.url, "partial response without a Content-Range")
            total = match.group(3)
            return int(match.group(1)), None if total == "*" else int(total), body

    def _store(self, first: int | None, total: int | None, body: bytes, *, start: int | None) -> None:
        if first is None:
            if self._starts != [0] or len(self._segments[0]) != len(body):
                log.debug("%s ignores Range; holding all %d bytes in memory", self.url, len(body))
            self.size = len(body)
            self._starts, self._segments = [0], [body]
            return
        if total is not None:
            self.size = total
        if start is not None and first != start:
            log.debug("%s answered from %d when asked from %d", self.url, first, start)
        if self._starts == [0] and self.size is not None and len(self._segments[0]) == self.size:
            return  # the whole file is held already (a server that ignored Range for an earlier request)
        self._insert(first, body)

    def _insert(self, start: int, data: bytes) -> None:
        # Merge with every segment this one touches or overlaps, so lookups find one covering segment.
        stop = start + len(data)
        lo = bisect.bisect_left(self._starts, start)
        if lo > 0 and self._starts[lo - 1] + len(self._segments[lo - 1]) >= start:
            lo -= 1
        hi = lo
        while hi < len(self._starts) and self._starts[hi] <= stop:
            hi += 1
        new_start, new_stop = start, stop
        for j in range(lo, hi):
            new_start = min(new_start, self._starts[j])
            new_stop = max(new_stop, self._starts[j] + len(self._segments[j]))
        buffer = bytearray(new_stop - new_start)
        for j in range(lo, hi):
            offset = self._starts[j] - new_start
            buffer[offset : offset + len(self._segments[j])] = self._segments[j]
        buffer[start - new_start : stop - new_start] = data
        self._starts[lo:hi] = [new_start]
        self._segments[lo:hi] = [bytes(buffer)]


class _SparseFile(io.RawIOBase):
    """A seekable read-only file over a :class:`_RangeSource`, for :mod:`zipfile`."""

    def __init__(self, source: _RangeSource) -> None:
        super().__init__()
        self._source = source
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        elif whence == io.SEEK_END:
            assert self._source.size is not None
            self._pos = self._source.size + offset
        else:
            raise ValueError(f"bad whence {whence}")
        if self._pos < 0:
            raise OSError("negative seek position")
        return self._pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._source.read(self._pos, len(buffer))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)
