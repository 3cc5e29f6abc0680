"""Load client for the bare-stack floor (bench/floor/app.py).

Opens N SSE streams on loopback, makes --changes question changes --interval s apart, then posts N
answers spread over --spread s (participant p after p/N x spread), and prints one JSON line. Every
time is measured on this client's clock; percentiles are nearest-rank, as the Tavlan benches take
them. See bench/README.md, "The bare-stack floor", for what each key means.

HTTP goes through aiohttp when it is installed, as in the Tavlan benches: the client shares the
machine's cores with the server, so its own cost is part of every figure, and the floor and the
benches should pay the same. Without aiohttp (or with --http stdlib) a standard-library client
does the same requests; it costs about half the CPU and reads lower.

    python bench/floor/client.py http://127.0.0.1:PORT 1000
"""
import argparse
import asyncio
import json
import resource
import sys
import time
from urllib.parse import urlencode, urlsplit

try:
    import aiohttp
except ImportError:
    aiohttp = None


def pct(xs, p):
    """The p-th percentile of seconds, in ms, nearest-rank."""
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000, 1) if xs else None


class AiohttpClient:
    """fetch() and follow() over one aiohttp session (a keep-alive pool without a limit)."""
    name = "aiohttp"

    def __init__(self, url: str):
        self.url = url
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                             timeout=aiohttp.ClientTimeout(total=None))

    async def fetch(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        data = {k: str(v) for k, v in form.items()} if form else None
        async with self.session.request(method, self.url + path, data=data) as response:
            return response.status, await response.read()

    async def follow(self, path: str, opened, on_id) -> None:
        async with self.session.get(self.url + path) as response:
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status}")
            opened()
            async for line in response.content:
                if line.startswith(b"id: "):
                    on_id(int(line[4:]), time.perf_counter())

    async def close(self) -> None:
        await self.session.close()


class StdlibClient:
    """The same two calls in just enough HTTP/1.1: a keep-alive pool for requests with short
    answers, and streams read chunk by chunk."""
    name = "stdlib"

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()

    async def _head(self, reader) -> tuple[int, dict[str, str]]:
        status = int((await reader.readuntil(b"\r\n")).split()[1])
        headers = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    async def _chunks(self, reader, status, headers):
        """The body's pieces as they arrive (chunked, sized, or until the connection closes)."""
        if status in (204, 304):
            return
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                yield (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
        elif "content-length" in headers:
            if length := int(headers["content-length"]):
                yield await reader.readexactly(length)
        else:
            while data := await reader.read(65536):
                yield data

    def _request(self, method: str, path: str, body: bytes = b"") -> bytes:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if method == "POST":
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        return (head + "\r\n").encode() + body

    async def fetch(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        """Status and body; a pooled connection the server closed meanwhile is replaced once."""
        message = self._request(method, path, urlencode(form or {}).encode())
        for attempt in (0, 1):
            reused = bool(self.idle) and attempt == 0
            reader, writer = self.idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
            try:
                writer.write(message)
                status, headers = await self._head(reader)
                body = b"".join([piece async for piece in self._chunks(reader, status, headers)])
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                if reused:
                    continue
                raise
            if headers.get("connection", "").lower() == "close":
                writer.close()
            else:
                self.idle.append((reader, writer))
            return status, body
        raise AssertionError("unreachable")

    async def follow(self, path: str, opened, on_id) -> None:
        """Hold one stream: opened() once its headers are in, on_id(id, arrival) per event id."""
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(self._request("GET", path))
            status, headers = await self._head(reader)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status}")
            opened()
            rest = b""
            async for piece in self._chunks(reader, status, headers):
                arrival = time.perf_counter()
                *lines, rest = (rest + piece).split(b"\n")
                for line in lines:
                    if line.startswith(b"id: "):
                        on_id(int(line[4:]), arrival)
        finally:
            writer.close()


async def run(client, url: str, n: int, changes: int, interval: float, spread: float, settle: float) -> dict:
    http = client(url)
    try:
        return await measure(http, n, changes, interval, spread, settle)
    finally:
        await http.close()


async def measure(http, n: int, changes: int, interval: float, spread: float, settle: float) -> dict:
    sent: dict[int, float] = {}
    arrivals: dict[int, list[float]] = {k: [] for k in range(1, changes + 1)}
    all_open = asyncio.Event()
    opened = 0

    def on_open():
        nonlocal opened
        opened += 1
        if opened == n:
            all_open.set()

    def on_id(k, arrival):
        if k in arrivals:
            arrivals[k].append(arrival)

    followers = [asyncio.create_task(http.follow("/stream", on_open, on_id)) for _ in range(n)]
    waiting = asyncio.create_task(all_open.wait())
    await asyncio.wait([waiting, *followers], timeout=120, return_when=asyncio.FIRST_COMPLETED)
    if not all_open.is_set():
        failed = [t.exception() for t in followers if t.done() and t.exception()]
        raise SystemExit(f"only {opened} of {n} streams opened: {failed[:1]}")
    await asyncio.sleep(settle)

    for k in range(1, changes + 1):
        sent[k] = time.perf_counter()
        await http.fetch("POST", "/advance", {"id": k})
        await asyncio.sleep(interval)
    await asyncio.sleep(settle)
    delays = [t - sent[k] for k in sent for t in arrivals[k]]
    last = [max(arrivals[k]) - sent[k] for k in sent if len(arrivals[k]) >= n]
    missing = sum(max(0, n - len(arrivals[k])) for k in sent)

    latencies, acked = [], 0

    async def answer(p):
        nonlocal acked
        await asyncio.sleep(spread * p / n)
        start = time.perf_counter()
        status, _ = await http.fetch("POST", "/answer", {"participant": f"p{p}", "question": 1, "value": 3})
        latencies.append(time.perf_counter() - start)
        acked += status == 200

    await asyncio.gather(*(answer(p) for p in range(n)))
    _, body = await http.fetch("GET", "/stored")
    stored = json.loads(body)["answers"]
    for task in followers:
        task.cancel()
    await asyncio.gather(*followers, return_exceptions=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"n": n, "fanout_p50_ms": pct(delays, 50), "fanout_p95_ms": pct(delays, 95),
            "fanout_max_ms": pct(delays, 100), "all_received_p95_ms": pct(last, 95),
            "deliveries_missing": missing, "answer_p50_ms": pct(latencies, 50),
            "answer_p95_ms": pct(latencies, 95), "acked": acked, "stored": stored,
            "lost": acked - stored, "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "client": http.name}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("n", type=int)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between question changes")
    parser.add_argument("--spread", type=float, default=5.0, help="seconds over which the N answers arrive")
    parser.add_argument("--settle", type=float, default=1.0, help="pause before the first and after the last change")
    parser.add_argument("--http", choices=("auto", "aiohttp", "stdlib"), default="auto",
                        help="the HTTP client: aiohttp when installed (auto), or the standard library's")
    args = parser.parse_args(argv)
    if args.http == "aiohttp" and aiohttp is None:
        parser.error("--http aiohttp: aiohttp is not installed")
    client = AiohttpClient if args.http == "aiohttp" or (args.http == "auto" and aiohttp) else StdlibClient
    result = asyncio.run(run(client, args.url.rstrip("/"), args.n, args.changes, args.interval, args.spread,
                             args.settle))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
